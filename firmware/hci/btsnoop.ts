// btsnoop capture files (format of RFC 1761 "snoop" as adapted by btsnoop): readable by
// `btmon -r FILE` and Wireshark. Header: "btsnoop\0", version 1, datalink 1002 (HCI UART, H4).
// Each record: original length, included length, flags, cumulative drops (all u32 BE),
// timestamp (i64 BE, microseconds since 0000-01-01 00:00 AD), then the packet with its H4 byte.
import { closeSync, openSync, writeSync } from 'node:fs';
import { InvalidPacketError } from './errors.ts';

export const BTSNOOP_MAGIC = Uint8Array.from([0x62, 0x74, 0x73, 0x6e, 0x6f, 0x6f, 0x70, 0x00]); // "btsnoop\0"
export const BTSNOOP_VERSION = 1;
export const DATALINK_H4 = 1002;
/** Microseconds from 0000-01-01 to 1970-01-01, as btsnoop defines its epoch. */
export const BTSNOOP_EPOCH_DELTA_US = 0x00dcddb30f2f8000n;

/** Flag bit 0: 0 = sent (host to controller), 1 = received; bit 1: 1 = command/event, 0 = data. */
export function btsnoopFlags(hostToController: boolean, h4Type: number): number {
  const commandOrEvent = h4Type === 0x01 || h4Type === 0x04;
  return (hostToController ? 0 : 1) | (commandOrEvent ? 2 : 0);
}

export function btsnoopHeader(): Uint8Array {
  const b = new Uint8Array(16);
  b.set(BTSNOOP_MAGIC, 0);
  const v = new DataView(b.buffer);
  v.setUint32(8, BTSNOOP_VERSION);
  v.setUint32(12, DATALINK_H4);
  return b;
}

export function btsnoopRecord(packet: Uint8Array, hostToController: boolean, unixMs: number): Uint8Array {
  const b = new Uint8Array(24 + packet.length);
  const v = new DataView(b.buffer);
  v.setUint32(0, packet.length);
  v.setUint32(4, packet.length);
  v.setUint32(8, btsnoopFlags(hostToController, packet[0] ?? 0));
  v.setUint32(12, 0);
  v.setBigInt64(16, BigInt(Math.round(unixMs * 1000)) + BTSNOOP_EPOCH_DELTA_US);
  b.set(packet, 24);
  return b;
}

/** Appends records to a btsnoop file as they happen (synchronous, so a crash loses nothing written). */
export class BtsnoopWriter {
  private fd: number | undefined;
  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
    writeSync(this.fd, btsnoopHeader());
  }
  write(packet: Uint8Array, hostToController: boolean, unixMs: number): void {
    if (this.fd === undefined) return;
    writeSync(this.fd, btsnoopRecord(packet, hostToController, unixMs));
  }
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

export interface BtsnoopRecord {
  packet: Uint8Array;
  hostToController: boolean;
  flags: number;
  unixMs: number;
}

/** Parses a btsnoop file; malformed input throws InvalidPacketError with the byte offset. */
export function parseBtsnoop(bytes: Uint8Array): { version: number; datalink: number; records: BtsnoopRecord[] } {
  if (bytes.length < 16 || !BTSNOOP_MAGIC.every((x, i) => bytes[i] === x)) {
    throw new InvalidPacketError('btsnoop: missing "btsnoop\\0" magic at byte offset 0', 0, bytes.slice(0, 16));
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = v.getUint32(8);
  const datalink = v.getUint32(12);
  const records: BtsnoopRecord[] = [];
  let o = 16;
  while (o < bytes.length) {
    if (o + 24 > bytes.length) throw new InvalidPacketError(`btsnoop: truncated record header at byte offset ${o}`, o);
    const incl = v.getUint32(o + 4);
    const flags = v.getUint32(o + 8);
    const ts = v.getBigInt64(o + 16);
    if (o + 24 + incl > bytes.length) throw new InvalidPacketError(`btsnoop: record at byte offset ${o} claims ${incl} bytes, file ends first`, o);
    records.push({
      packet: bytes.slice(o + 24, o + 24 + incl),
      hostToController: (flags & 1) === 0,
      flags,
      unixMs: Number(ts - BTSNOOP_EPOCH_DELTA_US) / 1000,
    });
    o += 24 + incl;
  }
  return { version, datalink, records };
}
