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
import { thinCurve } from '../../eval/metrics.ts';
import { grow } from '../engine/typed.ts';
import { DAY_MS, dailyRuleRows, evaluateDailyRule, type DailyRuleRow } from '../../eval/dailyRule.ts';

/** Windows with truth kept for scoring at most (beyond it new windows count as unmatched). */
const TRUTH_WINDOWS_MAX = 2_000_000;
/** Numeric window keys need (rx * n + tx) * 65536 < 2^53. */
const NAMES_MAX = 100_000;
/** Pairs (n^2) up to which each pair's current truth window is cached in dense arrays (8 bytes a pair). */
const PAIR_CACHE_MAX = 1 << 20;

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

/**
 * Points the run's report plots of each ROC and F1-by-threshold curve (reportSink.ts thins them so). A part
 * carries its curves thinned already: the full ones have a point per distinct score, about a million
 * objects per method on lobby 500 devices 8 h, copied from the sinks worker to the simulation thread for
 * nothing. Thinning again to the same count changes nothing (thinCurve keeps a short curve as it is).
 */
export const CURVE_POINTS = { roc: 200, f1: 300 } as const;

/**
 * One method's scored windows, kept to the end for the ROC as columns (device indices, start, score,
 * contact) instead of an object per window: at 10^5 phones every pair has its own window (issue 20).
 */
class ScoredColumns {
  n = 0;
  rx = new Int32Array(1024);
  tx = new Int32Array(1024);
  start = new Float64Array(1024);
  score = new Float64Array(1024);
  contact = new Uint8Array(1024);

  add(rx: number, tx: number, start: number, score: number, contact: boolean): void {
    const i = this.n++;
    if (i === this.rx.length) {
      this.rx = grow(this.rx, Int32Array);
      this.tx = grow(this.tx, Int32Array);
      this.start = grow(this.start, Float64Array);
      this.score = grow(this.score, Float64Array);
      this.contact = grow(this.contact, Uint8Array);
    }
    this.rx[i] = rx;
    this.tx[i] = tx;
    this.start[i] = start;
    this.score[i] = score;
    this.contact[i] = contact ? 1 : 0;
  }
}

/** A scored window of ScoredColumns, with its device indices (one object reused while iterating). */
interface IndexedWindow extends ScoredWindow {
  rx: number;
  tx: number;
}

export class EvaluationSink {
  private readonly windows: LineTarget | null;
  /** This sink's methods on one per-pair state (the classifier's `methods` option), in METHODS order. */
  private readonly classifier: StreamingClassifier;
  private readonly scored: ScoredColumns[];
  private readonly truth: WindowTruth<number> | null;
  private readonly nameIndex = new Map<string, number>();
  private readonly o: Observation = { timestampMs: 0, receiver: '', transmitter: '', rssi: 0 };
  readonly windowMs: number;
  windowRows = 0;
  private readonly hasOurs: boolean;
  /**
   * Per pair (rx * n + tx): the window (relative index) and WindowTruth slot of its last observation. A
   * pair's observations come in runs within a window, so the truth's Map (large numeric keys, slow to
   * hash) is asked once per pair and window instead of once per observation.
   */
  private readonly pairW: Int32Array | null;
  private readonly pairSlot: Int32Array | null;
  private readonly startW: number;

  constructor(
    /** windows.csv, staged in the run's output set (needed when methods include ours, which writes it). */
    windows: LineTarget | null,
    private readonly names: string[],
    private readonly models: string[],
    startMs: number,
    /** Called with every closed window of method ours (the report's detected contacts). */
    private readonly onOurs: (w: WindowResult) => void,
    /** The methods this sink runs (all by default; the sinks workers split them). */
    methods: readonly Method[] = METHODS,
  ) {
    shippedCalibration ??= calibrationLookup(loadCalibrationTable());
    this.classifier = new StreamingClassifier({ methods: METHODS.filter((m) => methods.includes(m)), calibration: shippedCalibration });
    this.scored = this.classifier.methods.map(() => new ScoredColumns());
    this.windowMs = this.classifier.windowMs;
    this.hasOurs = this.classifier.method === 'ours';
    this.windows = this.hasOurs ? windows! : null;
    this.windows?.writeLine(WINDOWS_CSV_HEADER);
    this.truth = names.length <= NAMES_MAX ? new WindowTruth<number>(this.windowMs) : null;
    names.forEach((n, i) => this.nameIndex.set(n, i));
    const cache = this.truth && names.length * names.length <= PAIR_CACHE_MAX;
    this.pairW = cache ? new Int32Array(names.length * names.length).fill(-1) : null;
    this.pairSlot = cache ? new Int32Array(names.length * names.length) : null;
    this.startW = Math.floor(startMs / this.windowMs);
  }

