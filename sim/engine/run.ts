// The simulator's world loop (sim-radio-core.md 3.4): fixed mobility ticks; inside a tick, exact
// integer-microsecond link-layer timing. Work is driven by the scanners that are listening: for each
// listening scan window, the in-range advertisers' packets on that window's channel are batched into the
// reception kernel, then collisions and capture are resolved per receiver with the returned powers.
// With the WASM kernel that per-window work runs fused in WebAssembly (wasmEngine.ts); the JS functions
// below (gatherNeighbours, addWindow, flush, record) are its reference and the TS kernel's path.
// All randomness is hash32(seed, ...) of stable counters, so a run is identical whatever the order.
import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { channelParamsFor, bodyLossDb, type Carriage, type ChannelParams } from '../channel/params.ts';
import { cullRadiusM, loadKernel, tsKernel } from '../kernel/index.ts';
import { hash32, hashAbsorb, hashFinish, hashStart, uniform01 } from '../kernel/rng.ts';
import { pairIdOf, type PairBatch, type ReceptionKernel } from '../kernel/types.ts';
import type { Scenario } from '../scenario/schema.ts';
import { Mobility, scaledCounts } from '../world/mobility.ts';
import {
  ADV_DELAY_MAX_US, ADV_LEN, CARRIAGE_NAMES, HOP_GAP_US, KIND_ANDROID, KIND_BEACON, KIND_IOS, KIND_NAMES,
  PayloadCache, airtimeUs, simAddress, simBaseDate, simBaseKey,
} from '../world/devices.ts';
import { pickModels } from '../world/models.ts';
import { UniformGrid } from './grid.ts';
import { PairTable } from './pairTable.ts';
import { RunOutputs } from '../output/outputs.ts';
import { advIndPacket, PcapWriter } from '../output/pcap.ts';
import { grow } from './typed.ts';
import { ScanWindowAggregates } from '../output/scanWindows.ts';
import { linearTable, linIndex } from './capture.ts';
import { WasmEngine } from './wasmEngine.ts';
import type { WasmKernel } from '../kernel/wasmKernel.ts';

export interface RunOptions {
  /** Overrides scenario.seed. */
  seed?: number;
  /** Overrides scenario.duration (ms). */
  durationMs?: number;
  /** Scale group sizes so that about this many phones take part. */
  devices?: number;
  /** Multiply group sizes (ignored when devices is set). */
  scale?: number;
  /** Write outputs here (summary.json, observations.csv, ...); none when undefined (benchmarks). */
  outDir?: string;
  /** pcap of the air (every advertising packet). */
  pcapPath?: string;
  /** Stop writing pcap records after this many (default 2e6). */
  pcapMaxPackets?: number;
  /** Observation format: csv (default) or pb (length-delimited protobuf, records/proto). */
  format?: 'csv' | 'pb';
  /** A kernel, or which to load (default: wasm if available). */
  kernel?: ReceptionKernel | 'wasm' | 'ts';
  /**
   * Reception path: 'wasm' (default with the WASM kernel) runs neighbour gathering, windows, kernel and
   * collisions fused in WebAssembly (wasmEngine.ts); 'js' runs them in this file with the chosen kernel
   * (the reference the fused engine is tested against; always used with the TS kernel).
   */
  engine?: 'wasm' | 'js';
  /** Tests only: the WASM engine's last-logged rebase interval (us; small values rebase every window). */
  engineLastSpanUs?: number;
  /** Tests only: false runs the WASM engine without its pair cache (as above 1024 devices). */
  enginePairCache?: boolean;
  /** Tests only: the engine's room for a tick's receptions beyond one window's (default 65536; 0 makes scanTick stop after every window with receptions). */
  engineOutRoom?: number;
  /** Run the firmware classifier and write windows.csv (default true when outDir is set). */
  classify?: boolean;
  /**
   * Write scan_windows.csv, every reception aggregated per (receiver, transmitter, scan window); needs
   * outDir. Off by default: it runs to about ten rows per pair and second of Android scanning (478 MB for
   * office over 2 h), ten times observations.csv.
   */
  scanWindows?: boolean;
  /** Render report.html (default true; the data files do not depend on it). */
  report?: boolean;
  /** Called after every tick. */
  onProgress?: (simMs: number, totalMs: number) => void;
}

export interface RunStats {
  /** (packet, listening in-range receiver) pairs evaluated by the kernel. */
  pairEvaluations: number;
  /** Advertising events sent (each = 3 packets). */
  advEvents: number;
  receptions: number;
  lostBelowSensitivity: number;
  lostCollision: number;
  lostHalfDuplex: number;
  /** Rows written to observations.csv (after the app's logging rule). */
  observations: number;
  wallMs: number;
  simMs: number;
  realTimeFactor: number;
  pairsPerSecond: number;
  kernel: string;
  /** 'wasm' (fused engine) or 'js' (reception path in run.ts). */
  engine: 'wasm' | 'js';
  /** WASM engine only: scan windows read from the tick's sorted packets / from the neighbours' events. */
  engineWindows?: { sortedPackets: number; neighbourEvents: number };
  kernelFallback?: string;
  cullRadiusM: number;
  devices: { android: number; ios: number; beacon: number; people: number };
}

export interface RunResult {
  stats: RunStats;
  summary: Record<string, unknown>;
  files: string[];
}

const SALT_ADV_DELAY = 0x61647664; // 'advd'
const SALT_ADV_PHASE = 0x61647670;
const SALT_SCAN_PHASE = 0x73636e70;
const SALT_IOS_JITTER = 0x696f736a;
const SALT_START = 0x73747274;
const SALT_CH = 0x6368616e;
const SALT_CARRIAGE = 0x63617272;
const SALT_PHONE = 0x70686f6e;

/** Bluezone logs a peer ID at most once per 5 s (bluezone-protocol.md 4.3, TIME_DELAY_INSERT). */
const APP_DEDUP_US = 5_000_000;
const SLOT_US = 900_000_000;

const SCAN_NONE = 0;
const SCAN_PERIODIC = 1; // window every interval (Pi; Android inside its sessions)
const SCAN_IOS = 2; // one window per period, start jittered (coalesced background scanning)

function pickFraction(fr: Record<string, number>, keys: readonly string[], u: number): number {
  const total = keys.reduce((a, k) => a + (fr[k] ?? 0), 0);
  let acc = 0;
  for (let i = 0; i < keys.length; i++) {
    acc += (fr[keys[i]] ?? 0) / total;
    if (u < acc) return i;
  }
  return keys.length - 1;
}

