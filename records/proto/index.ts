// Loads bluezone.proto (beside this file) with protobufjs and gives typed encode/decode plus length-delimited
// streams (a varint byte length before each message, as protobuf's writeDelimited does).
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { Observation } from '../rows.ts';

// The messages carry the same fields as the in-memory rows (bluezone.proto mirrors them).
export type ObservationMsg = Observation;
export interface MessageTypes {
  Observation: ObservationMsg;
}
export type MessageName = keyof MessageTypes;

export interface Schema extends Record<MessageName, protobuf.Type> {
  root: protobuf.Root;
}

export const PROTO_PACKAGE = 'bluezone.v1';
/** The .proto file, found next to this module wherever the repo is. */
export const PROTO_FILE = fileURLToPath(new URL('./bluezone.proto', import.meta.url));

let cached: Schema | undefined;

/** Parses bluezone.proto once and returns its message types. */
export function loadSchema(): Schema {
  if (cached) return cached;
  const root = protobuf.loadSync(PROTO_FILE);
  const t = (n: MessageName) => root.lookupType(`${PROTO_PACKAGE}.${n}`);
  cached = {
    root,
    Observation: t('Observation'),
  };
  return cached;
}

function typeOf(t: MessageName | protobuf.Type): protobuf.Type {
  return typeof t === 'string' ? loadSchema()[t] : t;
}

// int64 as JS numbers (all our values are ms or s, far below 2^53); bytes stay Uint8Array.
const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, defaults: false, arrays: true };

/** Encodes one message; throws TypeError naming the field when `obj` does not fit the schema. */
export function encodeMessage<N extends MessageName>(type: N | protobuf.Type, obj: MessageTypes[N]): Uint8Array {
  const T = typeOf(type);
  const err = T.verify(obj);
  if (err) throw new TypeError(`${T.name}: ${err}`);
  return T.encode(T.fromObject(obj as unknown as Record<string, unknown>)).finish();
}

/** Decodes one message (whole buffer); throws DelimitedReadError with code 'bad-message' on garbage. */
export function decodeMessage<N extends MessageName>(type: N | protobuf.Type, bytes: Uint8Array): MessageTypes[N] {
  const T = typeOf(type);
  try {
    return T.toObject(T.decode(bytes), TO_OBJECT) as MessageTypes[N];
  } catch (e) {
    throw new DelimitedReadError('bad-message', 0, 0, `${T.name}: cannot decode: ${(e as Error).message}`, []);
  }
}

export type DelimitedErrorCode = 'truncated-length' | 'bad-length' | 'truncated-message' | 'bad-message' | 'empty-run' | 'too-many';

/** A fault in a length-delimited stream: `offset` is the byte where the bad message (or its length) starts. */
export class DelimitedReadError extends Error {
  constructor(
    readonly code: DelimitedErrorCode,
    readonly offset: number,
    /** 0-based number of the message that failed. */
    readonly index: number,
    message: string,
    /** Messages decoded before the fault. */
    readonly partial: unknown[],
  ) {
    super(message);
    this.name = 'DelimitedReadError';
  }
}

