/**
 * Shared constants and lookup tables for the reception kernels (TS oracle and WASM SIMD use the same
 * numbers). Tables, not Math.log10 in the hot loop: radio-model.md 3.4 item 4.
 */
import type { ChannelParams } from '../channel/params.ts';

/** log2(1 + t), t in [0, 1): t * (c0 + t (c1 + t (c2 + t (c3 + t c4)))); least squares, max error 1.7e-5. */
export const LOG2_POLY = [
  1.4418798685073853, -0.708865225315094, 0.41524556279182434, -0.19351652264595032, 0.04526829347014427,
] as const;

/** Fading table entries per regime; the index is the top FADE_BITS bits of the fading hash. */
export const FADE_BITS = 12;
export const FADE_N = 1 << FADE_BITS;

/** Domain tags absorbed after the pair id, so the three draws are independent. */
export const TAG_PAIR = 0x5041_4952; // 'PAIR'
export const TAG_SHADOW = 0x5348_4457; // 'SHDW'
export const TAG_FADE = 0x4641_4445; // 'FADE'

/** log(I0(z)) for z >= 0 (modified Bessel function of the first kind, order 0). */
function logI0(z: number): number {
  if (z < 15) {
    // power series sum (z/2)^{2k} / (k!)^2
    const q = (z * z) / 4;
    let term = 1;
    let sum = 1;
    for (let k = 1; k < 200; k++) {
      term *= q / (k * k);
      sum += term;
      if (term < sum * 1e-17) break;
    }
    return Math.log(sum);
  }
  // asymptotic expansion (Abramowitz & Stegun 9.7.1)
  const iz = 1 / z;
  return z - 0.5 * Math.log(2 * Math.PI * z) + Math.log(1 + iz / 8 + (9 * iz * iz) / 128 + (225 * iz * iz * iz) / 3072);
}

/**
 * Inverse CDF, in dB, of Rician(K) fading power (mean power 1; K = 0 is Rayleigh) plus N(0, noiseSigma)
 * reading noise, sampled at p = (i + 0.5) / FADE_N. Computed numerically once per (K, sigma).
 */
export function fadingQuantilesDb(k: number, noiseSigmaDb: number, n: number = FADE_N): Float32Array {
  const lo = -70;
  const hi = 25;
  const step = 0.01;
  const m = Math.round((hi - lo) / step) + 1;
  const pdf = new Float64Array(m);
  const ln10over10 = Math.LN10 / 10;
  for (let j = 0; j < m; j++) {
    const y = lo + j * step;
    const x = Math.pow(10, y / 10);
    // Rician power pdf: (K+1) e^-K e^{-(K+1)x} I0(2 sqrt(K(K+1)x)); times dx/dy = x ln10/10
    const lf = Math.log(k + 1) - k - (k + 1) * x + logI0(2 * Math.sqrt(k * (k + 1) * x));
    pdf[j] = Math.exp(lf) * x * ln10over10;
  }
  let dens = pdf;
  if (noiseSigmaDb > 0) {
    const half = Math.ceil((6 * noiseSigmaDb) / step);
    const ker = new Float64Array(2 * half + 1);
    let ks = 0;
    for (let t = -half; t <= half; t++) {
      const v = Math.exp(-0.5 * ((t * step) / noiseSigmaDb) ** 2);
      ker[t + half] = v;
      ks += v;
    }
    dens = new Float64Array(m);
    for (let j = 0; j < m; j++) {
      const pj = pdf[j];
      if (pj < 1e-300) continue;
      const a = pj / ks;
      const t0 = Math.max(-half, -j);
      const t1 = Math.min(half, m - 1 - j);
      for (let t = t0; t <= t1; t++) dens[j + t] += a * ker[t + half];
    }
  }
  const cdf = new Float64Array(m);
  let acc = 0;
  for (let j = 0; j < m; j++) {
    acc += dens[j];
    cdf[j] = acc;
  }
  const out = new Float32Array(n);
  let j = 0;
  for (let i = 0; i < n; i++) {
    const p = ((i + 0.5) / n) * acc;
    while (j < m - 1 && cdf[j] < p) j++;
    const c0 = j > 0 ? cdf[j - 1] : 0;
    const f = dens[j] > 0 ? (p - c0) / dens[j] : 0;
    // cdf[j] is the mass up to the upper edge of cell j; interpolate inside the cell
    out[i] = lo + (j - 0.5 + f) * step;
  }
  return out;
}

export interface KernelTables {
  /** [near (Rician K) | far (Rayleigh)], FADE_N each, dB */
  fade: Float32Array;
  fadeMaxDb: number;
  key: string;
}

const cache = new Map<string, KernelTables>();

/** Tables for one parameter set, memoised on the fields they depend on. */
export function kernelTables(p: ChannelParams): KernelTables {
  const key = `${p.ricianK}|${p.readingSigmaDb}`;
  let t = cache.get(key);
  if (!t) {
    const fade = new Float32Array(2 * FADE_N);
    fade.set(fadingQuantilesDb(p.ricianK, p.readingSigmaDb), 0);
    fade.set(fadingQuantilesDb(0, p.readingSigmaDb), FADE_N);
    let mx = -Infinity;
    for (const v of fade) mx = Math.max(mx, v);
    t = { fade, fadeMaxDb: mx, key };
    if (cache.size > 64) cache.clear();
    cache.set(key, t);
  }
  return t;
}
