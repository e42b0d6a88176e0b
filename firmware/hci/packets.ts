// Declared HCI packet layouts: each command and event is a field table, and one generic
// encoder/decoder turns tables into bytes and back (all fields little-endian, Vol 4 Part E 5.4).
import {
  EVT,
  LE_SUBEVENT_ADVERTISING_REPORT,
  LE_SUBEVENT_CONNECTION_COMPLETE,
  LE_SUBEVENT_CONNECTION_UPDATE_COMPLETE,
  LE_SUBEVENT_ENHANCED_CONNECTION_COMPLETE,
  LE_SUBEVENT_READ_REMOTE_FEATURES_COMPLETE,
  MAX_ADV_DATA,
  OP,
  type CommandName,
} from './constants.ts';
import { InvalidPacketError, hexOf } from './errors.ts';
import { encodeH4 } from './h4.ts';

/**
 * Field kinds: unsigned `u8/u16/u24/u32`, signed `i8`; `addr` a 6-octet BD_ADDR (little-endian on the
 * wire, "aa:bb:cc:dd:ee:ff" in memory, most significant first as btmon prints it); `bN` exactly N
 * octets; `adv31` a length octet followed by a 31-octet zero-padded field (7.8.7); `lv` a length
 * octet then that many octets; `rest` all remaining octets.
 */
export type FieldKind = 'u8' | 'i8' | 'u16' | 'u24' | 'u32' | 'addr' | 'adv31' | 'lv' | 'rest' | `b${number}`;
export type Field = readonly [name: string, kind: FieldKind];
type ValueOf<K> = K extends 'addr' ? string : K extends 'adv31' | 'lv' | 'rest' | `b${number}` ? Uint8Array : number;
export type FieldsOf<F extends readonly Field[]> = { -readonly [E in F[number] as E[0]]: ValueOf<E[1]> };

const STATUS_FIELD = ['status', 'u8'] as const;

/** Command parameters (Vol 4 Part E 7.x, section per command in constants.ts). */
// prettier-ignore
export const COMMAND_PARAMS = {
  Disconnect:                      [['connectionHandle', 'u16'], ['reason', 'u8']],
  SetEventMask:                    [['eventMask', 'b8']],
  Reset:                           [],
  SetEventFilter:                  [['filter', 'rest']],
  ReadLeHostSupported:             [],
  WriteLeHostSupported:            [['leSupportedHost', 'u8'], ['unused', 'u8']],
  ReadLocalVersionInformation:     [],
  ReadLocalSupportedCommands:      [],
  ReadBufferSize:                  [],
  ReadBdAddr:                      [],
  ReadRssi:                        [['handle', 'u16']],
  LeSetEventMask:                  [['leEventMask', 'b8']],
  LeReadBufferSize:                [],
  LeReadLocalSupportedFeatures:    [],
  LeSetRandomAddress:              [['randomAddress', 'addr']],
  LeSetAdvertisingParameters:      [['advertisingIntervalMin', 'u16'], ['advertisingIntervalMax', 'u16'],
                                    ['advertisingType', 'u8'], ['ownAddressType', 'u8'], ['peerAddressType', 'u8'],
                                    ['peerAddress', 'addr'], ['advertisingChannelMap', 'u8'], ['advertisingFilterPolicy', 'u8']],
  LeReadAdvertisingChannelTxPower: [],
  LeSetAdvertisingData:            [['advertisingData', 'adv31']],
  LeSetScanResponseData:           [['scanResponseData', 'adv31']],
  LeSetAdvertisingEnable:          [['advertisingEnable', 'u8']],
  LeSetScanParameters:             [['leScanType', 'u8'], ['leScanInterval', 'u16'], ['leScanWindow', 'u16'],
                                    ['ownAddressType', 'u8'], ['scanningFilterPolicy', 'u8']],
  LeSetScanEnable:                 [['leScanEnable', 'u8'], ['filterDuplicates', 'u8']],
  LeCreateConnection:              [['leScanInterval', 'u16'], ['leScanWindow', 'u16'], ['initiatorFilterPolicy', 'u8'],
                                    ['peerAddressType', 'u8'], ['peerAddress', 'addr'], ['ownAddressType', 'u8'],
                                    ['connectionIntervalMin', 'u16'], ['connectionIntervalMax', 'u16'], ['maxLatency', 'u16'],
                                    ['supervisionTimeout', 'u16'], ['minCeLength', 'u16'], ['maxCeLength', 'u16']],
  LeCreateConnectionCancel:        [],
  LeConnectionUpdate:              [['connectionHandle', 'u16'], ['connectionIntervalMin', 'u16'], ['connectionIntervalMax', 'u16'],
                                    ['maxLatency', 'u16'], ['supervisionTimeout', 'u16'], ['minCeLength', 'u16'], ['maxCeLength', 'u16']],
  LeReadRemoteFeatures:            [['connectionHandle', 'u16']],
} as const satisfies Record<CommandName, readonly Field[]>;

