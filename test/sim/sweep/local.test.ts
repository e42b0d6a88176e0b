// `sim sweep` on the embedded pool: the same file gives the same bytes with any --jobs, a job's row is
// the one `sim run` reports for the same scenario and seed, and bad input exits 2 naming the place.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDirs } from '../../helpers/cli.ts';

const tempDir = tempDirs('bz-sweep-local-');

const SWEEP = `name: local-test
scenarios: [queue]
seeds: [1, 2]
params:
  duration: [2m]
  environment: [lobby, outdoor]
`;

describe('sim sweep (local pool)', () => {
  it('writes the same table with --jobs 1 and --jobs 2, matching sim run', async () => {
    const dir = tempDir();
    const file = join(dir, 'sweep.yaml');
    writeFileSync(file, SWEEP);
    const a = await cli('sim', 'sweep', file, '--out', join(dir, 'a'), '--jobs', '1');
    expect(a.code, a.stderr).toBe(0);
    const b = await cli('sim', 'sweep', file, '--out', join(dir, 'b'), '--jobs', '2', '--json');
    expect(b.code, b.stderr).toBe(0);
    for (const f of ['summary.csv', 'summary.json', 'report.html']) {
      expect(readFileSync(join(dir, 'a', f)).equals(readFileSync(join(dir, 'b', f))), f).toBe(true);
    }
    const out = JSON.parse(b.stdout);
    expect(out.rows.map((r: { job: number; seed: number; environment: string }) => [r.job, r.seed, r.environment])).toEqual([
      [0, 1, 'lobby'], [1, 1, 'outdoor'], [2, 2, 'lobby'], [3, 2, 'outdoor'],
    ]);
    // job 2 is queue, seed 2, 2 minutes in the lobby environment: what sim run reports
    const run = await cli('sim', 'run', 'queue', '--seed', '2', '--duration', '2m', '--out', join(dir, 'run'), '--threads', '1', '--json');
    expect(run.code, run.stderr).toBe(0);
    const st = JSON.parse(run.stdout).stats;
    expect(out.rows[2]).toMatchObject({ receptions: st.receptions, observations: st.observations, pair_evaluations: st.pair_evaluations });
    expect(out.rows[3].receptions).not.toBe(out.rows[2].receptions);
    expect(readFileSync(join(dir, 'a', 'report.html'), 'utf8')).toContain('Sweep local-test');
  }, 180_000);

  it('exits 2 on a bad sweep file, naming the line and field, and writes nothing', async () => {
    const dir = tempDir();
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'scenarios: [queue]\nparams:\n  devices: [10, -1]\n');
    const r = await cli('sim', 'sweep', file, '--out', join(dir, 'out'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml:3: params\.devices\.1: expected an integer/);
    const q = await cli('sim', 'sweep', file.replace('bad', 'missing'), '--out', join(dir, 'out'));
    expect(q.code).toBe(2);
    expect(q.stderr).toMatch(/cannot read sweep file .*missing\.yaml: ENOENT/);
    writeFileSync(join(dir, 'good.yaml'), 'scenarios: [queue]\n');
    const u = await cli('sim', 'sweep', join(dir, 'good.yaml'), '--queue', 'http://x', '--out', join(dir, 'out'));
    expect(u.code).toBe(2);
    expect(existsSync(join(dir, 'out', 'summary.csv'))).toBe(false);
    expect(u.stderr).toMatch(/--queue: expected a redis:\/\/ or rediss:\/\/ URL, got "http:\/\/x"/);
  });
});
