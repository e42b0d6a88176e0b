// Bluezone advertising frames: build and recognise (bluezone-protocol.md 2.1-2.3, 4.1, 10).
// Recognition never depends on AD order or on the flags value (bluezone-protocol.md 2.1, 11).
import {
  buildAdvertisingData,
  expandUuid,
  parseAdvertisingData,
  type AdStructure,
  type ParsedAdStructure,
} from './ad.ts';
import { toHex } from './hex.ts';
import { ID_BYTES } from './keys.ts';

/** 16-bit service UUID "4E56" (ASCII "NV"), Android advert (bluezone-protocol.md 2.1). */
export const BLUEZONE_UUID16 = 0x4e56;
/** Android's 128-bit form of it on the Bluetooth Base UUID (AppConstants.BLE_UUID_ANDROID). */
export const BLUEZONE_ANDROID_UUID128 = expandUuid(BLUEZONE_UUID16);
/** Manufacturer company ID 8885 = 0x22B5 ("XU"), carries the 12-byte ID (bluezone-protocol.md 2.1). */
export const BLUEZONE_COMPANY_ID = 0x22b5;
/** iOS advertised service UUID = primary GATT service (bluezone-protocol.md 2.3, 3). */
export const BLUEZONE_IOS_UUID = '00004E56-73F5-4BC4-A12F-17D1AD07A667';
export const BLUEZONE_GATT_SERVICE_UUID = BLUEZONE_IOS_UUID;
/** Read-only characteristic returning the current 12-byte ID (bluezone-protocol.md 3). */
export const BLUEZONE_GATT_CHARACTERISTIC_UUID = '00004E56-73F5-4BC4-A12F-17D1AD07A689';
/** iOS local name (bluezone-protocol.md 2.3). */
export const BLUEZONE_IOS_NAME = 'Bluezone';
/** Android flags value (AOSP: 0x02 LE General Discoverable; bluezone-protocol.md 2.1). */
export const ANDROID_FLAGS = 0x02;
/** Apple's company ID (iBeacon, background overflow area). */
export const APPLE_COMPANY_ID = 0x004c;
/**
 * Android's scan filter for iOS in the background: manufacturer data 0x004C starting with these 17 bytes
 * (AppConstants.DEFAUT_MANUFACTOR_BYTE_IOS, no mask, so an exact prefix; bluezone-protocol.md 2.3).
 */
export const IOS_OVERFLOW_PREFIX = Uint8Array.of(0x01, 0x08, ...new Array<number>(15).fill(0));
/** Auxiliary iBeacon of Android 3.0.7 (IbeaconUtils.java; bluezone-protocol.md 2.2). */
export const BLUEZONE_IBEACON = {
  uuid: 'C7AFEF7B-1788-4F4A-A87D-691D53BF21C4',
  major: 20,
  minor: 20,
  measuredPower: -59,
} as const;

export type AdvertKind = 'bluezone-android' | 'bluezone-ios' | 'bluezone-ios-overflow' | 'ibeacon' | 'unknown';

export interface IBeaconInfo {
  uuid: string;
  major: number;
  minor: number;
  measuredPower: number;
}

export interface AdvertClass {
  kind: AdvertKind;
  /** The 12-byte BluezoneID (bluezone-android only). */
  id?: Uint8Array;
  /** iBeacon fields (kind 'ibeacon'); `bluezone` says whether it is Bluezone's auxiliary beacon. */
  ibeacon?: IBeaconInfo & { bluezone: boolean };
}

function checkId(id: Uint8Array): void {
  if (!(id instanceof Uint8Array) || id.length !== ID_BYTES) {
    throw new RangeError(`BluezoneID must be ${ID_BYTES} bytes, got ${id?.length}`);
  }
}

/** The Android structures in AOSP order: flags, manufacturer data, 16-bit UUID list (bluezone-protocol.md 2.1). */
export function androidStructures(id: Uint8Array): AdStructure[] {
  checkId(id);
  return [
    { type: 'flags', flags: ANDROID_FLAGS },
    { type: 'manufacturer', companyId: BLUEZONE_COMPANY_ID, data: id.slice() },
    { type: 'uuid16', complete: true, uuids: [BLUEZONE_UUID16] },
  ];
}

/** `02 01 02 0F FF B5 22 <id> 03 03 56 4E`, 23 bytes (bluezone-protocol.md 2.1). */
export function buildAndroidFrame(id: Uint8Array): Uint8Array {
  return buildAdvertisingData(androidStructures(id));
}