/** Command Complete return parameters (status first). Commands absent here answer with Command Status. */
// prettier-ignore
export const COMMAND_RETURNS = {
  SetEventMask:                    [STATUS_FIELD],
  Reset:                           [STATUS_FIELD],
  SetEventFilter:                  [STATUS_FIELD],
  ReadLeHostSupported:             [STATUS_FIELD, ['leSupportedHost', 'u8'], ['unused', 'u8']],
  WriteLeHostSupported:            [STATUS_FIELD],
  ReadLocalVersionInformation:     [STATUS_FIELD, ['hciVersion', 'u8'], ['hciSubversion', 'u16'], ['lmpVersion', 'u8'],
                                    ['companyIdentifier', 'u16'], ['lmpSubversion', 'u16']],
  ReadLocalSupportedCommands:      [STATUS_FIELD, ['supportedCommands', 'b64']],
  ReadBufferSize:                  [STATUS_FIELD, ['aclDataPacketLength', 'u16'], ['syncDataPacketLength', 'u8'],
                                    ['totalNumAclDataPackets', 'u16'], ['totalNumSyncDataPackets', 'u16']],
  ReadBdAddr:                      [STATUS_FIELD, ['bdAddr', 'addr']],
  ReadRssi:                        [STATUS_FIELD, ['handle', 'u16'], ['rssi', 'i8']],
  LeSetEventMask:                  [STATUS_FIELD],
  LeReadBufferSize:                [STATUS_FIELD, ['leAclDataPacketLength', 'u16'], ['totalNumLeAclDataPackets', 'u8']],
  LeReadLocalSupportedFeatures:    [STATUS_FIELD, ['leFeatures', 'b8']],
  LeSetRandomAddress:              [STATUS_FIELD],
  LeSetAdvertisingParameters:      [STATUS_FIELD],
  LeReadAdvertisingChannelTxPower: [STATUS_FIELD, ['txPowerLevel', 'i8']],
  LeSetAdvertisingData:            [STATUS_FIELD],
  LeSetScanResponseData:           [STATUS_FIELD],
  LeSetAdvertisingEnable:          [STATUS_FIELD],
  LeSetScanParameters:             [STATUS_FIELD],
  LeSetScanEnable:                 [STATUS_FIELD],
  LeCreateConnectionCancel:        [STATUS_FIELD],
} as const satisfies Partial<Record<CommandName, readonly Field[]>>;

export type ReturningCommand = keyof typeof COMMAND_RETURNS;
export type CommandParams<N extends CommandName> = FieldsOf<(typeof COMMAND_PARAMS)[N]>;
export type CommandReturn<N extends ReturningCommand> = FieldsOf<(typeof COMMAND_RETURNS)[N]>;

