// The simulator as a pipeline (radio-model.md 3.4): scenario -> world (world/build.ts) -> reception
// engine (engine/: the JS reference or the fused WASM engine, one interface) -> observation stream (the
// app's logging rule, engine/appLog.ts) -> sinks (sinks/: files, classification and evaluation, report,
// scan windows, pcap). Fixed mobility ticks; inside a tick, exact integer-microsecond link-layer timing.
// All randomness is hash32(seed, ...) of stable counters, so a run is identical whatever the order.
import { snakeKeys } from '../records/json.ts';
import { basename, join } from 'node:path';
import { OutputSet } from '../records/output.ts';
import type { WasmKernel } from './kernel/wasmKernel.ts';
import type { Scenario } from './scenario/schema.ts';
import { AppLog } from './engine/appLog.ts';
import { GattStage, gattStageWanted } from './engine/connections.ts';
import { UniformGrid } from './engine/grid.ts';
import { JsEngine } from './engine/jsEngine.ts';
import { buildRadio, type Radio } from './engine/radio.ts';
import { ContactTruth, truthGridSize, type ContactDay } from './engine/truth.ts';
import type { EngineCounters, ReceptionEngine, ReceptionOut, TickState } from './engine/types.ts';
import { WasmReception } from './engine/wasmReception.ts';
import { RunOutputs } from './sinks/outputs.ts';
import { PcapTap } from './sinks/pcap.ts';
import { ScanWindowAggregates } from './sinks/scanWindows.ts';
import type { RunOptions, RunResult, RunStats } from './types.ts';
import { buildWorld, type World } from './world/build.ts';
import { KIND_ANDROID, KIND_IOS } from './world/devices.ts';
import { ShardPool, ShardRoom, type ShardInit, type ShardRunOptions } from './parallel/pool.ts';
import { keepReceivers, ReceptionRecorder } from './parallel/shards.ts';
import { SinkPipe } from './parallel/sinkPipe.ts';

export type { RunOptions, RunResult, RunStats };

/**
 * Up to 2048 devices (32 MB) the last-logged times and the day's contact sums sit in dense nDev x nDev
 * tables (in the WASM engine's memory when it applies the logging rule), above that in hash tables.
 */
const DENSE_MAX = 2048;
/** Up to 1024 devices (32 MB) the WASM engine keeps every pair's terms across ticks (its pair cache). */
const PAIR_CACHE_MAX = 1024;
/**
 * Runs of at least this many device-milliseconds (20 device-hours; lobby at 500 devices for 1 h has 500)
 * classify in the sinks workers by default; below it their start costs more than they save.
 */
const SINK_THREAD_MIN_DEVICE_MS = 20 * 3600_000;

/**
 * Runs one scenario; see RunOptions. Returns stats and (when outDir is set) the files written. Every file
 * of the run (--out DIR and --pcap) is one OutputSet (records/output.ts): all staged before the first tick
 * (a bad path throws OutputError, exit 2, before any simulating), published together at the end, and
 * removed again on any failure (no temp files left).
 */
export async function runSimulation(scenario: Scenario, opts: RunOptions = {}): Promise<RunResult> {
  const world = buildWorld(scenario, opts);
  // --threads N: shards 1..N-1 run in workers, shard 0 here (sim/parallel); a kernel object cannot travel
  const nShards = opts.queue ? opts.queue.shards + 1 : typeof opts.kernel === 'object' ? 1 : Math.max(1, Math.min(opts.threads ?? 1, world.nDev));
  const shardOpts = shardOptions(opts);
  // --queue: the shards are BullMQ jobs on other machines, their ticks fetched from Redis (parallel/queueShards.ts)
  const pool = opts.queue ? await (await import('./parallel/queueShards.ts')).openQueueShards(scenario, shardOpts, opts.queue, world.nDev)
    : nShards > 1 ? new ShardPool(scenario, shardOpts, nShards) : null;
  const mainListens = !pool || keepReceivers(world, 0, nShards, shardOpts.mainListens) > 0;
  const set = opts.outDir || opts.pcapPath ? new OutputSet({ stdout: opts.stdout }) : null;
  try {
    const radio = await buildRadio(scenario, world, opts.kernel);
    const r = await simulate(scenario, opts, world, radio, set, pool, mainListens);
    set?.commit();
    return r;
  } catch (e) {
    set?.abort();
    throw e;
  } finally {
    await pool?.close();
  }
}

