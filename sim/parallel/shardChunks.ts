// The binary form of a shard's receptions on the queue (a giant `sim run --queue`, queueShards.ts): the
// same per-tick records a thread shard posts (shards.ts TickBatch), packed tick range by tick range into
// chunks that travel through Redis. Little-endian throughout; the arrays are copied as they are in memory,
// so a chunk can only be read on a little-endian machine (every machine Node supports today but s390x).
import { endianness } from 'node:os';
import type { EngineCounters } from '../engine/types.ts';
import { gattPartialError } from '../engine/connections.ts';
import { MAX_FLAG, MIN_FLAG, type TickBatch } from './shards.ts';

const MAGIC = 0x3151_5a42; // "BZQ1" read as a little-endian u32
/** Chunk header: magic, first tick, tick count, final flag (u32 each). */
const HEAD = 16;
/** Per tick: tick, n, counted (u32 each). */
const TICK_HEAD = 12;
/** Bytes per reception: rx, tx (i32), 5 x f64 (tUs, p, ws, we, dist), flag (u8). */
export const RECEPTION_BYTES = 4 + 4 + 40 + 1;

/** A chunk that does not decode: names the byte offset. */
export class ChunkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChunkError';
  }
}

function requireLittleEndian(): void {
  if (endianness() !== 'LE') throw new ChunkError('shard chunks are little-endian: this machine is big-endian');
}

/** Bytes one tick takes in a chunk. */
export function tickBytes(b: TickBatch): number {
  return TICK_HEAD + b.n * RECEPTION_BYTES;
}

const bytesOf = (a: Int32Array | Uint8Array | Float64Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * Packs consecutive ticks (first.tick, first.tick + 1, ...) into one chunk; the final chunk of a shard
 * also carries the shard's engine counters (JSON).
 */
export function encodeChunk(ticks: TickBatch[], counters?: EngineCounters): Buffer {
  requireLittleEndian();
  const tail = counters ? Buffer.from(JSON.stringify(counters)) : null;
  let size = HEAD + (tail ? 4 + tail.length : 0);
  for (const t of ticks) size += tickBytes(t);
  const out = Buffer.alloc(size);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(ticks.length ? ticks[0].tick : 0, 4);
  out.writeUInt32LE(ticks.length, 8);
  out.writeUInt32LE(tail ? 1 : 0, 12);
  let o = HEAD;
  for (const t of ticks) {
    out.writeUInt32LE(t.tick, o);
    out.writeUInt32LE(t.n, o + 4);
    out.writeUInt32LE(t.counted, o + 8);
    o += TICK_HEAD;
    for (const a of [t.rx.subarray(0, t.n), t.tx.subarray(0, t.n), t.f.subarray(0, t.n * 5), t.flag.subarray(0, t.n)]) {
      out.set(bytesOf(a), o);
      o += a.byteLength;
    }
  }
  if (tail) {
    out.writeUInt32LE(tail.length, o);
    tail.copy(out, o + 4);
  }
  return out;
}

export interface DecodedChunk {
  firstTick: number;
  ticks: TickBatch[];
  /** Set on a shard's last chunk. */
  counters: EngineCounters | null;
}

/**
 * Reads a chunk back, checking everything replay() will trust: the ticks consecutive from firstTick,
 * receiver and transmitter indices below nDev, flags MIN_FLAG..MAX_FLAG (shards.ts), iOS GATT stats that name
 * devices below nDev, and no byte missing or left over.
 */
export function decodeChunk(buf: Uint8Array, nDev: number): DecodedChunk {
  requireLittleEndian();
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const need = (o: number, k: number, what: string) => {
    if (o + k > b.length) throw new ChunkError(`shard chunk: ${what} at byte ${o} runs past the end (${b.length} bytes)`);
  };
  need(0, HEAD, 'header');
  if (b.readUInt32LE(0) !== MAGIC) throw new ChunkError('shard chunk: bad magic at byte 0 (not a BZQ1 chunk)');
  const firstTick = b.readUInt32LE(4);
  const nTicks = b.readUInt32LE(8);
  const final = b.readUInt32LE(12);
  if (final > 1) throw new ChunkError(`shard chunk: final flag ${final} at byte 12 (0 or 1)`);
  const ticks: TickBatch[] = [];
  let o = HEAD;
  for (let k = 0; k < nTicks; k++) {
    need(o, TICK_HEAD, `tick ${k}`);
    const tick = b.readUInt32LE(o);
    const n = b.readUInt32LE(o + 4);
    const counted = b.readUInt32LE(o + 8);
    if (tick !== firstTick + k) throw new ChunkError(`shard chunk: tick ${tick} at byte ${o}, expected ${firstTick + k}`);
    o += TICK_HEAD;
    need(o, n * RECEPTION_BYTES, `the ${n} receptions of tick ${tick}`);
    // copies: aligned typed arrays that own their memory (they are transferred to the main thread)
    const rx = new Int32Array(n);
    const tx = new Int32Array(n);
    const f = new Float64Array(n * 5);
    const flag = new Uint8Array(n);
    for (const a of [rx, tx, f, flag]) {
      bytesOf(a).set(b.subarray(o, o + a.byteLength));
      o += a.byteLength;
    }
    for (let i = 0; i < n; i++) {
      if (rx[i] < 0 || rx[i] >= nDev || tx[i] < 0 || tx[i] >= nDev) throw new ChunkError(`shard chunk: tick ${tick} reception ${i}: device ${rx[i]} -> ${tx[i]} outside 0..${nDev - 1}`);
      if (flag[i] < MIN_FLAG || flag[i] > MAX_FLAG) throw new ChunkError(`shard chunk: tick ${tick} reception ${i}: flag ${flag[i]} (${MIN_FLAG}..${MAX_FLAG})`);
    }
    ticks.push({ tick, n, counted, rx, tx, flag, f });
  }
  let counters: EngineCounters | null = null;
  if (final) {
    need(o, 4, 'counters length');
    const len = b.readUInt32LE(o);
    need(o + 4, len, 'counters');
    try {
      counters = JSON.parse(b.toString('utf8', o + 4, o + 4 + len)) as EngineCounters;
    } catch (e) {
      throw new ChunkError(`shard chunk: counters at byte ${o + 4}: ${(e as Error).message}`);
    }
    if (!counters || typeof counters !== 'object' || typeof counters.pairEvaluations !== 'number') throw new ChunkError(`shard chunk: counters at byte ${o + 4} are not engine counters`);
    const bad = counters.iosGatt === undefined ? null : gattPartialError(counters.iosGatt, nDev);
    if (bad) throw new ChunkError(`shard chunk: counters at byte ${o + 4}: iosGatt ${bad}`);
    o += 4 + len;
  }
  if (o !== b.length) throw new ChunkError(`shard chunk: ${b.length - o} bytes left over at byte ${o}`);
  return { firstTick, ticks, counters };
}
