// Cost per in-range pair against crowd size (issue 20): a city-block run with N devices (the runs of
// `bench radio --scenario city-block --devices N`, by bench/radioRun.ts) for each N, in two checkouts run
// in alternation (A, B, A, B, ...), so that a loaded or throttling machine slows both alike. Reports, per
// N, ns per in-range pair evaluation for each run from CPU time (the simulation's process CPU time over its
// pair evaluations: what a shared machine's load changes least), from wall time, and from the tick loop's
// wall time alone (no world building: what a short run at 10^4 is otherwise dominated by), the medians, the
// new / old ratios, and each checkout's ratio of the largest N's cost to that at 10^4 devices (issue 20's
// target: at most 1.15). One JSON object on stdout, progress on stderr.
// Usage: npx tsx bench/radioSweep.ts --old DIR [--new DIR] [--sizes N:HOURS[:SIDE_M],...] [--rounds R]
//   SIDE_M: the block's side (default 1000 m), for cost against area at a fixed crowd
//   DIR: a checkout of the repository with node_modules (e.g. `git worktree add --detach DIR COMMIT`)
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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
const here = dirname(fileURLToPath(import.meta.url));
// The pair count grows as N^2 (a fixed 1 km^2 block), so larger crowds run shorter, but every run covers
// whole 1 s ticks (60, 10, 2 and 1 s): each scanner gathers its neighbours once per tick, so a run that
// ends inside its first tick pays a whole tick's gather for a fraction of its packets. The sizes used
// until 2026-12-07 (0.18 s at 10^5 against 1.8 s at 10^4) measured that, not the crowd: 1.90x then,
// where whole ticks give 1.4-1.5x (docs/scaling.md).
const sizes = arg('sizes', '1000:0.0166667,10000:0.00277778,30000:0.000555556,100000:0.000277778').split(',').map((s) => {
  const [n, h, side] = s.split(':');
  return { devices: Number(n), hours: Number(h), side: side === undefined ? undefined : Number(side) };
});
const rounds = Number(arg('rounds', '2'));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const r3 = (v: number) => Math.round(v * 1000) / 1000;

function measure(dir: string, devices: number, hours: number, side?: number): { cpuNs: number; wallNs: number; loopNs: number; pairs: number } {
  const args = [join(here, 'radioRun.ts'), resolve(dir), String(devices), String(hours), ...(side === undefined ? [] : [String(side)])];
  const out = execFileSync(process.execPath, ['--import', 'tsx', ...args], {
    cwd: join(here, '..'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'],
  });
  const r = JSON.parse(out) as { pairs: number; wall_ms: number; cpu_ms: number; engine_pairs_per_s: number };
  // loopNs: the tick loop's wall time per pair (runSimulation's pairsPerSecond), without world building
  return { cpuNs: (r.cpu_ms * 1e6) / r.pairs, wallNs: (r.wall_ms * 1e6) / r.pairs, loopNs: 1e9 / r.engine_pairs_per_s, pairs: r.pairs };
}

interface Row {
  devices: number; hours: number; side_m: number; pair_evaluations: number; same_pairs: boolean;
  old_cpu_ns: number[]; new_cpu_ns: number[]; old_wall_ns: number[]; new_wall_ns: number[];
  old_median: number; new_median: number; new_over_old: number; old_wall_median: number; new_wall_median: number;
  old_loop_ns: number[]; new_loop_ns: number[]; old_loop_median: number; new_loop_median: number;
}
const rows: Row[] = [];
for (const { devices, hours, side } of sizes) {
  const cpu = { old: [] as number[], new: [] as number[] };
  const wall = { old: [] as number[], new: [] as number[] };
  const loop = { old: [] as number[], new: [] as number[] };
  const pairs = { old: 0, new: 0 };
  for (let r = 0; r < rounds; r++) {
    for (const which of ['old', 'new'] as const) {
      const m = measure(which === 'old' ? oldDir : newDir, devices, hours, side);
      cpu[which].push(Math.round(m.cpuNs * 10) / 10);
      wall[which].push(Math.round(m.wallNs * 10) / 10);
      loop[which].push(Math.round(m.loopNs * 10) / 10);
      pairs[which] = m.pairs;
      process.stderr.write(`${devices} devices${side === undefined ? '' : ` on ${side} m`}, ${which}: ${m.cpuNs.toFixed(1)} ns CPU, ${m.wallNs.toFixed(1)} ns wall, ${m.loopNs.toFixed(1)} ns loop per pair (${m.pairs} pairs)\n`);
    }
  }
  const mo = median(cpu.old);
  const mn = median(cpu.new);
  rows.push({
    devices, hours, side_m: side ?? 1000, pair_evaluations: pairs.new, same_pairs: pairs.old === pairs.new,
    old_cpu_ns: cpu.old, new_cpu_ns: cpu.new, old_wall_ns: wall.old, new_wall_ns: wall.new,
    old_median: mo, new_median: mn, new_over_old: r3(mn / mo), old_wall_median: median(wall.old), new_wall_median: median(wall.new),
    old_loop_ns: loop.old, new_loop_ns: loop.new, old_loop_median: median(loop.old), new_loop_median: median(loop.new),
  });
}
const block = rows.filter((r) => r.side_m === 1000);
const last = block[block.length - 1];
const base = block.find((r) => r.devices === 10_000);
const growth = (k: 'old_median' | 'new_median' | 'old_loop_median' | 'new_loop_median') => (base && last && last !== base ? r3(last[k] / base[k]) : null);
process.stdout.write(JSON.stringify({
  bench: 'radio-sweep', scenario: 'city-block', rounds, sizes: rows,
  old_largest_over_10k: growth('old_median'), new_largest_over_10k: growth('new_median'),
  old_loop_largest_over_10k: growth('old_loop_median'), new_loop_largest_over_10k: growth('new_loop_median'),
  node: process.version, cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length,
}, null, 2) + '\n');
