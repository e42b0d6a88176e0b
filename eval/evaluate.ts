// Scoring contact windows against the truth labels (labels.ts) with the metrics (metrics.ts): the figures
// `eval`, `sim run` and the tuning scripts report, so one run shows one AUC and one F1 per method.
import { allContactF1, auc, f1ByThreshold, prf, rocPoints, type RocPoint, type ThresholdPoint } from './metrics.ts';

export interface ScoredWindow {
  receiver: string;
  transmitter: string;
  windowStartMs: number;
  windowEndMs: number;
  score: number;
  contact: boolean;
}

export interface EvalCosts {
  /** Cost of one missed contact window (false negative). */
  miss: number;
  /** Cost of one false alarm (false positive). */
  falseAlarm: number;
}

export const DEFAULT_COSTS: Readonly<EvalCosts> = Object.freeze({ miss: 5, falseAlarm: 1 });

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
  /** F1 of calling every window a contact (the floor to beat). */
  allContactF1: number | null;
  /** Share of windows the method calls contact. */
  calledContact: number;
  cost: number;
  roc: RocPoint[];
  /** F1 with each distinct score as the threshold (for the pages' F1/threshold plot). */
  f1Curve?: ThresholdPoint[];
}

/** Scores windows; labelOf gives a window's truth label, undefined when it has no truth rows. */
export function evaluateWindows(
  method: string,
  windows: Iterable<ScoredWindow>,
  labelOf: (w: ScoredWindow) => boolean | undefined,
  opts: { costs?: EvalCosts } = {},
): EvalResult {
  const costs = opts.costs ?? DEFAULT_COSTS;
  const scores: number[] = [];
  const labels: boolean[] = [];
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  let unmatched = 0;
  for (const w of windows) {
    const truth = labelOf(w);
    if (truth === undefined) {
      unmatched++;
      continue;
    }
    scores.push(w.score);
    labels.push(truth);
    if (truth) w.contact ? tp++ : fn++;
    else w.contact ? fp++ : tn++;
  }
  const n = scores.length;
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
    ...prf({ tp, fp, fn, tn }),
    allContactF1: allContactF1(tp + fn, n),
    calledContact: n ? (tp + fp) / n : 0,
    cost: fn * costs.miss + fp * costs.falseAlarm,
    roc: rocPoints(scores, labels),
    f1Curve: f1ByThreshold(scores, labels),
  };
}

/** An EvalResult as `eval --json` and summary.json print it (snake_case, no ROC points). */
export function resultJson(r: EvalResult): Record<string, unknown> {
  return {
    method: r.method, windows: r.windows, unmatched: r.unmatched, positives: r.positives, negatives: r.negatives,
    auc: r.auc, precision: r.precision, recall: r.recall, f1: r.f1, all_contact_f1: r.allContactF1,
    tp: r.tp, fp: r.fp, fn: r.fn, tn: r.tn, called_contact: r.calledContact, cost: r.cost,
  };
}

const fmt = (x: number | null, d = 3) => (x === null ? 'n/a' : x.toFixed(d));

/** The metrics table of the eval and sim pages (report/ renders it). */
export function metricsTable(results: EvalResult[]): { columns: string[]; rows: Record<string, string | number>[] } {
  return {
    columns: ['method', 'windows', 'positives', 'auc', 'precision', 'recall', 'f1', 'all_contact_f1', 'misses', 'false_alarms', 'cost'],
    rows: results.map((r) => ({
      method: r.method, windows: r.windows, positives: r.positives, auc: fmt(r.auc), precision: fmt(r.precision),
      recall: fmt(r.recall), f1: fmt(r.f1), all_contact_f1: fmt(r.allContactF1), misses: r.fn, false_alarms: r.fp, cost: r.cost,
    })),
  };
}

/** The plain-text table `eval` prints. */
export function formatResultsTable(results: EvalResult[]): string {
  const head = ['method', 'windows', 'pos', 'AUC', 'precision', 'recall', 'F1', 'all-contact F1', 'misses', 'false alarms', 'cost'];
  const rows = results.map((r) => [
    r.method, String(r.windows), String(r.positives), fmt(r.auc), fmt(r.precision), fmt(r.recall), fmt(r.f1), fmt(r.allContactF1),
    String(r.fn), String(r.fp), String(r.cost),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return line(head) + '\n' + rows.map(line).join('\n') + '\n';
}

export type Thresholds = Partial<Record<'auc' | 'precision' | 'recall' | 'f1', number>>;

/** The metrics of r below their thresholds (an undefined metric counts as below), as "auc 0.61 < 0.8". */
export function belowThresholds(r: EvalResult, t: Thresholds): string[] {
  const out: string[] = [];
  for (const [k, min] of Object.entries(t) as [keyof Thresholds, number][]) {
    const v = r[k];
    if (v === null || v < min) out.push(`${k} ${v === null ? 'n/a' : v.toFixed(3)} < ${min}`);
  }
  return out;
}
