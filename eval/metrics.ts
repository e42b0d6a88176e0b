// Ranking and decision metrics, the one implementation for every caller: AUC (Mann-Whitney), ROC points,
// precision / recall / F1 from a confusion table, and the median.

/** Distinct score values ascending (value[0 .. n)) with each one's count of positives and negatives. */
interface ScoreGroups {
  value: Float64Array;
  pos: Int32Array;
  neg: Int32Array;
  n: number;
}

/**
 * Scores grouped by value, ascending, with each group's positives and negatives. Every metric here reads a
 * tie group as a whole, so the order inside a group never matters: positives' and negatives' scores are
 * sorted apart as Float64Arrays (the engine's numeric sort, no comparator) and merged. An index sort with a
 * comparator closure was most of a large run's scoring time (issue 20: lobby 500 devices 8 h scores about
 * a million windows). Null when a score is NaN (no order): the callers then sort with a comparator.
 */
function scoreGroups(scores: ArrayLike<number>, labels: ArrayLike<boolean>): ScoreGroups | null {
  const n = scores.length;
  let P = 0;
  for (let i = 0; i < n; i++) if (labels[i]) P++;
  const ps = new Float64Array(P);
  const ns = new Float64Array(n - P);
  for (let i = 0, a = 0, b = 0; i < n; i++) {
    const x = scores[i];
    if (x !== x) return null;
    if (labels[i]) ps[a++] = x;
    else ns[b++] = x;
  }
  ps.sort();
  ns.sort();
  const value = new Float64Array(n);
  const pos = new Int32Array(n);
  const neg = new Int32Array(n);
  let g = 0;
  for (let i = 0, j = 0; i < ps.length || j < ns.length; g++) {
    // the smaller head; -0 and 0 are one group (===), as the comparator sort had them
    const v = j >= ns.length || (i < ps.length && ps[i] <= ns[j]) ? ps[i] : ns[j];
    value[g] = v;
    while (i < ps.length && ps[i] === v) {
      pos[g]++;
      i++;
    }
    while (j < ns.length && ns[j] === v) {
      neg[g]++;
      j++;
    }
  }
  return { value, pos, neg, n: g };
}

/** Groups from a comparator sort (scores with NaN: each NaN its own group, where the old sort put it). */
function groupsByIndex(scores: ArrayLike<number>, labels: ArrayLike<boolean>): ScoreGroups {
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  const value = new Float64Array(n);
  const pos = new Int32Array(n);
  const neg = new Int32Array(n);
  let g = 0;
  for (let i = 0; i < n; g++) {
    const v = scores[idx[i]];
    value[g] = v;
    do {
      if (labels[idx[i]]) pos[g]++;
      else neg[g]++;
      i++;
    } while (i < n && scores[idx[i]] === v);
  }
  return { value, pos, neg, n: g };
}

/** The scores' tie groups, by the fast path when no score is NaN. */
function groups(scores: ArrayLike<number>, labels: ArrayLike<boolean>): ScoreGroups {
  return scoreGroups(scores, labels) ?? groupsByIndex(scores, labels);
}

/**
 * Area under the ROC curve: probability that a random positive outranks a random negative, ties counting
 * one half (Mann-Whitney U / (P*N)). Undefined (null) when one class is empty.
 */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<boolean>): number | null {
  const gr = groups(scores, labels);
  let pos = 0;
  let rankSumPos = 0;
  for (let g = 0, i = 0; g < gr.n; g++) {
    const size = gr.pos[g] + gr.neg[g];
    const avgRank = (i + (i + size - 1)) / 2 + 1;
    for (let k = 0; k < gr.pos[g]; k++) {
      pos++;
      rankSumPos += avgRank;
    }
    i += size;
  }
  const neg = scores.length - pos;
  if (pos === 0 || neg === 0) return null;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

export interface RocPoint {
  fpr: number;
  tpr: number;
}

/** ROC points (fpr, tpr) from the highest threshold down, one per distinct score. */
export function rocPoints(scores: ArrayLike<number>, labels: ArrayLike<boolean>): RocPoint[] {
  const gr = groups(scores, labels);
  let P = 0;
  for (let g = 0; g < gr.n; g++) P += gr.pos[g];
  const N = scores.length - P;
  const pts = [{ fpr: 0, tpr: 0 }];
  let tp = 0;
  let fp = 0;
  for (let g = gr.n - 1; g >= 0; g--) {
    tp += gr.pos[g];
    fp += gr.neg[g];
    pts.push({ fpr: N ? fp / N : 0, tpr: P ? tp / P : 0 });
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
  const gr = groups(scores, labels);
  let P = 0;
  for (let g = 0; g < gr.n; g++) P += gr.pos[g];
  const out: ThresholdPoint[] = [];
  let tp = 0;
  let fp = 0;
  for (let g = gr.n - 1; g >= 0; g--) {
    tp += gr.pos[g];
    fp += gr.neg[g];
    out.push({ threshold: gr.value[g], f1: prf({ tp, fp, fn: P - tp, tn: n - P - fp }).f1 });
  }
  return out;
}
