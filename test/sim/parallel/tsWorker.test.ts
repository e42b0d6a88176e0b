import { describe, expect, it } from 'vitest';
import { workerEntry } from '../../../sim/parallel/tsWorker.ts';

describe('workerEntry', () => {
  it('keeps the TypeScript entry in a checkout and takes the compiled sibling in the package', () => {
    const ts = new URL('file:///pkg/dist/sim/parallel/shardWorker.ts');
    expect(workerEntry(ts, false).href).toBe(ts.href);
    // the installed package has no tsx (a devDependency) and no .ts sources: before this, every worker
    // thread (--threads, the sinks thread, the sweep pool) failed there with "Cannot find module 'tsx/esm/api'"
    expect(workerEntry(ts, true).href).toBe('file:///pkg/dist/sim/parallel/shardWorker.js');
    const js = new URL('file:///pkg/dist/sim/sweep/jobWorker.js');
    expect(workerEntry(js, true).href).toBe(js.href);
  });
});
