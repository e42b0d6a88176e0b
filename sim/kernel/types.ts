import { hash32 } from './rng.ts';

/**
 * One batch of candidate receptions, structure-of-arrays (sim-interface.md). Caller-owned, preallocated
 * and reused: the kernels never allocate per reception. Index i < n is one (advertisement packet,
 * listening receiver) pair.
 */
export interface PairBatch {
  n: number;
  /** True distance between antennas (m). */
  distM: Float32Array;
  /** Transmitter power including its device model's TX calibration (dBm, GAEN "iPhone scale"). */
  txPowerDbm: Float32Array;
  /** Subtracted losses: body loss tx side + rx side - rx device RSSI correction, walls etc. (dB). */
  staticLossDb: Float32Array;
  /** Stable id of the ordered (tx, rx) pair; keys the static pair offset, shadowing and fading. */
  pairId: Uint32Array;
  /** floor(t / shadowEpochMs): shadowing is constant within an epoch. */
  epoch: Uint32Array;
  /** Advertising event counter of the transmitter. */
  eventId: Uint32Array;
  /** Advertising channel 37/38/39; fading is drawn independently per channel. */
  channel: Uint8Array;
}

export interface ReceptionKernel {
  /** 'wasm-simd' | 'ts' */
  readonly name: string;
  /** Why a faster kernel was not used (set when loadKernel fell back). */
  readonly fallbackReason?: string;
  /**
   * Writes received power (dBm) for i < batch.n into out; returns the count >= params.sensitivityDbm.
   * out may be batch-sized or larger.
   */
  evaluate(batch: PairBatch, params: import('../channel/params.ts').ChannelParams, out: Float32Array): number;
  /**
   * A batch laid out where this kernel reads it fastest (for wasm-simd: inside its memory, no copy).
   * Allocate batches and outputs once, up front: a later allocation may grow WASM memory, which
   * re-points the fields of batches already handed out (read batch.distM etc. from the batch object
   * each time, do not cache the arrays) and detaches earlier allocOut arrays.
   */
  allocBatch?(capacity: number): PairBatch;
  /** An output array evaluate() writes to without a copy. */
  allocOut?(capacity: number): Float32Array;
}

export function allocBatch(capacity: number): PairBatch {
  if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`allocBatch: bad capacity ${capacity}`);
  return {
    n: 0,
    distM: new Float32Array(capacity),
    txPowerDbm: new Float32Array(capacity),
    staticLossDb: new Float32Array(capacity),
    pairId: new Uint32Array(capacity),
    epoch: new Uint32Array(capacity),
    eventId: new Uint32Array(capacity),
    channel: new Uint8Array(capacity),
  };
}

/**
 * Stable ordered-pair id from two device indices: exact (tx << 16 | rx) below 65536 devices, a hash above
 * (collisions then only share random draws between two unrelated pairs, which is harmless).
 */
export function pairIdOf(tx: number, rx: number): number {
  if (tx >= 0 && rx >= 0 && tx < 65536 && rx < 65536) return ((tx << 16) | rx) >>> 0;
  return hash32(0x9a1f, tx >>> 0, rx >>> 0, 0, 0);
}
