import { describe, expect, it } from 'vitest';
import { buildAdvertisingData, parseAdvertisingData, type AdStructure } from '../../../firmware/protocol/ad.ts';
import {
  BLUEZONE_COMPANY_ID,
  BLUEZONE_GATT_CHARACTERISTIC_UUID,
  BLUEZONE_GATT_SERVICE_UUID,
  BLUEZONE_IOS_UUID,
  BLUEZONE_UUID16,
  IOS_OVERFLOW_PREFIX,
  buildAndroidFrame,
  buildIBeaconFrame,
  buildIosFrame,
  classifyAdvert,
} from '../../../firmware/protocol/frames.ts';
import { fromHex, toHex } from '../../../firmware/protocol/hex.ts';

const ID = 'B9A665D754FE65E665D76A45';
// bluezone-protocol.md 2.1 and 2.2 examples.
const ANDROID_EXAMPLE = '02 01 02 0F FF B5 22 B9 A6 65 D7 54 FE 65 E6 65 D7 6A 45 03 03 56 4E';
const IBEACON_EXAMPLE = '1A FF 4C 00 02 15 C7 AF EF 7B 17 88 4F 4A A8 7D 69 1D 53 BF 21 C4 00 14 00 14 C5';

describe('Bluezone frames (bluezone-protocol.md 2)', () => {
  it('constants', () => {
    expect(BLUEZONE_UUID16).toBe(0x4e56);
    expect(BLUEZONE_COMPANY_ID).toBe(0x22b5);
    expect(BLUEZONE_GATT_SERVICE_UUID).toBe('00004E56-73F5-4BC4-A12F-17D1AD07A667');
    expect(BLUEZONE_GATT_CHARACTERISTIC_UUID).toBe('00004E56-73F5-4BC4-A12F-17D1AD07A689');
  });

  it('builds the 2.1 Android example byte for byte and decodes it back', () => {
    const f = buildAndroidFrame(fromHex(ID));
    expect(f.length).toBe(23);
    expect(toHex(f)).toBe(toHex(fromHex(ANDROID_EXAMPLE)));
    const c = classifyAdvert(fromHex(ANDROID_EXAMPLE));
    expect(c.kind).toBe('bluezone-android');
    expect(toHex(c.id!)).toBe(ID);
  });

  it('builds the 2.2 iBeacon example byte for byte and decodes it back', () => {
    expect(toHex(buildIBeaconFrame())).toBe(toHex(fromHex(IBEACON_EXAMPLE)));
    const c = classifyAdvert(fromHex(IBEACON_EXAMPLE));
    expect(c.kind).toBe('ibeacon');
    expect(c.ibeacon).toEqual({ uuid: 'C7AFEF7B-1788-4F4A-A87D-691D53BF21C4', major: 20, minor: 20, measuredPower: -59, bluezone: true });
    expect(c.id).toBeUndefined();
  });

  it('recognises the Android frame in any order, any flags, no flags, incomplete list, 128-bit form', () => {
    const id = fromHex(ID);
    const m: AdStructure = { type: 'manufacturer', companyId: 0x22b5, data: id };
    const variants: AdStructure[][] = [
      [{ type: 'uuid16', complete: true, uuids: [0x4e56] }, m],
      [{ type: 'flags', flags: 0x1a }, { type: 'uuid16', complete: false, uuids: [0x180f, 0x4e56] }, m],
      [m, { type: 'txPower', dbm: -15 }, { type: 'uuid128', complete: true, uuids: ['00004E56-0000-1000-8000-00805F9B34FB'] }],
    ];
    for (const v of variants) {
      const c = classifyAdvert(buildAdvertisingData(v, { maxLength: Infinity }));
      expect(c.kind).toBe('bluezone-android');
      expect(toHex(c.id!)).toBe(ID);
    }
  });

  it('0x4E56 without 12 bytes of company 0x22B5 is dropped as Android does (4.1)', () => {
    const u: AdStructure = { type: 'uuid16', complete: true, uuids: [0x4e56] };
    expect(classifyAdvert(buildAdvertisingData([u, { type: 'manufacturer', companyId: 0x22b5, data: fromHex(ID).subarray(0, 11) }])).kind).toBe('unknown');
    expect(classifyAdvert(buildAdvertisingData([u, { type: 'manufacturer', companyId: 0x1234, data: fromHex(ID) }])).kind).toBe('unknown');
    // manufacturer data alone, without the UUID, is not a Bluezone advert either
    expect(classifyAdvert(buildAdvertisingData([{ type: 'manufacturer', companyId: 0x22b5, data: fromHex(ID) }])).kind).toBe('unknown');
  });

  it('recognises the iOS foreground frame by UUID or by name', () => {
    const f = buildIosFrame();
    expect(f.length).toBe(31);
    expect(toHex(f)).toContain('110767A607ADD1172FA1C44BF573564E0000'); // 2.3 little-endian UUID bytes
    expect(classifyAdvert(f).kind).toBe('bluezone-ios');
    expect(classifyAdvert(buildAdvertisingData([{ type: 'uuid128', complete: false, uuids: [BLUEZONE_IOS_UUID] }])).kind).toBe('bluezone-ios');
    expect(classifyAdvert(buildAdvertisingData([{ type: 'localName', complete: true, name: 'Bluezone' }])).kind).toBe('bluezone-ios');
    expect(classifyAdvert(buildAdvertisingData([{ type: 'localName', complete: true, name: 'Bluezone2' }])).kind).toBe('unknown');
  });

  it('recognises the iOS background overflow pattern (2.3) and nothing close to it', () => {
    const data = Uint8Array.from([...IOS_OVERFLOW_PREFIX, 0x00]);
    expect(classifyAdvert(buildAdvertisingData([{ type: 'flags', flags: 6 }, { type: 'manufacturer', companyId: 0x004c, data }])).kind).toBe('bluezone-ios-overflow');
    const other = data.slice();
    other[5] = 0x80; // another app's overflow bit set: Android's unmasked filter rejects it
    expect(classifyAdvert(buildAdvertisingData([{ type: 'manufacturer', companyId: 0x004c, data: other }])).kind).toBe('unknown');
    expect(classifyAdvert(buildAdvertisingData([{ type: 'manufacturer', companyId: 0x004c, data: data.subarray(0, 16) }])).kind).toBe('unknown');
  });

  it('malformed or empty input is unknown, never a throw', () => {
    expect(classifyAdvert(new Uint8Array()).kind).toBe('unknown');
    expect(classifyAdvert(fromHex('0F FF B5 22')).kind).toBe('unknown');
    expect(parseAdvertisingData(fromHex('0F FF B5 22')).ok).toBe(false);
  });

  it('builder rejects a bad ID length', () => {
    expect(() => buildAndroidFrame(new Uint8Array(11))).toThrow(/12 bytes/);
  });
});
