// A worker_thread running one of our modules. In a checkout the sources are TypeScript: the worker
// registers the tsx loader first (it does not inherit the main thread's), as bin/bluezone.js does. In the
// installed package (compiled by npm run build, no tsx: it is a devDependency) this file is tsWorker.js
// and the entry's compiled sibling (.ts -> .js) runs as plain JavaScript.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** True when this module runs compiled (dist/), where entries are .js files and tsx is absent. */
const COMPILED = import.meta.url.endsWith('.js');

/** The module a worker should load for `entry` (a `new URL('./x.ts', import.meta.url)`). */
export function workerEntry(entry: URL, compiled = COMPILED): URL {
  return compiled && entry.pathname.endsWith('.ts') ? new URL(entry.href.replace(/\.ts$/, '.js')) : entry;
}

export function startTsWorker(entry: URL, opts: Omit<WorkerOptions, 'eval'>): Worker {
  if (COMPILED) return new Worker(workerEntry(entry), opts);
  const api = createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs');
  const code = `import(${JSON.stringify(pathToFileURL(api).href)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(code, { ...opts, eval: true });
}
