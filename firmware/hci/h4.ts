// H4 (UART) framing: one packet-indicator byte, then the HCI packet (Core Spec Vol 4 Part A 2).
// Header sizes and length fields: Vol 4 Part E 5.4.1 (command), 5.4.2 (ACL), 5.4.4 (event).
import { H4_ACL, H4_COMMAND, H4_EVENT, H4_ISO, H4_SCO } from './constants.ts';
import { InvalidPacketError, hexOf } from './errors.ts';

export { InvalidPacketError } from './errors.ts';

export type H4Packet =
  | { type: 'command'; opcode: number; params: Uint8Array }
  | { type: 'event'; code: number; params: Uint8Array }
  /** `flags` = the 4 bits above the 12-bit handle (PB and BC flags, 5.4.2). */
  | { type: 'acl'; handle: number; flags: number; data: Uint8Array };

export type H4Kind = H4Packet['type'];

/** Faults closer than this (bytes) to the last reported one are counted in `quietFaults`, not reported. */
export const FAULT_REPORT_SPACING = 4096;

/** Largest ACL payload accepted; above it the length field is treated as corrupt (we offer 251, see virtualController). */
export const DEFAULT_MAX_ACL = 1024;

const HEADER: Record<number, number> = { [H4_COMMAND]: 3, [H4_ACL]: 4, [H4_EVENT]: 2 };
const KIND: Record<number, H4Kind> = { [H4_COMMAND]: 'command', [H4_ACL]: 'acl', [H4_EVENT]: 'event' };

export function encodeH4(p: H4Packet): Uint8Array {
  switch (p.type) {
    case 'command': {
      if (p.params.length > 255) throw new RangeError(`command 0x${p.opcode.toString(16)}: ${p.params.length} parameter bytes > 255`);
      const out = new Uint8Array(4 + p.params.length);
      out[0] = H4_COMMAND;
      out[1] = p.opcode & 0xff;
      out[2] = (p.opcode >> 8) & 0xff;
      out[3] = p.params.length;
      out.set(p.params, 4);
      return out;
    }
    case 'event': {
      if (p.params.length > 255) throw new RangeError(`event 0x${p.code.toString(16)}: ${p.params.length} parameter bytes > 255`);
      const out = new Uint8Array(3 + p.params.length);
      out[0] = H4_EVENT;
      out[1] = p.code;
      out[2] = p.params.length;
      out.set(p.params, 3);
      return out;
    }
    case 'acl': {
      if (p.data.length > 0xffff) throw new RangeError(`ACL: ${p.data.length} bytes > 65535`);
      const out = new Uint8Array(5 + p.data.length);
      const hf = (p.handle & 0x0fff) | ((p.flags & 0xf) << 12);
      out[0] = H4_ACL;
      out[1] = hf & 0xff;
      out[2] = hf >> 8;
      out[3] = p.data.length & 0xff;
      out[4] = p.data.length >> 8;
      out.set(p.data, 5);
      return out;
    }
  }
}

const enum State {
  NEED_TYPE,
  NEED_HEADER,
  NEED_BODY,
}

export interface H4FramerOptions {
  /** Packet kinds this side may receive: a controller gets commands and ACL, a host events and ACL. */
  accept?: readonly H4Kind[];
  maxAcl?: number;
}

/**
 * Streaming H4 decoder: NEED_TYPE -> NEED_HEADER -> NEED_BODY, any chunking. `push` returns the
 * packets completed by the chunk. A fault (unknown or unexpected packet type, ACL length above
 * `maxAcl`) is reported through `onError` as an InvalidPacketError; the framer then resets and
 * resynchronises at the next byte that can start an accepted packet (one fault per skipped run, at most
 * one reported per FAULT_REPORT_SPACING bytes), so a stream of garbage can never
 * make it throw or wait forever for a body that a corrupt length promised beyond `maxAcl`.
 */
export class H4Framer {
  private state = State.NEED_TYPE;
  private type = 0;
  private header = new Uint8Array(4);
  private headerLen = 0;
  private headerNeed = 0;
  private body = new Uint8Array(0);
  private bodyLen = 0;
  private packetStart = 0;
  /** Total bytes consumed so far: the stream offset used in error messages. */
  offset = 0;
  /** Bytes skipped while resynchronising, faults seen, and faults not reported (same spell), since creation. */
  skipped = 0;
  faults = 0;
  quietFaults = 0;
  private lastReport = -1;
  private readonly accept: ReadonlySet<H4Kind>;
  /** acceptByte[b]: b is the type byte of an accepted kind. */
  private readonly acceptByte = new Uint8Array(256);
  private readonly maxAcl: number;

