// Scoring contact windows against ground truth (pure). A window is a true contact when the median true
// distance of its observations is within contactM (2 m: "within 2 m", bluezone-protocol.md 4.6; the
// pc-ng data set labels <= 2 m as contact too).

export interface TruthLike {
  timestampMs: number;
  receiver: string;
  transmitter: string;
  distanceM: number;
}

export interface ScoredWindow {
  receiver: string;
  transmitter: string;
  windowStartMs: number;
  windowEndMs: number;
  score: number;
  contact: boolean;
}

export function windowKey(receiver: string, transmitter: string, windowStartMs: number): string {
  return receiver + '\u0000' + transmitter + '\u0000' + windowStartMs;
}

/** Median true distance per (pair, window), windows aligned like the classifier's (multiples of windowMs). */
export function truthMedians(truth: Iterable<TruthLike>, windowMs: number): Map<string, number> {
  const acc = new Map<string, number[]>();
  for (const r of truth) {
    const w = r.timestampMs - (((r.timestampMs % windowMs) + windowMs) % windowMs);
    const k = windowKey(r.receiver, r.transmitter, w);
    let a = acc.get(k);
    if (!a) acc.set(k, (a = []));
    a.push(r.distanceM);
  }
  const out = new Map<string, number>();
  for (const [k, a] of acc) out.set(k, median(a));
  return out;
}

export function median(a: number[]): number {
  const s = Float64Array.from(a).sort();
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

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

/** ROC points (fpr, tpr) from the highest threshold down, one per distinct score. */
export function rocPoints(scores: ArrayLike<number>, labels: ArrayLike<boolean>): Array<{ fpr: number; tpr: number }> {
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

export interface EvalCosts {
  /** Cost of one missed contact window (false negative). */
  miss: number;
  /** Cost of one false alarm (false positive). */
  falseAlarm: number;
}

export interface EvalResult {
  method: string;
  /** Windows joined with truth / windows without any truth rows (skipped). */
  windows: number;
  unmatched: number;
  positives: number;
  negatives: number;
  /** null when only one class is present (AUC undefined). */
  auc: number | null;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  /** Share of windows the method calls contact. */
  calledContact: number;
  cost: number;
  roc: Array<{ fpr: number; tpr: number }>;
}

export function evaluateWindows(
  method: string,
  windows: Iterable<ScoredWindow>,
  medians: Map<string, number>,
  opts: { contactM?: number; costs?: EvalCosts } = {},
): EvalResult {
  const contactM = opts.contactM ?? 2;
  const costs = opts.costs ?? { miss: 5, falseAlarm: 1 };
  const scores: number[] = [];
  const labels: boolean[] = [];
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  let unmatched = 0;
  for (const w of windows) {
    const d = medians.get(windowKey(w.receiver, w.transmitter, w.windowStartMs));
    if (d === undefined) {
      unmatched++;
      continue;
    }
    const truth = d <= contactM;
    scores.push(w.score);
    labels.push(truth);
    if (truth) w.contact ? tp++ : fn++;
    else w.contact ? fp++ : tn++;
  }
  const n = scores.length;
  const precision = tp + fp > 0 ? tp / (tp + fp) : null;
  const recall = tp + fn > 0 ? tp / (tp + fn) : null;
  const f1 = tp + fp + fn > 0 ? (2 * tp) / (2 * tp + fp + fn) : null;
  return {
    method,
    windows: n,
    unmatched,
    positives: tp + fn,
    negatives: fp + tn,
    auc: auc(scores, labels),
    tp,
    fp,
    fn,
    tn,
    precision,
    recall,
    f1,
    calledContact: n ? (tp + fp) / n : 0,
    cost: fn * costs.miss + fp * costs.falseAlarm,
    roc: rocPoints(scores, labels),
  };
}
