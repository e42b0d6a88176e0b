/**
 * JS side of the fused WebAssembly reception engine (sim/kernel/assembly/engine.ts). The world loop
 * (run.ts) owns mobility and the outputs; per tick it copies positions into the module
 * (loadPositions), which lists the contact-truth pairs, draws the advertising events and builds the
 * neighbour grid (buildGrid) and sorts the packets; scanTick() then runs every scanner's windows and
 * the receptions are read back from the rx* and win* views. The JS path in run.ts
 * (gatherNeighbours, addWindow, flush) is the reference this engine is tested against.
 */
import type { ChannelParams } from '../channel/params.ts';
import { NORMAL_IH_SCALE } from '../kernel/rng.ts';
import { kernelScalars } from '../kernel/tsKernel.ts';
import type { WasmHost } from '../kernel/wasmKernel.ts';
import { linearTable } from './capture.ts';

export interface EngineLayout {
  nDev: number;
  /** Upper bound on advertising events held in one tick (all devices); also bounds one window's candidates. */
  evCap: number;
  gridNx: number;
  gridNy: number;
  cellM: number;
  normalReach: number;
  maxAir: number;
  maxEvSpan: number;
  hopGapUs: number;
  interfFloorDb: number;
  params: ChannelParams;
  carriage: Uint8Array;
  reachTx: Float32Array;
  reachRx: Float32Array;
  rxCorr: Float32Array;
  txPower: Float32Array;
  airUs: Int32Array;
  evSpanUs: Int32Array;
  loud: number[];
  bodyTable: Float32Array;
  /**
   * Apply the app's logging rule in the engine (appLog.ts rule: different apps, iOS <-> iOS, coalesced iOS
   * reports, 5 s dedup per slot; GAEN keeps every reading) with a dense nDev x nDev table of last-logged
   * times as u32 offsets (needs wholeUs); kind per device (appLog.ts ruleClass) is then required.
   */
  logging?: { kind: Uint8Array; logAll: boolean; emitAll: boolean };
  /** Advertising schedule per device (run.ts): advDelay hash prefix, interval, Android on/off cycle (us). */
  events: { delayH: Uint32Array; advIntUs: Int32Array; advOnUs: Float64Array; advCycleUs: Float64Array; advPhaseUs: Float64Array };
  /** Run seed (advertising start draws, rng.ts hash32). */
  seed: number;
  /** Tests only: rebase the last-logged table this often (us; default 4e9, the u32 limit's margin). */
  lastSpanUs?: number;
  /** Every schedule time is a whole microsecond (run.ts wholeUs): exact shortcuts in the event draw. */
  wholeUs: boolean;
  /** Grid of the contact-truth pass (run.ts tgrid); set to run it in the module (room for every pair). */
  truth?: { nx: number; ny: number; cellM: number };
  /**
   * Keep each (scanner, transmitter) pair's geometry and kernel terms across ticks in an nDev x nDev table
   * (32 bytes a pair), recomputed after either device moves or turns (assembly/layout.ts pPair).
   */
  pairCache?: boolean;
  /** Tests only: room for receptions beyond one window's (default 65536). */
  outRoom?: number;
  /**
   * Tests only: when the collision test uses the running interference sums (assembly/resolve.ts;
   * default 'auto': crowded windows). Every mode takes the same decisions.
   */
  interfSums?: 'auto' | 'always' | 'never';
  /** Scan schedule per device (run.ts's window loop, which the module runs: scanTick). */
  scan: {
    mode: Uint8Array; winUs: Int32Array; intUs: Int32Array; onUs: Float64Array; cycleUs: Float64Array; phaseUs: Float64Array;
    jitUs: Int32Array; chOff: Uint8Array;
    /** Every scan schedule time is a whole microsecond: an exact floor form replaces the double modulo. */
    whole: boolean;
  };
}

type Exports = {
  setup(cfg: number): void;
  counter(i: number): number;
  scanBegin(): void;
  scanTick(t0: number, t1: number): number;
  pairInit(): void;
  buildPackets(t0: number, t1: number): void;
  truthPairs(limit: number): number;
  genEvents(t0: number, t1: number, t0ms: number): number;
  advEvents(): number;
  loadTick(): void;
  buildGrid(): void;
};

type Ctor = Float32ArrayConstructor | Float64ArrayConstructor | Int32ArrayConstructor | Uint32ArrayConstructor | Uint8ArrayConstructor;

