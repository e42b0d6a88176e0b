// The embedded sweep runner: a pool of worker_threads on this machine (`--jobs N`, default all cores),
// each taking the next job as it frees up; nothing to install. Results are keyed by job index, so the
// order in which jobs finish does not matter (table.ts orders the rows by job).
import type { JobResult, ResolvedJob } from './job.ts';
import { JobThread } from './thread.ts';

export type JobEvent = (r: JobResult, done: number, total: number) => void;

export async function runLocal(jobs: ResolvedJob[], nWorkers: number, onJob?: JobEvent): Promise<Map<number, JobResult>> {
  const results = new Map<number, JobResult>();
  let next = 0;
  const threads = Array.from({ length: Math.max(1, Math.min(nWorkers, jobs.length)) }, () => new JobThread());
  try {
    await Promise.all(
      threads.map(async (t) => {
        while (next < jobs.length) {
          const r = await t.run(jobs[next++]);
          results.set(r.index, r);
          onJob?.(r, results.size, jobs.length);
        }
      }),
    );
  } finally {
    await Promise.all(threads.map((t) => t.close()));
  }
  return results;
}
