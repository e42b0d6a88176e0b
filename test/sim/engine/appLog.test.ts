// AppLog hands a tick's observations to the sink in (time, receiver, transmitter) order, equal ones in
// the order they were logged: the files do not depend on the order the engine (or a shard) delivered them.
// Both sorts are checked: packed keys (whole-microsecond times, a small crowd) and the comparator sort.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppLog } from '../../../sim/engine/appLog.ts';
import { KIND_ANDROID } from '../../../sim/world/devices.ts';

type Row = [t: number, rx: number, tx: number, rssi: number];

function emitted(nDev: number, rows: Row[]): Row[] {
  const got: Row[] = [];
  const sink = { observation: (tsMs: number, rx: number, tx: number, rssi: number) => got.push([tsMs, rx, tx, rssi]) };
  const log = new AppLog(new Uint8Array(nDev).fill(KIND_ANDROID), true, false, sink, null);
  // logged = 1: the engine's rule kept them; rssi tells equal rows apart
  for (const [t, rx, tx, rssi] of rows) log.heardRuled(rx, tx, t, rssi, 0, 1, 1, 1);
  log.emitTick(0);
  return got;
}

/** The expected order: a stable sort by (time, receiver, transmitter); the sink gets whole ms. */
function expected(rows: Row[]): Row[] {
  return rows
    .map((r, i) => ({ r, i }))
    .sort((a, b) => a.r[0] - b.r[0] || a.r[1] - b.r[1] || a.r[2] - b.r[2] || a.i - b.i)
    .map(({ r }) => [Math.floor(r[0] / 1000), r[1], r[2], r[3]] as Row);
}

describe('AppLog tick order', () => {
  it('sorts by (time, receiver, transmitter), ties in logged order, on either path (property)', () => {
    const rows = (nDev: number, whole: boolean) => fc.array(
      fc.tuple(
        // few distinct times so that ties happen
        whole ? fc.integer({ min: 0, max: 40 }).map((k) => 5_000_000 + k * 25_000) : fc.integer({ min: 0, max: 40 }).map((k) => 5_000_000 + k * 25_000 + 0.5),
        fc.integer({ min: 0, max: nDev - 1 }),
        fc.integer({ min: 0, max: nDev - 1 }),
        fc.integer({ min: -100, max: -30 }),
      ),
      { maxLength: 300 },
    );
    for (const [nDev, whole] of [[50, true], [50, false], [5000, true]] as const) {
      fc.assert(fc.property(rows(nDev, whole), (rs) => {
        expect(emitted(nDev, rs as Row[])).toEqual(expected(rs as Row[]));
      }), { numRuns: 200 });
    }
  });

  it('a tick of a thousand observations with many equal times and pairs', () => {
    const rows: Row[] = [];
    for (let i = 0; i < 1000; i++) rows.push([1_000_000 + (i % 7) * 1000, (i * 13) % 20, (i * 7) % 3, -40 - (i % 50)]);
    expect(emitted(20, rows)).toEqual(expected(rows));
  });
});
