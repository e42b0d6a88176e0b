// Benchmark: observations classified per second on one core (docs/classifier.md).
//   npm run bench:classify [-- --n 10000000 --runs 5 --pairs 2000 --methods ours,gaen,bluezone --json]
// Synthetic data is made in memory first (typed arrays, not timed); one Observation object is reused so
// the timing is the classifier, not the allocator. Prints the median of the runs.

import os from 'node:os';
import { StreamingClassifier, type Method } from '../firmware/proximity/classifier.ts';
import type { Observation } from '../records/rows.ts';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}
const N = Number(arg('n', '10000000'));
const RUNS = Number(arg('runs', '5'));
const PAIRS = Number(arg('pairs', '2000'));
const methods = arg('methods', 'ours,gaen,bluezone').split(',') as Method[];
const json = process.argv.includes('--json');

// 200 devices; pairs drawn among them; ~10 ms between observations -> ~28 h, ~110 windows.
let seed = 12345;
const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
const devices = Array.from({ length: 200 }, (_, i) => `phone-${i}`);
const pairRx: string[] = [];
const pairTx: string[] = [];
for (let p = 0; p < PAIRS; p++) {
  pairRx.push(devices[Math.floor(rand() * 200)]);
  pairTx.push(devices[Math.floor(rand() * 200)]);
}
const pairBase = Float64Array.from({ length: PAIRS }, () => -50 - rand() * 40);
const pairOf = new Uint16Array(N);
const rssi = new Int8Array(N);
for (let i = 0; i < N; i++) {
  const p = Math.floor(rand() * PAIRS);
  pairOf[i] = p;
  rssi[i] = Math.max(-127, Math.round(pairBase[p] + (rand() - 0.5) * 20));
}
const t0 = Date.UTC(2026, 0, 5);

/** Wall seconds and this process's CPU seconds (user + system) for one run. */
function once(method: Method): { wall: number; cpu: number } {
  const c = new StreamingClassifier({ method });
  const o: Observation = { timestampMs: 0, receiver: '', transmitter: '', rssi: 0, receiverModel: 'Pixel 3', transmitterModel: 'SM-G965F' };
  let windows = 0;
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const p = pairOf[i];
    o.timestampMs = t0 + i * 10;
    o.receiver = pairRx[p];
    o.transmitter = pairTx[p];
    o.rssi = rssi[i];
    windows += c.push(o).length;
  }
  windows += c.flush().length;
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu1 = process.cpuUsage(cpu0);
  if (windows === 0) throw new Error('no windows');
  return { wall, cpu: (cpu1.user + cpu1.system) / 1e6 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// CPU time is reported beside wall time: on a shared machine the wall clock also counts time spent
// waiting for a core, CPU time does not (it is what one free core would take, give or take caches).
const results: Record<string, { median_wall_s: number; median_cpu_s: number; runs_wall_s: number[]; runs_cpu_s: number[]; obs_per_cpu_s: number }> = {};
for (const m of methods) {
  const runs = Array.from({ length: RUNS }, () => once(m));
  const wall = median(runs.map((r) => r.wall));
  const cpu = median(runs.map((r) => r.cpu));
  results[m] = {
    median_wall_s: +wall.toFixed(3),
    median_cpu_s: +cpu.toFixed(3),
    runs_wall_s: runs.map((r) => +r.wall.toFixed(3)),
    runs_cpu_s: runs.map((r) => +r.cpu.toFixed(3)),
    obs_per_cpu_s: Math.round(N / cpu),
  };
  if (!json)
    process.stdout.write(
      `${m.padEnd(8)} ${N} observations, ${PAIRS} pairs: median of ${RUNS} runs ${wall.toFixed(2)} s wall, ${cpu.toFixed(2)} s CPU (${(N / cpu / 1e6).toFixed(2)} M obs per CPU-second)\n`,
    );
}
if (json) process.stdout.write(JSON.stringify({ n: N, pairs: PAIRS, runs: RUNS, node: process.version, loadavg: os.loadavg(), cpus: os.cpus().length, results }, null, 2) + '\n');
else process.stdout.write(`load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} CPUs\n`);
