// The observation stream's consumers other than the data files: the classifier with both baselines and
// their scoring (evaluation.ts: windows.csv, summary.json's evaluation) and the report's observation-fed
// samples (reportObs.ts). They read nothing but the observations, so the same object runs in the
// simulation thread (all methods) or in the sinks workers (parallel/sinkPipe.ts: ours and the report in
// one, the baselines in another) and the parts merge into the same bytes either way.
import type { Method } from '../../firmware/proximity/classifier.ts';
import type { EvalResult } from '../../eval/evaluate.ts';
import type { DailyRuleRow } from '../../eval/dailyRule.ts';
import { EvaluationSink, mergeParts, type EvaluationPart, type LineTarget } from './evaluation.ts';
import { ReportObservations, type ReportObsResult } from './reportObs.ts';

export interface ObserversInit {
  startMs: number;
  durationMs: number;
  names: string[];
  models: string[];
  kind: Uint8Array;
  /** The classifier methods to run and score (none: no windows.csv). Ours writes windows.csv. */
  methods: readonly Method[];
  /** Keep the report's samples (report.html); its pair picks need ours' labelled windows when ours runs. */
  report: boolean;
}

/** One Observers' share at the end (structured-cloneable: it crosses from a sinks worker). */
export interface ObserversPart {
  evaluation: EvaluationPart | null;
  report: ReportObsResult | null;
}

/** The run's view of every part. */
export interface ObserversResult {
  results: EvalResult[];
  /** null without the classifier. */
  classifier: { windowMs: number; windowRows: number } | null;
  daily: { results: EvalResult[]; rows: DailyRuleRow[] } | null;
  report: ReportObsResult | null;
}

/** What RunOutputs feeds: Observers in the simulation thread, or the workers' pipe (same calls, same parts). */
export interface ObservationConsumers {
  observation(tsMs: number, rx: number, tx: number, rssi: number, distM: number): void;
  /** Ends the stream now; the parts may come later (the workers finish while the run writes its tables). */
  finish(): Promise<ObserversPart[]>;
  close(): Promise<void>;
}

export class Observers implements ObservationConsumers {
  private readonly evaluation: EvaluationSink | null;
  private readonly report: ReportObservations | null;

  /** `windows`: windows.csv's lines (needed when init.methods has ours). */
  constructor(init: ObserversInit, windows: LineTarget | null) {
    this.report = init.report ? new ReportObservations(init) : null;
    this.evaluation = init.methods.length ? new EvaluationSink(windows, init.names, init.models, init.startMs, (w) => this.report?.onWindow(w), init.methods) : null;
  }

  /** distM as truth.csv holds it (0.01 m). */
  observation(tsMs: number, rx: number, tx: number, rssi: number, distM: number): void {
    this.evaluation?.observation(tsMs, rx, tx, rssi, distM);
    this.report?.observation(tsMs, rx, tx, rssi, distM);
  }

  /** Closes the open windows, scores this one's methods and picks the report's pairs. */
  finishNow(): ObserversPart {
    const ev = this.evaluation;
    const evaluation = ev ? ev.finish() : null;
    return { evaluation, report: this.report ? this.report.result(ev?.labelledOurs() ?? []) : null };
  }

  finish(): Promise<ObserversPart[]> {
    return Promise.resolve([this.finishNow()]);
  }

  async close(): Promise<void> {}
}

/** The parts as the run reports them, the 15-minute rule scored against `contacts` (contacts_truth.csv's rows). */
export function mergeObservers(parts: ObserversPart[], contacts: Iterable<{ day: string; a: string; b: string; minutes: number }>): ObserversResult {
  const ev = parts.flatMap((p) => (p.evaluation ? [p.evaluation] : []));
  const report = parts.find((p) => p.report)?.report ?? null;
  if (!ev.length) return { results: [], classifier: null, daily: null, report };
  const m = mergeParts(ev, contacts);
  return { results: m.results, classifier: { windowMs: m.windowMs, windowRows: m.windowRows }, daily: m.daily, report };
}
