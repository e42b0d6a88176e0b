// One persistent worker_thread that runs sweep jobs (jobWorker.ts) one at a time. The local pool and the
// queue worker both use it, so a long simulation never blocks the caller's event loop (the queue worker
// must keep renewing its job lock while a job runs).
import type { Worker } from 'node:worker_threads';
import { startTsWorker } from '../parallel/tsWorker.ts';
import type { JobResult, ResolvedJob } from './job.ts';

export class JobThread {
  private readonly w: Worker;
  private pending: { resolve: (r: JobResult) => void; reject: (e: Error) => void } | null = null;
  private dead: Error | null = null;

  constructor() {
    this.w = startTsWorker(new URL('./jobWorker.ts', import.meta.url), {});
    this.w.on('message', (m: { result?: JobResult; error?: string; index?: number }) => {
      const p = this.pending;
      this.pending = null;
      if (m.error !== undefined) p?.reject(new Error(`sweep job ${m.index}: ${m.error}`));
      else p?.resolve(m.result!);
    });
    const fail = (e: Error) => {
      this.dead = e;
      this.pending?.reject(e);
      this.pending = null;
    };
    this.w.on('error', fail);
    this.w.on('exit', (code) => fail(new Error(`sweep worker thread stopped (exit ${code})`)));
  }

  run(job: ResolvedJob): Promise<JobResult> {
    if (this.dead) return Promise.reject(this.dead);
    if (this.pending) return Promise.reject(new Error('JobThread: one job at a time'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.w.postMessage(job);
    });
  }

  async close(): Promise<void> {
    this.w.removeAllListeners('exit');
    await this.w.terminate();
  }
}
