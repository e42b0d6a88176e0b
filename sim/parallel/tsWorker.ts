// A worker_thread running one of our TypeScript modules: the worker registers the tsx loader first (it
// does not inherit the main thread's), as bin/bluezone.js does, so there is still no build step.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function startTsWorker(entry: URL, opts: Omit<WorkerOptions, 'eval'>): Worker {
  const api = createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs');
  const code = `import(${JSON.stringify(pathToFileURL(api).href)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(code, { ...opts, eval: true });
}
