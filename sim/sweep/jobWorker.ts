// A local sweep worker (local.ts): runs the jobs it is handed, one at a time, and posts each row.
import { parentPort } from 'node:worker_threads';
import { runSweepJob, type ResolvedJob } from './job.ts';

parentPort!.on('message', async (job: ResolvedJob) => {
  try {
    parentPort!.postMessage({ result: await runSweepJob(job) });
  } catch (e) {
    parentPort!.postMessage({ index: job.index, error: (e as Error).message });
  }
});
