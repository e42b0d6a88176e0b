// F0 matcher benchmark (npm run bench:match): 100 published keys x 14 days against a synthetic
// 1,000,000-row contact log. Times index build and matching separately, median of 5 runs; prints JSON.
// Usage: npx tsx bench/match.ts [--rows N] [--keys K] [--days D] [--runs R] [--parse]
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { toHex } from '../firmware/protocol/hex.ts';
import { DAY_MS, ID_BYTES, SLOT_MS, SLOTS_PER_DAY, dailyIds, dailyKey } from '../firmware/protocol/keys.ts';
import { ContactIndex, matchPublication, parsePublication, type PushEntry } from '../firmware/protocol/match.ts';
import { formatTrace, parseTrace, type ContactLog } from '../firmware/protocol/traceFormat.ts';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}
const ROWS = arg('rows', 1_000_000);
const KEYS = arg('keys', 100);
const DAYS = arg('days', 14);
const RUNS = arg('runs', 5);
const PEERS = 400; // distinct phones the log saw; 30 of them are among the published F0s
const F0_IN_LOG = 30;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = mulberry32(20200808);
const randomKey = () => Uint8Array.from({ length: 32 }, () => Math.floor(rand() * 256));

const startMs = Date.UTC(2020, 7, 1);
// Each peer installed 0..30 days before the window; its key for window day d is DK_{offset+d}.
const peers = Array.from({ length: PEERS }, () => ({ base: randomKey(), offset: Math.floor(rand() * 30) }));
const peerIds = peers.map((p) => {
  let dk = dailyKey(p.base, p.offset);
  const days: Uint8Array[][] = [];
  for (let d = 0; d < DAYS; d++) {
    days.push(dailyIds(dk));
    dk = dailyKey(dk, 1);
  }
  return days;
});

// Synthetic log in time order, as a phone writes it.
const times = new Float64Array(ROWS);
for (let i = 0; i < ROWS; i++) times[i] = startMs + Math.floor(rand() * DAYS * DAY_MS);
times.sort();
const log: ContactLog = {
  length: ROWS,
  contactIds: new Uint8Array(ROWS * ID_BYTES),
  timestamps: times,
  rssi: new Int32Array(ROWS).fill(-70),
  lines: Uint32Array.from({ length: ROWS }, (_, i) => i + 1),
  skipped: 0,
};
for (let i = 0; i < ROWS; i++) {
  const d = Math.floor((times[i] - startMs) / DAY_MS);
  const s = Math.floor((times[i] - startMs - d * DAY_MS) / SLOT_MS);
  log.contactIds.set(peerIds[Math.floor(rand() * PEERS)][d][s], i * ID_BYTES);
}

// Published: F0_IN_LOG peers the phone met, the rest strangers; each entry covers all DAYS days.
const entries: PushEntry[] = [];
for (let k = 0; k < KEYS; k++) {
  const dk = k < F0_IN_LOG ? dailyKey(peers[k].base, peers[k].offset) : randomKey();
  entries.push({ daily_key: toHex(dk), time_start: startMs / 1000, time_end: startMs / 1000 + DAYS * 86400 - 1, max: SLOTS_PER_DAY });
}
const pub = parsePublication(JSON.stringify({ data: entries }));
if (!pub.ok) throw new Error(pub.error.message);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const buildMs: number[] = [];
const matchMs: number[] = [];
// CPU time of this process too: on a shared, overloaded machine wall time mostly measures waiting.
const buildCpuMs: number[] = [];
const matchCpuMs: number[] = [];
const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
let index: ContactIndex | undefined;
let result: ReturnType<typeof matchPublication> | undefined;
for (let r = 0; r < RUNS; r++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  index = ContactIndex.build(log);
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  result = matchPublication(pub.entries, index);
  const t2 = performance.now();
  const c2 = process.cpuUsage();
  buildMs.push(t1 - t0);
  matchMs.push(t2 - t1);
  buildCpuMs.push(cpuMs(c1) - cpuMs(c0));
  matchCpuMs.push(cpuMs(c2) - cpuMs(c1));
}

let parseMs: number | undefined;
if (process.argv.includes('--parse')) {
  const own = new Uint8Array(ID_BYTES);
  const text = formatTrace(
    (function* () {
      for (let i = 0; i < ROWS; i++) yield { own, contact: log.contactIds.subarray(i * ID_BYTES, (i + 1) * ID_BYTES), rssi: -70, timestamp: times[i] };
    })(),
  );
  const t0 = performance.now();
  const p = parseTrace(text);
  parseMs = performance.now() - t0;
  if (!p.ok) throw new Error(p.error.message);
}

const round = (x: number) => Math.round(x * 10) / 10;
const out = {
  benchmark: 'match',
  rows: ROWS,
  distinct_ids: index!.distinctIds,
  published_keys: KEYS,
  days: DAYS,
  slots_checked: result!.stats.slotsChecked,
  matching_slots: result!.matches.length,
  matched_entries: new Set(result!.matches.map((m) => m.entry)).size,
  runs: RUNS,
  index_build_ms_median: round(median(buildMs)),
  match_ms_median: round(median(matchMs)),
  total_ms_median: round(median(buildMs.map((b, i) => b + matchMs[i]))),
  index_build_cpu_ms_median: round(median(buildCpuMs)),
  match_cpu_ms_median: round(median(matchCpuMs)),
  total_cpu_ms_median: round(median(buildCpuMs.map((b, i) => b + matchCpuMs[i]))),
  index_build_ms: buildMs.map(round),
  match_ms: matchMs.map(round),
  ...(parseMs === undefined ? {} : { parse_data_trace_ms: round(parseMs) }),
  node: process.version,
  cpu: os.cpus()[0]?.model,
  load_avg_1m: round(os.loadavg()[0]),
};
process.stdout.write(JSON.stringify(out, null, 2) + '\n');
