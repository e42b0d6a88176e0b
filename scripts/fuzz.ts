// `npm run fuzz`: the long fuzz and abuse run of issue 18 (figures in docs/hardening.md).
//   npm run fuzz -- [--runs N] [--seed S] [--only a,b] [--no-air] [--no-link] [--no-parsers] [--json] [--crashes DIR]
// Per parser: N random and N mutated inputs (default 10^6 each): inputs tried, crashes, slowest input
// (the best of 5 re-timings of the 8 inputs that were slowest the first time).
// Then the air server abuse cases (scripts/fuzz/airAbuse.ts): peak RSS of the server and the worst
// answer latency a well-behaved client saw. Then the beacon's recovery from a dropped controller link
// (scripts/fuzz/linkRecovery.ts). Exit 1 if anything crashed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AirServerProcess, churn, garbage, nonReader, type AbuseResult } from './fuzz/airAbuse.ts';
import { linkRecovery, type LinkRecoveryResult } from './fuzz/linkRecovery.ts';
import { TARGETS, mutate, randomInput, rng } from './fuzz/targets.ts';

const USAGE = 'usage: npm run fuzz -- [--runs N] [--seed S] [--only a,b] [--no-air] [--no-link] [--no-parsers] [--json] [--crashes DIR]\n';
let parsed;
try {
  parsed = parseArgs({
    options: {
      runs: { type: 'string', default: '1000000' },
      seed: { type: 'string', default: '18' },
      only: { type: 'string' },
      'no-air': { type: 'boolean', default: false },
      'no-link': { type: 'boolean', default: false },
      'no-parsers': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      crashes: { type: 'string' },
    },
  });
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n${USAGE}`);
  process.exit(2);
}
const o = parsed.values;
const runs = Number(o.runs);
const seed = Number(o.seed);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed)) {
  process.stderr.write(`--runs and --seed take integers (runs >= 1)\n${USAGE}`);
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
for (const t of TARGETS.filter((x) => !o['no-parsers'] && (!only || only.includes(x.name)))) {
  const r = rng(seed ^ [...t.name].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619), 2166136261));
  const res: TargetResult = { target: t.name, random_inputs: 0, mutated_inputs: 0, crashes: 0, first_crashes: [], slowest_ms: 0, slowest_bytes: 0, slowest_kind: '', seconds: 0 };
  const t0 = performance.now();
  const n = Math.max(1, Math.round(runs * (t.share ?? 1)));
  // The 8 slowest inputs by first timing; timed again below, because on a shared machine a single
  // timing is mostly the scheduler's (or the garbage collector's) doing.
  const slow: { ms: number; input: Uint8Array; kind: string }[] = Array.from({ length: 8 }, () => ({ ms: -1, input: new Uint8Array(0), kind: '' }));
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
      if (ms > slow[slow.length - 1].ms) {
        slow[slow.length - 1] = { ms, input, kind };
        slow.sort((x, y) => y.ms - x.ms);
      }
      if (kind === 'random') res.random_inputs++;
      else res.mutated_inputs++;
    }
  }
  for (const c of slow.filter((x) => x.ms >= 0)) {
    let best = Infinity;
    for (let k = 0; k < 5; k++) {
      const a = performance.now();
      try {
        t.run(c.input);
      } catch {
        // counted above
      }
      best = Math.min(best, performance.now() - a);
    }
    if (best > res.slowest_ms) {
      res.slowest_ms = best;
      res.slowest_bytes = c.input.length;
      res.slowest_kind = c.kind;
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

// The beacon's recovery from a dropped controller link (item 9): pty bridge stopped, back after an outage.
const link: LinkRecoveryResult[] = [];
if (!o['no-air'] && !o['no-link']) {
  for (const outage of [300, 2000, 5000]) {
    const l = await linkRecovery(outage);
    link.push(l);
    say(`link recovery: bridge back after ${l.outage_ms} ms, advertising ${l.return_to_advertising_ms} ms after its return (${l.loss_to_advertising_ms} ms after the loss)`);
  }
}

const crashes = results.reduce((n, r) => n + r.crashes, 0);
if (o.json) process.stdout.write(JSON.stringify({ seed, runs, targets: results, air, link_recovery: link }, null, 2) + '\n');
else {
  process.stdout.write('target                 inputs      crashes  slowest_ms  slowest_bytes\n');
  for (const r of results) process.stdout.write(`${r.target.padEnd(22)} ${String(r.random_inputs + r.mutated_inputs).padStart(9)}  ${String(r.crashes).padStart(7)}  ${String(r.slowest_ms).padStart(10)}  ${String(r.slowest_bytes).padStart(13)}\n`);
  if (air.length) {
    process.stdout.write('air case     peak_rss_mb  rss_after_mb  worst_latency_ms  p99_latency_ms  log_lines\n');
    for (const a of air) process.stdout.write(`${a.name.padEnd(12)} ${String(a.peak_rss_mb).padStart(11)}  ${String(a.rss_after_mb).padStart(12)}  ${String(a.worst_latency_ms).padStart(16)}  ${String(a.p99_latency_ms).padStart(14)}  ${String(a.log_lines).padStart(9)}\n`);
  }
  if (link.length) {
    process.stdout.write('link outage_ms  return_to_advertising_ms  loss_to_advertising_ms\n');
    for (const l of link) process.stdout.write(`${String(l.outage_ms).padStart(14)}  ${String(l.return_to_advertising_ms).padStart(24)}  ${String(l.loss_to_advertising_ms).padStart(22)}\n`);
  }
}
process.exitCode = crashes > 0 ? 1 : 0;
