// The fused WebAssembly engine (sim/kernel/assembly/engine.ts) must give the same outputs as the JS
// reception path in run.ts with the same kernel: it re-implements the advertising events, the contact-truth
// scan, gathering, windows, collisions and the app's logging rule, and its speed is only worth having if nothing a user reads changes.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSimulation, type RunOptions, type RunStats } from '../../../sim/run.ts';
import { loadScenario, parseScenarioText } from '../../../sim/scenario/load.ts';
import type { Scenario } from '../../../sim/scenario/schema.ts';
import { tempDirs } from '../../helpers/cli.ts';

const tmp = tempDirs('engines-');

type Windows = RunStats['engineWindows'];

async function outputs(scenario: Scenario, opts: RunOptions): Promise<{ files: Map<string, Buffer>; stats: Record<string, unknown>; windows: Windows }> {
  const dir = tmp();
  // the pcap of the air too: the engine draws the advertising events itself
  const r = await runSimulation(scenario, { report: false, outDir: dir, pcapPath: join(dir, 'air.pcap'), ...opts });
  const files = new Map<string, Buffer>();
  // (with the report, its plots/ folder too)
  for (const f of readdirSync(dir, { recursive: true }) as string[]) if (f !== 'timing.json' && statSync(join(dir, f)).isFile()) files.set(f, readFileSync(join(dir, f)));
  const { wallMs, realTimeFactor, pairsPerSecond, engine, engineWindows, engineInterfSums, ...stats } = r.stats;
  expect(engine).toBe(opts.engine);
  return { files, stats, windows: engineWindows };
}

async function expectSame(scenario: Scenario, opts: RunOptions): Promise<{ receptions: number; windows: NonNullable<Windows> }> {
  const js = await outputs(scenario, { ...opts, kernel: 'wasm', engine: 'js' });
  const wasm = await outputs(scenario, { ...opts, kernel: 'wasm', engine: 'wasm' });
  expect(wasm.stats).toEqual(js.stats);
  expect([...wasm.files.keys()].sort()).toEqual([...js.files.keys()].sort());
  for (const [name, bytes] of js.files) expect(wasm.files.get(name)!.equals(bytes), `${name} differs between the engines`).toBe(true);
  return { receptions: (js.stats as { receptions: number }).receptions, windows: wasm.windows! };
}

