/**
 * Reference reception kernel in plain TypeScript: the oracle the WASM SIMD kernel is tested against.
 * Structure-of-arrays in, no allocation per reception, path loss via a float-bits log2 polynomial and
 * fading via an inverse-CDF table (sim-radio-core.md 3.2 "fast-log" and "table" variants).
 */
import type { ChannelParams } from '../channel/params.ts';
import { hashAbsorb, hashFinish, hashStart, NORMAL_IH_MEAN, NORMAL_IH_SCALE } from './rng.ts';
import { FADE_BITS, FADE_N, kernelTables, LOG2_POLY, TAG_FADE, TAG_PAIR, TAG_SHADOW } from './tables.ts';
import { allocBatch, type PairBatch, type ReceptionKernel } from './types.ts';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const [C0, C1, C2, C3, C4] = LOG2_POLY;

/** log2(x) for x > 0 via exponent bits + polynomial; identical formula to the WASM kernel. */
export function fastLog2(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  const e = (bits >>> 23) - 127;
  u32[0] = (bits & 0x007fffff) | 0x3f800000;
  const t = f32[0] - 1;
  return e + t * (C0 + t * (C1 + t * (C2 + t * (C3 + t * C4))));
}

function byteSum(h: number): number {
  const p = (h & 0x00ff00ff) + ((h >>> 8) & 0x00ff00ff);
  return (p & 0xffff) + (p >>> 16);
}

/** normalFromHash(h, rehash(h)) inlined. */
function normal1(h: number): number {
  const h2 = hashFinish((h ^ 0x5bd1e995) >>> 0);
  return (byteSum(h) + byteSum(h2) - NORMAL_IH_MEAN) * NORMAL_IH_SCALE;
}

/** Per-call scalar constants derived from the params. */
export function kernelScalars(p: ChannelParams) {
  return {
    seedState: hashStart(p.seed >>> 0),
    // 10 n log10(d) = (10 n log10 2) log2(d)
    plSlopeNear: 10 * p.exponentNear * Math.LOG10E * Math.LN2,
    plSlopeFar: 10 * p.exponent * Math.LOG10E * Math.LN2,
    log2Break: Math.fround(fastLog2(Math.max(p.nearBreakM, p.minDistM))),
  };
}

export function evaluateTs(batch: PairBatch, p: ChannelParams, out: Float32Array): number {
  const n = batch.n;
  if (out.length < n) throw new RangeError(`evaluate: out has ${out.length} slots for ${n} pairs`);
  const { fade } = kernelTables(p);
  const { seedState, plSlopeNear, plSlopeFar, log2Break } = kernelScalars(p);
  const { distM, txPowerDbm, staticLossDb, pairId, epoch, eventId, channel } = batch;
  const pl1m = p.pl1mDb;
  const sp = p.pairSigmaDb;
  const ss = p.shadowSigmaDb;
  const kBreak = p.kBreakM;
  const minD = p.minDistM;
  const sens = p.sensitivityDbm;
  const shift = 32 - FADE_BITS;
  let count = 0;
  for (let i = 0; i < n; i++) {
    let d = distM[i];
    if (!(d > minD)) d = minD;
    const lg = fastLog2(d);
    const pl = pl1m + plSlopeNear * Math.min(lg, log2Break) + plSlopeFar * Math.max(lg - log2Break, 0);
    const h0 = hashAbsorb(seedState, pairId[i]);
    const zp = normal1(hashFinish(hashAbsorb(h0, TAG_PAIR)));
    const zs = normal1(hashFinish(hashAbsorb(hashAbsorb(h0, TAG_SHADOW), epoch[i])));
    const hf = hashFinish(hashAbsorb(hashAbsorb(hashAbsorb(h0, TAG_FADE), eventId[i]), channel[i]));
    const fd = fade[(d >= kBreak ? FADE_N : 0) + (hf >>> shift)];
    // the decision is taken on the stored float32, as the WASM kernel does
    const r = Math.fround(txPowerDbm[i] - pl - staticLossDb[i] + sp * zp + ss * zs + fd);
    out[i] = r;
    if (r >= sens) count++;
  }
  return count;
}

export function tsKernel(): ReceptionKernel {
  return { name: 'ts', evaluate: evaluateTs, allocBatch, allocOut: (capacity: number) => new Float32Array(capacity) };
}
