// The running interference sums (sim/kernel/assembly/resolve.ts) decide a candidate's collision test only
// when the prefix-sum estimate is clearly on one side of the capture threshold, and leave the others to the
// exact walk: every mode must therefore give byte-identical outputs, and the same as the JS reference.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSimulation, type RunOptions } from '../../../sim/run.ts';
import { loadScenario } from '../../../sim/scenario/load.ts';
import type { Scenario } from '../../../sim/scenario/schema.ts';
import { tempDirs } from '../../helpers/cli.ts';

const tmp = tempDirs('interf-sums-');

async function run(scenario: Scenario, opts: RunOptions) {
  const dir = tmp();
  const r = await runSimulation(scenario, { report: false, outDir: dir, ...opts });
  const files = new Map<string, Buffer>();
  for (const f of readdirSync(dir, { recursive: true }) as string[]) if (f !== 'timing.json' && statSync(join(dir, f)).isFile()) files.set(f, readFileSync(join(dir, f)));
  const { wallMs, realTimeFactor, pairsPerSecond, engine, engineWindows, engineInterfSums, ...stats } = r.stats;
  return { files, stats, sums: engineInterfSums };
}

function expectSameFiles(a: Map<string, Buffer>, b: Map<string, Buffer>, what: string): void {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  for (const [name, bytes] of a) expect(b.get(name)!.equals(bytes), `${name} differs: ${what}`).toBe(true);
}

describe('running interference sums', () => {
  it('a crowded city block: auto, always and never decide every collision alike', async () => {
    const opts: RunOptions = { seed: 3, devices: 3000, durationMs: 2000, classify: false, scanWindows: true, kernel: 'wasm', engine: 'wasm' };
    const s = loadScenario('city-block');
    const never = await run(s, { ...opts, engineInterfSums: 'never' });
    const auto = await run(s, { ...opts, engineInterfSums: 'auto' });
    const always = await run(s, { ...opts, engineInterfSums: 'always' });
    expect(never.sums!.fast).toBe(0);
    // the most crowded windows use the sums; when they are used, nearly every decision is theirs
    expect(auto.sums!.fast).toBeGreaterThan(1000);
    expect(always.sums!.fast).toBeGreaterThan(10_000);
    expect(always.sums!.walk).toBeLessThan(always.sums!.fast / 100);
    expect((never.stats as { lostCollision: number }).lostCollision).toBeGreaterThan(1000);
    expect(auto.stats).toEqual(never.stats);
    expect(always.stats).toEqual(never.stats);
    expectSameFiles(never.files, auto.files, 'auto vs never');
    expectSameFiles(never.files, always.files, 'always vs never');
  }, 120_000);

  it('short lists (the queue, always on) give the JS reference engine\'s files', async () => {
    const opts: RunOptions = { seed: 13, durationMs: 3 * 60_000, scanWindows: true, kernel: 'wasm' };
    const s = loadScenario('queue');
    const js = await run(s, { ...opts, engine: 'js' });
    const always = await run(s, { ...opts, engine: 'wasm', engineInterfSums: 'always' });
    expect(always.sums!.fast).toBeGreaterThan(100);
    expect(always.stats).toEqual(js.stats);
    expectSameFiles(js.files, always.files, 'always vs the JS engine');
  }, 120_000);
});
