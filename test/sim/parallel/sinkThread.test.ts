// The sinks worker (sim/parallel/sinkPipe.ts, issue 20): the classifier, its scoring and the report's
// observation samples run beside the simulation, and every file is byte-identical to the in-thread run:
// windows.csv (its lines come back in chunks), summary.json's evaluation and 15-minute rule, report.html
// (scatter, picked pairs, detected windows). Small batches, so that the runs cross many (and the flow control waits).
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../../../sim/scenario/load.ts';
import { runSimulation, type RunOptions } from '../../../sim/run.ts';
import { runFiles } from '../../helpers/files.ts';
import { RowBytes } from '../../../sim/sinks/rowBytes.ts';

const tmp = mkdtempSync(join(tmpdir(), 'bz-sinkthread-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const files = runFiles;

async function same(name: string, opts: RunOptions): Promise<number> {
  const scenario = loadScenario(name);
  const dirs = [false, true].map((t) => join(tmp, `${name}-${opts.seed}-${t ? 'worker' : 'inline'}`));
  let obs = 0;
  for (const [i, sinkThread] of [false, true].entries()) obs = (await runSimulation(scenario, { sinkBatch: 300, ...opts, sinkThread, outDir: dirs[i] })).stats.observations;
  const [a, b] = dirs.map(files);
  expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
  for (const [f, buf] of a) expect(b.get(f)!.equals(buf), `${name}: ${f} differs with the sinks worker`).toBe(true);
  return obs;
}

describe('sim run: the sinks worker', () => {
  it('office: every file (report included) byte-identical to the in-thread run, over many batches', async () => {
    const obs = await same('office', { seed: 3, durationMs: 20 * 60_000 });
    expect(obs).toBeGreaterThan(20 * 300);
    expect(readFileSync(join(tmp, 'office-3-worker', 'windows.csv'), 'utf8').split('\n').length).toBeGreaterThan(100);
  }, 180_000);

  it('lobby with --threads 2 and no report: same bytes', async () => {
    await same('lobby', { seed: 5, durationMs: 10 * 60_000, threads: 2, report: false });
  }, 180_000);

  it('without the classifier (report only): same bytes', async () => {
    await same('queue', { seed: 2, durationMs: 5 * 60_000, classify: false });
  }, 180_000);

  it('observations as protobuf (their rows stay in the simulation thread, truth.csv too): same bytes', async () => {
    await same('queue', { seed: 4, durationMs: 5 * 60_000, format: 'pb' });
    expect(readFileSync(join(tmp, 'queue-4-worker', 'truth.csv'), 'utf8').split('\n').length).toBeGreaterThan(1000);
  }, 180_000);
});

describe('sinks worker failures', () => {
  it('a write the worker cannot make (into observations.csv) fails the run with an OutputError naming the file: exit 2', async () => {
    const { SinkPipe } = await import('../../../sim/parallel/sinkPipe.ts');
    const { OutputError } = await import('../../../records/output.ts');
    const names = ['a', 'b'];
    const models = ['Pixel 4', 'iPhone 12'];
    const ro = join(tmp, 'read-only.csv');
    writeFileSync(ro, '');
    const fd = openSync(ro, 'r'); // a descriptor that refuses writes: EBADF
    const w = (path: string) => ({ fd, path, kind: 'atomic' }) as never;
    const pipe = new SinkPipe({ startMs: 0, durationMs: 3600_000, names, models, kind: Uint8Array.from([0, 1]), methods: ['gaen'], report: false }, null, 10,
      { obs: w(join(tmp, 'out', 'observations.csv')), truth: w(join(tmp, 'out', 'truth.csv')), names: RowBytes.fields(names), models: RowBytes.fields(models) });
    try {
      for (let i = 0; i < 25; i++) pipe.observation(i * 1000, 0, 1, -60, 1);
      const err = await pipe.finish().then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(OutputError);
      expect((err as InstanceType<typeof OutputError>).exitCode).toBe(2);
      expect((err as Error).message).toMatch(/observations\.csv: cannot write: .*\(EBADF\)/);
    } finally {
      await pipe.close();
      closeSync(fd);
    }
  }, 60_000);

  it('a sinks worker that dies (killed) fails the run with a clear error instead of waiting for ever', async () => {
    const { SinkPipe } = await import('../../../sim/parallel/sinkPipe.ts');
    const names = ['a', 'b'];
    const pipe = new SinkPipe({ startMs: 0, durationMs: 3600_000, names, models: ['Pixel 4', 'iPhone 12'], kind: Uint8Array.from([0, 1]), methods: ['gaen'], report: false }, null, 10);
    for (let i = 0; i < 25; i++) pipe.observation(i * 1000, 0, 1, -60, 1);
    // kill it as the OOM killer would: no message, a non-zero exit
    await (pipe as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await new Promise((r) => setTimeout(r, 50));
    await expect(Promise.resolve().then(() => pipe.finish())).rejects.toThrow(/sinks worker stopped without a result/);
    await pipe.close();
  }, 60_000);
});
