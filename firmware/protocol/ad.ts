// Advertising-data (AD) codec: a sequence of [length][AD type][data] structures.
// Core Spec Vol 3 Part C 11 (format), Core Specification Supplement Part A 1.x (data types),
// Assigned Numbers 2.3 (AD type values). Pure; the parser never throws.
import { toHex } from './hex.ts';

/** AD type values (Assigned Numbers, "Common Data Types"). */
export const AD_TYPE = {
  FLAGS: 0x01,
  UUID16_INCOMPLETE: 0x02,
  UUID16_COMPLETE: 0x03,
  UUID32_INCOMPLETE: 0x04,
  UUID32_COMPLETE: 0x05,
  UUID128_INCOMPLETE: 0x06,
  UUID128_COMPLETE: 0x07,
  NAME_SHORT: 0x08,
  NAME_COMPLETE: 0x09,
  TX_POWER: 0x0a,
  SERVICE_DATA16: 0x16,
  SERVICE_DATA32: 0x20,
  SERVICE_DATA128: 0x21,
  MANUFACTURER: 0xff,
} as const;

/** Legacy advertising and scan-response data: at most 31 bytes (Core Spec Vol 6 Part B 2.3.1). */
export const LEGACY_ADV_MAX = 31;

export type AdStructure =
  | { type: 'flags'; flags: number }
  | { type: 'uuid16'; complete: boolean; uuids: number[] }
  | { type: 'uuid32'; complete: boolean; uuids: number[] }
  /** 128-bit UUIDs in canonical form, UPPERCASE with dashes; little-endian on air. */
  | { type: 'uuid128'; complete: boolean; uuids: string[] }
  | { type: 'manufacturer'; companyId: number; data: Uint8Array }
  | { type: 'serviceData16'; uuid: number; data: Uint8Array }
  | { type: 'serviceData32'; uuid: number; data: Uint8Array }
  | { type: 'serviceData128'; uuid: string; data: Uint8Array }
  /** UTF-8 name (Supplement Part A 1.2). Invalid UTF-8 is kept as a 'raw' structure instead. */
  | { type: 'localName'; complete: boolean; name: string }
  /** dBm, signed (Supplement Part A 1.5). */
  | { type: 'txPower'; dbm: number }
  /** Any other AD type, or a known one whose bytes are kept verbatim. */
  | { type: 'raw'; adType: number; data: Uint8Array };

/** A parsed structure plus where it sat: `offset` of its length byte, `size` incl. the length byte. */
export type ParsedAdStructure = AdStructure & { offset: number; size: number };

export type AdErrorCode = 'truncated' | 'overrun' | 'bad-length';

export interface AdError {
  code: AdErrorCode;
  /** Byte offset of the fault in the input. */
  offset: number;
  message: string;
}

export type AdParseResult =
  | {
      ok: true;
      structures: ParsedAdStructure[];
      /** Bytes up to the first zero length byte (or the end); the rest is insignificant padding. */
      significantLength: number;
    }
  | { ok: false; error: AdError };

const BASE_UUID_SUFFIX = '-0000-1000-8000-00805F9B34FB';

/** 16/32-bit UUID to its 128-bit form on the Bluetooth Base UUID (Core Spec Vol 3 Part B 2.5.1). */
export function expandUuid(short: number): string {
  return short.toString(16).toUpperCase().padStart(8, '0') + BASE_UUID_SUFFIX;
}

