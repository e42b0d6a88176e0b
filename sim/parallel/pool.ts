// The main thread's side of `sim run --threads N`: starts N - 1 worker_threads (shards 1..N-1; the main
// thread is shard 0 and also runs every sink), and hands each tick's recorded receptions over in a fixed
// order (shard 1, 2, ...). The loop stays synchronous: a worker posts a tick on its own MessageChannel and
// bumps a shared counter; the main thread blocks on that counter (Atomics.wait) and takes the message with
// receiveMessageOnPort. A worker may run ahead of the main thread while what it has posted and the main
// thread has not taken stays under a budget (bounded memory; ShardRoom).
import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import type { GattStage } from '../engine/connections.ts';
import type { EngineCounters, ReceptionOut } from '../engine/types.ts';
import type { Scenario } from '../scenario/schema.ts';
import type { RunOptions } from '../types.ts';
import { startTsWorker } from './tsWorker.ts';
import { addCounters, replay, type TickBatch } from './shards.ts';

/**
 * How far a worker may run ahead of the main thread: always MIN_AHEAD ticks, up to MAX_AHEAD while the
 * records it posted and the main thread has not taken are fewer than MAX_HELD (49 bytes each, shardChunks.ts:
 * about 50 MB). Ticks of a lobby are a millisecond of work and a few records (none without outputs): a
 * short lead made each thread wait out the other's slower stretches.
 */
const MIN_AHEAD = 2;
const MAX_AHEAD = 4096;
const MAX_HELD = 1 << 20;

/** What a shard worker gets (structured clone): the scenario and the options that shape the world. */
export interface ShardInit {
  scenario: Scenario;
  opts: ShardRunOptions;
  shard: number;
  nShards: number;
  /** [produced ticks per worker (index shard - 1)..., consumed ticks, failed flags per worker...] */
  ctrl: SharedArrayBuffer;
  port: MessagePort;
  /** An alternative source's own data (ShardSource.data): a giant run's queue fetchers (queueShards.ts). */
  source?: unknown;
}

/**
 * Where the other shards' ticks come from instead of shardWorker.ts: a worker module that posts the same
 * messages under the same flow control (a giant `sim run --queue` reads them from Redis, queueFetch.ts).
 */
export interface ShardSource {
  entry: URL;
  data: unknown;
}

/** The RunOptions a shard needs to rebuild the world and engine exactly as the main thread does. */
export type ShardRunOptions = Pick<RunOptions, 'seed' | 'durationMs' | 'devices' | 'scale' | 'engine' | 'engineLastSpanUs' | 'enginePairCache' | 'engineOutRoom'> & {
  kernel?: 'wasm' | 'ts';
  /** The main thread's AppLog reads receptions / a reception tap reads every one (ShardRecorder). */
  wantsReceptions: boolean;
  keepAll: boolean;
  /** shards.ts shardOf: whether the main thread (shard 0) listens too (runs without outputs). */
  mainListens: boolean;
  /**
   * Whether a shard hands each tick over as it goes: when the observations are read (outputs), and for a
   * giant run's queue jobs, whose chunks carry ticks. Otherwise a shard sends only its count of logged
   * observations, with its counters at the end (runReceiverShard).
   */
  perTick: boolean;
  /** The engine's per-reception options as the main thread computes them (createEngine). */
  outDir: boolean;
  scanWindows: boolean;
};

/** The final message: a shard's counters, and (a thread shard without a hand-over per tick) its logged count. */
export type ShardMessage = TickBatch | { done: true; counters: EngineCounters; logged?: number } | { error: string };

export class ShardPool {
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private readonly ctrl: Int32Array;
  private readonly nW: number;
  private finished = false;