function shardOptions(opts: RunOptions): ShardRunOptions {
  return {
    seed: opts.seed, durationMs: opts.durationMs, devices: opts.devices, scale: opts.scale, engine: opts.engine,
    engineLastSpanUs: opts.engineLastSpanUs, enginePairCache: opts.enginePairCache, engineOutRoom: opts.engineOutRoom,
    kernel: opts.kernel as 'wasm' | 'ts' | undefined, wantsReceptions: !!opts.outDir, keepAll: !!(opts.outDir && opts.scanWindows),
    outDir: !!opts.outDir, scanWindows: !!opts.scanWindows, mainListens: !opts.outDir && !opts.queue, perTick: !!opts.outDir || !!opts.queue,
  };
}

/**
 * A worker of `sim run --threads N` (parallel/shardWorker.ts): the same world, engine and tick loop with
 * only this shard's scanners listening; each tick's receptions go to the main thread (parallel/pool.ts).
 */
export async function runReceiverShard(init: ShardInit, ctrl: Int32Array): Promise<void> {
  const { scenario, opts, shard, nShards } = init;
  const world = buildWorld(scenario, opts);
  keepReceivers(world, shard, nShards, opts.mainListens);
  const radio = await buildRadio(scenario, world, opts.kernel);
  const dense = world.nDev <= DENSE_MAX;
  const gatt = newGattStage(scenario, world);
  const engine = createEngine(scenario, world, radio, opts, dense, { emitAll: opts.keepAll, truth: false, rule: !gatt });
  const rec = new ReceptionRecorder(opts.wantsReceptions, opts.keepAll);
  // The iOS GATT reads and the logging rule are per receiver, so the shard runs them for its receivers
  // (where the engine does not apply the rule itself) and sends their outcome, not every reception.
  const appLog = engine.appliesLoggingRule ? null : new AppLog(world.kind, scenario.logging === 'all', dense, null, null, gatt, world.app, rec);
  const nW = nShards - 1;
  const w = shard - 1;
  const room = new ShardRoom(ctrl, nW);
  // Without a hand-over per tick (ShardRunOptions.perTick: no outputs, not a queue job) the main thread
  // needs only the count of logged observations: the shard sends it with its counters at the end.
  const { perTick } = opts;
  const nTicks = runTicks(world, engine, null, appLog ?? rec, appLog, {
    outputs: null, scanAgg: null, pcap: null,
    beforeTick: perTick ? (tick) => room.wait(tick) : undefined,
    afterReceive: perTick ? (tick) => {
      const b = rec.take(tick);
      init.port.postMessage(b, [b.rx.buffer, b.tx.buffer, b.flag.buffer, b.f.buffer] as ArrayBuffer[]);
      room.posted(tick, b.n);
      Atomics.store(ctrl, w, tick + 1);
      Atomics.notify(ctrl, w);
    } : undefined,
  }).nTicks;
  const counters = engine.counters();
  if (gatt) counters.iosGatt = gatt.partial();
  init.port.postMessage({ done: true, counters, logged: perTick ? 0 : rec.take(nTicks).counted });
  Atomics.store(ctrl, w, nTicks + 1);
  Atomics.notify(ctrl, w);
}

