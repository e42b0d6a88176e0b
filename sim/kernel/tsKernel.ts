/**
 * Reference reception kernel in plain TypeScript: the oracle the WASM SIMD kernel is tested against.
 * Structure-of-arrays in, no allocation per reception, path loss via a float-bits log2 polynomial and
 * fading via an inverse-CDF table (radio-model.md 3.2 "fast-log" and "table" variants).
 */
import type { ChannelParams } from '../channel/params.ts';
import { hashStart, NORMAL_IH_MEAN, NORMAL_IH_SCALE } from './rng.ts';
import { FADE_BITS, FADE_N, kernelTables, LOG2_POLY, TAG_FADE, TAG_PAIR, TAG_SHADOW } from './tables.ts';
import { allocBatch, type PairBatch, type ReceptionKernel } from './types.ts';

// rng.ts constants (hashAbsorb, hashFinish, rehash)
const M2 = 0xc2b2ae35;
const ADD = 0x165667b1;
const F1 = 0x7feb352d;
const F2 = 0x846ca68b;
const REHASH = 0x5bd1e995;

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

/**
 * The hash and normal draws below are rng.ts's hashAbsorb / hashFinish / normalFromHash(h, rehash(h)),
 * written out inline (3.5x faster in V8); test/sim/kernel/kernels.test.ts checks them against rng.ts.
 * Per pair: h0 = absorb(start(seed), pairId); pair offset from finish(absorb(h0, TAG_PAIR)); shadowing
 * from finish(absorb(absorb(h0, TAG_SHADOW), epoch)); fading from
 * finish(absorb(absorb(absorb(h0, TAG_FADE), eventId), channel)), top FADE_BITS bits index the table.
 */
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
    // log2(d): exponent bits + polynomial in the mantissa (fastLog2)
    f32[0] = d;
    const bits = u32[0];
    u32[0] = (bits & 0x007fffff) | 0x3f800000;
    const t = f32[0] - 1;
    const lg = (bits >>> 23) - 127 + t * (C0 + t * (C1 + t * (C2 + t * (C3 + t * C4))));
    const pl = pl1m + plSlopeNear * (lg < log2Break ? lg : log2Break) + plSlopeFar * (lg > log2Break ? lg - log2Break : 0);
    let x = Math.imul(seedState ^ pairId[i], M2);
    x ^= x >>> 15;
    const h0 = (x + ADD) | 0;
    // pair offset
    x = Math.imul(h0 ^ TAG_PAIR, M2);
    x ^= x >>> 15;
    x = (x + ADD) | 0;
    x ^= x >>> 16;
    x = Math.imul(x, F1);
    x ^= x >>> 15;
    x = Math.imul(x, F2);
    x ^= x >>> 16;
    let y = x ^ REHASH;
    y ^= y >>> 16;
    y = Math.imul(y, F1);
    y ^= y >>> 15;
    y = Math.imul(y, F2);
    y ^= y >>> 16;
    let q = (x & 0xff00ff) + ((x >>> 8) & 0xff00ff) + (y & 0xff00ff) + ((y >>> 8) & 0xff00ff);
    const zp = ((q & 0xffff) + (q >>> 16) - NORMAL_IH_MEAN) * NORMAL_IH_SCALE;
    // shadowing
    x = Math.imul(h0 ^ TAG_SHADOW, M2);
    x ^= x >>> 15;
    x = (x + ADD) | 0;
    x = Math.imul(x ^ epoch[i], M2);
    x ^= x >>> 15;
    x = (x + ADD) | 0;
    x ^= x >>> 16;
    x = Math.imul(x, F1);
    x ^= x >>> 15;
    x = Math.imul(x, F2);
    x ^= x >>> 16;
    y = x ^ REHASH;
    y ^= y >>> 16;
    y = Math.imul(y, F1);
    y ^= y >>> 15;
    y = Math.imul(y, F2);
    y ^= y >>> 16;
    q = (x & 0xff00ff) + ((x >>> 8) & 0xff00ff) + (y & 0xff00ff) + ((y >>> 8) & 0xff00ff);
    const zs = ((q & 0xffff) + (q >>> 16) - NORMAL_IH_MEAN) * NORMAL_IH_SCALE;
    // fading
    x = Math.imul(h0 ^ TAG_FADE, M2);
    x ^= x >>> 15;
    x = (x + ADD) | 0;
    x = Math.imul(x ^ eventId[i], M2);
    x ^= x >>> 15;
    x = (x + ADD) | 0;
    x = Math.imul(x ^ channel[i], M2);
    x ^= x >>> 15;
    x = (x + ADD) | 0;
    x ^= x >>> 16;
    x = Math.imul(x, F1);
    x ^= x >>> 15;
    x = Math.imul(x, F2);
    x ^= x >>> 16;
    const fd = fade[(d >= kBreak ? FADE_N : 0) + (x >>> shift)];
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