export class WasmEngine {
  readonly scanBegin: () => void;
  readonly scanTick: (t0: number, t1: number) => number;
  // per-tick inputs (views into the module's memory)
  active!: Uint8Array;
  evOff!: Int32Array;
  evStart!: Float64Array;
  evId!: Uint32Array;
  wasActive!: Uint8Array;
  // the next tick's positions and facings, staged for loadTick
  stX!: Float32Array;
  stY!: Float32Array;
  stHx!: Float32Array;
  stHy!: Float32Array;
  // pairs of the last truthPairs()
  truthA!: Int32Array;
  truthB!: Int32Array;
  // the windows with receptions of the last scanTick(): scanner, start, end, first reception (one more entry)
  winR!: Int32Array;
  winS!: Float64Array;
  winE!: Float64Array;
  winQ!: Int32Array;
  // receptions of the last scanTick()
  rxTx!: Int32Array;
  rxT!: Float64Array;
  rxP!: Float32Array;
  rxD!: Float32Array;
  /** 1 where the app logged the reception (only meaningful with EngineLayout.logging). */
  rxLog!: Uint8Array;

  private readonly ex: Exports;

  private readonly views: { name: string; ptr: number; len: number; ctor: Ctor }[] = [];
  private buffer: ArrayBuffer | null = null;