async function simulate(scenario: Scenario, opts: RunOptions, world: World, radio: Radio, set: OutputSet | null, pool: ShardPool | null, mainListens: boolean): Promise<RunResult> {
  const dense = world.nDev <= DENSE_MAX;
  const outputs = opts.outDir
    ? new RunOutputs(opts.outDir, scenario, {
      seed: world.seed, startMs: world.startMs, durationMs: world.durationMs, names: world.names, kind: world.kind, person: world.person,
      classify: opts.classify ?? true, report: opts.report ?? true, models: world.models, format: opts.format ?? 'csv',
      consumers: opts.sinkThread ?? world.nDev * world.durationMs >= SINK_THREAD_MIN_DEVICE_MS ? (init, windows, rows) => new SinkPipe(init, windows, opts.sinkBatch, rows) : undefined,
    }, set!)
    : null;
  try {
    // staging: the first file creates --out DIR
    if (outputs) await outputs.open();
    return await simulateWith(scenario, opts, world, radio, set, pool, mainListens, outputs);
  } finally {
    await outputs?.close();
  }
}

async function simulateWith(scenario: Scenario, opts: RunOptions, world: World, radio: Radio, set: OutputSet | null, pool: ShardPool | null, mainListens: boolean, outputs: RunOutputs | null): Promise<RunResult> {
  const dense = world.nDev <= DENSE_MAX;
  const scanAgg = opts.outDir && opts.scanWindows ? new ScanWindowAggregates(set!.add(join(opts.outDir, 'scan_windows.csv')), world.nDev, world.startMs, world.names) : null;
  const pcap = opts.pcapPath ? new PcapTap(set!.add(opts.pcapPath), world, opts.pcapMaxPackets ?? 2_000_000) : null;
  const gatt = newGattStage(scenario, world);
  const engine = createEngine(scenario, world, radio, opts, dense, { emitAll: !!(opts.outDir && opts.scanWindows), truth: dense, rule: !gatt });
  const appLog = new AppLog(world.kind, scenario.logging === 'all', dense && !engine.appliesLoggingRule, outputs, scanAgg, gatt, world.app);
  const truth = new ContactTruth(world.nDev, world.startMs, dense, scenario.area.width, scenario.area.height, outputs);

  const t0Wall = performance.now();
  const seen = runTicks(world, engine, truth, appLog, appLog, { outputs, scanAgg, pcap, onProgress: opts.onProgress, shards: pool, listens: mainListens });
  const counters = engine.counters();
  pool?.finish(seen.nTicks, counters, gatt, appLog);
  const stats = runStats(world, radio, counters, engine.name, appLog, performance.now() - t0Wall);
  pcap?.close();

  const contacts = truth.contacts(world.names);
  const summary = runSummary(scenario, world, radio, stats, contacts, pcap, opts.pcapPath);
  if (gatt) summary.ios_gatt = gatt.summary();
  const files: string[] = [];
  if (outputs) {
    files.push(...(await outputs.finish({
      stats, summary, contacts, firstSeenMs: seen.first, lastSeenMs: seen.last, params: radio.params,
    })));
  }
  if (scanAgg) {
    // not in summary.json's file list, which predates it (summary.json stays byte-identical)
    scanAgg.finish();
    files.push(join(opts.outDir!, 'scan_windows.csv'));
  }
  if (opts.pcapPath) files.push(opts.pcapPath);
  return { stats, summary, files };
}

/** iOS GATT reads (engine/connections.ts) sit before the logging rule, so the engine leaves the rule to AppLog. */
function newGattStage(scenario: Scenario, world: World): GattStage | null {
  return gattStageWanted(scenario.ios.gatt, world.kind, world.app)
    ? new GattStage(scenario.ios.gatt, world.kind, world.seed, world.startMs, world.durationMs, scenario.ios.advIntervalMs, world.app)
    : null;
}

