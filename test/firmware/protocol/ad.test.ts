import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LEGACY_ADV_MAX,
  buildAdvertisingData,
  parseAdvertisingData,
  type AdStructure,
} from '../../../firmware/protocol/ad.ts';
import { classifyAdvert } from '../../../firmware/protocol/frames.ts';
import { fromHex, toHex } from '../../../firmware/protocol/hex.ts';

function strip(s: object): AdStructure {
  const { offset: _o, size: _s, ...rest } = s as AdStructure & { offset: number; size: number };
  return rest as AdStructure;
}

describe('AD parser (Core Spec Vol 3 Part C 11)', () => {
  it('parses every supported type', () => {
    const all: AdStructure[] = [
      { type: 'flags', flags: 6 },
      { type: 'uuid16', complete: false, uuids: [0x180f] },
      { type: 'uuid16', complete: true, uuids: [0x4e56, 0xfd6f] },
      { type: 'uuid32', complete: true, uuids: [0x12345678] },
      { type: 'uuid32', complete: false, uuids: [] },
      { type: 'uuid128', complete: true, uuids: ['00004E56-73F5-4BC4-A12F-17D1AD07A667'] },
      { type: 'uuid128', complete: false, uuids: [] },
      { type: 'manufacturer', companyId: 0x22b5, data: fromHex('0102') },
      { type: 'serviceData16', uuid: 0xfd6f, data: fromHex('AABB') },
      { type: 'serviceData32', uuid: 0xdeadbeef, data: fromHex('') },
      { type: 'serviceData128', uuid: '00004E56-73F5-4BC4-A12F-17D1AD07A689', data: fromHex('01') },
      { type: 'localName', complete: false, name: 'Blue' },
      { type: 'localName', complete: true, name: 'Cổng chính' },
      { type: 'txPower', dbm: -15 },
      { type: 'raw', adType: 0x2a, data: fromHex('0102') },
    ];
    const bytes = buildAdvertisingData(all, { maxLength: Infinity });
    const r = parseAdvertisingData(bytes);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.structures.map(strip)).toEqual(all);
    expect(r.structures[1]).toMatchObject({ offset: 3, size: 4 });
    expect(r.significantLength).toBe(bytes.length);
  });

  it('decodes the 16-bit list and company ID little-endian', () => {
    const r = parseAdvertisingData(fromHex('03 03 56 4E 04 FF B5 22 07'));
    expect(r).toEqual({
      ok: true,
      significantLength: 9,
      structures: [
        { type: 'uuid16', complete: true, uuids: [0x4e56], offset: 0, size: 4 },
        { type: 'manufacturer', companyId: 0x22b5, data: fromHex('07'), offset: 4, size: 5 },
      ],
    });
  });

  it('a zero length byte ends the significant part', () => {
    const r = parseAdvertisingData(fromHex('02 01 06 00 FF FF FF'));
    expect(r.ok && r.significantLength).toBe(3);
    expect(r.ok && r.structures.length).toBe(1);
  });

  it('names the offset of truncated and overrunning structures', () => {
    expect(parseAdvertisingData(fromHex('02 01 06 05'))).toEqual({
      ok: false,
      error: { code: 'truncated', offset: 3, message: expect.stringContaining('offset 3') },
    });
    expect(parseAdvertisingData(fromHex('02 01 06 05 FF 01'))).toEqual({
      ok: false,
      error: { code: 'overrun', offset: 3, message: 'AD structure at offset 3 has length 5 but only 2 bytes follow' },
    });
    const odd = parseAdvertisingData(fromHex('02 01 06 04 03 56 4E 00'));
    expect(odd.ok === false && odd.error).toMatchObject({ code: 'bad-length', offset: 3 });
    const mfr = parseAdvertisingData(fromHex('02 FF 01'));
    expect(mfr.ok === false && mfr.error).toMatchObject({ code: 'bad-length', offset: 0 });
  });

  it('keeps invalid UTF-8 names and odd flags raw, so bytes round-trip', () => {
    const b = fromHex('03 09 C3 28 03 01 06 00');
    const r = parseAdvertisingData(b);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.structures.map((s) => s.type)).toEqual(['raw', 'raw']);
    expect(toHex(buildAdvertisingData(r.structures))).toBe(toHex(b));
  });

  it('builder enforces the 31-byte legacy limit', () => {
    const name = { type: 'localName', complete: true, name: 'x'.repeat(29) } as const;
    expect(buildAdvertisingData([name]).length).toBe(LEGACY_ADV_MAX);
    expect(() => buildAdvertisingData([{ ...name, name: 'x'.repeat(30) }])).toThrow(/32 bytes, more than the 31 allowed/);
    expect(buildAdvertisingData([{ ...name, name: 'x'.repeat(30) }], { maxLength: Infinity }).length).toBe(32);
    expect(() => buildAdvertisingData([{ type: 'raw', adType: 1, data: new Uint8Array(255) }], { maxLength: Infinity })).toThrow(/too long/);
    expect(() => buildAdvertisingData([{ type: 'txPower', dbm: 200 }])).toThrow(/TX power/);
  });
});