/** Event parameters (7.7.x). */
// prettier-ignore
export const EVENT_PARAMS = {
  DisconnectionComplete:   [['status', 'u8'], ['connectionHandle', 'u16'], ['reason', 'u8']],             // 7.7.5
  DataBufferOverflow:      [['linkType', 'u8']],                                                         // 7.7.26
  CommandComplete:         [['numHciCommandPackets', 'u8'], ['commandOpcode', 'u16'], ['returnParameters', 'rest']], // 7.7.14
  CommandStatus:           [['status', 'u8'], ['numHciCommandPackets', 'u8'], ['commandOpcode', 'u16']],  // 7.7.15
  NumberOfCompletedPackets:[['handles', 'rest']],                                                        // 7.7.19
  LeMeta:                  [['subeventCode', 'u8'], ['subevent', 'rest']],                                 // 7.7.65
} as const satisfies Record<keyof typeof EVT, readonly Field[]>;

/** One report of LE Advertising Report (7.7.65.2); we always send Num_Reports = 1 per event. */
// prettier-ignore
export const ADVERTISING_REPORT = [
  ['eventType', 'u8'], ['addressType', 'u8'], ['address', 'addr'], ['data', 'lv'], ['rssi', 'i8'],
] as const satisfies readonly Field[];
export type AdvertisingReport = FieldsOf<typeof ADVERTISING_REPORT>;

/** LE Connection Complete (7.7.65.1), after the subevent code. */
// prettier-ignore
export const LE_CONNECTION_COMPLETE = [
  ['status', 'u8'], ['connectionHandle', 'u16'], ['role', 'u8'], ['peerAddressType', 'u8'], ['peerAddress', 'addr'],
  ['connectionInterval', 'u16'], ['peripheralLatency', 'u16'], ['supervisionTimeout', 'u16'], ['centralClockAccuracy', 'u8'],
] as const satisfies readonly Field[];
export type LeConnectionComplete = FieldsOf<typeof LE_CONNECTION_COMPLETE>;

/** LE Enhanced Connection Complete (7.7.65.10): the same plus the two resolvable private addresses. */
// prettier-ignore
export const LE_ENHANCED_CONNECTION_COMPLETE = [
  ['status', 'u8'], ['connectionHandle', 'u16'], ['role', 'u8'], ['peerAddressType', 'u8'], ['peerAddress', 'addr'],
  ['localResolvablePrivateAddress', 'addr'], ['peerResolvablePrivateAddress', 'addr'],
  ['connectionInterval', 'u16'], ['peripheralLatency', 'u16'], ['supervisionTimeout', 'u16'], ['centralClockAccuracy', 'u8'],
] as const satisfies readonly Field[];

/** LE Connection Update Complete (7.7.65.3). */
// prettier-ignore
export const LE_CONNECTION_UPDATE_COMPLETE = [
  ['status', 'u8'], ['connectionHandle', 'u16'], ['connectionInterval', 'u16'], ['peripheralLatency', 'u16'], ['supervisionTimeout', 'u16'],
] as const satisfies readonly Field[];

/** LE Read Remote Features Complete (7.7.65.4). */
export const LE_READ_REMOTE_FEATURES_COMPLETE = [['status', 'u8'], ['connectionHandle', 'u16'], ['leFeatures', 'b8']] as const satisfies readonly Field[];

function leMeta(subevent: number, body: Uint8Array): Uint8Array {
  const sub = new Uint8Array(1 + body.length);
  sub[0] = subevent;
  sub.set(body, 1);
  return encodeH4({ type: 'event', code: EVT.LeMeta, params: sub });
}

export function leConnectionCompleteEvent(e: LeConnectionComplete): Uint8Array {
  return leMeta(LE_SUBEVENT_CONNECTION_COMPLETE, encodeFields('LeConnectionComplete', LE_CONNECTION_COMPLETE, e));
}

