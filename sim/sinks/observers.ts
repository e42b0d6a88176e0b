// The observation stream's consumers other than the data files: the classifier with both baselines and
// their scoring (evaluation.ts: windows.csv, summary.json's evaluation) and the report's observation-fed
// samples (reportObs.ts). They read nothing but the observations (and, at the end, the true contacts),
// so the same object runs in the simulation thread or in the sinks worker (sim/parallel/sinkPipe.ts)
// and gives the same bytes either way.
import type { ContactDay } from '../engine/truth.ts';
import type { EvalResult } from '../../eval/evaluate.ts';
import type { DailyRuleRow } from '../../eval/dailyRule.ts';
import { EvaluationSink, type LineTarget } from './evaluation.ts';
import { ReportObservations, type ReportObsResult } from './reportObs.ts';

export interface ObserversInit {
  startMs: number;
  durationMs: number;
  names: string[];
  models: string[];
  kind: Uint8Array;
  /** Run the classifier and score it (windows.csv). */
  classify: boolean;
  /** Keep the report's samples (report.html). */
  report: boolean;
}

/** Everything the run's finish needs from them (structured-cloneable: it crosses from the worker). */
export interface ObserversResult {
  results: EvalResult[];
  /** null without the classifier. */
  classifier: { windowMs: number; windowRows: number } | null;
  daily: { results: EvalResult[]; rows: DailyRuleRow[] } | null;
  report: ReportObsResult | null;
}

/** What RunOutputs feeds: this class in the simulation thread, or the worker's pipe (same calls, same result). */
export interface ObservationConsumers {
  observation(tsMs: number, rx: number, tx: number, rssi: number, distM: number): void;
  finish(contacts: ContactDay[]): Promise<ObserversResult>;
  close(): Promise<void>;
}

export class Observers implements ObservationConsumers {
  private readonly evaluation: EvaluationSink | null;
  private readonly report: ReportObservations | null;

  /** `windows`: windows.csv's lines (needed when init.classify). */
  constructor(init: ObserversInit, windows: LineTarget | null) {
    this.report = init.report ? new ReportObservations(init) : null;
    this.evaluation = init.classify ? new EvaluationSink(windows!, init.names, init.models, init.startMs, (w) => this.report?.onWindow(w)) : null;
  }

  /** distM as truth.csv holds it (0.01 m). */
  observation(tsMs: number, rx: number, tx: number, rssi: number, distM: number): void {
    this.evaluation?.observation(tsMs, rx, tx, rssi, distM);
    this.report?.observation(tsMs, rx, tx, rssi, distM);
  }

  /** Closes the open windows, scores every method (windows and the 15-minute rule) and picks the report's pairs. */
  finishNow(contacts: ContactDay[]): ObserversResult {
    const ev = this.evaluation;
    const results = ev ? ev.finish() : [];
    return {
      results,
      classifier: ev ? { windowMs: ev.windowMs, windowRows: ev.windowRows } : null,
      // the 15-minute rule per pair and UTC day against contacts_truth (eval/dailyRule.ts, issue 15)
      daily: ev ? ev.dailyRule(contacts) : null,
      report: this.report ? this.report.result(ev?.labelledOurs ?? []) : null,
    };
  }

  async finish(contacts: ContactDay[]): Promise<ObserversResult> {
    return this.finishNow(contacts);
  }

  async close(): Promise<void> {}
}