/** Canonical UPPERCASE "8-4-4-4-12" form; throws on anything that is not 32 hex digits. */
export function normalizeUuid128(s: string): string {
  const h = s.replace(/-/g, '').toUpperCase();
  if (!/^[0-9A-F]{32}$/.test(h)) throw new RangeError(`not a 128-bit UUID: ${JSON.stringify(s)}`);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function uuid128FromLe(b: Uint8Array, off: number): string {
  const be = new Uint8Array(16);
  for (let i = 0; i < 16; i++) be[i] = b[off + 15 - i];
  return normalizeUuid128(toHex(be));
}

function uuid128ToLe(uuid: string): Uint8Array {
  const h = normalizeUuid128(uuid).replace(/-/g, '');
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[15 - i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeBody(adType: number, d: Uint8Array, offset: number): AdStructure | AdError {
  const bad = (what: string): AdError => ({
    code: 'bad-length',
    offset,
    message: `AD structure at offset ${offset} (type 0x${adType.toString(16).padStart(2, '0')}): ${what}, got ${d.length} data bytes`,
  });
  const u16 = (i: number) => d[i] | (d[i + 1] << 8);
  const u32 = (i: number) => (d[i] | (d[i + 1] << 8) | (d[i + 2] << 16) | (d[i + 3] << 24)) >>> 0;
  switch (adType) {
    case AD_TYPE.FLAGS:
      // Supplement Part A 1.3: one octet (longer is allowed, all further bits reserved 0); keep odd sizes raw.
      return d.length === 1 ? { type: 'flags', flags: d[0] } : { type: 'raw', adType, data: d.slice() };
    case AD_TYPE.UUID16_INCOMPLETE:
    case AD_TYPE.UUID16_COMPLETE: {
      if (d.length % 2 !== 0) return bad('16-bit UUID list needs a multiple of 2 bytes');
      const uuids: number[] = [];
      for (let i = 0; i < d.length; i += 2) uuids.push(u16(i));
      return { type: 'uuid16', complete: adType === AD_TYPE.UUID16_COMPLETE, uuids };
    }
    case AD_TYPE.UUID32_INCOMPLETE:
    case AD_TYPE.UUID32_COMPLETE: {
      if (d.length % 4 !== 0) return bad('32-bit UUID list needs a multiple of 4 bytes');
      const uuids: number[] = [];
      for (let i = 0; i < d.length; i += 4) uuids.push(u32(i));
      return { type: 'uuid32', complete: adType === AD_TYPE.UUID32_COMPLETE, uuids };
    }
    case AD_TYPE.UUID128_INCOMPLETE:
    case AD_TYPE.UUID128_COMPLETE: {
      if (d.length % 16 !== 0) return bad('128-bit UUID list needs a multiple of 16 bytes');
      const uuids: string[] = [];
      for (let i = 0; i < d.length; i += 16) uuids.push(uuid128FromLe(d, i));
      return { type: 'uuid128', complete: adType === AD_TYPE.UUID128_COMPLETE, uuids };
    }
    case AD_TYPE.NAME_SHORT:
    case AD_TYPE.NAME_COMPLETE: {
      let name: string;
      try {
        name = utf8.decode(d);
      } catch {
        return { type: 'raw', adType, data: d.slice() };
      }
      return { type: 'localName', complete: adType === AD_TYPE.NAME_COMPLETE, name };
    }
    case AD_TYPE.TX_POWER:
      if (d.length !== 1) return bad('TX power level needs 1 byte');
      return { type: 'txPower', dbm: (d[0] << 24) >> 24 };
    case AD_TYPE.MANUFACTURER:
      if (d.length < 2) return bad('manufacturer data needs a 2-byte company ID');
      return { type: 'manufacturer', companyId: u16(0), data: d.slice(2) };
    case AD_TYPE.SERVICE_DATA16:
      if (d.length < 2) return bad('16-bit service data needs a 2-byte UUID');
      return { type: 'serviceData16', uuid: u16(0), data: d.slice(2) };
    case AD_TYPE.SERVICE_DATA32:
      if (d.length < 4) return bad('32-bit service data needs a 4-byte UUID');
      return { type: 'serviceData32', uuid: u32(0), data: d.slice(4) };
    case AD_TYPE.SERVICE_DATA128:
      if (d.length < 16) return bad('128-bit service data needs a 16-byte UUID');
      return { type: 'serviceData128', uuid: uuid128FromLe(d, 0), data: d.slice(16) };
    default:
      return { type: 'raw', adType, data: d.slice() };
  }
}

/**
 * Parses advertising or scan-response data. Never throws: any input gives a typed result.
 * A length byte of 0 ends the significant part (Core Spec Vol 3 Part C 11); what follows is ignored.
 */
export function parseAdvertisingData(bytes: Uint8Array): AdParseResult {
  const structures: ParsedAdStructure[] = [];
  let i = 0;
  while (i < bytes.length) {
    const len = bytes[i];
    if (len === 0) return { ok: true, structures, significantLength: i };
    if (i + 1 >= bytes.length) {
      return {
        ok: false,
        error: { code: 'truncated', offset: i, message: `AD structure at offset ${i} has length ${len} but the data ends before its type byte` },
      };
    }
    if (i + 1 + len > bytes.length) {
      return {
        ok: false,
        error: {
          code: 'overrun',
          offset: i,
          message: `AD structure at offset ${i} has length ${len} but only ${bytes.length - i - 1} bytes follow`,
        },
      };
    }
    const adType = bytes[i + 1];
    const body = decodeBody(adType, bytes.subarray(i + 2, i + 1 + len), i);
    if ('code' in body) return { ok: false, error: body };
    structures.push({ ...body, offset: i, size: len + 1 });
    i += len + 1;
  }
  return { ok: true, structures, significantLength: i };
}

function le16(v: number): number[] {
  return [v & 0xff, (v >> 8) & 0xff];
}
function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}
function checkUint(v: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`${what} out of range: ${v}`);
}

function encodeBody(s: AdStructure): [number, Uint8Array] {
  switch (s.type) {
    case 'flags':
      checkUint(s.flags, 0xff, 'flags');
      return [AD_TYPE.FLAGS, Uint8Array.of(s.flags)];
    case 'uuid16':
      s.uuids.forEach((u) => checkUint(u, 0xffff, '16-bit UUID'));
      return [s.complete ? AD_TYPE.UUID16_COMPLETE : AD_TYPE.UUID16_INCOMPLETE, Uint8Array.from(s.uuids.flatMap(le16))];
    case 'uuid32':
      s.uuids.forEach((u) => checkUint(u, 0xffffffff, '32-bit UUID'));
      return [s.complete ? AD_TYPE.UUID32_COMPLETE : AD_TYPE.UUID32_INCOMPLETE, Uint8Array.from(s.uuids.flatMap(le32))];
    case 'uuid128': {
      const out = new Uint8Array(16 * s.uuids.length);
      s.uuids.forEach((u, k) => out.set(uuid128ToLe(u), 16 * k));
      return [s.complete ? AD_TYPE.UUID128_COMPLETE : AD_TYPE.UUID128_INCOMPLETE, out];
    }
    case 'manufacturer':
      checkUint(s.companyId, 0xffff, 'company ID');
      return [AD_TYPE.MANUFACTURER, Uint8Array.from([...le16(s.companyId), ...s.data])];
    case 'serviceData16':
      checkUint(s.uuid, 0xffff, '16-bit UUID');
      return [AD_TYPE.SERVICE_DATA16, Uint8Array.from([...le16(s.uuid), ...s.data])];
    case 'serviceData32':
      checkUint(s.uuid, 0xffffffff, '32-bit UUID');
      return [AD_TYPE.SERVICE_DATA32, Uint8Array.from([...le32(s.uuid), ...s.data])];
    case 'serviceData128':
      return [AD_TYPE.SERVICE_DATA128, Uint8Array.from([...uuid128ToLe(s.uuid), ...s.data])];
    case 'localName':
      return [s.complete ? AD_TYPE.NAME_COMPLETE : AD_TYPE.NAME_SHORT, new TextEncoder().encode(s.name)];
    case 'txPower':
      if (!Number.isInteger(s.dbm) || s.dbm < -128 || s.dbm > 127) throw new RangeError(`TX power out of range: ${s.dbm}`);
      return [AD_TYPE.TX_POWER, Uint8Array.of(s.dbm & 0xff)];
    case 'raw':
      checkUint(s.adType, 0xff, 'AD type');
      return [s.adType, s.data];
  }
}

export interface BuildOptions {
  /** Largest allowed total; default 31 (legacy advertising). Pass Infinity for extended advertising. */
  maxLength?: number;
}

/**
 * Structures to bytes, in the given order. Throws RangeError when a value is out of range, a structure
 * exceeds 254 data bytes, or the total exceeds `maxLength` (31 by default: legacy advertising).
 */
export function buildAdvertisingData(structures: readonly AdStructure[], opts: BuildOptions = {}): Uint8Array {
  const maxLength = opts.maxLength ?? LEGACY_ADV_MAX;
  const parts: number[] = [];
  for (const s of structures) {
    const [adType, body] = encodeBody(s);
    if (body.length + 1 > 0xff) throw new RangeError(`AD structure ${s.type} too long: ${body.length} data bytes (max 254)`);
    parts.push(body.length + 1, adType, ...body);
  }
  if (parts.length > maxLength) {
    throw new RangeError(`advertising data is ${parts.length} bytes, more than the ${maxLength} allowed`);
  }
  return Uint8Array.from(parts);
}

/** JSON-friendly view of a structure (bytes as UPPERCASE hex). */
export function adStructureToJson(s: AdStructure | ParsedAdStructure): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) o[k] = v instanceof Uint8Array ? toHex(v) : v;
  if (s.type === 'raw') o.adType = `0x${s.adType.toString(16).padStart(2, '0').toUpperCase()}`;
  if ('companyId' in s) o.companyId = `0x${s.companyId.toString(16).padStart(4, '0').toUpperCase()}`;
  if (s.type === 'uuid16' || s.type === 'uuid32') {
    o.uuids = s.uuids.map((u) => `0x${u.toString(16).padStart(s.type === 'uuid16' ? 4 : 8, '0').toUpperCase()}`);
  }
  if (s.type === 'serviceData16' || s.type === 'serviceData32') {
    o.uuid = `0x${s.uuid.toString(16).padStart(s.type === 'serviceData16' ? 4 : 8, '0').toUpperCase()}`;
  }
  return o;
}
