import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { registerAir } from './air.ts';
import { registerBeacon } from './beacon.ts';
import { registerScan } from './scan.ts';
import { registerSim } from './sim.ts';
import { registerSimFit } from './simFit.ts';
import { registerClassify } from './classify.ts';
import { registerEval } from './eval.ts';
import { registerBench } from './bench.ts';
import { registerId } from './id.ts';
import { registerAdvert } from './advert.ts';
import { registerMatch } from './match.ts';
import { registerFleet } from './fleet.ts';
import { registerWorker } from './worker.ts';

/** Each command group lives in its own file and adds itself to the program here. */
export type Registrar = (program: Command, ctx: CliContext) => void;

export const registrars: Registrar[] = [registerAir, registerBeacon, registerScan, registerSim,
  // `sim fit` joins the sim group registered just before it
  (p, ctx) => registerSimFit(p.commands.find((c) => c.name() === 'sim')!, ctx),
  registerClassify, registerEval, registerBench, registerId, registerAdvert, registerMatch, registerFleet, registerWorker];
