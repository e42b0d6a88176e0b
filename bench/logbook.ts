// Entrance logbook benchmark (npm run bench:logbook): how many adverts per second the logbook takes
// (classify + 5 s de-dup + batched SQLite inserts, WAL, synchronous=FULL, one commit per flush_rows),
// and how long one commit of a batch takes (that fsync is the durability price). Median of R runs; JSON.
// Usage: npx tsx bench/logbook.ts [--adverts N] [--phones P] [--batch B] [--runs R]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Logbook, openLogbookDb } from '../firmware/beacon/logbook.ts';
import { buildAndroidFrame } from '../firmware/protocol/frames.ts';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}
const ADVERTS = arg('adverts', 200_000);
const PHONES = arg('phones', 2000);
const BATCH = arg('batch', 256);
const RUNS = arg('runs', 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// 2000 phones advertising every ~100 ms: each ID comes round every PHONES adverts, spread over time so
// that about half the adverts fall within 5 s of the previous stored one (de-dup work and inserts both).
const frames = Array.from({ length: PHONES }, (_, p) => {
  const id = Buffer.alloc(12);
  id.writeUInt32BE(p, 8);
  id.writeUInt32BE(0xb1e5eed, 0);
  return buildAndroidFrame(id);
});

const rates: number[] = [];
const commitMs: number[] = [];
let stored = 0;
for (let run = 0; run < RUNS; run++) {
  const dir = mkdtempSync(join(os.tmpdir(), 'bz-bench-logbook-'));
  const db = openLogbookDb(join(dir, 'l.db'));
  const commits: number[] = [];
  let t0 = 0;
  const lb = new Logbook({ db, receiver: 'bench', flushRows: BATCH, flushMs: 60_000, onCommit: () => commits.push(performance.now() - t0) });
  const start = performance.now();
  const t = Date.UTC(2026, 10, 23, 8);
  for (let i = 0; i < ADVERTS; i++) {
    t0 = performance.now();
    lb.handleReport({ address: 'aa:bb:cc:dd:ee:ff', advData: frames[i % PHONES], rssi: -60 - (i % 30), timestampMs: t + i * 1.25 });
  }
  lb.flush();
  const s = (performance.now() - start) / 1000;
  rates.push(ADVERTS / s);
  commitMs.push(median(commits));
  stored = lb.stats.committed;
  db.close();
  rmSync(dir, { recursive: true, force: true });
}

console.log(JSON.stringify({
  bench: 'logbook',
  adverts: ADVERTS,
  rows_stored: stored,
  batch_rows: BATCH,
  runs: RUNS,
  adverts_per_s_median: Math.round(median(rates)),
  adverts_per_s_runs: rates.map(Math.round),
  commit_ms_median: Number(median(commitMs).toFixed(2)),
  cpus: os.cpus().length,
  note: 'shared 2-core dev machine under load: pessimistic',
}));
