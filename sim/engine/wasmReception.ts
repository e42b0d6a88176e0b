// The fused WebAssembly engine (wasmEngine.ts, sim/kernel/assembly) behind the ReceptionEngine seam: the
// module lists the contact-truth pairs, draws the events, builds the grid and packet lists and runs every
// scanner's windows (scanTick); this adapter hands the receptions back through ReceptionOut.
import type { WasmHost } from '../kernel/wasmKernel.ts';
import { ruleClass } from './appLog.ts';
import { HOP_GAP_US } from '../world/devices.ts';
import type { World } from '../world/build.ts';
import { TRUTH_M, type Radio } from './radio.ts';
import type { EngineCounters, ReceptionEngine, ReceptionOut, TickState } from './types.ts';
import { WasmEngine } from './wasmEngine.ts';
import type { UniformGrid } from './grid.ts';

export interface WasmReceptionOptions {
  /** Apply the app's logging rule in the module (dense last-logged table; whole-microsecond schedules). */
  logging?: { logAll: boolean; emitAll: boolean };
  /** List the contact-truth pairs in the module (dense day sums). */
  truth: boolean;
  pairCache: boolean;
  /** Tests only (RunOptions.engineLastSpanUs, engineOutRoom, engineInterfSums). */
  lastSpanUs?: number;
  outRoom?: number;
  interfSums?: 'auto' | 'always' | 'never';
}

export class WasmReception implements ReceptionEngine {
  readonly name = 'wasm' as const;
  readonly appliesLoggingRule: boolean;
  private readonly truthInEngine: boolean;
  private readonly e: WasmEngine;

  constructor(host: WasmHost, w: World, r: Radio, grid: UniformGrid, truthGrid: { nx: number; ny: number } | null, o: WasmReceptionOptions) {
    const { adv, scan, tickMs } = w;
    const tickUs = tickMs * 1000;
    this.appliesLoggingRule = !!o.logging;
    // the module's truth grid has a cell array too: over a large area the JS scan does it (engine/truth.ts)
    this.truthInEngine = o.truth && truthGrid !== null;
    this.e = new WasmEngine(host, {
      nDev: w.nDev,
      // events held in one tick: the previous one plus at most ceil(tick / interval) + 1 new ones per device
      evCap: adv.intUs.reduce((a, v) => a + Math.ceil(tickUs / v) + 2, 0) + 16,
      gridNx: grid.nx, gridNy: grid.ny, cellM: grid.cellM, normalReach: r.normalReach, maxAir: adv.maxAir, maxEvSpan: adv.maxEvSpan,
      hopGapUs: HOP_GAP_US, interfFloorDb: r.interfFloorDb, params: r.params, carriage: w.carriage, reachTx: r.reachTx,
      reachRx: r.reachRx, rxCorr: w.rxCorr, txPower: w.txPower, airUs: adv.airUs, evSpanUs: adv.evSpanUs, loud: r.loudList,
      bodyTable: r.bodyTable,
      logging: o.logging ? { kind: ruleClass(w.kind, w.app), logAll: o.logging.logAll, emitAll: o.logging.emitAll } : undefined,
      truth: o.truth && truthGrid ? { nx: truthGrid.nx, ny: truthGrid.ny, cellM: TRUTH_M } : undefined,
      events: { delayH: adv.delayH, advIntUs: adv.intUs, advOnUs: adv.onUs, advCycleUs: adv.cycleUs, advPhaseUs: adv.phaseUs },
      seed: w.seed, wholeUs: adv.wholeUs, lastSpanUs: o.lastSpanUs, pairCache: o.pairCache, outRoom: o.outRoom,
      interfSums: o.interfSums,
      scan: {
        mode: scan.mode, winUs: scan.winUs, intUs: scan.intUs, onUs: scan.onUs, cycleUs: scan.cycleUs, phaseUs: scan.phaseUs,
        jitUs: scan.jitUs, chOff: scan.chOff,
        whole: [scan.onUs, scan.cycleUs, scan.phaseUs].every((a) => a.every(Number.isInteger)) && Number.isInteger(adv.maxAir) && Number.isInteger(tickUs),
      },
    });
  }

  loadTick(s: TickState): void {
    this.e.loadPositions(s.x, s.y, s.hx, s.hy, s.active, s.wasActive);
  }

  truthPairs(): { n: number; a: Int32Array; b: Int32Array } | null {
    if (!this.truthInEngine) return null;
    const n = this.e.truthPairs(TRUTH_M);
    return { n, a: this.e.truthA, b: this.e.truthB };
  }

  drawEvents(t0: number, t1: number, t0ms: number): void {
    this.e.genEvents(t0, t1, t0ms);
  }

  events(): { evOff: Int32Array; evStart: Float64Array } {
    return { evOff: this.e.evOff, evStart: this.e.evStart };
  }

  receive(t0: number, t1: number, _s: TickState, out: ReceptionOut): void {
    const e = this.e;
    e.buildGrid();
    e.buildPackets(t0, t1);
    // the module runs the window loop (same windows, same order as jsEngine.ts) and hands back the
    // receptions of the windows that have any; it stops early when its arrays fill up, then goes on
    const ruled = this.appliesLoggingRule;
    e.scanBegin();
    for (let more = true; more; ) {
      let nw = e.scanTick(t0, t1);
      more = nw < 0;
      if (more) nw = -nw - 1;
      const WR = e.winR, WS = e.winS, WE = e.winE, WQ = e.winQ;
      const rTx = e.rxTx, rT = e.rxT, rP = e.rxP, rD = e.rxD, rL = e.rxLog;
      if (ruled && !out.wantsReceptions) {
        // nothing reads the observations (a benchmark run): count only
        let n = 0;
        for (let q = 0, q1 = WQ[nw]; q < q1; q++) n += rL[q];
        out.countLogged(n);
        continue;
      }
      for (let w = 0; w < nw; w++) {
        const r = WR[w], ws = WS[w], we = WE[w], q1 = WQ[w + 1];
        if (!ruled) for (let q = WQ[w]; q < q1; q++) out.heard(r, rTx[q], rT[q], rP[q], ws, we, rD[q]);
        else for (let q = WQ[w]; q < q1; q++) out.heardRuled(r, rTx[q], rT[q], rP[q], ws, we, rD[q], rL[q]);
      }
    }
  }

  counters(): EngineCounters {
    const c = this.e.counters();
    return {
      pairEvaluations: c.pairs, advEvents: this.e.advEvents(), receptions: c.rec, lostBelowSensitivity: c.sens,
      lostCollision: c.col, lostHalfDuplex: c.hd, windows: { sortedPackets: c.denseWindows, neighbourEvents: c.sparseWindows },
      interfSums: { fast: c.sumFast, walk: c.sumWalk },
    };
  }
}