  constructor(private readonly host: WasmHost, L: EngineLayout) {
    this.ex = host.exports as unknown as Exports;
    const n = L.nDev;
    const nCells = L.gridNx * L.gridNy;
    const cap = L.evCap;
    const ptr = (bytes: number) => host.alloc(Math.max(bytes, 16));
    const view = (name: string, ctor: Ctor, len: number): number => {
      const p = ptr(len * ctor.BYTES_PER_ELEMENT);
      this.views.push({ name, ptr: p, len, ctor });
      return p;
    };
    const F32 = Float32Array, F64 = Float64Array, I32 = Int32Array, U32 = Uint32Array, U8 = Uint8Array;
    const maxBuckets = Math.max(1, 4 * cap);
    // the tick's receptions: room for one window (at most cap) and more; scanTick returns early when full
    const outCap = cap + (L.outRoom ?? 65536);
    const fade = host.fadeTable(L.params);
    const lin = linearTable(L.interfFloorDb, L.params.captureDb);
    const p = L.params;
    const ks = kernelScalars(p);
    const tCells = L.truth ? L.truth.nx * L.truth.ny : 0;
    const tPairs = (n * (n - 1)) / 2;
    // per neighbour slot, 16-byte records; per transmitter, (stamp, slot) pairs (assembly/layout.ts)
    const nbHot = ptr(16 * n);
    const nbSi = ptr(8 * n);
    // the config block, in the order assembly/setup.ts setup() reads it
    const cfg = [
      view('x', F32, n), view('y', F32, n), view('hx', F32, n), view('hy', F32, n), view('active', U8, n),
      view('carriage', U8, n), view('reachTx', F32, n), view('reachRx', F32, n), view('rxCorr', F32, n),
      view('txPower', F32, n), view('airUs', I32, n), view('evSpanUs', I32, n), view('evOff', I32, n + 1),
      view('evStart', F64, cap), view('evId', U32, cap), view('cellStart', I32, nCells + 1), view('items', I32, n),
      view('loud', I32, L.loud.length), view('body', F32, L.bodyTable.length), view('cand', I32, n),
      // neighbours of the current scanner
      view('nbTx', I32, n), view('nbDist', F32, n), view('nbStatic', F32, n), view('nbCur', I32, n), view('nbEnd', I32, n),
      // r2, epoch, fading prefix and far offset interleaved (assembly/layout.ts NB_SHIFT)
      view('nbR1', F32, n), nbHot, nbHot + 4, nbHot + 8, view('nbHS', U32, n), nbHot + 12,
      // one window's candidates, then its packets in start order (32-byte records, assembly/layout.ts REC_SHIFT)
      view('cQ', I32, cap), view('cStart', F64, cap), view('cOk', U8, cap), view('cP', F32, cap), view('key', F64, cap),
      view('sR', F64, 4 * cap), view('sP', F32, cap), view('rc', I32, cap + 4),
      // receptions of the last window
      view('rxTx', I32, outCap), view('rxT', F64, outCap), view('rxP', F32, outCap), view('rxD', F32, outCap), view('rxLog', U8, outCap),
      fade, view('pk', F64, 4 * 3 * cap), view('bucket', I32, maxBuckets + 1), nbSi + 4, nbSi, view('kind', U8, n),
      L.logging ? view('last', U32, n * n) : 0, view('lin', F64, lin.table.length),
      // scalars
      L.loud.length, n, L.gridNx, L.gridNy, L.cellM, L.normalReach, L.maxAir, L.maxEvSpan, L.hopGapUs,
      p.shadowEpochMs * 1000, p.sensitivityDbm, L.interfFloorDb, cap, maxBuckets, L.logging?.logAll ? 1 : 0,
      L.logging?.emitAll === false ? 0 : 1, lin.table.length, lin.captureLin,
      // kernel scalars (kernel.ts evaluate's arguments)
      ks.seedState, p.pl1mDb, ks.plSlopeNear, ks.plSlopeFar, ks.log2Break, p.pairSigmaDb, p.shadowSigmaDb,
      p.kBreakM, p.minDistM, NORMAL_IH_SCALE,
      // last-logged table: rebase after this many us (u32 offsets)
      Math.min(4e9, L.lastSpanUs ?? 4e9),
      // contact-truth grid and its pair list (room for every pair)
      ...(L.truth
        ? [L.truth.nx, L.truth.ny, L.truth.cellM, view('tCellStart', I32, tCells + 1),
          view('tCellOf', I32, n), view('tItems', I32, n + 4), view('tIX', F64, n + 4), view('tIY', F64, n + 4),
          view('truthA', I32, tPairs + 4), view('truthB', I32, tPairs + 4)]
        : [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]),
      // advertising events: seed, whole-microsecond schedule, state and per-device constants
      L.seed, L.wholeUs ? 1 : 0, view('nextEv', F64, n), view('prevEv', F64, n), view('prevId', U32, n), view('evCount', U32, n),
      view('delayH', U32, n), view('advInt', I32, n), view('advOn', F64, n), view('advCycle', F64, n), view('advPhase', F64, n),
      view('wasActive', U8, n),
      // pair cache (entries start stale: zero)
      L.pairCache ? view('pair', U32, 8 * n * n) : 0,
      // the tick's events sorted by start
      view('eSt', F64, cap), view('eDev', I32, cap), view('eId', U32, cap),
      // staged positions and facings, the present devices
      view('stX', F32, n), view('stY', F32, n), view('stHx', F32, n), view('stHy', F32, n), view('act', I32, n), view('loudFlag', U8, n),
      // scan schedules, then the tick's windows with receptions
      view('scanMode', U8, n), view('scanWin', I32, n), view('scanInt', I32, n), view('scanOn', F64, n), view('scanCycle', F64, n),
      view('scanPhase', F64, n), view('scanJit', I32, n), view('chOff', U8, n), L.scan.whole ? 1 : 0,
      // the packet lists' time index (assembly/layout.ts PK_BUCKETS)
      view('pkIdx', I32, 3 * 513),
      // moved this tick; the contact truth's kept and re-found pairs and each device's truth cell
      view('moved', U8, n),
      ...(L.truth
        ? [view('tA2', I32, tPairs + 4), view('tB2', I32, tPairs + 4), view('tNA', I32, tPairs + 4), view('tNB', I32, tPairs + 4),
          view('tNK', F64, tPairs + 4), view('tCellD', I32, n)]
        : [0, 0, 0, 0, 0, 0]),
      outCap, view('winR', I32, outCap), view('winS', F64, outCap), view('winE', F64, outCap), view('winQ', I32, outCap + 1),
      // running interference sums (assembly/resolve.ts): prefix sums, the shortest airtime, the mode
      view('pre', F64, cap + 1), L.airUs.reduce((a, b) => Math.min(a, b), L.maxAir),
      L.interfSums === 'always' ? 1 : L.interfSums === 'never' ? 2 : 0,
      // the grid items' geometry records (assembly/layout.ts pGeo: 32 bytes each)
      ptr(32 * n),
    ];
    const cfgPtr = ptr(8 * cfg.length);
    const ev = L.events;
    new Float64Array(host.memory.buffer, cfgPtr, cfg.length).set(cfg);
    this.ex.setup(cfgPtr);
    this.refresh();
    const v = this.view.bind(this);
    (v('carriage') as Uint8Array).set(L.carriage);
    (v('reachTx') as Float32Array).set(L.reachTx);
    (v('reachRx') as Float32Array).set(L.reachRx);
    (v('rxCorr') as Float32Array).set(L.rxCorr);
    (v('txPower') as Float32Array).set(L.txPower);
    (v('airUs') as Int32Array).set(L.airUs);
    (v('evSpanUs') as Int32Array).set(L.evSpanUs);
    (v('loud') as Int32Array).set(L.loud);
    for (const d of L.loud) (v('loudFlag') as Uint8Array)[d] = 1;
    (v('body') as Float32Array).set(L.bodyTable);
    (v('lin') as Float64Array).set(lin.table);
    (v('prevEv') as Float64Array).fill(-Infinity);
    const sc = L.scan;
    (v('scanMode') as Uint8Array).set(sc.mode);
    (v('scanWin') as Int32Array).set(sc.winUs);
    (v('scanInt') as Int32Array).set(sc.intUs);
    (v('scanOn') as Float64Array).set(sc.onUs);
    (v('scanCycle') as Float64Array).set(sc.cycleUs);
    (v('scanPhase') as Float64Array).set(sc.phaseUs);
    (v('scanJit') as Int32Array).set(sc.jitUs);
    (v('chOff') as Uint8Array).set(sc.chOff);
    (v('delayH') as Uint32Array).set(ev.delayH);
    (v('advInt') as Int32Array).set(ev.advIntUs);
    (v('advOn') as Float64Array).set(ev.advOnUs);
    (v('advCycle') as Float64Array).set(ev.advCycleUs);
    (v('advPhase') as Float64Array).set(ev.advPhaseUs);
    if (L.pairCache) {
      (v('pair') as Uint32Array).fill(0);
      this.ex.pairInit();
    }
    if (L.logging) {
      (v('kind') as Uint8Array).set(L.logging.kind);
      (v('last') as Uint32Array).fill(0);
    }
    this.scanBegin = this.ex.scanBegin;
    this.scanTick = this.ex.scanTick;
  }

