/**
 * Two-sample Kolmogorov-Smirnov distance on integer-dBm histograms. Phones report whole dBm, so the
 * simulated powers are rounded the same way before comparison (ties are then handled exactly).
 */
export const RSSI_MIN = -140;
export const RSSI_MAX = 10;
export const NBINS = RSSI_MAX - RSSI_MIN + 1;

export function histIndex(rssi: number): number {
  const v = Math.round(rssi);
  return v < RSSI_MIN ? 0 : v > RSSI_MAX ? NBINS - 1 : v - RSSI_MIN;
}

/** sup |F_a - F_b| over integer values; 0 when either histogram is empty (callers skip those). */
export function ksDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let na = 0;
  let nb = 0;
  for (let i = 0; i < NBINS; i++) {
    na += a[i];
    nb += b[i];
  }
  if (na === 0 || nb === 0) return 0;
  let ca = 0;
  let cb = 0;
  let d = 0;
  for (let i = 0; i < NBINS; i++) {
    ca += a[i];
    cb += b[i];
    d = Math.max(d, Math.abs(ca / na - cb / nb));
  }
  return d;
}

/** Median of a histogram (lower median), in dBm. */
export function histMedian(h: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < NBINS; i++) n += h[i];
  if (n === 0) return NaN;
  let c = 0;
  for (let i = 0; i < NBINS; i++) {
    c += h[i];
    if (c * 2 >= n) return i + RSSI_MIN;
  }
  return NaN;
}

/** Plain KS on raw samples (used by tests to check the histogram version). */
export function ksSamples(x: number[], y: number[]): number {
  const a = [...x].sort((p, q) => p - q);
  const b = [...y].sort((p, q) => p - q);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < a.length && j < b.length) {
    const v = Math.min(a[i], b[j]);
    while (i < a.length && a[i] <= v) i++;
    while (j < b.length && b[j] <= v) j++;
    d = Math.max(d, Math.abs(i / a.length - j / b.length));
  }
  return d;
}
