// The chunks a giant run's shard jobs store in Redis (sim/parallel/shardChunks.ts): the ticks come back
// exactly, and the decoder (it reads what any Redis client could have written) never crashes or hangs on
// arbitrary or damaged bytes: it returns a chunk or throws a ChunkError naming the byte offset.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkError, decodeChunk, encodeChunk, RECEPTION_BYTES } from '../../../sim/parallel/shardChunks.ts';
import { replay, type TickBatch } from '../../../sim/parallel/shards.ts';
import type { EngineCounters, ReceptionOut } from '../../../sim/engine/types.ts';

const N_DEV = 50;

function batch(tick: number, rows: [number, number, number, number][], counted = 0): TickBatch {
  const n = rows.length;
  const b: TickBatch = { tick, n, counted, rx: new Int32Array(n), tx: new Int32Array(n), flag: new Uint8Array(n), f: new Float64Array(n * 5) };
  rows.forEach(([rx, tx, flag, x], i) => {
    b.rx[i] = rx;
    b.tx[i] = tx;
    b.flag[i] = flag;
    b.f.set([tick * 1e6 + i, -60.5 - x, x, x + 1, Math.PI * x], i * 5);
  });
  return b;
}

const counters: EngineCounters = {
  pairEvaluations: 12, advEvents: 3, receptions: 4, lostBelowSensitivity: 1, lostCollision: 2, lostHalfDuplex: 0,
  iosGatt: { counts: [3, 2, 1, 0, 5, 1, 0, 0, 1056, 480], blind: [[4, 31_250.5]], slots: [[1_990_000, [7, 9], 2, [9], 1]] },
};

/** What replay() makes of a batch: the calls an AppLog would get, in order. */
function calls(b: TickBatch): string[] {
  const out: string[] = [];
  const rec: ReceptionOut = {
    wantsReceptions: true,
    heardRuled: (...a: number[]) => out.push(`r ${a.join(' ')}`),
    countLogged: (n: number) => out.push(`c ${n}`),
    readLogged: (...a: number[]) => out.push(`g ${a.join(' ')}`),
  } as unknown as ReceptionOut;
  replay(b, rec);
  return out;
}

const rowArb = fc.tuple(fc.integer({ min: 0, max: N_DEV - 1 }), fc.integer({ min: 0, max: N_DEV - 1 }), fc.integer({ min: 1, max: 3 }), fc.double({ noNaN: false }));

describe('shard chunks', () => {
  it('round-trips ticks and counters: replay makes the same calls', () => {
    const ticks = [batch(7, [[1, 2, 3, 0.25], [3, 4, 2, -1]], 1), batch(8, []), batch(9, [[49, 0, 1, 1e300]], 5)];
    const d = decodeChunk(encodeChunk(ticks, counters), N_DEV);
    expect(d.firstTick).toBe(7);
    expect(d.counters).toEqual(counters);
    expect(d.ticks.map(calls)).toEqual(ticks.map(calls));
    const plain = decodeChunk(encodeChunk(ticks), N_DEV);
    expect(plain.counters).toBeNull();
    expect(encodeChunk(ticks).length).toBe(16 + 3 * 12 + 3 * RECEPTION_BYTES);
  });

  it('round-trips any ticks (property)', () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.array(fc.array(rowArb, { maxLength: 20 }), { maxLength: 6 }), fc.boolean(), (t0, ticks, final) => {
        const batches = ticks.map((rows, k) => batch(t0 + k, rows as [number, number, number, number][], k));
        const d = decodeChunk(encodeChunk(batches, final ? counters : undefined), N_DEV);
        expect(d.ticks.map(calls)).toEqual(batches.map(calls));
        expect(d.counters).toEqual(final ? counters : null);
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary bytes: a chunk or a ChunkError, never another error', () => {
    const good = encodeChunk([batch(0, [[1, 2, 3, 1]]), batch(1, [[2, 3, 2, 2]])], counters);
    const check = (bytes: Uint8Array) => {
      try {
        decodeChunk(bytes, N_DEV);
      } catch (e) {
        if (!(e instanceof ChunkError)) throw e;
        expect((e as Error).message).toMatch(/^shard chunk: /);
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), check), { numRuns: 2000 });
    // damaged good chunks: one byte changed, or cut short
    fc.assert(
      fc.property(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 }), fc.nat(good.length), (at, v, cut) => {
        const b = Buffer.from(good);
        b[at] = v;
        check(b);
        check(good.subarray(0, cut));
      }),
      { numRuns: 2000 },
    );
  });

  it('names what is wrong and where', () => {
    const good = encodeChunk([batch(3, [[1, 2, 3, 1]])]);
    expect(() => decodeChunk(good.subarray(0, 20), N_DEV)).toThrow(/tick 0 at byte 16 runs past the end \(20 bytes\)/);
    expect(() => decodeChunk(good, 2)).toThrow(/tick 3 reception 0: device 1 -> 2 outside 0..1/);
    const flag = Buffer.from(good);
    flag[flag.length - 1] = 7;
    expect(() => decodeChunk(flag, N_DEV)).toThrow(/flag 7 \(1..3\)/);
    // 0 was a reception before the rule: shards apply the rule themselves now
    flag[flag.length - 1] = 0;
    expect(() => decodeChunk(flag, N_DEV)).toThrow(/flag 0 \(1..3\)/);
    const tick = Buffer.from(good);
    tick.writeUInt32LE(4, 16);
    expect(() => decodeChunk(tick, N_DEV)).toThrow(/tick 4 at byte 16, expected 3/);
    expect(() => decodeChunk(Buffer.concat([good, Buffer.from([0])]), N_DEV)).toThrow(/1 bytes left over at byte 77/);
    // a huge count is refused from the header, before any allocation
    const big = Buffer.from(good);
    big.writeUInt32LE(0xffffffff, 20);
    expect(() => decodeChunk(big, N_DEV)).toThrow(/the 4294967295 receptions of tick 3 at byte 28 runs past the end/);
    // iOS GATT stats that would index outside the run's devices
    const gatt = (g: unknown) => encodeChunk([batch(3, [])], { ...counters, iosGatt: g } as EngineCounters);
    expect(() => decodeChunk(gatt({ ...counters.iosGatt, blind: [[N_DEV, 1]] }), N_DEV)).toThrow(/counters at byte 32: iosGatt blind\[0\]: not \[device, us\]/);
    expect(() => decodeChunk(gatt({ ...counters.iosGatt, slots: [[1, [-1], 0, [], 0]] }), N_DEV)).toThrow(/iosGatt slots\[0\]/);
    expect(() => decodeChunk(gatt({ ...counters.iosGatt, counts: [1, 2] }), N_DEV)).toThrow(/iosGatt counts: not 10 counts/);
    expect(() => decodeChunk(gatt('x'), N_DEV)).toThrow(/iosGatt is not an object/);
  });
});