  /** The run's window index of a time (0: the window holding the start). */
  private windowIndex(tsMs: number): number {
    return Math.floor(tsMs / this.windowMs) - this.startW;
  }

  /** A window's truth key: pair p = rx * n + tx and the window index's low 16 bits. */
  private static key(p: number, w: number): number {
    return p * 65536 + (w & 0xffff);
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
    // pushEach() reads the fields and keeps no reference (firmware/proximity/classifier.ts), so one object is reused
    const closed = this.classifier.pushEach(o);
    if (closed !== null) this.onClosed(closed);
    const truth = this.truth;
    if (truth && truth.size < TRUTH_WINDOWS_MAX) {
      const pw = this.pairW;
      const p = rx * this.names.length + tx;
      const w = this.windowIndex(tsMs);
      if (pw) {
        if (pw[p] !== w) {
          this.pairSlot![p] = truth.slot(EvaluationSink.key(p, w));
          pw[p] = w;
        }
        truth.addAt(this.pairSlot![p], distM);
      } else truth.add(EvaluationSink.key(p, w), distM);
    }
  }

  /** Closed windows per method (the classifier's pushEach / flushEach). */
  private onClosed(closed: WindowResult[][]): void {
    // closed[i][k] is the same pair's window for every method i (the classifier closes pairs once)
    const first = closed[0];
    for (let k = 0; k < first.length; k++) {
      const rx = this.nameIndex.get(first[k].receiver)!;
      const tx = this.nameIndex.get(first[k].transmitter)!;
      for (let i = 0; i < closed.length; i++) {
        const w = closed[i][k];
        this.scored[i].add(rx, tx, w.windowStartMs, w.score, w.contact);
      }
    }
    if (!this.windows) return;
    for (const w of closed[0]) {
      this.windows.writeLine(formatWindowRow(w));
      this.windowRows++;
      this.onOurs(w);
    }
  }

  /** A method's scored windows, one reused object (evaluateWindows keeps none). */
  private *scoredWindows(i: number): Generator<IndexedWindow> {
    const sc = this.scored[i];
    const w: IndexedWindow = { receiver: '', transmitter: '', windowStartMs: 0, windowEndMs: 0, score: 0, contact: false, rx: 0, tx: 0 };
    for (let k = 0; k < sc.n; k++) {
      w.rx = sc.rx[k];
      w.tx = sc.tx[k];
      w.receiver = this.names[w.rx];
      w.transmitter = this.names[w.tx];
      w.windowStartMs = sc.start[k];
      w.windowEndMs = w.windowStartMs + this.windowMs;
      w.score = sc.score[k];
      w.contact = sc.contact[k] === 1;
      yield w;
    }
  }

  private labelOf(w: IndexedWindow): boolean | undefined {
    return this.truth ? this.truth.label(EvaluationSink.key(w.rx * this.names.length + w.tx, this.windowIndex(w.windowStartMs))) : undefined;
  }

  /** Every scored window of method ours that has truth, with its label (for the report's pair picks; after finish()). */
  *labelledOurs(): Generator<LabelledWindow> {
    if (!this.hasOurs) return;
    for (const w of this.scoredWindows(0)) {
      const truth = this.labelOf(w);
      if (truth !== undefined) yield { receiver: w.receiver, transmitter: w.transmitter, windowStartMs: w.windowStartMs, contact: w.contact, truth };
    }
  }

  /** Closes the open windows (the run's set publishes windows.csv) and scores this sink's methods. */
  finish(): EvaluationPart {
    this.onClosed(this.classifier.flushEach());
    const observed: EvaluationPart['observed'] = [];
    if (this.hasOurs) {
      const seen = new Set<string>();
      for (const w of this.scoredWindows(0)) {
        const dayStartMs = windowStartOf(w.windowStartMs, DAY_MS);
        const k = `${w.receiver}\n${w.transmitter}\n${dayStartMs}`;
        if (!seen.has(k)) {
          seen.add(k);
          observed.push({ receiver: w.receiver, transmitter: w.transmitter, dayStartMs });
        }
      }
    }
    const methods = this.classifier.methods;
    return {
      results: methods.map((m, i) => {
        const r = evaluateWindows(m, this.scoredWindows(i), (w) => this.labelOf(w as IndexedWindow));
        return { ...r, roc: thinCurve(r.roc, CURVE_POINTS.roc), f1Curve: r.f1Curve && thinCurve(r.f1Curve, CURVE_POINTS.f1) };
      }),
      daily: methods.map((m, i) => ({ method: m, daily: this.classifier.daily(i) })),
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
