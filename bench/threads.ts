// Benchmark: `sim run --threads N` against --threads 1 (docs/scaling.md), whole runs with the default
// outputs (files, classifier, report) into a temporary folder, in alternation (1, N, 1, N, ...) so load
// drifts hit both alike; prints the medians and their ratio.
//   npm run bench:threads [-- --scenario lobby --hours 1 --devices 500 --threads 2 --runs 3 --no-outputs --json]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { loadScenario } from '../sim/scenario/load.ts';
import { runSimulation } from '../sim/run.ts';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}
const scenarioName = arg('scenario', 'lobby');
const hours = Number(arg('hours', '1'));
const devices = process.argv.includes('--devices') ? Number(arg('devices', '0')) : undefined;
const threads = Number(arg('threads', String(os.availableParallelism())));
const runs = Number(arg('runs', '3'));
const outputs = !process.argv.includes('--no-outputs');
const json = process.argv.includes('--json');

const scenario = loadScenario(scenarioName);
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const times: Record<number, number[]> = { 1: [], [threads]: [] };
// the world loop alone (RunStats.wallMs: ticks, receptions and the per-observation sinks; for N > 1 it
// includes waiting for the workers' start), without world building and the final tables and report
const loops: Record<number, number[]> = { 1: [], [threads]: [] };
let pairs = 0;
for (let r = 0; r < runs; r++) {
  for (const n of [1, threads]) {
    const dir = mkdtempSync(join(os.tmpdir(), 'bz-bench-threads-'));
    const t0 = performance.now();
    const res = await runSimulation(scenario, { devices, durationMs: hours * 3_600_000, threads: n, outDir: outputs ? dir : undefined, seed: 1 });
    const s = (performance.now() - t0) / 1000;
    rmSync(dir, { recursive: true, force: true });
    times[n].push(s);
    loops[n].push(res.stats.wallMs / 1000);
    pairs = res.stats.pairEvaluations;
    process.stderr.write(`run ${r + 1}/${runs} --threads ${n}: ${s.toFixed(2)} s (loop ${(res.stats.wallMs / 1000).toFixed(2)} s)\n`);
  }
}
const m1 = med(times[1]);
const mn = med(times[threads]);
const result = {
  bench: 'threads', scenario: scenarioName, hours, devices: devices ?? null, outputs, threads, runs, pair_evaluations: pairs,
  wall_s_threads_1: times[1].map((x) => Math.round(x * 100) / 100), wall_s_threads_n: times[threads].map((x) => Math.round(x * 100) / 100),
  median_s_threads_1: Math.round(m1 * 100) / 100, median_s_threads_n: Math.round(mn * 100) / 100, speedup: Math.round((m1 / mn) * 100) / 100,
  loop_s_threads_1: loops[1], loop_s_threads_n: loops[threads], loop_speedup: Math.round((med(loops[1]) / med(loops[threads])) * 100) / 100,
  node: process.version, cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(),
};
if (json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
else process.stdout.write(`${scenarioName} ${hours} h${devices ? `, ${devices} devices` : ''}${outputs ? '' : ', no outputs'}: --threads 1 median ${m1.toFixed(2)} s, --threads ${threads} median ${mn.toFixed(2)} s: ${(m1 / mn).toFixed(2)}x\n`);
