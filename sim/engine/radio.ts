// The radio side of a run, shared by both engines: channel parameters, the reception kernel, per-pair
// culling reach, the neighbour grid's cell, the body-loss table and the interference floor.
import { channelParamsFor, bodyLossDb, type Carriage, type ChannelParams } from '../channel/params.ts';
import { cullRadiusM, loadKernel, tsKernel } from '../kernel/index.ts';
import type { ReceptionKernel } from '../kernel/types.ts';
import type { Scenario } from '../scenario/schema.ts';
import { CARRIAGE_NAMES } from '../world/devices.ts';
import type { World } from '../world/build.ts';
import { linearTable } from './capture.ts';

export const BODY_BINS = 1025;
export const BODY_HALF = (BODY_BINS - 1) / 2;
/** The contact-truth distance: "within 2 m" (bluezone-protocol.md 4.6). */
export const TRUTH_M = 2;

export interface Radio {
  params: ChannelParams;
  kernel: ReceptionKernel;
  /** Cull radius for the loudest transmitter and most sensitive receiver (m). */
  cullM: number;
  /** Per-pair culling: a pair (t, r) is kept within reachTx[t] * reachRx[r]. */
  reachTx: Float32Array;
  reachRx: Float32Array;
  /** Twice the median reach: transmitters above it (beacons, outlier models) are "loud". */
  normalReach: number;
  loud: Uint8Array;
  loudList: number[];
  /** Neighbour grid cell (m). */
  cellM: number;
  /** Body loss per carriage (4 x BODY_BINS) by the cosine between facing and bearing. */
  bodyTable: Float32Array;
  /** Interferers this far below sensitivity minus the capture ratio cannot decide a reception. */
  interfFloorDb: number;
  lin: ReturnType<typeof linearTable>;
}

export async function buildRadio(scenario: Scenario, world: World, kernelOpt: ReceptionKernel | 'wasm' | 'ts' | undefined): Promise<Radio> {
  const { nDev, txPower, rxCorr, seed } = world;
  const params = channelParamsFor(scenario.environment, { ...(scenario.channel as Partial<ChannelParams>), seed });
  const kernel: ReceptionKernel = typeof kernelOpt === 'object' ? kernelOpt : kernelOpt === 'ts' ? tsKernel() : await loadKernel(kernelOpt ?? 'wasm');
  let maxTx = -Infinity;
  for (let d = 0; d < nDev; d++) maxTx = Math.max(maxTx, txPower[d]);
  let minRxCorr = 0;
  for (let d = 0; d < nDev; d++) minRxCorr = Math.min(minRxCorr, rxCorr[d]);
  const cullM = nDev ? cullRadiusM(params, maxTx - minRxCorr) : 1;
  // Per-pair culling: the radius for budget b is R0 * 10^(b / 10n), so a pair (t, r) is kept within
  // R0 * reachTx[t] * reachRx[r] (cullRadiusM's log-distance inversion, split into tx and rx factors).
  const R0 = nDev ? cullRadiusM(params, 0) : 1;
  const reachTx = new Float32Array(nDev);
  const reachRx = new Float32Array(nDev);
  for (let d = 0; d < nDev; d++) {
    reachTx[d] = R0 * Math.pow(10, txPower[d] / (10 * params.exponent));
    reachRx[d] = Math.pow(10, -rxCorr[d] / (10 * params.exponent));
  }
  const interfFloorDb = params.sensitivityDbm - params.captureDb - 10;
  // Grid over the "normal" transmitters, cell = a quarter of the typical search radius: the 9 x 9 cells a
  // scanner searches cover 1.6 times its search disc (3 x 3 cells of the whole radius covered 2.9 times
  // it), so the candidate count tells whether its search covers the crowd (assembly/neighbours.ts
  // gather) and fewer out-of-reach candidates are looked at (issue 20). The few loud ones (reach above
  // twice the median: beacons, outlier models) are checked by every scanner directly.
  const med = (a: Float32Array) => {
    const b = Float32Array.from(a).sort();
    return b.length ? b[b.length >> 1] : 1;
  };
  const normalReach = 2 * med(reachTx);
  const loud = new Uint8Array(nDev);
  const loudList: number[] = [];
  for (let d = 0; d < nDev; d++) if (reachTx[d] > normalReach) {
    loud[d] = 1;
    loudList.push(d);
  }
  const cellM = Math.max(1, Math.min(cullM, (normalReach * med(reachRx)) / 4));
  const bodyTable = new Float32Array(4 * BODY_BINS);
  for (let c = 0; c < 4; c++) {
    for (let i = 0; i < BODY_BINS; i++) {
      const cos = Math.max(-1, Math.min(1, i / BODY_HALF - 1));
      bodyTable[c * BODY_BINS + i] = c === 3 ? 0 : bodyLossDb(CARRIAGE_NAMES[c] as Carriage, Math.acos(cos));
    }
  }
  return {
    params, kernel, cullM, reachTx, reachRx, normalReach, loud, loudList, cellM, bodyTable, interfFloorDb,
    lin: linearTable(interfFloorDb, params.captureDb),
  };
}
