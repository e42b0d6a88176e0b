// Receiver shards for `sim run --threads N` (issue 20): every thread rebuilds the same world (all
// randomness is a counter-based hash and mobility is deterministic, so transmitters and their events come
// out identical everywhere) and runs the scan windows, iOS GATT reads and logging rule of its own
// receivers only (all per receiver). What the rule decided is recorded per tick and replayed into the main
// thread's one AppLog, which sorts the tick's observations by (time, receiver, transmitter): a pair always
// lives in one shard and keeps its order there, so the files do not depend on N.
import type { GattStage } from '../engine/connections.ts';
import type { ReceptionOut } from '../engine/types.ts';
import type { EngineCounters } from '../engine/types.ts';
import { grow } from '../engine/typed.ts';
import type { World } from '../world/build.ts';

/**
 * Shard of receiver d among n: round robin, so every shard gets a share of each group and area. With
 * mainListens false the main thread (shard 0) gets no receivers: it runs every sink (truth, files,
 * classifier, report), which costs more than the receptions in a run with outputs (docs/scaling.md),
 * so the workers take all the receptions and run beside it.
 */
export function shardOf(d: number, n: number, mainListens: boolean): number {
  return mainListens ? d % n : 1 + (d % (n - 1));
}

/**
 * Silences the scanners of the other shards: their scan mode becomes none (0), which only gates the
 * scanner loop of both engines (jsEngine.ts, kernel/assembly/scan.ts); advertising is untouched.
 * Returns how many scanners this shard kept.
 */
export function keepReceivers(world: World, shard: number, n: number, mainListens: boolean): number {
  const mode = world.scan.mode;
  let kept = 0;
  for (let d = 0; d < mode.length; d++) {
    if (shardOf(d, n, mainListens) !== shard) mode[d] = 0;
    else if (mode[d]) kept++;
  }
  return kept;
}

/**
 * Flags of a record: heardRuled() with logged 0 / 1, or readLogged() (an ID read over GATT: ws and we are
 * unused). A shard records only what the logging rule decided (runReceiverShard).
 */
const RULED = 1;
const RULED_LOGGED = 2;
const READ_LOGGED = 3;
/** The flags a record may carry (shardChunks.ts checks them). */
export const MIN_FLAG = RULED;
export const MAX_FLAG = READ_LOGGED;

/** One tick of a shard's receptions, as posted from a worker (plain typed arrays, transferable). */
export interface TickBatch {
  tick: number;
  n: number;
  counted: number;
  rx: Int32Array;
  tx: Int32Array;
  flag: Uint8Array;
  /** tUs, p, ws, we, dist per reception, interleaved (5 per row), exactly as the engine gave them. */
  f: Float64Array;
}

/** A shard's ReceptionOut: records the tick's receptions for the main thread (only those it may need). */
export class ReceptionRecorder implements ReceptionOut {
  private cap = 1024;
  private rx = new Int32Array(this.cap);
  private tx = new Int32Array(this.cap);
  private flag = new Uint8Array(this.cap);
  private f = new Float64Array(this.cap * 5);
  private n = 0;
  private counted = 0;

  /**
   * wantsReceptions: the main AppLog's (someone reads observations); keepAll: a reception tap
   * (scan_windows.csv) needs the receptions the app did not log as well.
   */
  constructor(readonly wantsReceptions: boolean, private readonly keepAll: boolean) {}

  /** Never called: where the engine does not apply the logging rule, the shard's AppLog sits between them. */
  heard(): void {
    throw new Error('a receiver shard records what the logging rule decided: its engine hands receptions to its AppLog');
  }

  heardRuled(rx: number, tx: number, tUs: number, p: number, ws: number, we: number, dist: number, logged: number): void {
    // nobody reads the observations (no outputs): the main thread needs the count only
    if (!this.wantsReceptions) this.counted += logged;
    else if (logged) this.push(rx, tx, tUs, p, ws, we, dist, RULED_LOGGED);
    else if (this.keepAll) this.push(rx, tx, tUs, p, ws, we, dist, RULED);
  }

  readLogged(rx: number, tx: number, tUs: number, p: number, dist: number): void {
    if (!this.wantsReceptions) this.counted++;
    else this.push(rx, tx, tUs, p, 0, 0, dist, READ_LOGGED);
  }

  countLogged(n: number): void {
    this.counted += n;
  }

  private push(rx: number, tx: number, tUs: number, p: number, ws: number, we: number, dist: number, flag: number): void {
    const i = this.n;
    if (i === this.cap) {
      this.cap *= 2;
      this.rx = grow(this.rx, Int32Array, this.cap);
      this.tx = grow(this.tx, Int32Array, this.cap);
      this.flag = grow(this.flag, Uint8Array, this.cap);
      this.f = grow(this.f, Float64Array, this.cap * 5);
    }
    this.rx[i] = rx;
    this.tx[i] = tx;
    this.flag[i] = flag;
    const o = i * 5;
    this.f[o] = tUs;
    this.f[o + 1] = p;
    this.f[o + 2] = ws;
    this.f[o + 3] = we;
    this.f[o + 4] = dist;
    this.n = i + 1;
  }

  /** The tick's batch (copies, so they can be transferred) and a fresh start for the next tick. */
  take(tick: number): TickBatch {
    const n = this.n;
    const b: TickBatch = {
      tick, n, counted: this.counted, rx: this.rx.slice(0, n), tx: this.tx.slice(0, n), flag: this.flag.slice(0, n), f: this.f.slice(0, n * 5),
    };
    this.n = 0;
    this.counted = 0;
    return b;
  }
}

/** Replays a shard's tick into the main thread's ReceptionOut (its AppLog), in the shard's order. */
export function replay(b: TickBatch, out: ReceptionOut): void {
  const { rx, tx, flag, f } = b;
  for (let i = 0; i < b.n; i++) {
    const o = i * 5;
    if (flag[i] === READ_LOGGED) out.readLogged!(rx[i], tx[i], f[o], f[o + 1], f[o + 4]);
    else out.heardRuled(rx[i], tx[i], f[o], f[o + 1], f[o + 2], f[o + 3], f[o + 4], flag[i] === RULED_LOGGED ? 1 : 0);
  }
  if (b.counted) out.countLogged(b.counted);
}

/**
 * Counters of the receiver work, summed over shards (advertising events are every shard's: counted once);
 * a shard's iOS GATT stats go into the main thread's stage.
 */
export function addCounters(into: EngineCounters, c: EngineCounters, gatt: GattStage | null): void {
  if (c.iosGatt) {
    if (!gatt) throw new Error('a receiver shard ran iOS GATT reads that this run does not');
    gatt.merge(c.iosGatt);
  }
  into.pairEvaluations += c.pairEvaluations;
  into.receptions += c.receptions;
  into.lostBelowSensitivity += c.lostBelowSensitivity;
  into.lostCollision += c.lostCollision;
  into.lostHalfDuplex += c.lostHalfDuplex;
  if (into.windows && c.windows) {
    into.windows.sortedPackets += c.windows.sortedPackets;
    into.windows.neighbourEvents += c.windows.neighbourEvents;
  }
  // the kernel's interference-sum counters (sim/kernel/assembly/resolve.ts): each candidate is resolved
  // by the one shard that owns its receiver, so the sums equal the single-thread run's
  if (into.interfSums && c.interfSums) {
    into.interfSums.fast += c.interfSums.fast;
    into.interfSums.walk += c.interfSums.walk;
  }
}