/** The fused WASM engine when the kernel is WASM (unless opts.engine is 'js'), else the JS reference. */
function createEngine(scenario: Scenario, world: World, radio: Radio, opts: Pick<RunOptions, 'engine' | 'enginePairCache' | 'engineLastSpanUs' | 'engineOutRoom' | 'engineInterfSums'>, dense: boolean, o: { emitAll: boolean; truth: boolean; rule: boolean }): ReceptionEngine {
  const W = scenario.area.width;
  const H = scenario.area.height;
  const host = (radio.kernel as Partial<WasmKernel>).host;
  if (!host || opts.engine === 'js') return new JsEngine(world, radio, W, H);
  // the truth grid's size only (a UniformGrid would allocate its cells: 400 MB over 20 km x 20 km); none
  // where ContactTruth would sort devices instead of using cells (engine/truth.ts)
  const t = truthGridSize(W, H, world.nDev);
  const truthGrid = t.sparse ? null : { nx: t.nx, ny: t.ny };
  return new WasmReception(host, world, radio, new UniformGrid(radio.cellM, W, H, 0), truthGrid, {
    // per-reception consumers (scan_windows.csv) still get every reception
    logging: o.rule && dense && world.adv.wholeUs ? { logAll: scenario.logging === 'all', emitAll: o.emitAll } : undefined,
    truth: o.truth,
    pairCache: world.nDev <= PAIR_CACHE_MAX && opts.enginePairCache !== false,
    lastSpanUs: opts.engineLastSpanUs,
    outRoom: opts.engineOutRoom,
    interfSums: opts.engineInterfSums,
  });
}

interface Taps {
  outputs: RunOutputs | null;
  scanAgg: ScanWindowAggregates | null;
  pcap: PcapTap | null;
  onProgress?: (simMs: number, totalMs: number) => void;
  /** --threads: the other shards' receptions of each tick, replayed after this thread's own. */
  shards?: ShardPool | null;
  /** A shard worker's flow control and hand-over. */
  beforeTick?: (tick: number) => void;
  afterReceive?: (tick: number) => void;
  /** false: this thread has no scanner of its own (--threads with outputs: the main thread runs the sinks). */
  listens?: boolean;
}

/**
 * The world loop; returns each device's first and last tick present (ms from the start, -1 never). A
 * shard worker runs it without truth; its app log (when the engine does not apply the logging rule) hands
 * the rule's outcome to the shard's recorder before afterReceive posts the tick.
 */
function runTicks(world: World, engine: ReceptionEngine, truth: ContactTruth | null, out: ReceptionOut, appLog: AppLog | null, taps: Taps): { first: Float64Array; last: Float64Array; nTicks: number } {
  const { nDev, durationMs, tickMs, startMs, person, mob } = world;
  const s = tickState(world);
  const first = new Float64Array(nDev).fill(-1);
  const last = new Float64Array(nDev).fill(-1);
  const mobX = mob.x, mobY = mob.y, mobHeading = mob.heading;
  const nTicks = Math.ceil(durationMs / tickMs);
  for (let tick = 0; tick < nTicks; tick++) {
    taps.beforeTick?.(tick);
    const t0ms = tick * tickMs;
    const t0 = t0ms * 1000;
    const t1 = Math.min((tick + 1) * tickMs, durationMs) * 1000;

    // ---- mobility: presence and positions of everyone (an absent person's position is never read), then
    // the present devices' list, which the per-device work below walks ----
    mob.step(t0ms, tick === 0 ? 0 : tickMs);
    const { x, y, active, wasActive, present, heading, hx, hy } = s;
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
    s.nPresent = nPresent;
    for (let i = 0; i < nPresent; i++) {
      const d = present[i];
      const p = person[d];
      // facing is read only for present devices
      if (p >= 0 && heading[d] !== mobHeading[p]) {
        heading[d] = mobHeading[p];
        hx[d] = Math.cos(heading[d]);
        hy[d] = Math.sin(heading[d]);
      }
      if (first[d] < 0) first[d] = t0ms;
      last[d] = t1 / 1000;
    }

    // ---- ground truth: pairs within 2 m, accumulated per UTC day ----
    engine.loadTick(s);
    truth?.tick(t0ms, t0, t1, s, engine);
    taps.outputs?.endTruthTick(t1 / 1000, nDev);
    taps.outputs?.onTick(t0ms, x, y, active, nDev);

    // ---- advertising events whose packets may start in [t0, t1), then receptions scanner by scanner ----
    engine.drawEvents(t0, t1, t0ms, s);
    taps.pcap?.tick(t0, t1, engine.events());
    if (taps.listens !== false) engine.receive(t0, t1, s, out);
    taps.shards?.replayTick(tick, out);
    appLog?.emitTick(startMs, t1);
    taps.afterReceive?.(tick);
    // windows ending by t1 got all their packets in this tick or earlier
    taps.scanAgg?.closeUntil(t1);
    if (tick % 64 === 63) appLog?.prune(t1);
    taps.onProgress?.(t1 / 1000, durationMs);
  }
  return { first, last, nTicks };
}

