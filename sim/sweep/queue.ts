// Scale-out on an existing engine: BullMQ on Redis (`sim sweep FILE --queue redis://HOST:PORT` enqueues,
// `bluezone worker --queue ...` on any number of machines runs). bullmq is loaded lazily, only here.
// - Job ids are the sweep's (file hash + index), so enqueueing the same file twice adds nothing and a
//   restarted coordinator picks up the results already stored.
// - A job's result is its BullMQ return value, written when the job completes; the coordinator builds
//   the table only from completed jobs, keyed by job index, so a job retried after a worker died (its
//   lock expired, another worker's stalled-job check moved it back to waiting) is counted once.
// - A worker runs each job in a worker_thread (thread.ts), so its event loop keeps renewing the lock.
// - The same workers run the receiver shards of a giant `sim run --queue` (parallel/queueShards.ts).
import type { JobResult, ResolvedJob } from './job.ts';
import { JobThread } from './thread.ts';
import { runShardJob, SHARD_JOB, type RedisLike, type ShardJobData } from '../parallel/queueShards.ts';
import { bull, connection, parseQueueUrl, QUEUE_NAME, QueueError, withTimeout } from '../parallel/queueConn.ts';

export { QUEUE_NAME, QueueError, parseQueueUrl };

export interface QueueRunOptions {
  /** Poll interval for completed jobs (ms). */
  pollMs?: number;
  onJob?: (r: JobResult, done: number, total: number) => void;
  /** A job that failed this many times stops the sweep. */
  attempts?: number;
}

/** Coordinator: enqueues every job (idempotent) and waits until each has a completed result. */
export async function runOnQueue(url: string, jobs: ResolvedJob[], o: QueueRunOptions = {}): Promise<Map<number, JobResult>> {
  parseQueueUrl(url);
  const { Queue } = await bull();
  const queue = new Queue(QUEUE_NAME, { connection: connection(url) });
  queue.on('error', () => {}); // connection errors surface through the awaited calls below
  try {
    await withTimeout(queue.waitUntilReady(), 10_000, `cannot reach Redis at ${url}`);
    await queue.addBulk(
      jobs.map((j) => ({
        name: j.id.split('-')[0],
        data: j,
        opts: { jobId: j.id, attempts: o.attempts ?? 3, backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: false, removeOnFail: false },
      })),
    );
    const results = new Map<number, JobResult>();
    const pending = new Set(jobs.map((j) => j.id));
    const byId = new Map(jobs.map((j) => [j.id, j]));
    while (pending.size) {
      const ids = [...pending];
      for (let i = 0; i < ids.length; i += 500) {
        const got = await Promise.all(ids.slice(i, i + 500).map((id) => queue.getJob(id)));
        for (const job of got) {
          if (!job || !pending.has(job.id!)) continue;
          if (job.finishedOn && job.returnvalue && !job.failedReason) {
            const r = job.returnvalue as JobResult;
            if (r.index !== byId.get(job.id!)!.index) throw new QueueError(`job ${job.id}: result for job ${r.index}`);
            results.set(r.index, r);
            pending.delete(job.id!);
            o.onJob?.(r, results.size, jobs.length);
          } else if (job.finishedOn && job.failedReason && job.attemptsMade >= (job.opts.attempts ?? 1)) {
            throw new Error(`sweep job ${job.id} failed ${job.attemptsMade} time(s): ${job.failedReason}`);
          }
        }
      }
      if (pending.size) await new Promise((r) => setTimeout(r, o.pollMs ?? 500));
    }
    return results;
  } finally {
    await queue.close().catch(() => {});
  }
}

export interface WorkerOptions {
  /** Jobs at once (each in its own thread). */
  concurrency?: number;
  /** Lock time: a killed worker's job is retried by another worker after about this long (ms). */
  lockMs?: number;
  /** Stop after this many jobs (tests); default: run until stopped. */
  maxJobs?: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/** `bluezone worker`: takes sweep jobs from the queue until stopped (SIGINT/SIGTERM via signal). */
export async function runWorker(url: string, o: WorkerOptions = {}): Promise<number> {
  parseQueueUrl(url);
  const { Worker } = await bull();
  const n = Math.max(1, o.concurrency ?? 1);
  const threads: JobThread[] = [];
  const free: JobThread[] = [];
  let done = 0;
  const lockMs = o.lockMs ?? 30_000;
  let finish: () => void = () => {};
  const finished = new Promise<void>((r) => (finish = r));
  const worker = new Worker(
    QUEUE_NAME,
    async (job) => {
      if (job.name === SHARD_JOB) {
        // a giant run's receiver shard: its own thread inside runShardJob, its ticks to Redis in chunks
        o.log?.(`job ${job.id} started (attempt ${job.attemptsMade + 1})`);
        const t0 = performance.now();
        const r = await runShardJob(job.data as ShardJobData, (await worker.getBackend().client) as unknown as RedisLike, (l) => o.log?.(`job ${job.id}: ${l}`));
        o.log?.(`job ${job.id} done in ${((performance.now() - t0) / 1000).toFixed(1)} s (${r.ticks} ticks, ${r.receptions} receptions in ${r.chunks} chunks)`);
        done++;
        if (o.maxJobs && done >= o.maxJobs) finish();
        return r;
      }
      const t = free.pop() ?? (threads.push(new JobThread()), threads[threads.length - 1]);
      o.log?.(`job ${job.id} started (attempt ${job.attemptsMade + 1})`);
      try {
        const r = await t.run(job.data as ResolvedJob);
        free.push(t);
        o.log?.(`job ${job.id} done in ${r.wallS.toFixed(1)} s`);
        done++;
        if (o.maxJobs && done >= o.maxJobs) finish();
        return r;
      } catch (e) {
        // a dead thread is not reused
        threads.splice(threads.indexOf(t), 1);
        await t.close().catch(() => {});
        throw e;
      }
    },
    { connection: connection(url), concurrency: n, lockDuration: lockMs, stalledInterval: Math.max(500, Math.round(lockMs / 2)), maxStalledCount: 5 },
  );
  worker.on('error', (e) => o.log?.(`queue error: ${e.message}`));
  o.signal?.addEventListener('abort', () => finish(), { once: true });
  try {
    await withTimeout(worker.waitUntilReady(), 10_000, `cannot reach Redis at ${url}`);
    o.log?.(`worker ready on ${url} (queue ${QUEUE_NAME}, ${n} at a time)`);
    await finished;
    return done;
  } finally {
    await worker.close();
    await Promise.all(threads.map((t) => t.close()));
  }
}