  constructor(scenario: Scenario, private readonly opts: ShardRunOptions, nShards: number, source?: ShardSource) {
    this.nW = nShards - 1;
    const sab = new SharedArrayBuffer(4 * (2 * this.nW + 1));
    this.ctrl = new Int32Array(sab);
    const entry = source?.entry ?? new URL('./shardWorker.ts', import.meta.url);
    for (let w = 0; w < this.nW; w++) {
      const { port1, port2 } = new MessageChannel();
      const init: ShardInit = { scenario, opts, shard: w + 1, nShards, ctrl: sab, port: port2, source: source?.data };
      const worker = startTsWorker(entry, { workerData: init, transferList: [port2] });
      // errors reach the main thread through the shared flags (its loop is synchronous); a worker that
      // dies without reporting (killed) is caught by the exit code below
      worker.on('error', () => {});
      worker.on('exit', (code) => {
        if (code !== 0 && !this.finished) {
          Atomics.store(this.ctrl, this.nW + 1 + w, 2);
          Atomics.notify(this.ctrl, w);
        }
      });
      this.workers.push(worker);
      this.ports.push(port1);
    }
  }

  /** Blocks until worker w has posted its message number k (a tick, or the final one), and returns it. */
  private next(w: number, k: number): ShardMessage {
    const ctrl = this.ctrl;
    for (;;) {
      const v = Atomics.load(ctrl, w);
      if (v > k) {
        const m = receiveMessageOnPort(this.ports[w]);
        if (m) {
          const msg = m.message as ShardMessage;
          if ('error' in msg) throw new Error(`sim run thread ${w + 1}: ${msg.error}`);
          return msg;
        }
      }
      if (Atomics.load(ctrl, this.nW + 1 + w)) {
        const m = receiveMessageOnPort(this.ports[w]);
        if (m && 'error' in (m.message as ShardMessage)) throw new Error(`sim run thread ${w + 1}: ${(m.message as { error: string }).error}`);
        if (!m) throw new Error(`sim run thread ${w + 1} stopped without a result`);
        return m.message as ShardMessage;
      }
      Atomics.wait(ctrl, w, v, 50);
    }
  }

  /** Replays every worker's receptions of tick `tick` into out (shard order), then lets them go on. */
  replayTick(tick: number, out: ReceptionOut): void {
    if (!this.opts.perTick) return;
    for (let w = 0; w < this.nW; w++) {
      const m = this.next(w, tick) as TickBatch;
      if (m.tick !== tick) throw new Error(`sim run thread ${w + 1}: got tick ${m.tick}, expected ${tick}`);
      replay(m, out);
    }
    Atomics.store(this.ctrl, this.nW, tick + 1);
    Atomics.notify(this.ctrl, this.nW);
  }

  /**
   * Adds the workers' final counters (after the last tick) into c, their iOS GATT stats into gatt, and
   * the observations they logged without a hand-over per tick into log (the main thread's AppLog).
   */
  finish(nTicks: number, c: EngineCounters, gatt: GattStage | null, log: { observations: number }): void {
    for (let w = 0; w < this.nW; w++) {
      // without a hand-over per tick the final message is the worker's first
      const m = this.next(w, this.opts.perTick ? nTicks : 0);
      if (!('done' in m)) throw new Error(`sim run thread ${w + 1}: expected its counters`);
      addCounters(c, m.counters, gatt);
      if (m.logged) log.observations += m.logged;
    }
    this.finished = true;
  }

  async close(): Promise<void> {
    this.finished = true;
    for (const p of this.ports) p.close();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Worker side of the flow control (see MAX_HELD): the sizes of the ticks posted and not yet taken. */
export class ShardRoom {
  private readonly sizes = new Float64Array(MAX_AHEAD);
  private held = 0;
  private taken = 0;

  constructor(private readonly ctrl: Int32Array, private readonly nW: number) {}

  /** Waits until tick may be posted. */
  wait(tick: number): void {
    const { ctrl, nW } = this;
    for (;;) {
      const c = Atomics.load(ctrl, nW);
      for (; this.taken < c; this.taken++) this.held -= this.sizes[this.taken % MAX_AHEAD];
      const lead = tick - c;
      if (lead < MIN_AHEAD || (lead < MAX_AHEAD && this.held < MAX_HELD)) return;
      Atomics.wait(ctrl, nW, c, 1000);
    }
  }

  /** Tick `tick` went out with n records. */
  posted(tick: number, n: number): void {
    this.sizes[tick % MAX_AHEAD] = n;
    this.held += n;
  }
}
