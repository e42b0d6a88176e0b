// One pass of an observation stream through every method, scored two ways: per window (the median-
// distance labels of labels.ts) and per pair and UTC day at the 15-minute rule (dailyRule.ts, time-based
// truth). Optionally thinned to GAEN's scan schedule first (thinning.ts); the truth is never thinned:
// it is what happened, thinning only changes what the phones heard. Used by `eval`, scripts/eval-matrix.ts
// and scripts/fit-classifier.ts.
import { METHODS, StreamingClassifier, type ClassifierOptions, type Method, type WindowResult } from '../firmware/proximity/classifier.ts';
import type { Observation } from '../records/rows.ts';
import { evaluateWindows, type EvalCosts, type EvalResult } from './evaluate.ts';
import { contactsTruthReader, dailyRuleRows, evaluateDailyRule, TimeTruth, type DailyRuleRow, type PairDayTruth } from './dailyRule.ts';
import { CONTACT_M, truthLabels, windowKey, type TruthLike, type WindowTruth } from './labels.ts';
import { GAEN_SCHEDULE, ScanThinner, type ScanSchedule } from './thinning.ts';
import { join } from 'node:path';
import { observationReader, truthReader, type TruthRow } from '../records/csv.ts';
import { readCsvFile } from '../records/csvFiles.ts';

export interface HarnessOptions {
  methods?: readonly Method[];
  /** Classifier options shared by every method (window, calibration, parameters). */
  classifier?: Omit<ClassifierOptions, 'method'>;
  /** Thin the observations to a scan schedule (GAEN's by default) with this seed. */
  thin?: { seed: number; schedule?: ScanSchedule };
  /** Pair-day truth from continuous positions (contacts_truth.csv); else from the truth rows' times. */
  contactsTruth?: PairDayTruth[];
  contactM?: number;
  closeMinutes?: number;
  costs?: EvalCosts;
  /**
   * The truth's window labels (labels.ts truthLabels of the same truth rows), when the caller scores one
   * run several times (each setting of a fit, continuous and thinned): built once instead of per call.
   */
  labels?: WindowTruth<string>;
}

export interface HarnessResult {
  observations: number;
  /** Observations left after thinning (= observations without it). */
  kept: number;
  windows: EvalResult[];
  daily: EvalResult[];
  dailyRows: DailyRuleRow[];
  /** Every method's closed windows (for callers that write or plot them). */
  closed: Record<string, WindowResult[]>;
  /** A closed window's truth label (undefined: no truth rows), as the window figures used it. */
  labelOf: (w: Pick<WindowResult, 'receiver' | 'transmitter' | 'windowStartMs'>) => boolean | undefined;
}

export function runHarness(observations: Iterable<Observation>, truth: readonly TruthLike[], opts: HarnessOptions = {}): HarnessResult {
  const methods = opts.methods ?? METHODS;
  const classifiers = methods.map((method) => new StreamingClassifier({ ...opts.classifier, method }));
  const windowMs = classifiers[0].windowMs;
  const closed: Record<string, WindowResult[]> = {};
  for (const m of methods) closed[m] = [];
  const thinner = opts.thin ? new ScanThinner(opts.thin.seed, opts.thin.schedule ?? GAEN_SCHEDULE) : undefined;
  let n = 0;
  let kept = 0;
  for (const o of observations) {
    n++;
    if (thinner && !thinner.keep(o)) continue;
    kept++;
    for (let i = 0; i < classifiers.length; i++) {
      const ws = classifiers[i].push(o);
      for (let k = 0; k < ws.length; k++) closed[methods[i]].push(ws[k]);
    }
  }
  for (let i = 0; i < classifiers.length; i++) for (const w of classifiers[i].flush()) closed[methods[i]].push(w);

  const labels = opts.labels ?? truthLabels(truth, windowMs, opts.contactM);
  if (labels.windowMs !== windowMs || labels.contactM !== (opts.contactM ?? CONTACT_M)) {
    throw new Error(`runHarness: labels for ${labels.windowMs} ms windows within ${labels.contactM} m, scoring ${windowMs} ms windows within ${opts.contactM ?? CONTACT_M} m`);
  }
  const labelOf = (w: Pick<WindowResult, 'receiver' | 'transmitter' | 'windowStartMs'>) => labels.label(windowKey(w.receiver, w.transmitter, w.windowStartMs));
  const windows = methods.map((m) => evaluateWindows(m, closed[m], labelOf, { costs: opts.costs }));
  let dayTruth = opts.contactsTruth;
  if (!dayTruth) {
    const tt = new TimeTruth(windowMs, opts.contactM);
    for (const r of truth) tt.add(r);
    dayTruth = tt.daily();
  }
  const observed = closed[methods[0]].map((w) => ({ receiver: w.receiver, transmitter: w.transmitter, dayStartMs: w.windowStartMs }));
  const dailyRows = dailyRuleRows(
    dayTruth,
    methods.map((m, i) => ({ method: m, daily: classifiers[i].daily() })),
    observed,
  );
  const daily = methods.map((m) => evaluateDailyRule(m, dailyRows, { closeMinutes: opts.closeMinutes, costs: opts.costs }));
  return { observations: n, kept, windows, daily, dailyRows, closed, labelOf };
}

/** A `bluezone sim run --out` folder's observations, truth and contacts_truth.csv, as the harness takes them. */
export function readRunFolder(dir: string): { obs: Observation[]; truth: TruthRow[]; contacts: PairDayTruth[] } {
  const file = (n: string) => join(dir, n);
  return {
    obs: readCsvFile(file('observations.csv'), observationReader(file('observations.csv'))),
    truth: readCsvFile(file('truth.csv'), truthReader(file('truth.csv'))),
    contacts: readCsvFile(file('contacts_truth.csv'), contactsTruthReader(file('contacts_truth.csv'))),
  };
}

/** The scripts' `--sim NAME=DIR[,DIR...]` argument: the name (the first folder without one) and its run folders. */
export function runFoldersSpec(spec: string): { name: string; dirs: string[] } {
  const eq = spec.indexOf('=');
  return { name: eq > 0 ? spec.slice(0, eq) : spec, dirs: (eq > 0 ? spec.slice(eq + 1) : spec).split(',').filter(Boolean) };
}

/**
 * Scores several runs of one setting as one sample (a simulated scenario over several seeds): every run's
 * windows and pair-days are pooled, each judged by its own run's truth, so AUC and F1 rest on all their
 * positives instead of one run's handful (a lobby hour has 2-8 pair-days at the 15-minute rule). The runs
 * must have been scored with the same methods and options.
 */
export function poolHarness(results: readonly HarnessResult[], opts: Pick<HarnessOptions, 'closeMinutes' | 'costs'> = {}): Pick<HarnessResult, 'observations' | 'kept' | 'windows' | 'daily'> {
  if (results.length === 0) throw new Error('poolHarness: no runs to pool');
  const methods = results[0].windows.map((w) => w.method);
  const windows = methods.map((m) => {
    const pooled = results.flatMap((r) => r.closed[m].map((w) => ({ ...w, truth: r.labelOf(w) })));
    return evaluateWindows(m, pooled, (w) => (w as (typeof pooled)[number]).truth, { costs: opts.costs });
  });
  const rows = results.flatMap((r) => r.dailyRows);
  const daily = methods.map((m) => evaluateDailyRule(m, rows, opts));
  const sum = (k: 'observations' | 'kept') => results.reduce((a, r) => a + r[k], 0);
  return { observations: sum('observations'), kept: sum('kept'), windows, daily };
}