  private view(name: string): ArrayBufferView {
    const d = this.views.find((w) => w.name === name);
    if (!d) return new Uint8Array(0);
    return new d.ctor(this.host.memory.buffer, d.ptr, d.len);
  }

  /** Re-creates the views if the module's memory grew (an allocation after ours detaches them). */
  refresh(): void {
    if (this.buffer === this.host.memory.buffer) return;
    this.buffer = this.host.memory.buffer;
    const self = this as unknown as Record<string, ArrayBufferView>;
    for (const k of ['active', 'evOff', 'evStart', 'evId', 'rxTx', 'rxT', 'rxP', 'rxD', 'rxLog', 'winR', 'winS', 'winE', 'winQ', 'truthA', 'truthB', 'wasActive', 'stX', 'stY', 'stHx', 'stHy']) self[k] = this.view(k);
  }

  /**
   * Copies one tick's positions, facings, presence and the presence of the tick before into the module,
   * which lists the present devices and marks stale pair-cache entries (before truthPairs, genEvents and
   * buildGrid).
   */
  loadPositions(x: Float32Array, y: Float32Array, hx: Float32Array, hy: Float32Array, active: Uint8Array, wasActive: Uint8Array): void {
    this.refresh();
    this.stX.set(x);
    this.stY.set(y);
    this.stHx.set(hx);
    this.stHy.set(hy);
    this.active.set(active);
    this.wasActive.set(wasActive);
    this.ex.loadTick();
  }

  /**
   * The tick's advertising events (run.ts's event loop, same draws) into the module's evOff / evStart /
   * evId, readable through those views; returns their count.
   */
  genEvents(t0: number, t1: number, t0ms: number): number {
    const ne = this.ex.genEvents(t0, t1, t0ms);
    if (ne < 0) throw new RangeError(`wasm engine: more than ${this.evStart.length} advertising events in one tick`);
    return ne;
  }

  /** Advertising events drawn by genEvents so far. */
  advEvents(): number {
    return this.ex.advEvents();
  }

  /**
   * The tick's pairs a < b of present devices within `limit` metres (run.ts's contact truth, same order),
   * into truthA / truthB; returns their count. Needs EngineLayout.truth.
   */
  truthPairs(limit: number): number {
    const n = this.ex.truthPairs(limit);
    this.refresh();
    return n;
  }

  /** Builds the tick's neighbour grid in the module (grid.ts build of the present devices that are not loud). */
  buildGrid(): void {
    this.ex.buildGrid();
  }

  /** Sorts the tick's packets per channel (after loadTick, before the tick's windows). */
  buildPackets(t0: number, t1: number): void {
    this.ex.buildPackets(t0, t1);
  }

  /**
   * Totals since construction: pairs evaluated, lost below sensitivity / half duplex / collision, received;
   * windows per path; collision tests decided by the running sums or by the exact walk.
   */
  counters(): {
    pairs: number; sens: number; hd: number; col: number; rec: number; denseWindows: number; sparseWindows: number;
    sumFast: number; sumWalk: number;
  } {
    const c = this.ex.counter;
    return {
      pairs: c(0), sens: c(1), hd: c(2), col: c(3), rec: c(4), denseWindows: c(5), sparseWindows: c(6),
      sumFast: c(7), sumWalk: c(8),
    };
  }
}
