// `sim run` = simulate + classify + eval in one process: the firmware classifier (method ours, the shipped
// GAEN calibration, as `classify` by default) writes windows.csv from the observation stream, both
// baselines run beside it, and every method is scored against the truth with the eval module's one
// labelling and metrics, so summary.json and report.html show exactly what `bluezone eval --truth
// truth.csv --input observations.csv` prints for the same run.
import { METHODS, StreamingClassifier, type DailyContact, type Method, type WindowResult } from '../../firmware/proximity/classifier.ts';
import { calibrationLookup, loadCalibrationTable, type CalibrationLookup } from '../../records/calibration.ts';
import { formatWindowRow, WINDOWS_CSV_HEADER, type Observation } from '../../records/rows.ts';
import { evaluateWindows, type EvalResult, type ScoredWindow } from '../../eval/evaluate.ts';
import { WindowTruth, windowStartOf } from '../../eval/labels.ts';
import { DAY_MS, dailyRuleRows, evaluateDailyRule, type DailyRuleRow } from '../../eval/dailyRule.ts';

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

/**
 * What one EvaluationSink knows at the end, for its own methods (structured-cloneable: a sinks worker runs
 * a subset of the methods, and the run merges the parts, evaluation.ts mergeParts).
 */
export interface EvaluationPart {
  /** Window scoring, one per method of this sink, in METHODS order. */
  results: EvalResult[];
  daily: { method: string; daily: DailyContact[] }[];
  /** Pair-days method ours saw (each once; empty without ours): the 15-minute rule counts its misses. */
  observed: { receiver: string; transmitter: string; dayStartMs: number }[];
  /** windows.csv's rows (method ours), or null without ours. */
  windowRows: number | null;
  windowMs: number;
}

let shippedCalibration: CalibrationLookup | undefined;

export class EvaluationSink {
  private readonly windows: LineTarget | null;
  private readonly classifiers: { method: string; c: StreamingClassifier; scored: ScoredWindow[] }[] = [];
  private readonly truth: WindowTruth<number> | null;
  private readonly nameIndex = new Map<string, number>();
  private readonly o: Observation = { timestampMs: 0, receiver: '', transmitter: '', rssi: 0 };
  readonly windowMs: number;
  windowRows = 0;
  private readonly hasOurs: boolean;
  /** Filled by finish(): every scored window of method ours with its label. */
  labelledOurs: LabelledWindow[] = [];

  constructor(
    /** windows.csv, staged in the run's output set (needed when methods include ours, which writes it). */
    windows: LineTarget | null,
    private readonly names: string[],
    private readonly models: string[],
    private readonly startMs: number,
    /** Called with every closed window of method ours (the report's detected contacts). */
    private readonly onOurs: (w: WindowResult) => void,
    /** The methods this sink runs (all by default; the sinks workers split them). */
    methods: readonly Method[] = METHODS,
  ) {
    shippedCalibration ??= calibrationLookup(loadCalibrationTable());
    for (const method of METHODS) if (methods.includes(method)) this.classifiers.push({ method, c: new StreamingClassifier({ method, calibration: shippedCalibration }), scored: [] });
    this.windowMs = this.classifiers[0].c.windowMs;
    this.hasOurs = this.classifiers[0].method === 'ours';
    this.windows = this.hasOurs ? windows! : null;
    this.windows?.writeLine(WINDOWS_CSV_HEADER);
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
    if (i !== 0 || !this.windows) return;
    this.windows.writeLine(formatWindowRow(w));
    this.windowRows++;
    this.onOurs(w);
  }

  /** Closes the open windows (the run's set publishes windows.csv) and scores this sink's methods. */
  finish(): EvaluationPart {
    for (let i = 0; i < this.classifiers.length; i++) for (const w of this.classifiers[i].c.flush()) this.window(i, w);
    const truth = this.truth;
    const labelOf = (w: ScoredWindow) => {
      const rx = this.nameIndex.get(w.receiver);
      const tx = this.nameIndex.get(w.transmitter);
      return truth && rx !== undefined && tx !== undefined ? truth.label(this.key(rx, tx, w.windowStartMs)) : undefined;
    };
    const observed: EvaluationPart['observed'] = [];
    if (this.hasOurs) {
      const seen = new Set<string>();
      for (const w of this.classifiers[0].scored) {
        const truth = labelOf(w);
        if (truth !== undefined) this.labelledOurs.push({ receiver: w.receiver, transmitter: w.transmitter, windowStartMs: w.windowStartMs, contact: w.contact, truth });
        const dayStartMs = windowStartOf(w.windowStartMs, DAY_MS);
        const k = `${w.receiver}\n${w.transmitter}\n${dayStartMs}`;
        if (!seen.has(k)) {
          seen.add(k);
          observed.push({ receiver: w.receiver, transmitter: w.transmitter, dayStartMs });
        }
      }
    }
    return {
      results: this.classifiers.map((cl) => evaluateWindows(cl.method, cl.scored, labelOf)),
      daily: this.classifiers.map((cl) => ({ method: cl.method, daily: cl.c.daily() })),
      observed,
      windowRows: this.hasOurs ? this.windowRows : null,
      windowMs: this.windowMs,
    };
  }
}

/**
 * The parts of every method (one sink, or the sinks workers' subsets) as one evaluation: window results in
 * METHODS order, and the 15-minute rule per pair and UTC day against the run's true contacts
 * (contacts_truth.csv's rows: minutes within 2 m from continuous positions), scored by eval/dailyRule.ts.
 */
export function mergeParts(parts: EvaluationPart[], contacts: Iterable<{ day: string; a: string; b: string; minutes: number }>): { results: EvalResult[]; daily: { results: EvalResult[]; rows: DailyRuleRow[] }; windowRows: number; windowMs: number } {
  const order = (m: string) => (METHODS as readonly string[]).indexOf(m);
  const results = parts.flatMap((p) => p.results).sort((a, b) => order(a.method) - order(b.method));
  const daily = parts.flatMap((p) => p.daily).sort((a, b) => order(a.method) - order(b.method));
  const truth = [...contacts].map((c) => ({ a: c.a, b: c.b, dayStartMs: Date.parse(`${c.day}T00:00:00Z`), minutes: c.minutes }));
  const rows = dailyRuleRows(truth, daily, parts.flatMap((p) => p.observed));
  return {
    results,
    daily: { results: daily.map((d) => evaluateDailyRule(d.method, rows)), rows },
    windowRows: parts.find((p) => p.windowRows !== null)?.windowRows ?? 0,
    windowMs: parts[0].windowMs,
  };
}