/** Runs one scenario; see RunOptions. Returns stats and (when outDir is set) the files written. */
export async function runSimulation(scenario: Scenario, opts: RunOptions = {}): Promise<RunResult> {
  const seed = (opts.seed ?? scenario.seed) >>> 0;
  const durationMs = opts.durationMs ?? scenario.duration;
  const startMs = Date.parse(scenario.start);
  const tickMs = scenario.tick;
  const tickUs = tickMs * 1000;

  // ---- people and devices ----
  let scale = opts.scale ?? 1;
  if (opts.devices !== undefined) {
    const expected = scenario.groups.reduce((a, g) => {
      const f = g.phones;
      const tot = (f.android ?? 0) + (f.ios ?? 0) + (f.none ?? 0);
      return a + (g.count * ((f.android ?? 0) + (f.ios ?? 0))) / tot;
    }, 0);
    scale = expected > 0 ? opts.devices / expected : 1;
  }
  const counts = scaledCounts(scenario, scale);
  const mob = new Mobility(scenario, counts, seed);

  const kindL: number[] = [];
  const personL: number[] = [];
  const carriageL: number[] = [];
  const nameL: string[] = [];
  for (let p = 0; p < mob.n; p++) {
    const g = scenario.groups[mob.group[p]];
    const ph = pickFraction(g.phones, ['android', 'ios', 'none'], uniform01(hash32(seed, SALT_PHONE, p, 0, 0)));
    if (ph === 2) continue;
    kindL.push(ph === 0 ? KIND_ANDROID : KIND_IOS);
    personL.push(p);
    carriageL.push(pickFraction(g.carriage, ['hand', 'pocket', 'bag'], uniform01(hash32(seed, SALT_CARRIAGE, p, 0, 0))));
    const width = String(Math.max(1, counts[mob.group[p]] - 1)).length;
    nameL.push(`${g.name}-${String(mob.indexInGroup[p] + 1).padStart(width, '0')}`);
  }
  for (const b of scenario.beacons) {
    kindL.push(KIND_BEACON);
    personL.push(-1);
    carriageL.push(3);
    nameL.push(b.name);
  }
  const nDev = kindL.length;
  const kind = Uint8Array.from(kindL);
  const person = Int32Array.from(personL);
  const carriage = Uint8Array.from(carriageL);
  const names = nameL;
  const nBeacon = scenario.beacons.length;
  const firstBeacon = nDev - nBeacon;

  const models = await pickModels(seed, kind);
  const txPower = new Float32Array(nDev);
  const rxCorr = new Float32Array(nDev); // dB subtracted by the kernel on this device's receptions
  for (let d = 0; d < nDev; d++) {
    if (kind[d] === KIND_BEACON) {
      txPower[d] = scenario.beacons[d - firstBeacon].txPowerDbm;
      rxCorr[d] = 0;
    } else {
      txPower[d] = models.txPowerDbm[d];
      rxCorr[d] = models.rxLossDb[d];
    }
  }

  // Link-layer parameters per device (integer microseconds).
  const advIntUs = new Int32Array(nDev);
  const advOnUs = new Float64Array(nDev); // 0 = continuous
  const advCycleUs = new Float64Array(nDev);
  const advPhaseUs = new Float64Array(nDev);
  const airUs = new Int32Array(nDev);
  const scanMode = new Uint8Array(nDev);
  const scanWinUs = new Int32Array(nDev);
  const scanIntUs = new Int32Array(nDev);
  const scanOnUs = new Float64Array(nDev);
  const scanCycleUs = new Float64Array(nDev);
  const scanPhaseUs = new Float64Array(nDev);
  const scanJitUs = new Int32Array(nDev);
  const chOff = new Uint8Array(nDev);
  const A = scenario.android;
  const I = scenario.ios;
  for (let d = 0; d < nDev; d++) {
    const k = kind[d];
    airUs[d] = airtimeUs(ADV_LEN[k]);
    chOff[d] = hash32(seed, SALT_CH, d, 0, 0) % 3;
    if (k === KIND_ANDROID) {
      // bluezone-protocol.md 2.1 (ADVERTISE_MODE_LOW_LATENCY = 100 ms, 15 s on / 15 s off) and 4.1
      // (SCAN_MODE_LOW_LATENCY, 40 s on / 260 s off).
      advIntUs[d] = Math.round(A.advIntervalMs * 1000);
      advOnUs[d] = A.advOnMs * 1000;
      advCycleUs[d] = (A.advOnMs + A.advOffMs) * 1000;
      scanMode[d] = SCAN_PERIODIC;
      scanWinUs[d] = Math.round(A.scanWindowMs * 1000);
      scanIntUs[d] = Math.round(A.scanIntervalMs * 1000);
      scanOnUs[d] = A.scanOnMs * 1000;
      scanCycleUs[d] = (A.scanOnMs + A.scanOffMs) * 1000;
    } else if (k === KIND_IOS) {
      // iOS advertises continuously (bluezone-protocol.md 2.3); background scanning is coalesced, a 100 ms
      // advertiser is reported every 2-4 s (sim-radio-core.md 2.1): one short window per 2-4 s.
      advIntUs[d] = Math.round(I.advIntervalMs * 1000);
      scanMode[d] = SCAN_IOS;
      scanWinUs[d] = Math.round(I.scanWindowMs * 1000);
      const [lo, hi] = I.scanEveryMs;
      scanIntUs[d] = Math.round(((lo + hi) / 2) * 1000);
      // start jittered within +-(hi - lo)/4 of the slot centre, so consecutive windows are lo..hi apart
      scanJitUs[d] = Math.round(((hi - lo) / 2) * 1000);
    } else {
      const b = scenario.beacons[d - firstBeacon];
      advIntUs[d] = Math.round(b.intervalMs * 1000);
      scanMode[d] = b.scan ? SCAN_PERIODIC : SCAN_NONE;
      scanWinUs[d] = Math.round(b.scanWindowMs * 1000);
      scanIntUs[d] = Math.round(b.scanIntervalMs * 1000);
    }
    if (advCycleUs[d] > 0) advPhaseUs[d] = Math.floor(uniform01(hash32(seed, SALT_ADV_PHASE, d, 0, 0)) * advCycleUs[d]);
    const period = scanCycleUs[d] > 0 ? scanCycleUs[d] : scanIntUs[d];
    scanPhaseUs[d] = Math.floor(uniform01(hash32(seed, SALT_SCAN_PHASE, d, 0, 0)) * period);
  }
  const advDelayH = new Uint32Array(nDev);
  const ADV_DELAY_2_16 = 65536 % (ADV_DELAY_MAX_US + 1);
  for (let d = 0; d < nDev; d++) advDelayH[d] = hashAbsorb(hashAbsorb(hashStart(seed), SALT_ADV_DELAY), d);
  const evSpanUs = new Int32Array(nDev);
  for (let d = 0; d < nDev; d++) evSpanUs[d] = 3 * airUs[d] + 2 * HOP_GAP_US;
  let maxAir = 0;
  for (let d = 0; d < nDev; d++) maxAir = Math.max(maxAir, airUs[d]);
  let maxEvSpan = 0;
  for (let d = 0; d < nDev; d++) maxEvSpan = Math.max(maxEvSpan, evSpanUs[d]);

  // ---- channel, kernel, culling ----
  const params: ChannelParams = channelParamsFor(scenario.environment, { ...(scenario.channel as Partial<ChannelParams>), seed });
  const kernel: ReceptionKernel =
    typeof opts.kernel === 'object' ? opts.kernel : opts.kernel === 'ts' ? tsKernel() : await loadKernel(opts.kernel ?? 'wasm');
  let maxTx = -Infinity;
  for (let d = 0; d < nDev; d++) maxTx = Math.max(maxTx, txPower[d]);
  let minRxCorr = 0;
  for (let d = 0; d < nDev; d++) minRxCorr = Math.min(minRxCorr, rxCorr[d]);
  const R = nDev ? cullRadiusM(params, maxTx - minRxCorr) : 1;
  // Per-pair culling: the radius for budget b is R0 * 10^(b / 10n), so a pair (t, r) is kept within
  // R0 * reachTx[t] * reachRx[r] (cullRadiusM's log-distance inversion, split into tx and rx factors).
  const R0 = nDev ? cullRadiusM(params, 0) : 1;
  const reachTx = new Float32Array(nDev);
  const reachRx = new Float32Array(nDev);
  for (let d = 0; d < nDev; d++) {
    reachTx[d] = R0 * Math.pow(10, txPower[d] / (10 * params.exponent));
    reachRx[d] = Math.pow(10, -rxCorr[d] / (10 * params.exponent));
  }
  // Interferers this far below sensitivity minus the capture ratio cannot decide a reception on their own.
  const interfFloorDb = params.sensitivityDbm - params.captureDb - 10;
  const lin = linearTable(interfFloorDb, params.captureDb);
  const W = scenario.area.width;
  const H = scenario.area.height;
  // Grid over the "normal" transmitters, cell = typical search radius; the few loud ones (reach above
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
  const cellM = Math.max(1, Math.min(R, normalReach * med(reachRx)));
  const grid = new UniformGrid(cellM, W, H, nDev);
  const gridActive = new Uint8Array(nDev);
  const TRUTH_M = 2;
  const tgrid = new UniformGrid(TRUTH_M, W, H, nDev);

  // Kernel batches of CAP candidates; candidates of whole scan windows live in growable arrays until
  // their collisions are resolved (a window may hold more candidates than one batch).
  const CAP = 1 << 13;
  const batch: PairBatch = kernel.allocBatch ? kernel.allocBatch(CAP) : (await import('../kernel/types.ts')).allocBatch(CAP);
  const out = kernel.allocOut ? kernel.allocOut(CAP) : new Float32Array(CAP);
  let cCap = 1 << 16;
  let cTx = new Int32Array(cCap);
  let cStart = new Float64Array(cCap);
  let cOk = new Uint8Array(cCap);
  let cDist = new Float32Array(cCap);
  let cPow = new Float32Array(cCap);
  let cKey = new Float64Array(cCap);
  let nC = 0;
  let kBase = 0;
  const RESOLVE_AT = 1 << 18;
  const G_CAP = 1 << 14;
  const gStart = new Int32Array(G_CAP + 1);
  const gRx = new Int32Array(G_CAP);
  const gWin = new Float64Array(G_CAP);
  const gWe = new Float64Array(G_CAP);
  let nGroups = 0;

  // ---- per-tick state ----
  const x = new Float32Array(nDev);
  const y = new Float32Array(nDev);
  const heading = new Float32Array(nDev);
  const hx = new Float32Array(nDev).fill(1);
  const hy = new Float32Array(nDev);
  const BODY_BINS = 1025;
  const BODY_HALF = (BODY_BINS - 1) / 2;
  const bodyTable = new Float32Array(4 * BODY_BINS);
  for (let c = 0; c < 4; c++) {
    for (let i = 0; i < BODY_BINS; i++) {
      const cos = Math.max(-1, Math.min(1, i / BODY_HALF - 1));
      bodyTable[c * BODY_BINS + i] = c === 3 ? 0 : bodyLossDb(CARRIAGE_NAMES[c] as Carriage, Math.acos(cos));
    }
  }
  const active = new Uint8Array(nDev);
  const present = new Int32Array(nDev);
  const mobX = mob.x, mobY = mob.y, mobHeading = mob.heading;
  // Up to 2048 devices (32 MB) the last-logged times sit in a dense rx * nDev + tx table (in JS, or in
  // the WASM engine's memory when it applies the logging rule), above that in a hash table in JS. The
  // same bound makes the day's contact sums dense and runs the truth scan in the engine.
  const denseLogged = nDev <= 2048;
  // up to 1024 devices (32 MB) the engine keeps every pair's terms across ticks (wasmEngine.ts pairCache)
  const PAIR_CACHE_MAX = 1024;
  // every schedule time is a whole number of microseconds (intervals are rounded above, durations are
  // whole ms: units.ts parseDuration); the engine's event draw and last-logged table rely on it
  const wholeUs = [advOnUs, advCycleUs, advPhaseUs].every((a) => a.every(Number.isInteger)) && Number.isInteger(tickUs);
  // the engine keeps last-logged times as u32 offsets, exact only in whole microseconds
  const logInEngine = denseLogged && wholeUs;
  const host = (kernel as Partial<WasmKernel>).host;
  const engine = host && opts.engine !== 'js' ? new WasmEngine(host, {
    nDev,
    // events held in one tick: the previous one plus at most ceil(tick / interval) + 1 new ones per device
    evCap: advIntUs.reduce((a, v) => a + Math.ceil(tickUs / v) + 2, 0) + 16,
    gridNx: grid.nx, gridNy: grid.ny, cellM: grid.cellM, normalReach, maxAir, maxEvSpan, hopGapUs: HOP_GAP_US,
    interfFloorDb, params, carriage, reachTx, reachRx, rxCorr, txPower, airUs, evSpanUs, loud: loudList, bodyTable,
    // per-reception consumers (scan_windows.csv) still get every reception
    logging: logInEngine ? { kind, logAll: scenario.logging === 'all', emitAll: !!(opts.outDir && opts.scanWindows) } : undefined,
    truth: denseLogged ? { nx: tgrid.nx, ny: tgrid.ny, cellM: TRUTH_M } : undefined,
    events: { delayH: advDelayH, advIntUs, advOnUs, advCycleUs, advPhaseUs }, seed, wholeUs, lastSpanUs: opts.engineLastSpanUs,
    pairCache: nDev <= PAIR_CACHE_MAX && opts.enginePairCache !== false, outRoom: opts.engineOutRoom,
    scan: {
      mode: scanMode, winUs: scanWinUs, intUs: scanIntUs, onUs: scanOnUs, cycleUs: scanCycleUs, phaseUs: scanPhaseUs, jitUs: scanJitUs, chOff,
      whole: [scanOnUs, scanCycleUs, scanPhaseUs].every((a) => a.every(Number.isInteger)) && Number.isInteger(maxAir) && Number.isInteger(tickUs),
    },
  }) : null;
  const engineLogs = !!engine && logInEngine;
  // the contact-truth scan runs in the module when the day's sums are dense (its pair list holds n^2 / 2)
  const truthInEngine = !!engine && denseLogged;
  const wasActive = new Uint8Array(nDev);
  const firstSeenMs = new Float64Array(nDev).fill(-1);
  const lastSeenMs = new Float64Array(nDev).fill(-1);
  for (let d = firstBeacon; d < nDev; d++) {
    const b = scenario.beacons[d - firstBeacon];
    x[d] = b.x;
    y[d] = b.y;
  }
  const nextEvUs = new Float64Array(nDev);
  const evCount = new Uint32Array(nDev);
  const prevEvUs = new Float64Array(nDev).fill(-Infinity);
  const prevEvId = new Uint32Array(nDev);
  const maxEvPerTick = Math.ceil(tickUs / 20_000) + 3;
  const evOff = new Int32Array(nDev + 1);
  let evCap = Math.max(1024, nDev * 4);
  let evStart = new Float64Array(evCap);
  let evId = new Uint32Array(evCap);

  // neighbour scratch (per scanner per tick)
  // candidate transmitters of one scanner, in grid-cell order then the loud ones (the order fixes the
  // candidates' order in the kernel batch and the sort's tie-break, so it must not change)
  const candT = new Int32Array(nDev);
  const nbTx = new Int32Array(nDev);
  const nbDist = new Float32Array(nDev);
  const nbLoss = new Float32Array(nDev);
  const nbPair = new Uint32Array(nDev);
  const nbCur = new Int32Array(nDev);
  // the neighbours' events of the tick, copied contiguously per scanner: the window loop then reads
  // memory in order instead of jumping through every device's events
  const nbEnd = new Int32Array(nDev);
  let nbEvCap = 1 << 16;
  let nbEvStart = new Float64Array(nbEvCap);
  let nbEvId = new Uint32Array(nbEvCap);

  // logged observations of the tick
  let oCap = 4096;
  let oT = new Float64Array(oCap);
  let oRx = new Int32Array(oCap);
  let oTx = new Int32Array(oCap);
  let oRssi = new Int16Array(oCap);
  let oDist = new Float32Array(oCap);
  let nObs = 0;
  let oIdx = new Uint32Array(oCap);
  const lastLogged = new PairTable();
  // The dense table (denseLogged): no hashing per reception. Entries are never pruned there; an entry
  // older than the prune horizon (65 s) passes both checks in record() exactly as a pruned (absent) one does.
  const lastDense = denseLogged && !engineLogs ? new Float64Array(nDev * nDev).fill(NaN) : null;
  const logAll = scenario.logging === 'all';

  const stats: RunStats = {
    pairEvaluations: 0, advEvents: 0, receptions: 0, lostBelowSensitivity: 0, lostCollision: 0, lostHalfDuplex: 0,
    observations: 0, wallMs: 0, simMs: durationMs, realTimeFactor: 0, pairsPerSecond: 0, kernel: kernel.name, engine: engine ? 'wasm' : 'js',
    kernelFallback: kernel.fallbackReason, cullRadiusM: Math.round(R * 10) / 10,
    devices: { android: 0, ios: 0, beacon: nBeacon, people: mob.n },
  };
  for (let d = 0; d < nDev; d++) if (kind[d] === KIND_ANDROID) stats.devices.android++; else if (kind[d] === KIND_IOS) stats.devices.ios++;

  const outputs = opts.outDir ? new RunOutputs(opts.outDir, scenario, { seed, startMs, durationMs, names, kind, person, classify: opts.classify ?? true, report: opts.report ?? true, models: models.names, format: opts.format ?? 'csv' }) : null;
  if (opts.outDir) mkdirSync(opts.outDir, { recursive: true });
  if (outputs) await outputs.open();
  const scanAgg = opts.outDir && opts.scanWindows ? new ScanWindowAggregates(join(opts.outDir, 'scan_windows.csv'), nDev, startMs, names) : null;

  // pcap
  const pcap = opts.pcapPath ? new PcapWriter(opts.pcapPath) : null;
  const pcapMax = opts.pcapMaxPackets ?? 2_000_000;
  const payloads: PayloadCache[] = [];
  const addresses: Uint8Array[] = [];
  if (pcap) {
    for (let d = 0; d < nDev; d++) {
      payloads.push(new PayloadCache(kind[d], simBaseKey(seed, names[d]), simBaseDate(seed, d, startMs)));
      addresses.push(simAddress(seed, d));
    }
  }
  let pcapTruncated = false;

  // ---- contact truth: ms within 2 m per unordered pair and UTC day ----
  const truthMs = new Map<number, Map<number, number>>();
  // up to 2048 devices the day's pair sums live in a dense array (a Map update per close pair and tick
  // dominated the truth pass); flushDayTruth moves the touched ones into truthMs, same sums, same order
  const truthDense = denseLogged ? new Float64Array(nDev * nDev) : null;
  const truthTouched: number[] = [];
  let truthDay = -1;
  const flushDayTruth = function flushDayTruth() {
    if (!truthDense || truthDay < 0) return;
    const m = truthMs.get(truthDay)!;
    for (const key of truthTouched) {
      m.set(key, truthDense[key]);
      truthDense[key] = 0;
    }
    truthTouched.length = 0;
  };

  const isAdvOn = function isAdvOn(d: number, t: number): boolean {
    if (advOnUs[d] === 0) return true;
    return (t + advPhaseUs[d]) % advCycleUs[d] < advOnUs[d];
  };

  const t0Wall = performance.now();
  const nTicks = Math.ceil(durationMs / tickMs);

  /** Evaluates the pending kernel batch and keeps the powers beside the candidates. */
  const evalChunk = function evalChunk() {
    const n = batch.n;
    if (n === 0) return;
    kernel.evaluate(batch, params, out);
    cPow.set(out.subarray(0, n), kBase);
    stats.pairEvaluations += n;
    kBase += n;
    batch.n = 0;
  };

  const growCandidates = function growCandidates() {
    cCap *= 2;
    cTx = grow(cTx, Int32Array, cCap);
    cStart = grow(cStart, Float64Array, cCap);
    cOk = grow(cOk, Uint8Array, cCap);
    cDist = grow(cDist, Float32Array, cCap);
    cPow = grow(cPow, Float32Array, cCap);
    cKey = new Float64Array(cCap);
  };

  // Resolves the pending windows: sensitivity, half duplex, then collisions/capture per receiver.
  // Per window the packets that matter are sorted once by start; their index, start, end and (lazily)
  // linear power then sit in contiguous scratch arrays, so the overlap scans read memory in order.
  let sCap = 1024;
  let sIdx = new Int32Array(sCap);
  let sSt = new Float64Array(sCap);
  let sEnd = new Float64Array(sCap);
  let sLin = new Float64Array(sCap);
  const flush = function flush() {
    evalChunk();
    const sens = params.sensitivityDbm;
    const LT = lin.table, floorDb = lin.floorDb, nLin = LT.length, capLin = lin.captureLin;
    const out = cPow;
    let maxG = 0;
    for (let g = 0; g < nGroups; g++) maxG = Math.max(maxG, gStart[g + 1] - gStart[g]);
    if (maxG > sCap) {
      while (sCap < maxG) sCap *= 2;
      sIdx = new Int32Array(sCap);
      sSt = new Float64Array(sCap);
      sEnd = new Float64Array(sCap);
      sLin = new Float64Array(sCap);
    }
    // the arrays in locals: the closure's let bindings would be reloaded on every access
    const K = cKey, St = cStart, Ok = cOk, Tx = cTx, Dist = cDist;
    const SI = sIdx, SS = sSt, SE = sEnd, SL = sLin, ES = evStart;
    let nSens = 0, nHd = 0, nCol = 0, nRec = 0;
    for (let g = 0; g < nGroups; g++) {
      const s = gStart[g];
      const e = gStart[g + 1];
      const rx = gRx[g];
      const ws = gWin[g];
      const we = gWe[g];
      // sort the window's packets by start time: key = (start - ws + maxAir) * 2^20 + local index
      // only packets strong enough to be received or to interfere take part
      let m = s;
      let weak = 0;
      for (let i = s; i < e; i++) {
        if (out[i] >= interfFloorDb) K[m++] = (St[i] - ws + maxAir) * 1048576 + (i - s);
        else weak += Ok[i];
      }
      nSens += weak;
      m -= s;
      if (m === 0) continue;
      if (m > 32) K.subarray(s, s + m).sort();
      else {
        // small windows (the usual case): insertion sort in place, no subarray or runtime call; keys are
        // distinct (they end in the local index), so the order is the same as sort()'s
        for (let a = s + 1; a < s + m; a++) {
          const v = K[a];
          let b = a - 1;
          while (b >= s && K[b] > v) {
            K[b + 1] = K[b];
            b--;
          }
          K[b + 1] = v;
        }
      }
      for (let k = 0; k < m; k++) {
        const key = K[s + k];
        // low 20 bits of an exact integer key (no float modulo)
        const i = s + (key - Math.floor(key * (1 / 1048576)) * 1048576);
        SI[k] = i;
        const st = St[i];
        SS[k] = st;
        SE[k] = st + airUs[Tx[i]];
        SL[k] = -1;
      }
      // the receiver's own events of the tick, ascending: a cursor follows the ascending packet starts
      let hj = evOff[rx];
      const hEnd = evOff[rx + 1];
      const span = evSpanUs[rx];
      for (let k = 0; k < m; k++) {
        const i = SI[k];
        if (!Ok[i]) continue;
        const p = out[i];
        if (p < sens) {
          nSens++;
          continue;
        }
        const ps = SS[k];
        const pe = SE[k];
        // half duplex: the receiver cannot listen while its own advertising event is on air
        while (hj < hEnd && ES[hj] + span <= ps) hj++;
        if (hj < hEnd && ES[hj] < pe) {
          nHd++;
          continue;
        }
        // co-channel interference from overlapping packets (sim-radio-core.md 3.4 item 5), summed in
        // linear power from the shared table (capture.ts)
        let interf = 0;
        for (let kk = k - 1; kk >= 0; kk--) {
          if (SS[kk] + maxAir <= ps) break;
          if (SE[kk] > ps) {
            let l = SL[kk];
            if (l < 0) SL[kk] = l = LT[linIndex(out[SI[kk]], floorDb, nLin)];
            interf += l;
          }
        }
        for (let kk = k + 1; kk < m; kk++) {
          if (SS[kk] >= pe) break;
          let l = SL[kk];
          if (l < 0) SL[kk] = l = LT[linIndex(out[SI[kk]], floorDb, nLin)];
          interf += l;
        }
        // lost when the signal-to-interference ratio is below the capture ratio
        if (interf > 0 && interf * capLin > LT[linIndex(p, floorDb, nLin)]) {
          nCol++;
          continue;
        }
        nRec++;
        record(rx, Tx[i], ps, p, ws, we, Dist[i]);
      }
    }
    stats.lostBelowSensitivity += nSens;
    stats.lostHalfDuplex += nHd;
    stats.lostCollision += nCol;
    stats.receptions += nRec;
    nC = 0;
    kBase = 0;
    nGroups = 0;
    gStart[0] = 0;
  };


  const record = function record(rx: number, tx: number, tUs: number, p: number, ws: number, we: number, dist: number) {
    if (kind[rx] === KIND_IOS && kind[tx] === KIND_IOS) return; // background iOS <-> iOS does not work (bluezone-protocol.md 3.1)
    // every reception, before the app's logging rule (issue 4 "Outputs")
    if (scanAgg) scanAgg.add(rx, tx, ws, we, tUs, Math.round(p));
    const key = rx * nDev + tx;
    const last = lastDense ? lastDense[key] : lastLogged.get(key);
    if (last === last) {
      if (kind[rx] === KIND_IOS && last >= ws) return; // coalesced: one report per peripheral per scan
      if (!logAll && tUs - last < APP_DEDUP_US && Math.floor(tUs / SLOT_US) === Math.floor(last / SLOT_US)) return;
    }
    if (lastDense) lastDense[key] = tUs;
    else lastLogged.set(key, tUs);
    logObservation(rx, tx, tUs, p, dist);
  };

  const logObservation = function logObservation(rx: number, tx: number, tUs: number, p: number, dist: number) {
    if (nObs === oCap) {
      oCap *= 2;
      oT = grow(oT, Float64Array, oCap);
      oRx = grow(oRx, Int32Array, oCap);
      oTx = grow(oTx, Int32Array, oCap);
      oRssi = grow(oRssi, Int16Array, oCap);
      oDist = grow(oDist, Float32Array, oCap);
      oIdx = new Uint32Array(oCap);
    }
    oT[nObs] = tUs;
    oRx[nObs] = rx;
    oTx[nObs] = tx;
    oRssi[nObs] = Math.round(p);
    oDist[nObs] = dist;
    nObs++;
  };

  for (let tick = 0; tick < nTicks; tick++) {
    const t0ms = tick * tickMs;
    const t0 = t0ms * 1000;
    const t1 = Math.min((tick + 1) * tickMs, durationMs) * 1000;

    // ---- mobility ----
    mob.step(t0ms, tick === 0 ? 0 : tickMs);
    // presence and positions of everyone (an absent person's position is never read), then the present
    // devices' list: the per-device work below walks it instead of testing presence device by device
    let nPresent = 0;
    for (let d = 0; d < nDev; d++) {
      const p = person[d];
      wasActive[d] = active[d];
      let a = 1;
      if (p >= 0) {
        a = mob.present(p) ? 1 : 0;
        x[d] = mobX[p];
        y[d] = mobY[p];
      }
      active[d] = a;
      present[nPresent] = d;
      nPresent += a;
    }
    for (let i = 0; i < nPresent; i++) {
      const d = present[i];
      const p = person[d];
      // facing is read only for present devices
      if (p >= 0 && heading[d] !== mobHeading[p]) {
        heading[d] = mobHeading[p];
        hx[d] = Math.cos(heading[d]);
        hy[d] = Math.sin(heading[d]);
      }
      if (firstSeenMs[d] < 0) firstSeenMs[d] = t0ms;
      lastSeenMs[d] = t1 / 1000;
    }

    // ---- ground truth: pairs within 2 m, accumulated per UTC day ----
    engine?.loadPositions(x, y, hx, hy, active, wasActive);
    const dayIdx = Math.floor((startMs + t0ms) / 86_400_000);
    if (dayIdx !== truthDay) {
      flushDayTruth();
      truthDay = dayIdx;
    }
    let dayMap = truthMs.get(dayIdx);
    if (!dayMap) truthMs.set(dayIdx, (dayMap = new Map()));
    const dtTruth = (t1 - t0) / 1000;
    if (truthInEngine) {
      // the module lists the pairs (same order as the loop below); the sums stay here
      const np = engine!.truthPairs(TRUTH_M);
      const A = engine!.truthA, B = engine!.truthB;
      for (let i = 0; i < np; i++) {
        const key = A[i] * nDev + B[i];
        if (truthDense![key] === 0) truthTouched.push(key);
        truthDense![key] += dtTruth;
        outputs?.onTruthPair(A[i], B[i], nDev, t0ms, t1 / 1000);
      }
    } else {
      tgrid.build(x, y, active, nDev);
      const tStart = tgrid.cellStart;
      const tItems = tgrid.items;
      for (let a = 0; a < nDev; a++) {
        if (!active[a]) continue;
        const cx = tgrid.cellX(x[a]);
        const cy = tgrid.cellY(y[a]);
        for (let gy = Math.max(0, cy - 1); gy <= Math.min(tgrid.ny - 1, cy + 1); gy++) {
          for (let gx = Math.max(0, cx - 1); gx <= Math.min(tgrid.nx - 1, cx + 1); gx++) {
            const c = gy * tgrid.nx + gx;
            // a cell's items ascend (counting sort by id): start at the first b > a
            let q = tStart[c];
            const qEnd = tStart[c + 1];
            for (let hi = qEnd; q < hi; ) {
              const mid = (q + hi) >> 1;
              if (tItems[mid] <= a) q = mid + 1;
              else hi = mid;
            }
            for (; q < qEnd; q++) {
              const b = tItems[q];
              const dx = x[b] - x[a];
              const dy = y[b] - y[a];
              if (dx * dx + dy * dy > TRUTH_M * TRUTH_M) continue;
              const key = a * nDev + b;
              if (truthDense) {
                if (truthDense[key] === 0) truthTouched.push(key);
                truthDense[key] += dtTruth;
              } else dayMap.set(key, (dayMap.get(key) ?? 0) + dtTruth);
              outputs?.onTruthPair(a, b, nDev, t0ms, t1 / 1000);
            }
          }
        }
      }
    }
    outputs?.endTruthTick(t1 / 1000, nDev);
    outputs?.onTick(t0ms, x, y, active, nDev);

    // ---- advertising events whose packets may start in [t0, t1) ----
    // (the engine draws the same events in the module; this loop is their reference)
    let ne = 0;
    if (engine) ne = engine.genEvents(t0, t1, t0ms);
    else for (let d = 0; d < nDev; d++) {
      evOff[d] = ne;
      if (!active[d]) continue;
      if (ne + maxEvPerTick + 1 > evCap) {
        evCap *= 2;
        const s2 = new Float64Array(evCap);
        s2.set(evStart);
        evStart = s2;
        const i2 = new Uint32Array(evCap);
        i2.set(evId);
        evId = i2;
      }
      if (!wasActive[d]) {
        // (re)starts advertising: first event within one interval of arrival
        nextEvUs[d] = t0 + Math.floor(uniform01(hash32(seed, SALT_START, d, t0ms, 0)) * advIntUs[d]);
        prevEvUs[d] = -Infinity;
      }
      if (prevEvUs[d] + evSpanUs[d] > t0) {
        evStart[ne] = prevEvUs[d];
        evId[ne] = prevEvId[d];
        ne++;
      }
      while (nextEvUs[d] < t1) {
        const s = nextEvUs[d];
        const id = evCount[d]++;
        // advDelay 0-10 ms, integer us (Core Spec Vol 6 Part B 4.4.2.2)
        // hash32(seed, SALT_ADV_DELAY, d, id, 0) % (ADV_DELAY_MAX_US + 1), with the per-device prefix
        // absorbed once and the uint32 reduced in small-integer steps (a double % is several times slower)
        const h = hashFinish(hashAbsorb(hashAbsorb(advDelayH[d], id), 0));
        nextEvUs[d] = s + advIntUs[d] + (((h >>> 16) * ADV_DELAY_2_16 + (h & 0xffff)) % (ADV_DELAY_MAX_US + 1));
        if (!isAdvOn(d, s)) continue;
        evStart[ne] = s;
        evId[ne] = id;
        ne++;
        prevEvUs[d] = s;
        prevEvId[d] = id;
        stats.advEvents++;
      }
    }
    if (!engine) evOff[nDev] = ne;

    if (pcap && !pcapTruncated) {
      if (engine) pcapTick(t0, t1, engine.evOff, engine.evStart);
      else pcapTick(t0, t1, evOff, evStart);
    }

    // ---- receptions, scanner by scanner ----
    if (engine) {
      engine.buildGrid();
      engine.buildPackets(t0, t1);
    } else {
      for (let d = 0; d < nDev; d++) gridActive[d] = active[d] && !loud[d] ? 1 : 0;
      grid.build(x, y, gridActive, nDev);
    }
    if (engine) {
      // the module runs the window loop below (same windows, same order) and hands back the receptions
      // of the windows that have any; it stops early when its arrays fill up, then goes on
      engine.scanBegin();
      for (let more = true; more; ) {
        let nw = engine.scanTick(t0, t1);
        more = nw < 0;
        if (more) nw = -nw - 1;
        const WR = engine.winR, WS = engine.winS, WE = engine.winE, WQ = engine.winQ;
        const rTx = engine.rxTx, rT = engine.rxT, rP = engine.rxP, rD = engine.rxD, rL = engine.rxLog;
        if (engineLogs && !outputs && !scanAgg) {
          // nothing reads the observations (a benchmark run; emitTick only counts them): count only
          for (let q = 0, q1 = WQ[nw]; q < q1; q++) nObs += rL[q];
          continue;
        }
        for (let w = 0; w < nw; w++) {
          const r = WR[w], ws = WS[w], we = WE[w], q1 = WQ[w + 1];
          if (!engineLogs) for (let q = WQ[w]; q < q1; q++) record(r, rTx[q], rT[q], rP[q], ws, we, rD[q]);
          else for (let q = WQ[w]; q < q1; q++) {
            // the engine applied record()'s rules; every reception it wrote still goes to scan_windows.csv
            if (scanAgg) scanAgg.add(r, rTx[q], ws, we, rT[q], Math.round(rP[q]));
            if (rL[q]) logObservation(r, rTx[q], rT[q], rP[q], rD[q]);
          }
        }
      }
    } else for (let i = 0; i < nPresent; i++) {
      const r = present[i];
      if (scanMode[r] === SCAN_NONE) continue;
      // scan windows of r overlapping [t0 - maxAir, t1)
      const mode = scanMode[r];
      const win = scanWinUs[r];
      const per = scanIntUs[r];
      const ph = scanPhaseUs[r];
      let k0: number;
      if (mode === SCAN_IOS) k0 = Math.floor((t0 - maxAir - win - scanJitUs[r] - ph) / per);
      else k0 = Math.floor((t0 - maxAir - win + ph) / per);
      if (scanCycleUs[r] > 0) {
        // Android: skip the scanner when no scan session overlaps this tick
        const cyc = scanCycleUs[r];
        const A = t0 - maxAir - win;
        const cA = (((A + ph) % cyc) + cyc) % cyc;
        if (cA >= scanOnUs[r] && A + (cyc - cA) >= t1) continue;
      }
      let nNb = -1; // neighbours gathered lazily, once per tick
      for (let k = k0; ; k++) {
        let ws: number;
        if (mode === SCAN_IOS) ws = k * per + ph + Math.floor(uniform01(hash32(seed, SALT_IOS_JITTER, r, k, 0)) * scanJitUs[r]) - (scanJitUs[r] >> 1);
        else ws = k * per - ph;
        if (ws >= t1) break;
        let we = ws + win;
        if (we <= t0 - maxAir) continue;
        if (scanCycleUs[r] > 0) {
          // Android scan sessions: listen only inside [session start, start + on)
          const cyc = scanCycleUs[r];
          const inCycle = (((ws + ph) % cyc) + cyc) % cyc;
          if (inCycle >= scanOnUs[r]) continue;
          we = Math.min(we, ws - inCycle + scanOnUs[r]);
        }
        if (nNb < 0) nNb = gatherNeighbours(r);
        if (nNb === 0) break;
        const ch = 37 + ((k + chOff[r]) % 3 + 3) % 3;
        addWindow(r, ws, we, ch, nNb, t0, t1);
      }
    }
    flush();
    if (nObs) emitTick();
    // windows ending by t1 got all their packets in this tick or earlier
    scanAgg?.closeUntil(t1);
    if (tick % 64 === 63) pruneLogged(t1);
    opts.onProgress?.(t1 / 1000, durationMs);
  }

  function gatherNeighbours(r: number): number {
    let nc = 0;
    const xr = x[r];
    const yr = y[r];
    const search = normalReach * reachRx[r];
    const span = Math.ceil(search / grid.cellM);
    const cx = grid.cellX(xr);
    const cy = grid.cellY(yr);
    const cellStart = grid.cellStart;
    const items = grid.items;
    const gx0 = Math.max(0, cx - span);
    const gx1 = Math.min(grid.nx - 1, cx + span);
    for (let gy = Math.max(0, cy - span); gy <= Math.min(grid.ny - 1, cy + span); gy++) {
      // cells of one row are contiguous in items
      const row = gy * grid.nx;
      const q1 = cellStart[row + gx1 + 1];
      for (let q = cellStart[row + gx0]; q < q1; q++) candT[nc++] = items[q];
    }
    for (let k = 0; k < loudList.length; k++) if (active[loudList[k]]) candT[nc++] = loudList[k];

    let n = 0;
    let ne = 0;
    const hxr = hx[r];
    const hyr = hy[r];
    const reachR = reachRx[r];
    const rxLoss = rxCorr[r];
    const bodyR = carriage[r] * BODY_BINS;
    for (let c = 0; c < nc; c++) {
      const t = candT[c];
      const e0 = evOff[t];
      const e1 = evOff[t + 1];
      if (t === r || e0 === e1) continue;
      const dx = xr - x[t];
      const dy = yr - y[t];
      const d2 = dx * dx + dy * dy;
      const reach = reachTx[t] * reachR;
      if (d2 > reach * reach) continue;
      const dist = Math.sqrt(d2);
      // body blocking: loss by the cosine between each carrier's facing and the bearing to the other,
      // from a table of sim/channel's bodyLossDb (the angle is acos of that cosine, folded to [0, pi])
      const inv = dist > 0 ? 1 / dist : 0;
      const ux = dx * inv; // unit bearing tx -> rx
      const uy = dy * inv;
      const ct = ux * hx[t] + uy * hy[t];
      const cr = -(ux * hxr + uy * hyr);
      const lossTx = bodyTable[carriage[t] * BODY_BINS + Math.round((ct + 1) * BODY_HALF)];
      const lossRx = bodyTable[bodyR + Math.round((cr + 1) * BODY_HALF)];
      nbTx[n] = t;
      nbDist[n] = dist;
      nbLoss[n] = lossTx + lossRx + rxLoss;
      nbPair[n] = pairIdOf(t, r);
      if (ne + (e1 - e0) > nbEvCap) {
        nbEvCap *= 2;
        const a = new Float64Array(nbEvCap);
        a.set(nbEvStart);
        nbEvStart = a;
        const b = new Uint32Array(nbEvCap);
        b.set(nbEvId);
        nbEvId = b;
      }
      nbCur[n] = ne;
      const es = nbEvStart;
      const ei = nbEvId;
      for (let j = e0; j < e1; j++) {
        es[ne] = evStart[j];
        ei[ne++] = evId[j];
      }
      nbEnd[n] = ne;
      n++;
    }
    return n;
  }

  function addWindow(r: number, ws: number, we: number, ch: number, nNb: number, t0: number, t1: number): void {
    const chIdx = ch - 37;
    if (nGroups === G_CAP || nC >= RESOLVE_AT) flush();
    const gs = nC;
    const lo = Math.max(t0, ws - maxAir);
    const hi = Math.min(t1, we);
    const epochUs = params.shadowEpochMs * 1000;
    // hot loop: typed arrays in locals (the batch is allocated once, so its views never move here)
    const bDist = batch.distM, bTx = batch.txPowerDbm, bLoss = batch.staticLossDb, bPair = batch.pairId;
    const bEpoch = batch.epoch, bEv = batch.eventId, bCh = batch.channel;
    let lTx = cTx, lStart = cStart, lDist = cDist, lOk = cOk;
    let bn = batch.n;
    let n = nC;
    const evS = nbEvStart, evI = nbEvId;
    for (let q = 0; q < nNb; q++) {
      const t = nbTx[q];
      const e1 = nbEnd[q];
      const air = airUs[t];
      const off = chIdx * (air + HOP_GAP_US);
      // windows of one scanner come in time order: resume from this neighbour's cursor
      let j = nbCur[q];
      while (j < e1 && evS[j] + maxEvSpan < lo) j++;
      nbCur[q] = j;
      if (j === e1 || evS[j] + off >= hi) continue;
      const dq = nbDist[q], lq = nbLoss[q], pq = nbPair[q], txq = txPower[t];
      for (; j < e1; j++) {
        const ps = evS[j] + off;
        if (ps >= hi) break;
        if (ps < lo) continue;
        if (bn === CAP) {
          batch.n = bn;
          nC = n;
          evalChunk();
          bn = 0;
        }
        if (n === cCap) {
          nC = n;
          growCandidates();
          lTx = cTx;
          lStart = cStart;
          lDist = cDist;
          lOk = cOk;
        }
        bDist[bn] = dq;
        bTx[bn] = txq;
        bLoss[bn] = lq;
        bPair[bn] = pq;
        bEpoch[bn] = Math.floor(ps / epochUs);
        bEv[bn] = evI[j];
        bCh[bn] = ch;
        bn++;
        lTx[n] = t;
        lStart[n] = ps;
        lDist[n] = dq;
        lOk[n] = ps >= ws && ps + air <= we ? 1 : 0;
        n++;
      }
    }
    batch.n = bn;
    nC = n;
    if (nC > gs) {
      gStart[nGroups] = gs;
      gRx[nGroups] = r;
      gWin[nGroups] = ws;
      gWe[nGroups] = we;
      nGroups++;
      gStart[nGroups] = nC;
    }
  }

  function emitTick(): void {
    if (!outputs) {
      // nothing consumes the order (a benchmark run): count only
      stats.observations += nObs;
      nObs = 0;
      return;
    }
    const idx = oIdx.subarray(0, nObs);
    for (let i = 0; i < nObs; i++) idx[i] = i;
    idx.sort((a, b) => oT[a] - oT[b] || oRx[a] - oRx[b] || oTx[a] - oTx[b]);
    for (let k = 0; k < nObs; k++) {
      const i = idx[k];
      outputs?.observation(startMs + Math.floor(oT[i] / 1000), oRx[i], oTx[i], oRssi[i], oDist[i]);
    }
    stats.observations += nObs;
    nObs = 0;
  }

  function pruneLogged(nowUs: number): void {
    if (!lastDense) lastLogged.prune(nowUs - APP_DEDUP_US - 60_000_000);
  }

  function pcapTick(t0: number, t1: number, evOff: Int32Array, evStart: Float64Array): void {
    // every packet on air with its start in [t0, t1), in time order
    const recs: { t: number; d: number; ch: number }[] = [];
    for (let d = 0; d < nDev; d++) {
      for (let j = evOff[d]; j < evOff[d + 1]; j++) {
        for (let c = 0; c < 3; c++) {
          const ps = evStart[j] + c * (airUs[d] + HOP_GAP_US);
          if (ps >= t0 && ps < t1) recs.push({ t: ps, d, ch: 37 + c });
        }
      }
    }
    recs.sort((a, b) => a.t - b.t || a.d - b.d);
    for (const rr of recs) {
      if (pcap!.count >= pcapMax) {
        pcapTruncated = true;
        return;
      }
      const unixMs = startMs + rr.t / 1000;
      pcap!.write(startMs * 1000 + rr.t, rr.ch, advIndPacket(addresses[rr.d], payloads[rr.d].at(unixMs)));
    }
  }

  if (engine) {
    const c = engine.counters();
    stats.advEvents = engine.advEvents();
    stats.pairEvaluations += c.pairs;
    stats.lostBelowSensitivity += c.sens;
    stats.lostHalfDuplex += c.hd;
    stats.lostCollision += c.col;
    stats.receptions += c.rec;
    stats.engineWindows = { sortedPackets: c.denseWindows, neighbourEvents: c.sparseWindows };
  }
  const wallMs = performance.now() - t0Wall;
  stats.wallMs = Math.round(wallMs);
  stats.realTimeFactor = Math.round(durationMs / Math.max(wallMs, 1));
  stats.pairsPerSecond = Math.round(stats.pairEvaluations / Math.max(wallMs / 1000, 1e-3));
  pcap?.close();

  // ---- contacts: >= 15 min within 2 m per pair and day ----
  flushDayTruth();
  const contacts: { day: string; a: string; b: string; minutes: number; close: boolean }[] = [];
  for (const [day, m] of [...truthMs].sort((p, q) => p[0] - q[0])) {
    const keys = [...m.keys()].sort((p, q) => p - q);
    for (const key of keys) {
      const a = Math.floor(key / nDev);
      const b = key % nDev;
      const minutes = m.get(key)! / 60_000;
      contacts.push({ day: new Date(day * 86_400_000).toISOString().slice(0, 10), a: names[a], b: names[b], minutes, close: minutes >= 15 });
    }
  }

  const summary: Record<string, unknown> = {
    scenario: scenario.name,
    seed,
    start: new Date(startMs).toISOString(),
    duration_ms: durationMs,
    tick_ms: tickMs,
    environment: scenario.environment,
    channel: params,
    devices: stats.devices,
    logging: scenario.logging,
    // wall-clock figures go to timing.json, so summary.json is byte-identical for a seed
    stats: {
      pair_evaluations: stats.pairEvaluations, adv_events: stats.advEvents, receptions: stats.receptions,
      lost_below_sensitivity: stats.lostBelowSensitivity, lost_collision: stats.lostCollision,
      lost_half_duplex: stats.lostHalfDuplex, observations: stats.observations, cull_radius_m: stats.cullRadiusM,
    },
    contacts_truth: {
      rule: 'within 2 m for at least 15 min per UTC day (bluezone-protocol.md 4.6)',
      pairs_with_any_time_within_2m: contacts.length,
      close_contacts: contacts.filter((c) => c.close).map((c) => ({ day: c.day, a: c.a, b: c.b, minutes: Math.round(c.minutes * 10) / 10 })),
    },
    ids: {
      note: 'receiver/transmitter columns are device names; ids.csv maps each name to the BluezoneID it advertised per 15-min slot',
      base_key: 'HMAC-SHA256(key "bluezone-sim-base-key", "<seed>/<device name>"), base date 0-59 days before the start',
    },
    pcap: pcap ? { file: basename(opts.pcapPath!), packets: pcap.count, truncated: pcapTruncated } : undefined,
  };

  const files: string[] = [];
  if (outputs) {
    const written = await outputs.finish({
      stats, summary, contacts, firstSeenMs, lastSeenMs, params, kernelName: kernel.name,
      pairsPerSecond: stats.pairsPerSecond,
    });
    files.push(...written);
  }
  if (scanAgg) {
    // not in summary.json's file list, which predates it (summary.json stays byte-identical)
    scanAgg.finish();
    files.push(join(opts.outDir!, 'scan_windows.csv'));
  }
  if (opts.pcapPath) files.push(opts.pcapPath);
  return { stats, summary, files };
}