function varintLength(v: number): number {
  let n = 1;
  while (v > 0x7f) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/**
 * Encodes messages, each preceded by its length as a varint; throws TypeError naming the message and
 * field. (One encode() per message: a single protobufjs Writer for a long stream is several times slower.)
 */
export function writeDelimited<N extends MessageName>(type: N | protobuf.Type, objects: Iterable<MessageTypes[N]>): Uint8Array {
  const T = typeOf(type);
  const bodies: Uint8Array[] = [];
  let total = 0;
  for (const o of objects) {
    const err = T.verify(o);
    if (err) throw new TypeError(`${T.name} #${bodies.length}: ${err}`);
    const body = T.encode(T.fromObject(o as unknown as Record<string, unknown>)).finish();
    bodies.push(body);
    total += varintLength(body.length) + body.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const body of bodies) {
    let v = body.length;
    while (v > 0x7f) {
      out[at++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    out[at++] = v;
    out.set(body, at);
    at += body.length;
  }
  return out;
}

/** One message with its varint length prefix, for writers that stream to a file message by message. */
export function encodeDelimited<N extends MessageName>(type: N | protobuf.Type, obj: MessageTypes[N]): Uint8Array {
  return writeDelimited(type, [obj]);
}

/** Largest message accepted (a guard against absurd lengths in damaged files). */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/**
 * Most zero-length messages in a row. Each costs one input byte but a decoded object of ~100 bytes, so
 * a file of zeros would inflate 100-fold; none of our messages is empty in practice (every row has a time).
 */
export const MAX_EMPTY_RUN = 1024;
/** Default cap on messages per stream: 2^24, above the simulator's largest outputs by far. */
export const MAX_MESSAGES = 1 << 24;

export interface ReadDelimitedOptions {
  /** Refuse streams with more messages than this (default MAX_MESSAGES). */
  maxMessages?: number;
}

/**
 * Decodes a length-delimited stream. Throws DelimitedReadError (code, byte offset, message index,
 * messages decoded so far) on truncated or damaged input; every step consumes bytes, so it never hangs.
 * Memory is bounded by MAX_MESSAGE_BYTES per message, MAX_EMPTY_RUN and `maxMessages`.
 */
export function readDelimited<N extends MessageName>(type: N | protobuf.Type, bytes: Uint8Array, opts: ReadDelimitedOptions = {}): MessageTypes[N][] {
  const T = typeOf(type);
  const out: MessageTypes[N][] = [];
  const maxMessages = opts.maxMessages ?? MAX_MESSAGES;
  let emptyRun = 0;
  let runStart = 0;
  let at = 0;
  while (at < bytes.length) {
    if (out.length >= maxMessages) {
      throw new DelimitedReadError('too-many', at, out.length, `message ${out.length} at byte ${at}: more than the limit of ${maxMessages} messages`, out);
    }
    const start = at;
    let len = 0;
    let mul = 1;
    for (let k = 0; ; k++) {
      if (at >= bytes.length) {
        throw new DelimitedReadError('truncated-length', start, out.length, `message ${out.length} at byte ${start}: stream ends inside the length varint`, out);
      }
      if (k >= 5) {
        throw new DelimitedReadError('bad-length', start, out.length, `message ${out.length} at byte ${start}: length varint longer than 5 bytes`, out);
      }
      const b = bytes[at++];
      len += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) break;
    }
    if (len > MAX_MESSAGE_BYTES) {
      throw new DelimitedReadError('bad-length', start, out.length, `message ${out.length} at byte ${start}: length ${len} exceeds ${MAX_MESSAGE_BYTES}`, out);
    }
    if (len !== 0) emptyRun = 0;
    else if (emptyRun++ === 0) runStart = start;
    if (emptyRun > MAX_EMPTY_RUN) {
      const first = out.length - MAX_EMPTY_RUN;
      throw new DelimitedReadError('empty-run', runStart, first, `message ${first} at byte ${runStart}: more than ${MAX_EMPTY_RUN} empty messages in a row (a run of zero bytes?)`, out);
    }
    if (at + len > bytes.length) {
      throw new DelimitedReadError(
        'truncated-message',
        start,
        out.length,
        `message ${out.length} at byte ${start}: length ${len} but only ${bytes.length - at} bytes remain`,
        out,
      );
    }
    try {
      out.push(T.toObject(T.decode(bytes.subarray(at, at + len)), TO_OBJECT) as MessageTypes[N]);
    } catch (e) {
      throw new DelimitedReadError('bad-message', start, out.length, `message ${out.length} at byte ${start}: ${T.name}: ${(e as Error).message}`, out);
    }
    at += len;
  }
  return out;
}