/** Android auxiliary iBeacon, 27 bytes, no flags (non-connectable; bluezone-protocol.md 2.2). */
export function buildIBeaconFrame(b: IBeaconInfo = BLUEZONE_IBEACON): Uint8Array {
  const uuid = b.uuid.replace(/-/g, '');
  const data = new Uint8Array(23);
  data[0] = 0x02; // iBeacon type
  data[1] = 0x15; // 21 bytes follow
  for (let i = 0; i < 16; i++) data[2 + i] = parseInt(uuid.slice(2 * i, 2 * i + 2), 16);
  data[18] = b.major >> 8; // major, minor: big-endian
  data[19] = b.major & 0xff;
  data[20] = b.minor >> 8;
  data[21] = b.minor & 0xff;
  data[22] = b.measuredPower & 0xff;
  return buildAdvertisingData([{ type: 'manufacturer', companyId: APPLE_COMPANY_ID, data }]);
}

/** iOS foreground advert: flags, 128-bit service UUID, name "Bluezone" (31 bytes; bluezone-protocol.md 2.3). */
export function buildIosFrame(flags = 0x06): Uint8Array {
  return buildAdvertisingData([
    { type: 'flags', flags },
    { type: 'uuid128', complete: true, uuids: [BLUEZONE_IOS_UUID] },
    { type: 'localName', complete: true, name: BLUEZONE_IOS_NAME },
  ]);
}

/** All service UUIDs of the lists, as 128-bit strings (Base-UUID expansion for 16/32-bit). */
function serviceUuids(structs: readonly AdStructure[]): Set<string> {
  const out = new Set<string>();
  for (const s of structs) {
    if (s.type === 'uuid16' || s.type === 'uuid32') s.uuids.forEach((u) => out.add(expandUuid(u)));
    else if (s.type === 'uuid128') s.uuids.forEach((u) => out.add(u));
  }
  return out;
}

function startsWith(data: Uint8Array, prefix: Uint8Array): boolean {
  if (data.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[i] !== prefix[i]) return false;
  return true;
}

/** Classifies parsed structures; see classifyAdvert. */
export function classifyStructures(structs: readonly (AdStructure | ParsedAdStructure)[]): AdvertClass {
  const uuids = serviceUuids(structs);
  const mfr = structs.filter((s): s is Extract<AdStructure, { type: 'manufacturer' }> => s.type === 'manufacturer');
  // Android rule (bluezone-protocol.md 4.1): 0x4E56 in a UUID list, then the ID is company 0x22B5's
  // data, exactly 12 bytes; otherwise the device is dropped (no GATT fallback), so 'unknown'.
  if (uuids.has(BLUEZONE_ANDROID_UUID128)) {
    const m = mfr.find((s) => s.companyId === BLUEZONE_COMPANY_ID && s.data.length === ID_BYTES);
    return m ? { kind: 'bluezone-android', id: m.data.slice() } : { kind: 'unknown' };
  }
  const named = structs.some((s) => s.type === 'localName' && s.name === BLUEZONE_IOS_NAME);
  if (uuids.has(BLUEZONE_IOS_UUID) || named) return { kind: 'bluezone-ios' };
  for (const m of mfr) {
    if (m.companyId !== APPLE_COMPANY_ID) continue;
    if (startsWith(m.data, IOS_OVERFLOW_PREFIX)) return { kind: 'bluezone-ios-overflow' };
    // iBeacon: type 0x02, length 0x15, UUID, major, minor, measured power.
    if (m.data.length === 23 && m.data[0] === 0x02 && m.data[1] === 0x15) {
      const hex = toHex(m.data.subarray(2, 18));
      const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
      const major = (m.data[18] << 8) | m.data[19];
      const minor = (m.data[20] << 8) | m.data[21];
      const measuredPower = (m.data[22] << 24) >> 24;
      const bluezone = uuid === BLUEZONE_IBEACON.uuid && major === BLUEZONE_IBEACON.major && minor === BLUEZONE_IBEACON.minor;
      return { kind: 'ibeacon', ibeacon: { uuid, major, minor, measuredPower, bluezone } };
    }
  }
  return { kind: 'unknown' };
}

/** Recognises a Bluezone (or iBeacon) advert from raw AD bytes. Never throws; malformed -> 'unknown'. */
export function classifyAdvert(advData: Uint8Array): AdvertClass {
  const r = parseAdvertisingData(advData);
  return r.ok ? classifyStructures(r.structures) : { kind: 'unknown' };
}
