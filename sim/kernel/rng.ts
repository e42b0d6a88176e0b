/**
 * Counter-based randomness for the radio path (radio-model.md 3.4 item 3): every draw is a pure
 * function of (seed, counters), so results do not depend on evaluation order, batch boundaries or
 * thread count. The same arithmetic is mirrored lane-wise in assembly/kernel.ts; keep them in step.
 */

// Multipliers from murmur3's fmix32 and the "lowbias32" finalizer (C. Wellons, hash-prospector).
const M1 = 0x85ebca6b;
const M2 = 0xc2b2ae35;
const F1 = 0x7feb352d;
const F2 = 0x846ca68b;
const SEED_SALT = 0x9e3779b9;

/** Starts a hash state from a seed. */
export function hashStart(seed: number): number {
  return (Math.imul((seed ^ SEED_SALT) >>> 0, M1) ^ 0x27d4eb2f) >>> 0;
}

/** Absorbs one 32-bit word: one multiply, then a shift-xor (bijective in h for fixed v). */
export function hashAbsorb(h: number, v: number): number {
  let x = Math.imul((h ^ v) >>> 0, M2);
  x ^= x >>> 15;
  x = (x + 0x165667b1) | 0;
  return x >>> 0;
}

/** Final avalanche (lowbias32). */
export function hashFinish(h: number): number {
  let x = h >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, F1);
  x ^= x >>> 15;
  x = Math.imul(x, F2);
  x ^= x >>> 16;
  return x >>> 0;
}

/** uint32 hash of (seed, a, b, c, d). */
export function hash32(seed: number, a: number, b: number, c: number, d: number): number {
  let h = hashStart(seed);
  h = hashAbsorb(h, a >>> 0);
  h = hashAbsorb(h, b >>> 0);
  h = hashAbsorb(h, c >>> 0);
  h = hashAbsorb(h, d >>> 0);
  return hashFinish(h);
}

/** Uniform in the open interval (0, 1): (h + 0.5) / 2^32. */
export function uniform01(h: number): number {
  return ((h >>> 0) + 0.5) / 4294967296;
}

/** A second, independent-looking word derived from a hash (for draws needing 64 bits). */
export function rehash(h: number): number {
  return hashFinish((h ^ 0x5bd1e995) >>> 0);
}

// Irwin-Hall of 8 byte-uniforms: each byte b gives (b + 0.5)/256, mean 1/2, variance (256^2-1)/(12*256^2).
const IH_MEAN = 8 * 127.5;
const IH_SCALE = 1 / Math.sqrt((8 * (256 * 256 - 1)) / 12);

function byteSum(h: number): number {
  const p = (h & 0x00ff00ff) + ((h >>> 8) & 0x00ff00ff);
  return (p & 0xffff) + (p >>> 16);
}

/**
 * Standard normal (approximately) from two hash words: Irwin-Hall sum of their 8 bytes, standardised.
 * Exact mean 0 and variance 1, tails bounded at +-4.9 sigma; chosen because it is branch- and table-free,
 * so the SIMD kernel computes the same value lane-wise (radio-model.md 3.2 "Irwin-Hall of the hash bytes").
 */
export function normalFromHash(h1: number, h2: number): number {
  return (byteSum(h1 >>> 0) + byteSum(h2 >>> 0) - IH_MEAN) * IH_SCALE;
}

/** Float32 constants the kernels share (kept here so TS oracle and WASM use identical values). */
export const NORMAL_IH_MEAN = IH_MEAN;
export const NORMAL_IH_SCALE = Math.fround(IH_SCALE);