function tickState(world: World): TickState {
  const n = world.nDev;
  const s: TickState = {
    x: new Float32Array(n), y: new Float32Array(n), heading: new Float32Array(n), hx: new Float32Array(n).fill(1),
    hy: new Float32Array(n), active: new Uint8Array(n), wasActive: new Uint8Array(n), present: new Int32Array(n), nPresent: 0,
  };
  // beacons stand still
  for (let d = world.firstBeacon; d < n; d++) {
    s.x[d] = world.beaconX[d - world.firstBeacon];
    s.y[d] = world.beaconY[d - world.firstBeacon];
  }
  return s;
}

function runStats(world: World, radio: Radio, c: EngineCounters, engineName: ReceptionEngine['name'], appLog: AppLog, wallMs: number): RunStats {
  const stats: RunStats = {
    pairEvaluations: c.pairEvaluations, advEvents: c.advEvents, receptions: c.receptions, lostBelowSensitivity: c.lostBelowSensitivity,
    lostCollision: c.lostCollision, lostHalfDuplex: c.lostHalfDuplex, observations: appLog.observations,
    wallMs: Math.round(wallMs), simMs: world.durationMs, // 3 significant digits, not an integer: city-block runs slower than real time (0.0412x, not "0x")
    realTimeFactor: Number((world.durationMs / Math.max(wallMs, 1e-3)).toPrecision(3)),
    pairsPerSecond: Math.round(c.pairEvaluations / Math.max(wallMs / 1000, 1e-3)), kernel: radio.kernel.name, engine: engineName,
    kernelFallback: radio.kernel.fallbackReason, cullRadiusM: Math.round(radio.cullM * 10) / 10,
    devices: { android: 0, ios: 0, beacon: world.nDev - world.firstBeacon, people: world.mob.n },
  };
  if (c.windows) stats.engineWindows = c.windows;
  if (c.interfSums) stats.engineInterfSums = c.interfSums;
  for (let d = 0; d < world.nDev; d++) if (world.kind[d] === KIND_ANDROID) stats.devices.android++; else if (world.kind[d] === KIND_IOS) stats.devices.ios++;
  return stats;
}

function runSummary(scenario: Scenario, world: World, radio: Radio, stats: RunStats, contacts: ContactDay[], pcap: PcapTap | null, pcapPath?: string): Record<string, unknown> {
  return {
    scenario: scenario.name,
    seed: world.seed,
    start: new Date(world.startMs).toISOString(),
    duration_ms: world.durationMs,
    tick_ms: world.tickMs,
    environment: scenario.environment,
    channel: snakeKeys(radio.params), // JSON keys are snake_case (records/json.ts)
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
    pcap: pcap ? { file: basename(pcapPath!), packets: pcap.count, truncated: pcap.truncated } : undefined,
  };
}
