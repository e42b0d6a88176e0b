// Output writer benchmark (npx tsx bench/output.ts): MB/s of records/output.ts writing a simulator-sized
// observation CSV row by row (writeLine) and length-delimited binary records (write(Uint8Array)), against
// a baseline that does what sim/output/sink.ts LineSink/ByteSink did (join lines or copy records into
// 1 MiB chunks, writeSync, fsync, rename). Files go to a temp folder (or --dir DIR) and are removed. Median of R runs; one JSON object on stdout.
// Usage: npx tsx bench/output.ts [--rows N] [--runs R] [--dir DIR]
import { closeSync, fsyncSync, mkdtempSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { OutputSet } from '../records/output.ts';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}
const ROWS = Number(arg('rows', '1000000'));
const RUNS = Number(arg('runs', '5'));
const DIR = arg('dir', os.tmpdir());
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// rows shaped like observations.csv (shared/docs/interfaces.md "Generic observation CSV")
const names = Array.from({ length: 500 }, (_, i) => `phone-${i.toString().padStart(4, '0')}`);
// built beforehand, so that the figures are the writers' cost, not the row formatting's
const rows = Array.from({ length: 4096 }, (_, i) => `${1_700_000_000_000 + i * 7},${names[i % 500]},${names[(i * 7 + 3) % 500]},${-40 - (i % 60)},,Pixel 7,iPhone 13`);
const row = (i: number) => rows[i & 4095];
const records = Array.from({ length: 1024 }, (_, i) => Uint8Array.from({ length: 30 + (i % 40) }, (_, k) => (i + k) & 0xff));

function baselineLines(path: string): number {
  const fd = openSync(path + '.partial', 'w');
  let chunk: string[] = [];
  let size = 0;
  let bytes = 0;
  for (let i = 0; i < ROWS; i++) {
    const s = row(i);
    chunk.push(s);
    size += s.length + 1;
    if (size > 1 << 20) {
      bytes += writeSync(fd, chunk.join('\n') + '\n');
      chunk = [];
      size = 0;
    }
  }
  if (chunk.length) bytes += writeSync(fd, chunk.join('\n') + '\n');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(path + '.partial', path);
  return bytes;
}

function ourLines(path: string): number {
  const set = new OutputSet();
  const w = set.add(path);
  for (let i = 0; i < ROWS; i++) w.writeLine(row(i));
  set.commit();
  return w.bytes;
}

function baselineBytes(path: string): number {
  const fd = openSync(path + '.partial', 'w');
  const buf = Buffer.alloc(1 << 20);
  let pos = 0;
  let bytes = 0;
  for (let i = 0; i < ROWS; i++) {
    const b = records[i & 1023];
    if (pos + b.length > buf.length) {
      writeSync(fd, buf, 0, pos);
      pos = 0;
    }
    buf.set(b, pos);
    pos += b.length;
    bytes += b.length;
  }
  writeSync(fd, buf, 0, pos);
  fsyncSync(fd);
  closeSync(fd);
  renameSync(path + '.partial', path);
  return bytes;
}

function ourBytes(path: string): number {
  const set = new OutputSet();
  const w = set.add(path);
  for (let i = 0; i < ROWS; i++) w.write(records[i & 1023]);
  set.commit();
  return w.bytes;
}

const cases = { baseline_lines: baselineLines, output_lines: ourLines, baseline_bytes: baselineBytes, output_bytes: ourBytes };
const mbps: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
const sizes: Record<string, number> = {};
for (let run = 0; run < RUNS; run++) {
  // alternate the cases inside each run, so that a slow spell of the machine hits all of them
  for (const [name, fn] of Object.entries(cases)) {
    const dir = mkdtempSync(join(DIR, 'bz-bench-output-'));
    try {
      const t0 = performance.now();
      const bytes = fn(join(dir, 'out'));
      const s = (performance.now() - t0) / 1000;
      sizes[name] = bytes;
      mbps[name].push(bytes / 1e6 / s);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
const r3 = (v: number) => Math.round(v * 10) / 10;
process.stdout.write(
  JSON.stringify({
    rows: ROWS,
    runs: RUNS,
    mb: Object.fromEntries(Object.entries(sizes).map(([k, v]) => [k, r3(v / 1e6)])),
    median_mb_per_s: Object.fromEntries(Object.entries(mbps).map(([k, v]) => [k, r3(median(v))])),
    all_mb_per_s: Object.fromEntries(Object.entries(mbps).map(([k, v]) => [k, v.map(r3)])),
    note: 'both include an fsync before the rename (as firmware/proximity/csvFiles.ts; sim/output/sink.ts had none)',
  }) + '\n',
);
