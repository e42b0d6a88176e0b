// A single giant run on many machines (issue 20): `sim run SCENARIO --queue redis://HOST:PORT --shards K`
// enqueues K receiver shards as BullMQ jobs; `bluezone worker --queue ...` runs them (the same command and
// queue as `sim sweep --queue`). A shard job is exactly a thread shard (shardWorker.ts: the world rebuilt
// from scenario + seed, only its receivers listening) whose ticks are packed into chunks (shardChunks.ts)
// and stored in Redis tick range by tick range, with an expiry. The coordinator runs every sink as with
// --threads (its main thread listens to no receiver, shards.ts shardOf with mainListens false); one
// fetcher thread per shard (queueFetch.ts) takes the chunks in order, deleting each as it reads it, and
// posts the ticks to the same ShardPool replay as the thread shards: the outputs are the --threads 1 bytes.
// A shard whose whole stream is one small chunk returns it as the job's return value instead.
//
// Retries and counting: a shard is deterministic, so every attempt writes the same chunks. Each shard has
// a read pointer (next chunk the coordinator wants); taking chunk c and advancing the pointer is one Lua
// script, and a writer stores chunk c only while the pointer is <= c (another script). A worker killed
// mid-job leaves chunks 0..m; the retried job simulates from tick 0 again and stores only chunks the
// coordinator has not taken, so each tick is replayed once, and the counters come only with the last chunk.
import { createHash } from 'node:crypto';
import { MessageChannel } from 'node:worker_threads';
import type { EngineCounters } from '../engine/types.ts';
import type { Scenario } from '../scenario/schema.ts';
import type { QueueShardOptions } from '../types.ts';
import { ShardPool, type ShardInit, type ShardMessage, type ShardRunOptions } from './pool.ts';
import { bull, connection, parseQueueUrl, QUEUE_NAME, QueueError, withTimeout } from './queueConn.ts';
import { encodeChunk, tickBytes } from './shardChunks.ts';
import type { TickBatch } from './shards.ts';
import { startTsWorker } from './tsWorker.ts';

/** BullMQ job name of a giant run's shard (sweep jobs are named after their sweep). */
export const SHARD_JOB = 'giant-shard';
/** Bumped when the job data or the chunk format changes, so old jobs and chunks are never reused. */
// 2: shards run the logging rule and iOS GATT reads, and send ID reads (flag 3) and GATT stats
export const FORMAT = 2;
/**
 * A shard whose whole stream fits one chunk of at most this size returns it as its BullMQ return value
 * (base64 in the job's hash) instead of a chunk key: one round trip less, and nothing to expire.
 */
export const INLINE_MAX = 256 << 10;

/** What a shard job carries: everything a worker needs, no file paths. */
export interface ShardJobData {
  kind: typeof SHARD_JOB;
  /** FORMAT of the coordinator: a worker of another version refuses the job rather than send other bytes. */
  format: number;
  runId: string;
  gen: number;
  shard: number;
  nShards: number;
  scenario: Scenario;
  opts: ShardRunOptions;
  chunkBytes: number;
  chunkTicks: number;
  ttlMs: number;
}

/** A shard job's BullMQ return value (small: the receptions themselves went to the chunks). */
export interface ShardJobResult {
  shard: number;
  chunks: number;
  ticks: number;
  receptions: number;
  stored: number;
  counters: EngineCounters;
  /** The shard's only chunk, base64, when it is at most INLINE_MAX bytes (then stored is 0). */
  inline?: string;
}

/** What a coordinator's fetcher thread gets (ShardInit.source). */
export interface FetchData {
  url: string;
  runId: string;
  gen: number;
  jobId: string;
  nDev: number;
  ttlMs: number;
  attempts: number;
}

export const shardKeys = (runId: string, gen: number, shard: number) => {
  const base = `bz:giant:${runId}:${gen}:${shard}`;
  return { read: `${base}:read`, chunk: (c: number) => `${base}:chunk:${c}` };
};
const genKey = (runId: string) => `bz:giant:${runId}:gen`;
export const shardJobId = (runId: string, gen: number, shard: number, k: number) => `giant-${runId}-g${gen}-s${shard}of${k}`;

