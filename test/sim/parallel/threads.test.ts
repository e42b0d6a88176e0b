// `sim run --threads N` (issue 20): receivers split over worker threads, the files byte-identical to the
// single-thread run for every built-in scenario (short durations), including scan windows and pcap, and
// the counters summed over shards equal to the single-thread ones.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../../../sim/scenario/load.ts';
import type { Scenario } from '../../../sim/scenario/schema.ts';
import { runSimulation, type RunOptions } from '../../../sim/run.ts';
import { shardOf } from '../../../sim/parallel/shards.ts';
import { runFiles } from '../../helpers/files.ts';

const tmp = mkdtempSync(join(tmpdir(), 'bz-threads-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const files = runFiles;

let runNo = 0;
async function both(name: string | Scenario, opts: RunOptions, threads = 2) {
  const scenario = typeof name === 'string' ? loadScenario(name) : name;
  name = scenario.name;
  const dirs = [1, threads].map((n) => join(tmp, `${name}-${++runNo}-${n}`));
  const runs = [];
  for (const [i, n] of [1, threads].entries()) {
    runs.push(await runSimulation(scenario, { ...opts, threads: n, outDir: dirs[i], pcapPath: join(dirs[i], 'air.pcap') }));
  }
  const [a, b] = dirs.map(files);
  expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
  for (const [f, buf] of a) expect(b.get(f)!.equals(buf), `${name}: ${f} differs with --threads ${threads}`).toBe(true);
  const { wallMs: _w1, realTimeFactor: _r1, pairsPerSecond: _p1, ...s1 } = runs[0].stats;
  const { wallMs: _w2, realTimeFactor: _r2, pairsPerSecond: _p2, ...s2 } = runs[1].stats;
  expect(s2).toEqual(s1);
  return { ...runs[0], dir: dirs[0] };
}

describe('sim run --threads', () => {
  it('splits receivers round robin, over the workers only when the main thread runs the sinks', () => {
    expect([0, 1, 2, 3, 4].map((d) => shardOf(d, 2, true))).toEqual([0, 1, 0, 1, 0]);
    expect([0, 1, 2, 3, 4].map((d) => shardOf(d, 3, false))).toEqual([1, 2, 1, 2, 1]);
  });

  it('without outputs (benchmarks) the main thread listens too: the same counters', async () => {
    const scenario = loadScenario('city-block');
    const run = (threads: number) => runSimulation(scenario, { seed: 2, durationMs: 1000, devices: 3000, threads });
    const [a, b] = [await run(1), await run(2)];
    const strip = ({ wallMs: _w, realTimeFactor: _r, pairsPerSecond: _p, ...s }: typeof a.stats) => s;
    expect(strip(b.stats)).toEqual(strip(a.stats));
    expect(a.stats.pairEvaluations).toBeGreaterThan(0);
  }, 120_000);

  it('without outputs over many ticks (shards report their logged count at the end): the same counters and GATT summary', async () => {
    // the logging rule in the WASM engine for Bluezone phones, in the shards' AppLog for the iOS GATT reads
    const lobby = loadScenario('lobby');
    const mixed: Scenario = { ...lobby, groups: lobby.groups.map((g, i) => (i < 2 ? { ...g, app: 'gaen' as const } : g)) };
    const run = (threads: number) => runSimulation(mixed, { seed: 5, durationMs: 5 * 60_000, threads });
    const [a, b] = [await run(1), await run(3)];
    const strip = ({ wallMs: _w, realTimeFactor: _r, pairsPerSecond: _p, ...s }: typeof a.stats) => s;
    expect(strip(b.stats)).toEqual(strip(a.stats));
    expect(b.summary.ios_gatt).toEqual(a.summary.ios_gatt);
    expect(a.stats.observations).toBeGreaterThan(100);
  }, 120_000);

  it('lobby: --threads 1 and 2 write the same bytes', async () => {
    // the report too (the other cases skip it: it costs seconds and reads only main-thread sinks)
    const r = await both('lobby', { seed: 1, durationMs: 2 * 60_000, scanWindows: true });
    expect(r.stats.observations).toBeGreaterThan(0);
  }, 120_000);

  it('office: same bytes', async () => {
    await both('office', { seed: 2, durationMs: 2 * 60_000, scanWindows: true, report: false });
  }, 120_000);

  it('queue: same bytes with 3 threads', async () => {
    const r = await both('queue', { seed: 3, durationMs: 2 * 60_000, scanWindows: true, report: false }, 3);
    expect(r.stats.receptions).toBeGreaterThan(0);
  }, 120_000);

  it('city-block above the dense limit (logging rule in JS, sparse tables): same bytes', async () => {
    const r = await both('city-block', { seed: 1, durationMs: 1000, devices: 2500, report: false });
    expect(r.stats.observations).toBeGreaterThan(0);
  }, 120_000);

  it('a lobby with a GAEN group beside Bluezone phones (iOS GATT reads, both rules in the shards): same bytes', async () => {
    const lobby = loadScenario('lobby');
    const mixed: Scenario = { ...lobby, groups: lobby.groups.map((g, i) => (i < 2 ? { ...g, app: 'gaen' as const } : g)) };
    const r = await both(mixed, { seed: 6, durationMs: 10 * 60_000, scanWindows: true, report: false });
    expect(r.summary.ios_gatt).toBeDefined();
    // GAEN phones logged each other (receptionists and the guard), Bluezone phones each other
    const rx = readFileSync(join(r.dir, 'observations.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[1].replace(/-\d+$/, ''));
    expect(rx.filter((g) => g === 'receptionists' || g === 'guard').length).toBeGreaterThan(10);
    expect(rx.filter((g) => g !== 'receptionists' && g !== 'guard').length).toBeGreaterThan(10);
  }, 120_000);

  it('the JS reference engine: same bytes', async () => {
    await both('queue', { seed: 4, durationMs: 60_000, engine: 'js', kernel: 'ts', report: false });
  }, 120_000);
});
