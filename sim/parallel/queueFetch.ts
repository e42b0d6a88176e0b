// A coordinator's fetcher thread for one shard of a giant `sim run --queue` (queueShards.ts): takes the
// shard's chunks from Redis in order (each deleted as it is taken) and posts their ticks exactly as a
// --threads shard worker does (shardWorker.ts: one message per tick, then the counters), under the same
// flow control, so the run loop's ShardPool replays them unchanged.
import { workerData } from 'node:worker_threads';
import type { ShardInit } from './pool.ts';
import { ShardRoom } from './pool.ts';
import { bull, connection, QUEUE_NAME } from './queueConn.ts';
import { shardKeys, TAKE, type FetchData, type RedisLike, type ShardJobResult } from './queueShards.ts';
import { decodeChunk } from './shardChunks.ts';

const init = workerData as ShardInit;
const src = (init.source as FetchData[])[init.shard - 1];
const ctrl = new Int32Array(init.ctrl);
const w = init.shard - 1;
const nW = init.nShards - 1;
const room = new ShardRoom(ctrl, nW);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function fetchShard(): Promise<void> {
  const { Queue } = await bull();
  const queue = new Queue(QUEUE_NAME, { connection: connection(src.url) });
  queue.on('error', () => {});
  try {
    const client = (await queue.getBackend().client) as unknown as RedisLike;
    const keys = shardKeys(src.runId, src.gen, init.shard);
    const take = async (c: number) => (await client.callBuffer('eval', TAKE, 2, keys.chunk(c), keys.read, c, src.ttlMs)) as Buffer | null;
    let tick = 0;
    for (let c = 0; ; c++) {
      let buf = await take(c);
      for (let waitMs = 10; !buf; waitMs = Math.min(waitMs * 2, 250)) {
        // not stored yet: is the job still going to store it?
        const job = await queue.getJob(src.jobId);
        if (!job) throw new Error(`job ${src.jobId} is no longer in the queue (removed?)`);
        if (job.finishedOn && job.failedReason && job.attemptsMade >= src.attempts) throw new Error(`job ${src.jobId} failed ${job.attemptsMade} time(s): ${job.failedReason}`);
        if (job.finishedOn && !job.failedReason) {
          // it may have stored the chunk and completed between the two calls
          buf = await take(c);
          // a small shard's only chunk is its return value (queueShards.ts INLINE_MAX); taking it deletes nothing
          const inline = (job.returnvalue as Partial<ShardJobResult> | undefined)?.inline;
          if (!buf && c === 0 && typeof inline === 'string') buf = Buffer.from(inline, 'base64');
          if (!buf) throw new Error(`job ${src.jobId} completed, but its chunk ${c} is gone (expired, or taken by another coordinator of the same run)`);
          break;
        }
        await sleep(waitMs);
        buf = await take(c);
      }
      const d = decodeChunk(buf, src.nDev);
      if (d.firstTick !== tick && d.ticks.length) throw new Error(`chunk ${c} starts at tick ${d.firstTick}, expected ${tick}`);
      for (const b of d.ticks) {
        room.wait(b.tick);
        init.port.postMessage(b, [b.rx.buffer, b.tx.buffer, b.flag.buffer, b.f.buffer] as ArrayBuffer[]);
        room.posted(b.tick, b.n);
        tick = b.tick + 1;
        Atomics.store(ctrl, w, tick);
        Atomics.notify(ctrl, w);
      }
      if (d.counters) {
        init.port.postMessage({ done: true, counters: d.counters });
        Atomics.store(ctrl, w, tick + 1);
        Atomics.notify(ctrl, w);
        return;
      }
    }
  } finally {
    await queue.close().catch(() => {});
  }
}

try {
  await fetchShard();
} catch (e) {
  init.port.postMessage({ error: `queue shard ${init.shard}: ${(e as Error).message}` });
  Atomics.store(ctrl, nW + 1 + w, 1);
  Atomics.notify(ctrl, w);
}
init.port.close();