/** Stores chunk ARGV[1] unless the coordinator has already read past it. KEYS: chunk, read pointer. */
const PUT = `local r = tonumber(redis.call('GET', KEYS[2]) or '0')
if r > tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`;
/** Takes chunk ARGV[1] (nil while not there) and moves the read pointer past it, in one step. */
export const TAKE = `local v = redis.call('GET', KEYS[1])
if not v then return false end
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], tonumber(ARGV[1]) + 1, 'PX', ARGV[2])
return v`;

/** The calls this module makes on an ioredis client (BullMQ's own connection). */
export interface RedisLike {
  get(key: string): Promise<string | null>;
  exists(...keys: string[]): Promise<number>;
  incr(key: string): Promise<number>;
  pexpire(key: string, ms: number): Promise<number>;
  callBuffer(command: string, ...args: (string | Buffer | number)[]): Promise<unknown>;
}

/**
 * Coordinator: enqueues the K shard jobs (ids hashed from scenario, options and K, so a restarted
 * coordinator finds the same jobs and the chunks they stored) and returns the ShardPool whose K fetcher
 * threads feed the run loop. A coordinator that had already taken chunks of this run (they are gone)
 * starts a new generation of jobs instead.
 */
export type { QueueShardOptions };

export async function openQueueShards(scenario: Scenario, opts: ShardRunOptions, q: QueueShardOptions, nDev: number): Promise<ShardPool> {
  parseQueueUrl(q.url);
  if (opts.kernel !== undefined && typeof opts.kernel !== 'string') throw new QueueError('--queue: a kernel object cannot be sent to a worker (give "wasm" or "ts")');
  if (!Number.isInteger(q.shards) || q.shards < 1) throw new QueueError(`--shards: expected an integer >= 1, got ${q.shards}`);
  const k = q.shards;
  const nShards = k + 1;
  const chunkBytes = q.chunkBytes ?? 4 << 20;
  const chunkTicks = q.chunkTicks ?? 64;
  const ttlMs = q.ttlMs ?? 24 * 3600_000;
  const attempts = q.attempts ?? 3;
  const so: ShardRunOptions = { ...opts, mainListens: false };
  const runId = createHash('sha256').update(JSON.stringify({ FORMAT, scenario, opts: so, nShards, chunkBytes, chunkTicks })).digest('hex').slice(0, 16);
  const { Queue } = await bull();
  const queue = new Queue(QUEUE_NAME, { connection: connection(q.url) });
  queue.on('error', () => {}); // connection errors surface through the awaited calls below
  try {
    await withTimeout(queue.waitUntilReady(), 10_000, `cannot reach Redis at ${q.url}`);
    const client = (await queue.getBackend().client) as unknown as RedisLike;
    let gen = Number((await client.get(genKey(runId))) ?? 0);
    if (await consumed(queue, client, runId, gen, k)) gen = await client.incr(genKey(runId));
    await client.pexpire(genKey(runId), ttlMs);
    const shards = Array.from({ length: k }, (_, i) => i + 1);
    await queue.addBulk(
      shards.map((shard) => {
        const data: ShardJobData = { kind: SHARD_JOB, format: FORMAT, runId, gen, shard, nShards, scenario, opts: so, chunkBytes, chunkTicks, ttlMs };
        const age = Math.ceil(ttlMs / 1000);
        return { name: SHARD_JOB, data, opts: { jobId: shardJobId(runId, gen, shard, k), attempts, backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: { age }, removeOnFail: { age } } };
      }),
    );
    q.log?.(`run ${runId} (generation ${gen}): ${k} shard jobs on ${q.url}, for \`bluezone worker --queue ${q.url}\``);
    const data = (shard: number): FetchData => ({ url: q.url, runId, gen, jobId: shardJobId(runId, gen, shard, k), nDev, ttlMs, attempts });
    return new ShardPool(scenario, so, nShards, { entry: new URL('./queueFetch.ts', import.meta.url), data: shards.map(data) });
  } finally {
    await queue.close().catch(() => {});
  }
}

/** Whether an earlier coordinator already took chunks of this generation (then they are gone). */
async function consumed(queue: { getJob(id: string): Promise<{ finishedOn?: number; failedReason?: string; returnvalue?: Partial<ShardJobResult> } | undefined> }, client: RedisLike, runId: string, gen: number, k: number): Promise<boolean> {
  for (let shard = 1; shard <= k; shard++) {
    const keys = shardKeys(runId, gen, shard);
    if (Number((await client.get(keys.read)) ?? 0) > 0) return true;
    const job = await queue.getJob(shardJobId(runId, gen, shard, k));
    // a job that finished, but whose first chunk is gone (expired): run it again
    if (job?.finishedOn && !job.failedReason && !job.returnvalue?.inline && !(await client.exists(keys.chunk(0)))) return true;
    // a job that failed for good: a new generation retries it
    if (job?.finishedOn && job.failedReason) return true;
  }
  return false;
}