describe('fused WASM engine vs the JS reception path', () => {
  it('queue (every transmitter a neighbour: sorted packet walk)', async () => {
    const r = await expectSame(loadScenario('queue'), { seed: 11, durationMs: 4 * 60_000, scanWindows: true });
    expect(r.receptions).toBeGreaterThan(1000);
    expect(r.windows.neighbourEvents).toBe(0);
  });

  it('the last-logged table rebased every window (u32 offsets; entries over a minute old read as never)', async () => {
    // lobby: iPhones and Androids, so both the 5 s dedup and iOS coalescing read rebased entries
    const r = await expectSame(loadScenario('lobby'), { seed: 4, devices: 60, durationMs: 4 * 60_000, scanWindows: true, engineLastSpanUs: 1 });
    expect(r.receptions).toBeGreaterThan(1000);
  });

  it('report.html and its plots too (contact timelines from the truth pairs, which the module updates tick to tick)', async () => {
    const r = await expectSame(loadScenario('lobby'), { seed: 8, devices: 70, durationMs: 5 * 60_000, report: true });
    expect(r.receptions).toBeGreaterThan(1000);
  });

  it('a run without outputs (the benchmark) counts the same observations and receptions', async () => {
    const s = loadScenario('lobby');
    const opts: RunOptions = { seed: 9, devices: 60, durationMs: 10 * 60_000, kernel: 'wasm', engine: 'wasm' };
    const bare = await runSimulation(s, opts);
    const full = await runSimulation(s, { ...opts, outDir: tmp(), report: false });
    expect(bare.stats.observations).toBeGreaterThan(100);
    expect(bare.stats.observations).toBe(full.stats.observations);
    expect(bare.stats.receptions).toBe(full.stats.receptions);
  });

  it('the window loop stopping after every window with receptions (full arrays) and going on', async () => {
    const r = await expectSame(loadScenario('lobby'), { seed: 5, devices: 60, durationMs: 3 * 60_000, scanWindows: true, engineOutRoom: 0 });
    expect(r.receptions).toBeGreaterThan(1000);
  });

  it('the lobby without the pair cache (per-tick neighbour terms, as above 1024 devices)', async () => {
    const r = await expectSame(loadScenario('lobby'), { seed: 6, devices: 80, durationMs: 4 * 60_000, scanWindows: true, enginePairCache: false });
    expect(r.receptions).toBeGreaterThan(1000);
  });

  it('ticks that straddle shadowing epochs (windows whose packets fall in two epochs), with and without the pair cache', async () => {
    // a 700 ms tick does not divide the 20 s epoch, so some windows read the shadowing terms of two epochs
    const q = loadScenario('queue');
    const s: Scenario = { ...q, tick: 700 };
    expect((await expectSame(s, { seed: 12, durationMs: 3 * 60_000 })).receptions).toBeGreaterThan(1000);
    expect((await expectSame(s, { seed: 12, durationMs: 3 * 60_000, enginePairCache: false })).receptions).toBeGreaterThan(1000);
  });

  it('a sparse street (neighbour walk with per-window sort), with and without scan_windows.csv', async () => {
    // exponent 4: a scanner near the middle of the 1 km block searches all of it (the sorted-packet walk),
    // one nearer an edge a part (the neighbour walk): about 13,600 and 8,400 windows
    const cb = loadScenario('city-block');
    const s: Scenario = { ...cb, channel: { ...cb.channel, exponent: 4 } };
    const r = await expectSame(s, { seed: 5, devices: 1000, durationMs: 20_000, scanWindows: true });
    expect(r.receptions).toBeGreaterThan(1000);
    // both window paths ran (scanners near the middle see most of the block, the others a part)
    expect(r.windows.neighbourEvents).toBeGreaterThan(1000);
    expect(r.windows.sortedPackets).toBeGreaterThan(1000);
    expect((await expectSame(s, { seed: 5, devices: 1000, durationMs: 20_000 })).receptions).toBeGreaterThan(1000);
  }, 240_000); // four runs, two on the JS reference engine: about 20 s alone, far more on a loaded 2-core machine

  it('above 2048 devices (the JS side applies the logging rule)', async () => {
    expect((await expectSame(loadScenario('city-block'), { seed: 2, devices: 2100, durationMs: 2000, classify: false })).receptions).toBeGreaterThan(1000);
  }, 180_000); // about 30 s alone (mostly the JS reference engine); 70 s and more on a loaded 2-core machine

  it("a city wider than a pair's reach (10 km a side): most windows walk only their neighbours' packets", async () => {
    // a typical pair reaches about 1.7 km there (docs/scaling.md "How cost grows"): walking the whole
    // channel would visit ten packets out of reach for each one in it
    const cb = loadScenario('city-block');
    const side = 10_000;
    const s: Scenario = { ...cb, area: { width: side, height: side }, places: { ...cb.places, streets: { ...cb.places.streets, area: { x: 0, y: 0, width: side, height: side } } } };
    const r = await expectSame(s, { seed: 4, devices: 5000, durationMs: 2000, classify: false });
    expect(r.receptions).toBeGreaterThan(1000);
    expect(r.windows.neighbourEvents).toBeGreaterThan(4 * r.windows.sortedPackets);
  }, 180_000);

  it('a run ending 0.1 s into a tick (too few packets for the all-neighbour gather: each transmitter on its first packet)', async () => {
    // About 15 packets per phone and second: the first tick gathers every neighbour at once, the last
    // (1.5 per phone, under gather()'s 2 per candidate) takes them as their packets come (neighbours.ts)
    expect((await expectSame(loadScenario('city-block'), { seed: 3, devices: 1500, durationMs: 1100, classify: false })).receptions).toBeGreaterThan(1000);
  }, 180_000);

  it('mixed iPhones and Androids (iOS rules), with logging: app and logging: all', async () => {
    const s = parseScenarioText(
      `
name: iphones
start: "2026-03-02T08:00:00Z"
duration: 3m
environment: office
area: {width: 10, height: 10}
places:
  entrance: {point: [5, 9]}
  seats: {points: [[2, 2], [3, 2], [4, 2], [5, 2], [2, 4], [3, 4]]}
beacons:
  - {name: pi, x: 1, y: 1, intervalMs: 100, scan: true}
groups:
  - {name: ios, count: 4, phones: {ios: 1}, arrive: {at: "+0s"}, plan: [{sit: seats}]}
  - {name: and, count: 2, phones: {android: 1}, arrive: {at: "+0s"}, plan: [{sit: seats}]}
`,
      'iphones.yaml',
    );
    expect((await expectSame(s, { seed: 9, scanWindows: true })).receptions).toBeGreaterThan(1000);
    expect((await expectSame({ ...s, logging: 'all' }, { seed: 9 })).receptions).toBeGreaterThan(1000);
  });
});
