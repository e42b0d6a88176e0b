// `sim run` = simulate + classify + eval in one process: the firmware classifier (method ours, the shipped
// GAEN calibration, as `classify` by default) writes windows.csv from the observation stream, both
// baselines run beside it, and every method is scored against the truth with the eval module's one
// labelling and metrics, so summary.json and report.html show exactly what `bluezone eval --truth
// truth.csv --input observations.csv` prints for the same run.
import { METHODS, StreamingClassifier, type WindowResult } from '../../firmware/proximity/classifier.ts';
import { calibrationLookup, loadCalibrationTable, type CalibrationLookup } from '../../records/calibration.ts';
import { formatWindowRow, WINDOWS_CSV_HEADER, type Observation } from '../../records/rows.ts';
import { evaluateWindows, type EvalResult, type ScoredWindow } from '../../eval/evaluate.ts';
import { WindowTruth } from '../../eval/labels.ts';
import { dailyRuleRows, evaluateDailyRule, type DailyRuleRow } from '../../eval/dailyRule.ts';

/** Windows with truth kept for scoring at most (beyond it new windows count as unmatched). */
const TRUTH_WINDOWS_MAX = 2_000_000;
/** Numeric window keys need (rx * n + tx) * 65536 < 2^53. */
const NAMES_MAX = 100_000;

/** A window of method ours with its truth label (the report picks pairs by misses and false alarms). */
export interface LabelledWindow {
  receiver: string;
  transmitter: string;
  windowStartMs: number;
  contact: boolean;
  truth: boolean;
}

/** Where windows.csv's lines go: the run's staged file (an OutputWriter), or chunks posted back to it from the sinks worker. */
export interface LineTarget {
  readonly path: string;
  writeLine(s: string): void;
}

let shippedCalibration: CalibrationLookup | undefined;

export class EvaluationSink {
  readonly windowsFile: string;
  private readonly windows: LineTarget;
  private readonly classifiers: { method: string; c: StreamingClassifier; scored: ScoredWindow[] }[] = [];
  private readonly truth: WindowTruth<number> | null;
  private readonly nameIndex = new Map<string, number>();
  private readonly o: Observation = { timestampMs: 0, receiver: '', transmitter: '', rssi: 0 };
  readonly windowMs: number;
  windowRows = 0;
  /** Filled by finish(): every scored window of method ours with its label. */
  labelledOurs: LabelledWindow[] = [];

  constructor(
    /** windows.csv, staged in the run's output set. */
    windows: LineTarget,
    private readonly names: string[],
    private readonly models: string[],
    private readonly startMs: number,
    /** Called with every closed window of method ours (the report's detected contacts). */
    private readonly onOurs: (w: WindowResult) => void,
  ) {
    shippedCalibration ??= calibrationLookup(loadCalibrationTable());
    for (const method of METHODS) this.classifiers.push({ method, c: new StreamingClassifier({ method, calibration: shippedCalibration }), scored: [] });
    this.windowMs = this.classifiers[0].c.windowMs;
    this.windowsFile = windows.path;
    this.windows = windows;
    windows.writeLine(WINDOWS_CSV_HEADER);
    this.truth = names.length <= NAMES_MAX ? new WindowTruth<number>(this.windowMs) : null;
    names.forEach((n, i) => this.nameIndex.set(n, i));
  }

  private key(rx: number, tx: number, tsMs: number): number {
    const w = Math.floor(tsMs / this.windowMs) - Math.floor(this.startMs / this.windowMs);
    return (rx * this.names.length + tx) * 65536 + (w & 0xffff);
  }

  /** One logged observation; distM as truth.csv holds it (0.01 m). */
  observation(tsMs: number, rx: number, tx: number, rssi: number, distM: number): void {
    const o = this.o;
    o.timestampMs = tsMs;
    o.receiver = this.names[rx];
    o.transmitter = this.names[tx];
    o.rssi = rssi;
    o.receiverModel = this.models[rx];
    o.transmitterModel = this.models[tx];
    // push() reads the fields and keeps no reference (firmware/proximity/classifier.ts), so one object is reused
    for (let i = 0; i < this.classifiers.length; i++) for (const w of this.classifiers[i].c.push(o)) this.window(i, w);
    if (this.truth && this.truth.size < TRUTH_WINDOWS_MAX) this.truth.add(this.key(rx, tx, tsMs), distM);
  }

  private window(i: number, w: WindowResult): void {
    const cl = this.classifiers[i];
    cl.scored.push({ receiver: w.receiver, transmitter: w.transmitter, windowStartMs: w.windowStartMs, windowEndMs: w.windowEndMs, score: w.score, contact: w.contact });
    if (i !== 0) return;
    this.windows.writeLine(formatWindowRow(w));
    this.windowRows++;
    this.onOurs(w);
  }

  /** Closes the open windows (the run's set publishes windows.csv) and scores every method. */
  finish(): EvalResult[] {
    for (let i = 0; i < this.classifiers.length; i++) for (const w of this.classifiers[i].c.flush()) this.window(i, w);
    const truth = this.truth;
    const labelOf = (w: ScoredWindow) => {
      const rx = this.nameIndex.get(w.receiver);
      const tx = this.nameIndex.get(w.transmitter);
      return truth && rx !== undefined && tx !== undefined ? truth.label(this.key(rx, tx, w.windowStartMs)) : undefined;
    };
    for (const w of this.classifiers[0].scored) {
      const truth = labelOf(w);
      if (truth !== undefined) this.labelledOurs.push({ receiver: w.receiver, transmitter: w.transmitter, windowStartMs: w.windowStartMs, contact: w.contact, truth });
    }
    return this.classifiers.map((cl) => evaluateWindows(cl.method, cl.scored, labelOf));
  }

  /**
   * The 15-minute rule per pair and UTC day against the run's true contacts (contacts_truth.csv's rows:
   * minutes within 2 m from continuous positions), after finish(): every method's daily minutes, scored
   * by eval/dailyRule.ts. For summary.json and report/dailyRule.ts (wired in by run.ts).
   */
  dailyRule(contacts: Iterable<{ day: string; a: string; b: string; minutes: number }>): { results: EvalResult[]; rows: DailyRuleRow[] } {
    const truth = [...contacts].map((c) => ({ a: c.a, b: c.b, dayStartMs: Date.parse(`${c.day}T00:00:00Z`), minutes: c.minutes }));
    const rows = dailyRuleRows(
      truth,
      this.classifiers.map((cl) => ({ method: cl.method, daily: cl.c.daily() })),
      this.classifiers[0].scored.map((w) => ({ receiver: w.receiver, transmitter: w.transmitter, dayStartMs: w.windowStartMs })),
    );
    return { results: this.classifiers.map((cl) => evaluateDailyRule(cl.method, rows)), rows };
  }
}
