// Benchmark: observations classified per second on one core (README "Proximity classifier").
//   npm run bench:classify [-- --n 10000000 --runs 5 --pairs 2000 --methods ours,gaen,bluezone --json]
// Synthetic data is made in memory first (typed arrays, not timed); one Observation object is reused so
// the timing is the classifier, not the allocator. Prints the median of the runs.

import { StreamingClassifier, type Method } from '../firmware/proximity/classifier.ts';
import type { Observation } from '../firmware/proximity/observation.ts';

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

function once(method: Method): number {
  const c = new StreamingClassifier({ method });
  const o: Observation = { timestampMs: 0, receiver: '', transmitter: '', rssi: 0, receiverModel: 'Pixel 3', transmitterModel: 'SM-G965F' };
  let windows = 0;
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
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  if (windows === 0) throw new Error('no windows');
  return s;
}

const results: Record<string, { median_s: number; runs_s: number[]; obs_per_s: number }> = {};
for (const m of methods) {
  const runs: number[] = [];
  for (let r = 0; r < RUNS; r++) runs.push(once(m));
  const sorted = [...runs].sort((a, b) => a - b);
  const med = sorted[Math.floor(sorted.length / 2)];
  results[m] = { median_s: +med.toFixed(3), runs_s: runs.map((x) => +x.toFixed(3)), obs_per_s: Math.round(N / med) };
  if (!json)
    process.stdout.write(`${m.padEnd(8)} ${N} observations, ${PAIRS} pairs: median ${med.toFixed(2)} s of ${RUNS} runs (${(N / med / 1e6).toFixed(2)} M obs/s)\n`);
}
if (json) process.stdout.write(JSON.stringify({ n: N, pairs: PAIRS, runs: RUNS, node: process.version, results }, null, 2) + '\n');