export function leEnhancedConnectionCompleteEvent(e: LeConnectionComplete): Uint8Array {
  const none = '00:00:00:00:00:00'; // no address resolution in the virtual air
  return leMeta(LE_SUBEVENT_ENHANCED_CONNECTION_COMPLETE, encodeFields('LeEnhancedConnectionComplete', LE_ENHANCED_CONNECTION_COMPLETE, {
    ...e, localResolvablePrivateAddress: none, peerResolvablePrivateAddress: none,
  }));
}

export function leConnectionUpdateCompleteEvent(e: FieldsOf<typeof LE_CONNECTION_UPDATE_COMPLETE>): Uint8Array {
  return leMeta(LE_SUBEVENT_CONNECTION_UPDATE_COMPLETE, encodeFields('LeConnectionUpdateComplete', LE_CONNECTION_UPDATE_COMPLETE, e));
}

export function leReadRemoteFeaturesCompleteEvent(e: FieldsOf<typeof LE_READ_REMOTE_FEATURES_COMPLETE>): Uint8Array {
  return leMeta(LE_SUBEVENT_READ_REMOTE_FEATURES_COMPLETE, encodeFields('LeReadRemoteFeaturesComplete', LE_READ_REMOTE_FEATURES_COMPLETE, e));
}

export function disconnectionCompleteEvent(status: number, connectionHandle: number, reason: number): Uint8Array {
  return encodeH4({
    type: 'event', code: EVT.DisconnectionComplete,
    params: encodeFields('DisconnectionComplete', EVENT_PARAMS.DisconnectionComplete, { status, connectionHandle, reason }),
  });
}

/** Number Of Completed Packets (7.7.19): Num_Handles, then handle/count pairs. */
export function numberOfCompletedPacketsEvent(pairs: readonly (readonly [handle: number, count: number])[]): Uint8Array {
  const p = new Uint8Array(1 + 4 * pairs.length);
  p[0] = pairs.length;
  pairs.forEach(([h, n], i) => {
    p[1 + 4 * i] = h & 0xff;
    p[2 + 4 * i] = (h >> 8) & 0x0f;
    p[3 + 4 * i] = n & 0xff;
    p[4 + 4 * i] = (n >> 8) & 0xff;
  });
  return encodeH4({ type: 'event', code: EVT.NumberOfCompletedPackets, params: p });
}

/** Data Buffer Overflow (7.7.26); link type 0x01 = ACL. */
export function dataBufferOverflowEvent(linkType = 0x01): Uint8Array {
  return encodeH4({ type: 'event', code: EVT.DataBufferOverflow, params: Uint8Array.from([linkType]) });
}

function fixedSize(kind: FieldKind): number | undefined {
  switch (kind) {
    case 'u8': case 'i8': return 1;
    case 'u16': return 2;
    case 'u24': return 3;
    case 'u32': return 4;
    case 'addr': return 6;
    case 'adv31': return 1 + MAX_ADV_DATA;
    case 'lv': case 'rest': return undefined;
    default: return Number(kind.slice(1));
  }
}

export function addrToBytes(addr: string): Uint8Array {
  const parts = addr.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) {
    throw new RangeError(`bad BD_ADDR "${addr}": expected six hex octets like c0:ff:ee:00:00:01`);
  }
  return Uint8Array.from(parts.reverse().map((p) => parseInt(p, 16)));
}

