import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../firmware/protocol/hex.ts';
import {
  DAY_MS,
  SLOT_MS,
  SLOTS_PER_DAY,
  bluezoneIdAt,
  bluezoneIdForSlot,
  dailyIds,
  dailyKey,
  dailyKeyAt,
  generateBaseKey,
  sha256,
  slotAt,
  subKey0,
  utcMidnight,
} from '../../../firmware/protocol/keys.ts';

// bluezone-protocol.md 8.1: captured from Bluezone 2.0.4 Android on 2020-08-08 (base key = that day's key).
const DK_A = '4C5224B397F8AB3896781D5AA0F3119F280513F1B592CA280EBDED6357E21084';
const DK_B = '66B07D33DA4E16A359B590EDA1E8DC90892D341C86A6491376041FE44505FFB5';
const BASE_DATE_MS = 1596844800_000; // 2020-08-08 00:00 UTC
export const CAPTURED = [
  { key: DK_A, atMs: 1596866191387, slot: 23, id: 'B9A665D754FE65E665D76A45' },
  { key: DK_A, atMs: 1596866588130, slot: 24, id: '3AA8DFC0A15682B27216FC31' },
  { key: DK_A, atMs: 1596867559031, slot: 25, id: 'B9A232358A6C89E7A00B673C' },
  { key: DK_A, atMs: undefined, slot: 26, id: 'C5DAD2EC90AFFA065D1E0A70' },
  { key: DK_B, atMs: 1596887252275, slot: 47, id: '286BCE589AB994EFA5F73CAD' },
];

describe('key schedule (bluezone-protocol.md 1.2)', () => {
  it('constants', () => {
    expect(SLOTS_PER_DAY).toBe(96);
    expect(SLOT_MS).toBe(900_000);
    expect(DAY_MS).toBe(86_400_000);
  });

  it.each(CAPTURED)('8.1 captured: slot $slot of $key gives $id', ({ key, atMs, slot, id }) => {
    expect(toHex(bluezoneIdForSlot(fromHex(key), slot))).toBe(id);
    if (atMs !== undefined) {
      expect(slotAt(atMs).slot).toBe(slot);
      const r = bluezoneIdAt(fromHex(key), BASE_DATE_MS, atMs);
      expect(toHex(r.id)).toBe(id);
      expect(r.slot).toBe(slot);
      expect(r.startMs).toBe(BASE_DATE_MS + slot * SLOT_MS);
      expect(r.endMs).toBe(r.startMs + SLOT_MS);
    }
  });

  it('8.2 computed: SK_0 and slots 0, 1, 2, 95', () => {
    const dk = fromHex(DK_A);
    expect(toHex(subKey0(dk))).toBe('298C38B9AB4EFF21D0608EEA139A9BB7B4C61CB290D726CC93B33251ABF75DBA');
    const ids = dailyIds(dk).map(toHex);
    expect(ids).toHaveLength(96);
    expect(ids[0]).toBe('29ABD013B41C90269332AB5D');
    expect(ids[1]).toBe('E26B0FCB3A70A8892B38A074');
    expect(ids[2]).toBe('EB42612BB56AE6A5DAC6D833');
    expect(ids[95]).toBe('B0A3CA441EEC82955E4E6252');
    for (const s of [0, 1, 2, 23, 95]) expect(toHex(bluezoneIdForSlot(dk, s))).toBe(ids[s]);
  });

  it('8.2 computed: next day key, its SK_0 and slots 0, 1', () => {
    const dk1 = dailyKey(fromHex(DK_A), 1);
    expect(toHex(dk1)).toBe('4814DD132F8E308694A55AC8319581EA33CADA16B80CDB7FE1191115B76B9224');
    expect(toHex(dk1)).toBe(toHex(sha256(fromHex(DK_A))));
    expect(toHex(subKey0(dk1))).toBe('6484F6B7C09B0FF4D23BC096702E888B7CAC496CD27DF0ECD568E396E3A8488E');
    expect(toHex(bluezoneIdForSlot(dk1, 0))).toBe('64C0D2707C49D2F0D5E3E348');
    expect(toHex(bluezoneIdForSlot(dk1, 1))).toBe('AC2150D23B417CFA64EB6A42');
    // Same via the base key and time: 2020-08-09 00:07 UTC is day 1, slot 0.
    const at = BASE_DATE_MS + DAY_MS + 7 * 60_000;
    expect(toHex(dailyKeyAt(fromHex(DK_A), BASE_DATE_MS + 5_000, at))).toBe(toHex(dk1));
    expect(toHex(bluezoneIdAt(fromHex(DK_A), BASE_DATE_MS, at).id)).toBe('64C0D2707C49D2F0D5E3E348');
  });

  it('8.2 computed: other key slot 0', () => {
    expect(toHex(bluezoneIdForSlot(fromHex(DK_B), 0))).toBe('DFFA0FDCD876B34701593B30');
  });

  it('DK_0 is the base key; the chain composes', () => {
    const base = generateBaseKey();
    expect(toHex(dailyKey(base, 0))).toBe(toHex(base));
    expect(toHex(dailyKey(base, 5))).toBe(toHex(dailyKey(dailyKey(base, 2), 3)));
  });

  it('generateBaseKey gives 32 fresh random bytes', () => {
    const a = generateBaseKey();
    const b = generateBaseKey();
    expect(a).toBeInstanceOf(Uint8Array);
    expect(a.length).toBe(32);
    expect(toHex(a)).not.toBe(toHex(b));
  });

  it('slots are UTC-aligned with an exclusive end', () => {
    const t = Date.UTC(2020, 7, 8, 5, 44, 59, 999);
    expect(slotAt(t)).toEqual({ dayStartMs: BASE_DATE_MS, slot: 22, startMs: BASE_DATE_MS + 22 * SLOT_MS, endMs: BASE_DATE_MS + 23 * SLOT_MS });
    expect(slotAt(t + 1).slot).toBe(23);
    expect(slotAt(BASE_DATE_MS + DAY_MS - 1).slot).toBe(95);
    expect(slotAt(BASE_DATE_MS + DAY_MS).slot).toBe(0);
    expect(utcMidnight(t)).toBe(BASE_DATE_MS);
  });

  it('rejects bad inputs', () => {
    const dk = fromHex(DK_A);
    expect(() => bluezoneIdForSlot(dk, 96)).toThrow(/slot/);
    expect(() => bluezoneIdForSlot(dk, -1)).toThrow(/slot/);
    expect(() => bluezoneIdForSlot(dk.subarray(0, 31), 0)).toThrow(/32 bytes/);
    expect(() => dailyKey(dk, -1)).toThrow(/day index/);
    expect(() => bluezoneIdAt(dk, BASE_DATE_MS, BASE_DATE_MS - 1)).toThrow(/before the base date/);
  });
});

describe('hex', () => {
  it('round-trips and writes upper case', () => {
    expect(toHex(fromHex('00ff7a'))).toBe('00FF7A');
    expect(toHex(fromHex('02 01 02:0f-FF'))).toBe('0201020FFF');
    expect(toHex(fromHex('0x4E56'))).toBe('4E56');
    expect(fromHex('').length).toBe(0);
  });
  it('names the offset of a bad character', () => {
    expect(() => fromHex('0G', 'id')).toThrow(/id: invalid hex character "G" at offset 1/);
    expect(() => fromHex('ABC')).toThrow(/odd number of hex digits.*offset 2/);
  });
});
