// One city-block run for bench/radioSweep.ts, with the engine of the checkout DIR (so that two versions
// are measured by the same driver): pair evaluations, wall time and this process's CPU time around
// runSimulation (the same options as `bench radio --scenario`: no outputs, no classifier). JSON on stdout.
// Usage: node --import tsx bench/radioRun.ts DIR DEVICES HOURS [SIDE_M]
//   SIDE_M: the block's side (default 1000 m): the same scenario over a larger square
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const [dirArg, devArg, hoursArg, sideArg] = process.argv.slice(2);
if (!dirArg || !(Number(devArg) > 0) || !(Number(hoursArg) > 0) || (sideArg !== undefined && !(Number(sideArg) > 0))) {
  process.stderr.write('usage: node --import tsx bench/radioRun.ts DIR DEVICES HOURS [SIDE_M]\n');
  process.exit(2);
}
const dir = resolve(dirArg);
const { runSimulation } = await import(pathToFileURL(join(dir, 'sim/run.ts')).href);
const { loadScenario } = await import(pathToFileURL(join(dir, 'sim/scenario/load.ts')).href);
const scenario = loadScenario('city-block');
if (sideArg !== undefined) {
  // the block and the streets the pedestrians wander (builtins.ts cityBlock) scaled to SIDE_M a side
  const side = Number(sideArg);
  scenario.area = { width: side, height: side };
  scenario.places.streets.area = { ...scenario.places.streets.area, width: side, height: side };
}
const c0 = process.cpuUsage();
const t0 = performance.now();
const r = await runSimulation(scenario, { devices: Number(devArg), durationMs: Number(hoursArg) * 3_600_000, kernel: 'wasm', classify: false });
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(c0);
process.stdout.write(JSON.stringify({
  pairs: r.stats.pairEvaluations, receptions: r.stats.receptions, wall_ms: Math.round(wallMs),
  cpu_ms: Math.round((cpu.user + cpu.system) / 1000), engine_pairs_per_s: r.stats.pairsPerSecond,
}) + '\n');