describe('AD parser properties', () => {
  it('survives 100,000 random byte strings: typed result, offsets in range, never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const r = parseAdvertisingData(bytes);
        if (r.ok) {
          let end = 0;
          for (const s of r.structures) {
            if (s.offset !== end) return false;
            end = s.offset + s.size;
          }
          if (end !== r.significantLength || end > bytes.length) return false;
          // Everything the parser accepts builds back to the same significant bytes.
          const rebuilt = buildAdvertisingData(r.structures, { maxLength: Infinity });
          if (toHex(rebuilt) !== toHex(bytes.subarray(0, r.significantLength))) return false;
        } else if (!(r.error.offset >= 0 && r.error.offset < bytes.length)) return false;
        classifyAdvert(bytes); // must not throw either
        return true;
      }),
      { numRuns: 100_000 },
    );
  });

  it('survives near-valid streams of structures with random types, lengths and cuts', () => {
    const chunk = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 20 }), fc.integer({ min: -2, max: 2 }));
    fc.assert(
      fc.property(fc.array(chunk, { maxLength: 5 }), fc.nat(80), (chunks, cut) => {
        const bytes = Uint8Array.from(chunks.flatMap(([t, d, skew]) => [Math.max(0, Math.min(255, d.length + 1 + skew)), t, ...d]));
        const input = bytes.subarray(0, Math.min(bytes.length, cut));
        const r = parseAdvertisingData(input);
        if (!r.ok) expect(r.error.offset).toBeLessThan(input.length);
        else expect(toHex(buildAdvertisingData(r.structures, { maxLength: Infinity }))).toBe(toHex(input.subarray(0, r.significantLength)));
        classifyAdvert(input);
      }),
      { numRuns: 20_000 },
    );
  });

  const structureArb: fc.Arbitrary<AdStructure> = fc.oneof(
    fc.record({ type: fc.constant('flags' as const), flags: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ type: fc.constant('uuid16' as const), complete: fc.boolean(), uuids: fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 4 }) }),
    fc.record({ type: fc.constant('uuid32' as const), complete: fc.boolean(), uuids: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 3 }) }),
    fc.record({
      type: fc.constant('uuid128' as const),
      complete: fc.boolean(),
      uuids: fc.array(fc.uuid().map((u) => u.toUpperCase()), { maxLength: 2 }),
    }),
    fc.record({ type: fc.constant('manufacturer' as const), companyId: fc.integer({ min: 0, max: 0xffff }), data: fc.uint8Array({ maxLength: 20 }) }),
    fc.record({ type: fc.constant('serviceData16' as const), uuid: fc.integer({ min: 0, max: 0xffff }), data: fc.uint8Array({ maxLength: 20 }) }),
    fc.record({ type: fc.constant('serviceData32' as const), uuid: fc.integer({ min: 0, max: 0xffffffff }), data: fc.uint8Array({ maxLength: 20 }) }),
    fc.record({ type: fc.constant('serviceData128' as const), uuid: fc.uuid().map((u) => u.toUpperCase()), data: fc.uint8Array({ maxLength: 8 }) }),
    fc.record({ type: fc.constant('localName' as const), complete: fc.boolean(), name: fc.string({ maxLength: 20 }) }),
    fc.record({ type: fc.constant('txPower' as const), dbm: fc.integer({ min: -128, max: 127 }) }),
    fc.record({
      type: fc.constant('raw' as const),
      adType: fc.integer({ min: 0, max: 255 }).filter((t) => ![1, 2, 3, 4, 5, 6, 7, 8, 9, 0x0a, 0x16, 0x20, 0x21, 0xff].includes(t)),
      data: fc.uint8Array({ maxLength: 20 }),
    }),
  );

  it('build -> parse round-trips structures', () => {
    fc.assert(
      fc.property(fc.array(structureArb, { maxLength: 6 }), (structs) => {
        const bytes = buildAdvertisingData(structs, { maxLength: Infinity });
        const r = parseAdvertisingData(bytes);
        expect(r.ok).toBe(true);
        if (r.ok) expect(r.structures.map(strip)).toEqual(structs);
      }),
      { numRuns: 3_000 },
    );
  });
});
