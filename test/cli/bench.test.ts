import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.ts';


describe('bluezone bench radio', () => {
  it('--json prints one object with pairs_per_s and kernel (interfaces.md)', async () => {
    for (const kernel of ['wasm', 'ts']) {
      const r = await cli('bench', 'radio', '--json', '--kernel', kernel, '--seconds', '0.05', '--runs', '3');
      expect(r.code).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j.kernel).toBe(kernel === 'wasm' ? 'wasm-simd' : 'ts');
      expect(j.pairs_per_s).toBeGreaterThan(0);
      expect(j.runs_pairs_per_s).toHaveLength(3);
      // the median of the runs
      expect(j.pairs_per_s).toBe([...j.runs_pairs_per_s].sort((a: number, b: number) => a - b)[1]);
    }
  });

  it('--scenario runs the world loop and reports its speed', async () => {
    const r = await cli('bench', 'radio', '--json', '--scenario', 'queue', '--hours', '0.003', '--runs', '1');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ bench: 'radio-scenario', scenario: 'queue', kernel: 'wasm-simd' });
    expect(j.pair_evaluations).toBeGreaterThan(0);
    expect(j.real_time_factor).toBeGreaterThan(0);
  });

  it('--threads splits the scenario\'s receivers: the same pair evaluations and receptions', async () => {
    const run = async (threads: string) => {
      const r = await cli('bench', 'radio', '--json', '--scenario', 'queue', '--hours', '0.003', '--runs', '1', '--threads', threads);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    };
    const [a, b] = [await run('1'), await run('2')];
    expect(b.threads).toBe(2);
    expect(a.threads).toBe(1);
    expect(b.pair_evaluations).toBe(a.pair_evaluations);
    expect(b.receptions).toBe(a.receptions);
  });

  it('rejects bad options with exit code 2', async () => {
    const noScenario = await cli('bench', 'radio', '--threads', '2');
    expect(noScenario.code).toBe(2);
    expect(noScenario.stderr).toMatch(/--threads needs --scenario/);
    expect((await cli('bench', 'radio', '--scenario', 'queue', '--threads', '1.5')).code).toBe(2);
    expect((await cli('bench', 'radio', '--kernel', 'gpu')).code).toBe(2);
    expect((await cli('bench', 'radio', '--seconds', '-1')).code).toBe(2);
    const r = await cli('bench', 'radio', '--scenario', 'no-such-place', '--hours', '0.01');
    expect(r.code).toBe(2);
  });
});
