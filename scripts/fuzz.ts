// `npm run fuzz`: the long fuzz and abuse run of issue 18 (figures in docs/hardening.md).
//   npm run fuzz -- [--runs N] [--seed S] [--only a,b] [--no-air] [--json] [--crashes DIR]
// Per parser: N random and N mutated inputs (default 10^6 each): inputs tried, crashes, slowest input.
// Then the air server abuse cases (scripts/fuzz/airAbuse.ts): peak RSS of the server and the worst
// answer latency a well-behaved client saw. Exit 1 if anything crashed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AirServerProcess, churn, garbage, nonReader, type AbuseResult } from './fuzz/airAbuse.ts';
import { TARGETS, mutate, randomInput, rng } from './fuzz/targets.ts';

const { values: o } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '18' },
    only: { type: 'string' },
    'no-air': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    crashes: { type: 'string' },
  },
});
const runs = Number(o.runs);
const seed = Number(o.seed);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed)) {
  process.stderr.write('usage: npm run fuzz -- [--runs N] [--seed S] [--only a,b] [--no-air] [--json] [--crashes DIR]\n');
  process.exit(2);
}
const only = o.only?.split(',');
const unknown = only?.filter((n) => !TARGETS.some((t) => t.name === n)) ?? [];
if (unknown.length) {
  process.stderr.write(`--only: unknown target(s) ${unknown.join(', ')}; known: ${TARGETS.map((t) => t.name).join(', ')}\n`);
  process.exit(2);
}
const say = (s: string) => process.stderr.write(s + '\n');

interface TargetResult {
  target: string;
  random_inputs: number;
  mutated_inputs: number;
  crashes: number;
  first_crashes: { kind: string; hex: string; error: string }[];
  slowest_ms: number;
  slowest_bytes: number;
  slowest_kind: string;
  seconds: number;
}

const results: TargetResult[] = [];
for (const t of TARGETS.filter((x) => !only || only.includes(x.name))) {
  const r = rng(seed ^ [...t.name].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619), 2166136261));
  const res: TargetResult = { target: t.name, random_inputs: 0, mutated_inputs: 0, crashes: 0, first_crashes: [], slowest_ms: 0, slowest_bytes: 0, slowest_kind: '', seconds: 0 };
  const t0 = performance.now();
  const n = Math.max(1, Math.round(runs * (t.share ?? 1)));
  for (const kind of ['random', 'mutated'] as const) {
    for (let i = 0; i < n; i++) {
      const input = kind === 'random' ? randomInput(t, r) : mutate(t, r);
      const a = performance.now();
      try {
        t.run(input);
      } catch (e) {
        res.crashes++;
        if (res.first_crashes.length < 3) {
          res.first_crashes.push({ kind, hex: Buffer.from(input.subarray(0, 256)).toString('hex'), error: String((e as Error)?.message ?? e).slice(0, 300) });
          if (o.crashes) {
            mkdirSync(o.crashes, { recursive: true });
            writeFileSync(join(o.crashes, `${t.name}-${kind}-${i}.bin`), input);
          }
        }
      }
      const ms = performance.now() - a;
      if (ms > res.slowest_ms) {
        res.slowest_ms = ms;
        res.slowest_bytes = input.length;
        res.slowest_kind = kind;
      }
      if (kind === 'random') res.random_inputs++;
      else res.mutated_inputs++;
    }
  }
  res.seconds = (performance.now() - t0) / 1000;
  res.slowest_ms = +res.slowest_ms.toFixed(2);
  res.seconds = +res.seconds.toFixed(1);
  results.push(res);
  say(`${t.name.padEnd(22)} ${res.random_inputs} random + ${res.mutated_inputs} mutated, ${res.crashes} crash(es), slowest ${res.slowest_ms} ms (${res.slowest_bytes} bytes, ${res.slowest_kind}), ${res.seconds} s`);
  for (const c of res.first_crashes) say(`  crash (${c.kind}): ${c.error}\n    input ${c.hex}`);
}

const air: AbuseResult[] = [];
if (!o['no-air']) {
  const srv = await AirServerProcess.start();
  try {
    for (const run of [() => garbage(srv), () => nonReader(srv), () => churn(srv)]) {
      const a = await run();
      air.push(a);
      say(`air ${a.name.padEnd(11)} ${a.description}: worst latency ${a.worst_latency_ms} ms (p99 ${a.p99_latency_ms}, ${a.answers} answers), server RSS ${a.rss_before_mb} -> peak ${a.peak_rss_mb} -> ${a.rss_after_mb} MB, log ${a.log_lines} lines (${a.log_mb} MB)${a.notes.length ? `; ${a.notes.join('; ')}` : ''}`);
    }
  } finally {
    await srv.stop();
  }
}

const crashes = results.reduce((n, r) => n + r.crashes, 0);
if (o.json) process.stdout.write(JSON.stringify({ seed, runs, targets: results, air }, null, 2) + '\n');
else {
  process.stdout.write('target                 inputs      crashes  slowest_ms  slowest_bytes\n');
  for (const r of results) process.stdout.write(`${r.target.padEnd(22)} ${String(r.random_inputs + r.mutated_inputs).padStart(9)}  ${String(r.crashes).padStart(7)}  ${String(r.slowest_ms).padStart(10)}  ${String(r.slowest_bytes).padStart(13)}\n`);
  if (air.length) {
    process.stdout.write('air case     peak_rss_mb  rss_after_mb  worst_latency_ms  p99_latency_ms  log_lines\n');
    for (const a of air) process.stdout.write(`${a.name.padEnd(12)} ${String(a.peak_rss_mb).padStart(11)}  ${String(a.rss_after_mb).padStart(12)}  ${String(a.worst_latency_ms).padStart(16)}  ${String(a.p99_latency_ms).padStart(14)}  ${String(a.log_lines).padStart(9)}\n`);
  }
}
process.exitCode = crashes > 0 ? 1 : 0;