  constructor(
    private readonly onError: (e: InvalidPacketError) => void = () => {},
    opts: H4FramerOptions = {},
  ) {
    this.accept = new Set(opts.accept ?? ['command', 'acl', 'event']);
    this.maxAcl = opts.maxAcl ?? DEFAULT_MAX_ACL;
    for (const [b, k] of Object.entries(KIND)) if (this.accept.has(k)) this.acceptByte[Number(b)] = 1;
  }

  reset(): void {
    this.state = State.NEED_TYPE;
    this.headerLen = 0;
    this.bodyLen = 0;
  }

  /** True when no partial packet is buffered. */
  get idle(): boolean {
    return this.state === State.NEED_TYPE;
  }

  push(chunk: Uint8Array): H4Packet[] {
    const out: H4Packet[] = [];
    let i = 0;
    while (i < chunk.length) {
      if (this.state === State.NEED_TYPE) {
        const t = chunk[i];
        const kind = KIND[t];
        this.packetStart = this.offset;
        if (kind === undefined || !this.accept.has(kind)) {
          // Resynchronise in one step: skip the whole run of bytes that cannot start a packet and
          // report it once. One error (and log line) per byte cost ~10 us each under garbage (issue 18).
          let j = i + 1;
          while (j < chunk.length && !this.acceptByte[chunk[j]]) j++;
          const why =
            t === H4_SCO ? 'SCO packets (0x03) are not supported' :
            t === H4_ISO ? 'ISO packets (0x05) are not supported' :
            kind ? `unexpected ${kind} packet (0x0${t}) on this side of the link` :
            `unknown H4 packet type 0x${t.toString(16).padStart(2, '0')}`;
          this.skipped += j - i;
          this.fault(why, chunk.subarray(i, i + 16), j - i > 1 ? `; skipped ${j - i} bytes to the next possible packet start` : '');
          this.offset += j - i;
          i = j;
          continue;
        }
        this.type = t;
        this.headerNeed = HEADER[t];
        this.headerLen = 0;
        this.state = State.NEED_HEADER;
        i++;
        this.offset++;
      } else if (this.state === State.NEED_HEADER) {
        const n = Math.min(this.headerNeed - this.headerLen, chunk.length - i);
        this.header.set(chunk.subarray(i, i + n), this.headerLen);
        this.headerLen += n;
        i += n;
        this.offset += n;
        if (this.headerLen < this.headerNeed) break;
        const len =
          this.type === H4_COMMAND ? this.header[2] :
          this.type === H4_EVENT ? this.header[1] :
          this.header[2] | (this.header[3] << 8);
        if (this.type === H4_ACL && len > this.maxAcl) {
          this.fault(`ACL length ${len} exceeds the maximum of ${this.maxAcl}`, this.header.slice(0, 4));
          continue;
        }
        this.body = new Uint8Array(len);
        this.bodyLen = 0;
        this.state = State.NEED_BODY;
        if (len === 0) out.push(this.finish());
      } else {
        const n = Math.min(this.body.length - this.bodyLen, chunk.length - i);
        this.body.set(chunk.subarray(i, i + n), this.bodyLen);
        this.bodyLen += n;
        i += n;
        this.offset += n;
        if (this.bodyLen === this.body.length) out.push(this.finish());
      }
    }
    return out;
  }

  private finish(): H4Packet {
    const h = this.header;
    const body = this.body;
    this.reset();
    if (this.type === H4_COMMAND) return { type: 'command', opcode: h[0] | (h[1] << 8), params: body };
    if (this.type === H4_EVENT) return { type: 'event', code: h[0], params: body };
    const hf = h[0] | (h[1] << 8);
    return { type: 'acl', handle: hf & 0x0fff, flags: hf >> 12, data: body };
  }

  private fault(why: string, bytes: Uint8Array, after = ''): void {
    const at = this.packetStart;
    this.faults++;
    this.reset();
    // A fault within FAULT_REPORT_SPACING bytes of the last reported one is counted, not reported:
    // under garbage, building each error and its message cost more than the parsing (issue 18 item 4).
    if (this.lastReport >= 0 && at - this.lastReport < FAULT_REPORT_SPACING) {
      this.quietFaults++;
      return;
    }
    this.lastReport = at;
    this.onError(new InvalidPacketError(`H4: ${why} at byte offset ${at} (bytes ${hexOf(bytes)})${after}`, at, bytes.slice()));
  }
}

/** Decodes a complete byte string; throws the first InvalidPacketError, or one for a truncated tail. */
export function decodeH4Stream(bytes: Uint8Array, opts: H4FramerOptions = {}): H4Packet[] {
  let first: InvalidPacketError | undefined;
  const f = new H4Framer((e) => (first ??= e), opts);
  const packets = f.push(bytes);
  if (first) throw first;
  if (!f.idle) {
    throw new InvalidPacketError(`H4: truncated packet at end of stream (${bytes.length} bytes)`, bytes.length, bytes.slice(-16));
  }
  return packets;
}
