// Benchmark: what the default outputs cost (issue 20 target: lobby 500 devices 8 h with outputs at most
// 1.5x the no-output time). Whole `bluezone` processes, in alternation so load drifts hit every variant:
//   none:     `bench radio` (the same world and engine, no outputs, one run)
//   outputs:  `sim run` with the default outputs (files, classifier with both baselines, report)
//   old-none, old: the same two from another checkout (--old DIR), e.g. a git worktree of an older
//             commit, so each version's ratio is against its own no-output time
// Prints each run's wall time, peak RSS and load average, then the medians and the ratios.
//   npm run bench:output-overhead [-- --scenario lobby --devices 500 --hours 8 --runs 3 --old DIR --json]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}
const scenario = arg('scenario', 'lobby');
const devices = arg('devices', '500');
const hours = arg('hours', '8');
const runs = Number(arg('runs', '3'));
const old = process.argv.includes('--old') ? resolve(arg('old', '')) : null;
const json = process.argv.includes('--json');
const repo = resolve(import.meta.dirname, '..');
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs one process under /usr/bin/time when present (peak RSS), returns wall seconds and peak MB. */
const haveTime = spawnSync('sh', ['-c', 'command -v /usr/bin/time']).status === 0;
function timed(args: string[]): { s: number; peakMb: number | null } {
  const t0 = performance.now();
  const cmd = haveTime ? '/usr/bin/time' : process.execPath;
  const argv = haveTime ? ['-f', 'peak_kb=%M', process.execPath, ...args] : args;
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const m = /peak_kb=(\d+)/.exec(r.stderr);
  return { s, peakMb: m ? Math.round(Number(m[1]) / 1024) : null };
}

const none = (dir: string) => () => timed([join(dir, 'bin/bluezone.js'), 'bench', 'radio', '--scenario', scenario, '--devices', devices, '--hours', hours, '--runs', '1', '--json']);
const variants: { name: string; run: () => { s: number; peakMb: number | null } }[] = [
  { name: 'none', run: none(repo) },
  ...(old ? [{ name: 'old-none', run: none(old) }] : []),
  ...[['outputs', repo], ...(old ? [['old', old]] : [])].map(([name, dir]) => ({
    name,
    run: () => {
      const out = mkdtempSync(join(os.tmpdir(), 'bz-bench-out-'));
      try {
        return timed([join(dir, 'bin/bluezone.js'), 'sim', 'run', scenario, '--devices', devices, '--duration', `${hours}h`, '--out', out, '--quiet']);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    },
  })),
];

const times: Record<string, number[]> = {};
const peaks: Record<string, (number | null)[]> = {};
for (let r = 0; r < runs; r++) {
  for (const v of variants) {
    const load = os.loadavg()[0].toFixed(1);
    const { s, peakMb } = v.run();
    (times[v.name] ??= []).push(Math.round(s * 100) / 100);
    (peaks[v.name] ??= []).push(peakMb);
    process.stderr.write(`run ${r + 1}/${runs} ${v.name}: ${s.toFixed(2)} s, peak ${peakMb ?? '?'} MB (load ${load})\n`);
  }
}
const medians = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, med(v)]));
const result = {
  bench: 'output-overhead', scenario, devices: Number(devices), hours: Number(hours), runs, wall_s: times, peak_mb: peaks, median_s: medians,
  overhead_ratio: Math.round((medians.outputs / medians.none) * 100) / 100,
  old_overhead_ratio: old ? Math.round((medians.old / medians['old-none']) * 100) / 100 : null,
  new_over_old: old ? Math.round((medians.outputs / medians.old) * 100) / 100 : null,
  commit: execFileSync('git', ['-C', repo, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(),
  node: process.version, cores: os.availableParallelism(),
};
if (json) console.log(JSON.stringify(result));
else {
  console.log(`${scenario} ${devices} devices ${hours} h, median of ${runs}: no outputs ${medians.none} s, outputs ${medians.outputs} s (${result.overhead_ratio}x)` +
    (old ? `; old: no outputs ${medians['old-none']} s, outputs ${medians.old} s (${result.old_overhead_ratio}x); outputs new/old ${result.new_over_old}` : ''));
}