export function addrFromBytes(b: Uint8Array): string {
  return Array.from(b).reverse().map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** Encodes values by a field table; a value out of range is a RangeError naming the field. */
export function encodeFields<F extends readonly Field[]>(what: string, fields: F, values: FieldsOf<F>): Uint8Array {
  const v = values as Record<string, unknown>;
  // Pass 1: check values and size the output; pass 2 writes (no intermediate arrays: this is on
  // the per-report path of the air).
  let size = 0;
  for (const [name, kind] of fields) {
    const x = v[name];
    const bad = (why: string) => new RangeError(`${what}.${name}: ${why}`);
    if (kind === 'addr') {
      if (typeof x !== 'string') throw bad('expected an address string');
      size += 6;
    } else if (kind === 'adv31' || kind === 'lv' || kind === 'rest' || kind.startsWith('b')) {
      if (!(x instanceof Uint8Array)) throw bad('expected bytes');
      if (kind === 'adv31') {
        if (x.length > MAX_ADV_DATA) throw bad(`${x.length} bytes > ${MAX_ADV_DATA}`);
        size += 1 + MAX_ADV_DATA;
      } else if (kind === 'lv') {
        if (x.length > 255) throw bad(`${x.length} bytes > 255`);
        size += 1 + x.length;
      } else if (kind === 'rest') {
        size += x.length;
      } else {
        const n = fixedSize(kind)!;
        if (x.length !== n) throw bad(`${x.length} bytes, expected ${n}`);
        size += n;
      }
    } else {
      if (typeof x !== 'number' || !Number.isInteger(x)) throw bad('expected an integer');
      const n = fixedSize(kind)!;
      const lo = kind === 'i8' ? -128 : 0;
      const hi = kind === 'i8' ? 127 : 2 ** (8 * n) - 1;
      if (x < lo || x > hi) throw bad(`${x} outside ${lo}..${hi}`);
      size += n;
    }
  }
  const out = new Uint8Array(size);
  let o = 0;
  for (const [name, kind] of fields) {
    const x = v[name];
    if (kind === 'addr') {
      out.set(addrToBytes(x as string), o);
      o += 6;
    } else if (x instanceof Uint8Array) {
      if (kind === 'adv31' || kind === 'lv') out[o++] = x.length;
      out.set(x, o);
      o += kind === 'adv31' ? MAX_ADV_DATA : x.length; // adv31: zero padding is already there
    } else {
      const n = fixedSize(kind)!;
      const u = kind === 'i8' ? (x as number) & 0xff : (x as number);
      for (let k = 0; k < n; k++) out[o++] = Math.floor(u / 2 ** (8 * k)) & 0xff;
    }
  }
  return out;
}

/**
 * Decodes bytes by a field table. Short input, trailing bytes, or an `adv31` length above 31 throw
 * an InvalidPacketError naming the field and its byte offset within the parameters.
 */
export function decodeFields<F extends readonly Field[]>(what: string, fields: F, bytes: Uint8Array): FieldsOf<F> {
  const out: Record<string, unknown> = {};
  let o = 0;
  const need = (name: string, n: number) => {
    if (o + n > bytes.length) {
      throw new InvalidPacketError(
        `${what}: field ${name} needs ${n} byte(s) at offset ${o}, only ${bytes.length - o} left (params ${hexOf(bytes)})`,
        o, bytes.slice());
    }
  };
  for (const [name, kind] of fields) {
    if (kind === 'rest') {
      out[name] = bytes.slice(o);
      o = bytes.length;
    } else if (kind === 'lv') {
      need(name, 1);
      const n = bytes[o];
      need(name, 1 + n);
      out[name] = bytes.slice(o + 1, o + 1 + n);
      o += 1 + n;
    } else if (kind === 'adv31') {
      need(name, 1 + MAX_ADV_DATA);
      const n = bytes[o];
      if (n > MAX_ADV_DATA) {
        throw new InvalidPacketError(`${what}: field ${name} length ${n} at offset ${o} exceeds ${MAX_ADV_DATA}`, o, bytes.slice());
      }
      out[name] = bytes.slice(o + 1, o + 1 + n);
      o += 1 + MAX_ADV_DATA;
    } else {
      const n = fixedSize(kind)!;
      need(name, n);
      const b = bytes.subarray(o, o + n);
      if (kind === 'addr') out[name] = addrFromBytes(b);
      else if (kind.startsWith('b')) out[name] = b.slice();
      else if (kind === 'i8') out[name] = (b[0] << 24) >> 24;
      else {
        let u = 0;
        for (let k = n - 1; k >= 0; k--) u = u * 256 + b[k];
        out[name] = u;
      }
      o += n;
    }
  }
  if (o !== bytes.length) {
    throw new InvalidPacketError(`${what}: ${bytes.length - o} unexpected trailing byte(s) at offset ${o} (params ${hexOf(bytes)})`, o, bytes.slice());
  }
  return out as FieldsOf<F>;
}

// ---- convenience builders (H4 bytes, packet indicator included) ----

export function encodeCommand<N extends CommandName>(name: N, params: CommandParams<N>): Uint8Array {
  const body = encodeFields(name, COMMAND_PARAMS[name] as readonly Field[], params as never);
  return encodeH4({ type: 'command', opcode: OP[name], params: body });
}

export function decodeCommandParams<N extends CommandName>(name: N, params: Uint8Array): CommandParams<N> {
  return decodeFields(name, COMMAND_PARAMS[name] as readonly Field[], params) as CommandParams<N>;
}

export function encodeReturn<N extends ReturningCommand>(name: N, values: CommandReturn<N>): Uint8Array {
  return encodeFields(`${name} return`, COMMAND_RETURNS[name] as readonly Field[], values as never);
}

export function decodeReturn<N extends ReturningCommand>(name: N, bytes: Uint8Array): CommandReturn<N> {
  return decodeFields(`${name} return`, COMMAND_RETURNS[name] as readonly Field[], bytes) as CommandReturn<N>;
}

export function commandCompleteEvent(ncmd: number, opcode: number, returnParameters: Uint8Array): Uint8Array {
  return encodeH4({
    type: 'event',
    code: EVT.CommandComplete,
    params: encodeFields('CommandComplete', EVENT_PARAMS.CommandComplete, { numHciCommandPackets: ncmd, commandOpcode: opcode, returnParameters }),
  });
}

export function commandStatusEvent(ncmd: number, opcode: number, status: number): Uint8Array {
  return encodeH4({
    type: 'event',
    code: EVT.CommandStatus,
    params: encodeFields('CommandStatus', EVENT_PARAMS.CommandStatus, { status, numHciCommandPackets: ncmd, commandOpcode: opcode }),
  });
}

export function advertisingReportEvent(r: AdvertisingReport): Uint8Array {
  const report = encodeFields('LeAdvertisingReport', ADVERTISING_REPORT, r);
  const sub = new Uint8Array(2 + report.length);
  sub[0] = LE_SUBEVENT_ADVERTISING_REPORT;
  sub[1] = 1; // Num_Reports
  sub.set(report, 2);
  return encodeH4({ type: 'event', code: EVT.LeMeta, params: sub });
}

/**
 * Parses the reports of an LE Advertising Report sub-event (params after the subevent code).
 * Reports are laid out one after another, as BlueZ, bleno and noble read them.
 */
export function decodeAdvertisingReports(sub: Uint8Array): AdvertisingReport[] {
  if (sub.length < 1) throw new InvalidPacketError('LeAdvertisingReport: missing Num_Reports at offset 0', 0, sub.slice());
  const n = sub[0];
  const out: AdvertisingReport[] = [];
  let o = 1;
  for (let i = 0; i < n; i++) {
    if (o + 9 > sub.length) throw new InvalidPacketError(`LeAdvertisingReport: report ${i} truncated at offset ${o}`, o, sub.slice());
    const len = sub[o + 8];
    const end = o + 9 + len + 1;
    if (end > sub.length) throw new InvalidPacketError(`LeAdvertisingReport: report ${i} data length ${len} at offset ${o + 8} runs past the end`, o + 8, sub.slice());
    out.push(decodeFields('LeAdvertisingReport', ADVERTISING_REPORT, sub.subarray(o, end)));
    o = end;
  }
  if (o !== sub.length) throw new InvalidPacketError(`LeAdvertisingReport: ${sub.length - o} trailing byte(s) at offset ${o}`, o, sub.slice());
  return out;
}

/** A decoded event, as a host would see it. */
export type DecodedEvent =
  | { name: 'CommandComplete'; ncmd: number; opcode: number; returnParameters: Uint8Array }
  | { name: 'CommandStatus'; status: number; ncmd: number; opcode: number }
  | { name: 'LeAdvertisingReport'; reports: AdvertisingReport[] }
  | { name: 'DisconnectionComplete'; status: number; connectionHandle: number; reason: number }
  | ({ name: 'LeConnectionComplete'; enhanced: boolean } & LeConnectionComplete)
  | { name: 'LeReadRemoteFeaturesComplete'; status: number; connectionHandle: number; leFeatures: Uint8Array }
  | { name: 'LeConnectionUpdateComplete'; status: number; connectionHandle: number; connectionInterval: number; peripheralLatency: number; supervisionTimeout: number }
  | { name: 'NumberOfCompletedPackets'; pairs: [handle: number, count: number][] }
  | { name: 'Other'; code: number; params: Uint8Array };

export function decodeEvent(code: number, params: Uint8Array): DecodedEvent {
  if (code === EVT.CommandComplete) {
    const f = decodeFields('CommandComplete', EVENT_PARAMS.CommandComplete, params);
    return { name: 'CommandComplete', ncmd: f.numHciCommandPackets, opcode: f.commandOpcode, returnParameters: f.returnParameters };
  }
  if (code === EVT.CommandStatus) {
    const f = decodeFields('CommandStatus', EVENT_PARAMS.CommandStatus, params);
    return { name: 'CommandStatus', status: f.status, ncmd: f.numHciCommandPackets, opcode: f.commandOpcode };
  }
  if (code === EVT.DisconnectionComplete) {
    return { name: 'DisconnectionComplete', ...decodeFields('DisconnectionComplete', EVENT_PARAMS.DisconnectionComplete, params) };
  }
  if (code === EVT.NumberOfCompletedPackets) {
    const n = params[0] ?? 0;
    if (params.length !== 1 + 4 * n) throw new InvalidPacketError(`NumberOfCompletedPackets: ${params.length} bytes for ${n} handle(s)`, 0, params.slice());
    const pairs: [number, number][] = [];
    for (let i = 0; i < n; i++) pairs.push([(params[1 + 4 * i] | (params[2 + 4 * i] << 8)) & 0x0fff, params[3 + 4 * i] | (params[4 + 4 * i] << 8)]);
    return { name: 'NumberOfCompletedPackets', pairs };
  }
  if (code === EVT.LeMeta && params.length >= 1) {
    const sub = params.subarray(1);
    switch (params[0]) {
      case LE_SUBEVENT_ADVERTISING_REPORT:
        return { name: 'LeAdvertisingReport', reports: decodeAdvertisingReports(sub) };
      case LE_SUBEVENT_CONNECTION_COMPLETE:
        return { name: 'LeConnectionComplete', enhanced: false, ...decodeFields('LeConnectionComplete', LE_CONNECTION_COMPLETE, sub) };
      case LE_SUBEVENT_ENHANCED_CONNECTION_COMPLETE: {
        const f = decodeFields('LeEnhancedConnectionComplete', LE_ENHANCED_CONNECTION_COMPLETE, sub);
        const { localResolvablePrivateAddress: _l, peerResolvablePrivateAddress: _p, ...rest } = f;
        return { name: 'LeConnectionComplete', enhanced: true, ...rest };
      }
      case LE_SUBEVENT_READ_REMOTE_FEATURES_COMPLETE:
        return { name: 'LeReadRemoteFeaturesComplete', ...decodeFields('LeReadRemoteFeaturesComplete', LE_READ_REMOTE_FEATURES_COMPLETE, sub) };
      case LE_SUBEVENT_CONNECTION_UPDATE_COMPLETE:
        return { name: 'LeConnectionUpdateComplete', ...decodeFields('LeConnectionUpdateComplete', LE_CONNECTION_UPDATE_COMPLETE, sub) };
    }
  }
  return { name: 'Other', code, params };
}
