// `bluezone worker --queue redis://HOST:PORT`: runs `sim sweep --queue` jobs and the receiver shards of a
// giant `sim run --queue` from BullMQ until stopped.
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { info } from '../context.ts';
import { untilSignal } from '../daemon.ts';
import { UsageError } from '../errors.ts';
import { parseDuration } from '../../sim/scenario/units.ts';

export function registerWorker(program: Command, ctx: CliContext): void {
  program
    .command('worker')
    .description('run simulation jobs of `sim sweep --queue` and `sim run --queue` from Redis (BullMQ); start one on every machine')
    .requiredOption('--queue <url>', 'Redis at redis://HOST:PORT (the one the sweep or run was started with)')
    .option('--jobs <n>', 'jobs at once, each in its own thread (default: all cores)')
    .option('--lock <d>', 'job lock: a job of a worker that died is retried by another after about this long', '30s')
    .addHelpText('after', '\nExamples:\n  $ npx bluezone worker --queue redis://10.0.0.5:6379\n  $ npx bluezone worker --queue redis://localhost:6379 --jobs 1\n')
    .action(async (o: { queue: string; jobs?: string; lock: string }) => {
      const jobs = o.jobs === undefined ? availableParallelism() : Number(o.jobs);
      if (!Number.isInteger(jobs) || jobs < 1 || jobs > 1024) throw new UsageError(`--jobs: expected an integer 1..1024, got "${o.jobs}"`);
      const lockMs = parseDuration(o.lock);
      if (lockMs === undefined || lockMs < 1000) throw new UsageError(`--lock: expected a duration of at least 1s, like "30s", got "${o.lock}"`);
      const { QueueError, runWorker } = await import('../../sim/sweep/queue.ts'); // bullmq: not for --help (issue 16)
      const stop = new AbortController();
      void untilSignal().then(() => stop.abort());
      try {
        const n = await runWorker(o.queue, { concurrency: jobs, lockMs, signal: stop.signal, log: (l) => info(ctx, l) });
        info(ctx, `worker stopped after ${n} jobs`);
      } catch (e) {
        if (e instanceof QueueError) throw new UsageError(e.message);
        throw e;
      }
      // the signal listeners would keep the process alive
      process.exit(process.exitCode ?? 0);
    });
}
