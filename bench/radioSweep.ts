// Cost per in-range pair against crowd size (issue 20): `bench radio --scenario city-block --devices N`
// for each N, in two checkouts run in alternation (A, B, A, B, ...), so that a loaded or throttling
// machine slows both alike. Reports, per N, ns per in-range pair evaluation (1e9 / pairs_per_s: the whole
// simulation's wall time over its pair evaluations) for each run, the medians and new / old ratios, and
// each checkout's ratio of the largest N's cost to that at 10^4 devices (issue 20's target: at most 1.15). One JSON object on stdout.
// Usage: npx tsx bench/radioSweep.ts --old DIR [--new DIR] [--sizes N:HOURS,...] [--rounds R]
//   DIR: a checkout of the repository with node_modules (e.g. `git worktree add --detach DIR COMMIT`)
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { join, resolve } from 'node:path';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}
const oldDir = arg('old', '');
if (!oldDir) {
  process.stderr.write('bench/radioSweep.ts: --old DIR (a checkout to compare against) is required\n');
  process.exit(2);
}
const newDir = resolve(arg('new', '.'));
// short simulated durations: the pair count grows as N^2 (a fixed 1 km^2 block), so larger crowds run shorter
const sizes = arg('sizes', '1000:0.005,10000:0.0005,30000:0.0002,100000:0.00005').split(',').map((s) => {
  const [n, h] = s.split(':');
  return { devices: Number(n), hours: Number(h) };
});
const rounds = Number(arg('rounds', '2'));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function nsPerPair(dir: string, devices: number, hours: number): { ns: number; pairs: number } {
  const out = execFileSync(process.execPath, [join(dir, 'bin/bluezone.js'), 'bench', 'radio', '--scenario', 'city-block',
    '--devices', String(devices), '--hours', String(hours), '--runs', '1', '--json'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 24 });
  const r = JSON.parse(out) as { pairs_per_s: number; pair_evaluations: number };
  return { ns: 1e9 / r.pairs_per_s, pairs: r.pair_evaluations };
}

interface Row {
  devices: number; hours: number; pair_evaluations: number; same_pairs: boolean; old_ns_per_pair: number[];
  new_ns_per_pair: number[]; old_median: number; new_median: number; new_over_old: number;
}
const rows: Row[] = [];
for (const { devices, hours } of sizes) {
  const runs = { old: [] as number[], new: [] as number[] };
  let pairs = { old: 0, new: 0 };
  for (let r = 0; r < rounds; r++) {
    for (const which of ['old', 'new'] as const) {
      const m = nsPerPair(which === 'old' ? oldDir : newDir, devices, hours);
      runs[which].push(Math.round(m.ns * 10) / 10);
      pairs[which] = m.pairs;
      process.stderr.write(`${devices} devices, ${which}: ${m.ns.toFixed(1)} ns per pair\n`);
    }
  }
  const mo = median(runs.old);
  const mn = median(runs.new);
  rows.push({
    devices, hours, pair_evaluations: pairs.new, same_pairs: pairs.old === pairs.new,
    old_ns_per_pair: runs.old, new_ns_per_pair: runs.new, old_median: mo, new_median: mn,
    new_over_old: Math.round((mn / mo) * 1000) / 1000,
  });
}
const last = rows[rows.length - 1];
const base = rows.find((r) => r.devices === 10_000);
const growth = (k: 'old_median' | 'new_median') => (base && last !== base ? Math.round((last[k] / base[k]) * 1000) / 1000 : null);
process.stdout.write(JSON.stringify({
  bench: 'radio-sweep', scenario: 'city-block', rounds, sizes: rows,
  old_largest_over_10k: growth('old_median'), new_largest_over_10k: growth('new_median'),
  node: process.version, cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length,
}, null, 2) + '\n');
