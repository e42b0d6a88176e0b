// Ranking and decision metrics, the one implementation for every caller: AUC (Mann-Whitney), ROC points,
// precision / recall / F1 from a confusion table, and the median.

/**
 * Area under the ROC curve: probability that a random positive outranks a random negative, ties counting
 * one half (Mann-Whitney U / (P*N)). Undefined (null) when one class is empty.
 */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<boolean>): number | null {
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let pos = 0;
  let rankSumPos = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1]] === scores[idx[i]]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (labels[idx[k]]) {
      pos++;
      rankSumPos += avgRank;
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return null;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

export interface RocPoint {
  fpr: number;
  tpr: number;
}

/** ROC points (fpr, tpr) from the highest threshold down, one per distinct score. */
export function rocPoints(scores: ArrayLike<number>, labels: ArrayLike<boolean>): RocPoint[] {
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let P = 0;
  for (let i = 0; i < n; i++) if (labels[i]) P++;
  const N = n - P;
  const pts = [{ fpr: 0, tpr: 0 }];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j < n && scores[idx[j]] === scores[idx[i]]) {
      if (labels[idx[j]]) tp++;
      else fp++;
      j++;
    }
    pts.push({ fpr: N ? fp / N : 0, tpr: P ? tp / P : 0 });
    i = j;
  }
  return pts;
}

/** At most max points of a curve, evenly spaced, keeping both ends (for plots). */
export function thinCurve<T>(pts: T[], max = 300): T[] {
  if (pts.length <= max) return pts;
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(pts[Math.round((i * (pts.length - 1)) / (max - 1))]);
  return out;
}

export interface Confusion {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

/** Precision, recall and F1; null where undefined (no predicted or no true positives). */
export function prf(c: Confusion): { precision: number | null; recall: number | null; f1: number | null } {
  return {
    precision: c.tp + c.fp > 0 ? c.tp / (c.tp + c.fp) : null,
    recall: c.tp + c.fn > 0 ? c.tp / (c.tp + c.fn) : null,
    f1: c.tp + c.fp + c.fn > 0 ? (2 * c.tp) / (2 * c.tp + c.fp + c.fn) : null,
  };
}

/** F1 of calling every window a contact: the floor any classifier's F1 is compared with. */
export function allContactF1(positives: number, total: number): number | null {
  return prf({ tp: positives, fp: total - positives, fn: 0, tn: 0 }).f1;
}

export function median(a: number[]): number {
  const s = Float64Array.from(a).sort();
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

export interface ThresholdPoint {
  /** Windows scoring >= threshold are called contact. */
  threshold: number;
  f1: number | null;
}

/** F1 at every distinct score taken as the threshold (score >= threshold = contact), highest first. */
export function f1ByThreshold(scores: ArrayLike<number>, labels: ArrayLike<boolean>): ThresholdPoint[] {
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let P = 0;
  for (let i = 0; i < n; i++) if (labels[i]) P++;
  const out: ThresholdPoint[] = [];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < n; ) {
    const s = scores[idx[i]];
    while (i < n && scores[idx[i]] === s) {
      if (labels[idx[i]]) tp++;
      else fp++;
      i++;
    }
    out.push({ threshold: s, f1: prf({ tp, fp, fn: P - tp, tn: n - P - fp }).f1 });
  }
  return out;
}
