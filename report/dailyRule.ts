// The 15-minute rule section of the sim and eval pages (issue 15): the confusion table of each method at
// the rule (per pair and UTC day, at least 15 minutes within 2 m) beside the all-contact floor, and the
// pairs ranked by true minutes with each method's credited minutes. Returns a Section as report/html.ts
// renders it; the page code adds it to its sections (wired in at merge).
import { esc, metricsTable, type Section } from './html.ts';

// The shapes of eval/dailyRule.ts's DailyRuleRow and eval/evaluate.ts's EvalResult, restated: report and
// eval are separate rooms of one layer (test/architecture), so the caller passes eval's objects as is.
export interface DailyRuleRowLike {
  a: string;
  b: string;
  dayStartMs: number;
  trueMinutes: number;
  minutes: Record<string, number>;
}
export interface DailyRuleResultLike {
  method: string;
  windows: number;
  positives: number;
  auc: number | null;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  allContactF1: number | null;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

const fmt = (x: number | null) => (x === null ? 'n/a' : x.toFixed(3));

/** The section; `maxPairs` caps the ranked list (the confusion table always counts every pair-day). */
export function dailyRuleSection(results: DailyRuleResultLike[], rows: DailyRuleRowLike[], opts: { closeMinutes?: number; maxPairs?: number; truthSource?: string } = {}): Section {
  const cm = opts.closeMinutes ?? 15;
  const maxPairs = opts.maxPairs ?? 30;
  const confusion = metricsTable({
    columns: ['method', 'pair_days', 'close_contacts', 'auc', 'precision', 'recall', 'f1', 'all_contact_f1', 'tp', 'fp', 'fn', 'tn'],
    rows: results.map((r) => ({
      method: r.method, pair_days: r.windows, close_contacts: r.positives, auc: fmt(r.auc), precision: fmt(r.precision), recall: fmt(r.recall),
      f1: fmt(r.f1), all_contact_f1: fmt(r.allContactF1), tp: r.tp, fp: r.fp, fn: r.fn, tn: r.tn,
    })),
  });
  const methods = results.map((r) => r.method);
  const ranked = [...rows].sort((p, q) => q.trueMinutes - p.trueMinutes || (p.a < q.a ? -1 : p.a > q.a ? 1 : p.b < q.b ? -1 : 1)).slice(0, maxPairs);
  const pairs = metricsTable({
    columns: ['day', 'pair', 'true_minutes', ...methods.map((m) => `${m}_minutes`)],
    rows: ranked.map((r) => ({
      day: new Date(r.dayStartMs).toISOString().slice(0, 10),
      pair: `${r.a} / ${r.b}`,
      true_minutes: r.trueMinutes.toFixed(1),
      ...Object.fromEntries(methods.map((m) => [`${m}_minutes`, (r.minutes[m] ?? 0).toFixed(1)])),
    })),
  });
  const source = opts.truthSource ? ` True minutes: ${esc(opts.truthSource)}.` : '';
  return {
    id: 'daily-rule',
    title: `${cm}-minute rule per pair and day`,
    html:
      `<p>A pair-day is a close contact when the pair spent at least ${cm} minutes within 2 m that UTC day; each method's credited minutes rank the pairs (AUC) and decide (minutes &gt;= ${cm}).${source}</p>` +
      confusion +
      `<h3>Pairs by true minutes${rows.length > maxPairs ? ` (top ${maxPairs} of ${rows.length})` : ''}</h3>` +
      pairs,
  };
}
