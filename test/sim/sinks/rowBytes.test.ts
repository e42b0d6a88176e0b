// RowBytes (sim/sinks/rowBytes.ts) writes observations.csv and truth.csv rows as bytes; they must be the
// bytes of the string rows the simulator wrote before (template strings over csvField, toFixed(2)), for
// any name or model (commas, quotes, line breaks, non-ASCII), timestamp, RSSI and distance.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { OutputSet } from '../../../records/output.ts';
import { csvField } from '../../../records/rows.ts';
import { RowBytes } from '../../../sim/sinks/rowBytes.ts';

const dir = mkdtempSync(join(os.tmpdir(), 'rowbytes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let k = 0;

interface Row { ts: number; rx: number; tx: number; rssi: number; dist: number }

function viaBytes(names: string[], models: string[], rows: Row[]): { obs: Buffer; truth: Buffer } {
  const set = new OutputSet();
  const o = set.add(join(dir, `b-obs-${k}.csv`));
  const t = set.add(join(dir, `b-truth-${k}.csv`));
  const n = RowBytes.fields(names);
  const ob = new RowBytes(o, n, RowBytes.fields(models));
  const tb = new RowBytes(t, n);
  for (const r of rows) {
    ob.observation(r.ts, r.rx, r.tx, r.rssi);
    tb.truth(r.ts, r.rx, r.tx, r.dist);
  }
  ob.flush();
  tb.flush();
  set.commit();
  return { obs: readFileSync(o.path), truth: readFileSync(t.path) };
}

// the rows as sim/sinks/files.ts formatted them before RowBytes
function viaStrings(names: string[], models: string[], rows: Row[]): { obs: Buffer; truth: Buffer } {
  const obs = rows.map((r) => `${r.ts},${csvField(names[r.rx])},${csvField(names[r.tx])},${r.rssi},,${csvField(models[r.rx])},${csvField(models[r.tx])}\n`).join('');
  const truth = rows.map((r) => `${r.ts},${csvField(names[r.rx])},${csvField(names[r.tx])},${r.dist.toFixed(2)}\n`).join('');
  return { obs: Buffer.from(obs, 'utf8'), truth: Buffer.from(truth, 'utf8') };
}

const devices = fc.array(fc.tuple(fc.string({ unit: 'binary', maxLength: 12 }), fc.string({ maxLength: 12 })), { minLength: 1, maxLength: 6 });
const row = (nDev: number) => fc.record({
  // a few ms around a second's turn: rows that share their second (RowBytes keeps its digits) and rows across it
  ts: fc.oneof(fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.maxSafeInteger(), fc.integer(), fc.integer({ min: 1_772_438_399_990, max: 1_772_438_400_010 }), fc.integer({ min: 990, max: 1010 })),
  rx: fc.nat(nDev - 1),
  tx: fc.nat(nDev - 1),
  rssi: fc.integer({ min: -130, max: 20 }),
  // outputs.ts rounds the distance to hundredths; any other double takes toFixed's own path
  dist: fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }).map((d) => Math.round(d * 100) / 100), fc.double({ noNaN: true, min: -1e22, max: 1e22 })),
});

describe('RowBytes', () => {
  it('writes the bytes of the string rows', () => {
    fc.assert(
      fc.property(devices.chain((d) => fc.tuple(fc.constant(d), fc.array(row(d.length), { maxLength: 40 }))), ([d, rows]) => {
        k++;
        const names = d.map((x) => x[0]);
        const models = d.map((x) => x[1]);
        const a = viaBytes(names, models, rows);
        const b = viaStrings(names, models, rows);
        expect(a.obs.equals(b.obs)).toBe(true);
        expect(a.truth.equals(b.truth)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('rows longer than its buffer and more rows than fit in one', () => {
    const names = ['a'.repeat(70_000), 'b,"c"'];
    const rows: Row[] = Array.from({ length: 300 }, (_, i) => ({ ts: 1_700_000_000_000 + i, rx: i % 2, tx: (i + 1) % 2, rssi: -40 - (i % 60), dist: i / 100 }));
    k++;
    const a = viaBytes(names, ['Pixel 7', 'iPhone 13'], rows);
    const b = viaStrings(names, ['Pixel 7', 'iPhone 13'], rows);
    expect(a.obs.equals(b.obs)).toBe(true);
    expect(a.truth.equals(b.truth)).toBe(true);
  });
});