/**
 * Worker: runs shard job `d` in a worker_thread (the --threads shard worker, so this event loop stays
 * free to renew the job's lock) and stores its ticks in chunks; memory stays at one chunk plus the
 * thread's lead (pool.ts ShardRoom).
 */
export async function runShardJob(d: ShardJobData, client: RedisLike, log?: (line: string) => void): Promise<ShardJobResult> {
  if (d.format !== FORMAT) throw new Error(`shard job format ${d.format}, this worker speaks ${FORMAT}: run the same bluezone version on the coordinator and the workers`);
  const nW = d.nShards - 1;
  const ctrl = new Int32Array(new SharedArrayBuffer(4 * (2 * nW + 1)));
  const { port1, port2 } = new MessageChannel();
  const init: ShardInit = { scenario: d.scenario, opts: d.opts, shard: d.shard, nShards: d.nShards, ctrl: ctrl.buffer as SharedArrayBuffer, port: port2 };
  const worker = startTsWorker(new URL('./shardWorker.ts', import.meta.url), { workerData: init, transferList: [port2] });
  const inbox: ShardMessage[] = [];
  let stopped: Error | null = null;
  let wake: (() => void) | null = null;
  port1.on('message', (m: ShardMessage) => {
    inbox.push(m);
    wake?.();
  });
  worker.on('error', (e) => {
    stopped ??= e;
    wake?.();
  });
  worker.on('exit', (code) => {
    stopped ??= new Error(`shard thread stopped (exit ${code})`);
    wake?.();
  });
  const next = async (): Promise<ShardMessage> => {
    while (!inbox.length) {
      if (stopped) throw stopped;
      await new Promise<void>((r) => (wake = r));
      wake = null;
    }
    return inbox.shift()!;
  };
  const keys = shardKeys(d.runId, d.gen, d.shard);
  let chunks = 0;
  let stored = 0;
  let lastLog = 0;
  const put = async (ticks: TickBatch[], counters?: EngineCounters) => {
    const c = chunks++;
    const r = await client.callBuffer('eval', PUT, 2, keys.chunk(c), keys.read, c, encodeChunk(ticks, counters), d.ttlMs);
    stored += Number(r);
    const now = performance.now();
    if (c === 0 || counters || now - lastLog > 5000) {
      lastLog = now;
      const range = ticks.length ? `ticks ${ticks[0].tick}-${ticks[ticks.length - 1].tick}` : 'no ticks';
      log?.(`shard ${d.shard}/${nW}: chunk ${c} (${range}) ${Number(r) ? 'stored' : 'already read by the coordinator'}`);
    }
  };
  try {
    let pending: TickBatch[] = [];
    let bytes = 0;
    let ticks = 0;
    let receptions = 0;
    for (;;) {
      const m = await next();
      if ('error' in m) throw new Error(`shard ${d.shard}: ${m.error}`);
      if ('done' in m) {
        if (chunks === 0) {
          const only = encodeChunk(pending, m.counters);
          if (only.length <= INLINE_MAX) {
            log?.(`shard ${d.shard}/${nW}: ${only.length} bytes, returned with the job`);
            return { shard: d.shard, chunks: 1, ticks, receptions, stored: 0, counters: m.counters, inline: only.toString('base64') };
          }
        }
        await put(pending, m.counters);
        return { shard: d.shard, chunks, ticks, receptions, stored, counters: m.counters };
      }
      pending.push(m);
      bytes += tickBytes(m);
      ticks++;
      receptions += m.n;
      // the thread may go on: the tick is in this chunk now
      Atomics.store(ctrl, nW, m.tick + 1);
      Atomics.notify(ctrl, nW);
      if (bytes >= d.chunkBytes || pending.length >= d.chunkTicks) {
        await put(pending);
        pending = [];
        bytes = 0;
      }
    }
  } finally {
    worker.removeAllListeners('exit');
    port1.close();
    await worker.terminate();
  }
}
