// The 15-minute rule (bluezone-protocol.md 4.6; GAEN's "15 minutes within 2 m" close-contact definition)
// scored per unordered pair and UTC day, with time-based truth: the seconds a pair really spent within
// 2 m, either from per-reception distances (truth.csv, each reading standing for the time until the pair's
// next one, at most maxGapMs) or from the simulator's continuous positions (contacts_truth.csv). Each
// method's credited minutes (the classifier's daily output) are its score; its decision is minutes >= 15.
// The one implementation for `eval`, `sim run`, scripts/eval-matrix.ts and report/dailyRule.ts.
import { TypedCsvReader } from '../records/csv.ts';
import type { DailyRow } from '../records/rows.ts';
import { evaluateWindows, type EvalCosts, type EvalResult } from './evaluate.ts';
import { CONTACT_M, windowStartOf, type TruthLike } from './labels.ts';

export const DAY_MS = 86_400_000;
/** The rule: at least this many minutes within 2 m per pair and UTC day. */
export const CLOSE_CONTACT_MINUTES = 15;
/**
 * A reading stands for at most this long: longer gaps mean the pair was not observed (herald and pc-ng
 * log about one reading per 1-2 s; the simulator's truth.csv has a row per reception).
 */
export const TRUTH_MAX_GAP_MS = 10_000;

/** Unordered pair key (either phone may flag the other; the sim's contacts_truth is unordered too). */
export function pairKey(a: string, b: string): string {
  return a < b ? a + '\u0000' + b : b + '\u0000' + a;
}

function pairDayKey(a: string, b: string, dayStartMs: number): string {
  return pairKey(a, b) + '\u0000' + dayStartMs;
}

interface Seconds {
  observedMs: number;
  withinMs: number;
}

/** Time within contactM per directed pair and window, and per unordered pair and UTC day. */
export class TimeTruth {
  private readonly last = new Map<string, { t: number; d: number; gap: number; rx: string; tx: string }>();
  /** directed pair + window start -> time */
  private readonly windows = new Map<string, Seconds>();
  /** unordered pair + day -> per direction within time (the pair's value is the larger direction). */
  private readonly days = new Map<string, { a: string; b: string; dayStartMs: number; withinMs: Map<string, number> }>();
  private finished = false;

  constructor(readonly windowMs = 900_000, readonly contactM = CONTACT_M, readonly maxGapMs = TRUTH_MAX_GAP_MS) {}

  /** One truth row; rows must come sorted by time (truth.csv is). */
  add(r: TruthLike): void {
    const k = r.receiver + '\u0000' + r.transmitter;
    const p = this.last.get(k);
    if (p) {
      const gap = r.timestampMs - p.t;
      this.credit(p.rx, p.tx, p.t, p.d, Math.min(gap, this.maxGapMs));
      p.gap = gap;
      p.t = r.timestampMs;
      p.d = r.distanceM;
    } else this.last.set(k, { t: r.timestampMs, d: r.distanceM, gap: Infinity, rx: r.receiver, tx: r.transmitter });
  }

  /** Credits each pair's last reading like its previous one (no next reading to bound it). */
  finish(): this {
    if (this.finished) return this;
    this.finished = true;
    for (const p of this.last.values()) this.credit(p.rx, p.tx, p.t, p.d, Number.isFinite(p.gap) ? Math.min(p.gap, this.maxGapMs) : 0);
    this.last.clear();
    return this;
  }

  private credit(rx: string, tx: string, t: number, d: number, ms: number): void {
    const wk = rx + '\u0000' + tx + '\u0000' + windowStartOf(t, this.windowMs);
    let w = this.windows.get(wk);
    if (!w) this.windows.set(wk, (w = { observedMs: 0, withinMs: 0 }));
    w.observedMs += ms;
    const within = d <= this.contactM ? ms : 0;
    w.withinMs += within;
    const day = windowStartOf(t, DAY_MS);
    const dk = pairDayKey(rx, tx, day);
    let e = this.days.get(dk);
    if (!e) this.days.set(dk, (e = { a: rx < tx ? rx : tx, b: rx < tx ? tx : rx, dayStartMs: day, withinMs: new Map() }));
    const dir = rx + '\u0000' + tx;
    e.withinMs.set(dir, (e.withinMs.get(dir) ?? 0) + within);
  }

  /** Observed and within-2 m seconds of a directed pair's window; undefined without truth rows. */
  window(receiver: string, transmitter: string, windowStartMs: number): { observedS: number; withinS: number } | undefined {
    const w = this.windows.get(receiver + '\u0000' + transmitter + '\u0000' + windowStartMs);
    return w && { observedS: w.observedMs / 1000, withinS: w.withinMs / 1000 };
  }

  /**
   * Time-based window label: within 2 m for at least half of the observed time. A partial window (an
   * encounter starting mid-window) is judged on the time it was observed.
   */
  windowLabel(receiver: string, transmitter: string, windowStartMs: number): boolean | undefined {
    const w = this.windows.get(receiver + '\u0000' + transmitter + '\u0000' + windowStartMs);
    return w === undefined || w.observedMs === 0 ? undefined : 2 * w.withinMs >= w.observedMs;
  }

  /** True minutes within 2 m per unordered pair and UTC day (the larger of the two directions). */
  daily(): PairDayTruth[] {
    this.finish();
    const out: PairDayTruth[] = [];
    for (const e of this.days.values()) out.push({ a: e.a, b: e.b, dayStartMs: e.dayStartMs, minutes: Math.max(...e.withinMs.values()) / 60_000 });
    return out;
  }
}

export interface PairDayTruth {
  a: string;
  b: string;
  dayStartMs: number;
  minutes: number;
}

/** contacts_truth.csv as `sim run` writes it (docs/simulator.md): day,device_a,device_b,minutes_within_2m,close_contact */
export const CONTACTS_TRUTH_HEADER = 'day,device_a,device_b,minutes_within_2m,close_contact';

export function contactsTruthReader(source: string): TypedCsvReader<PairDayTruth> {
  return new TypedCsvReader(source, CONTACTS_TRUTH_HEADER, (f, _line, err) => {
    const m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(f[0]);
    const day = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
    if (!m || !Number.isFinite(day) || new Date(day).toISOString().slice(0, 10) !== f[0]) throw err(1, `day "${f[0].slice(0, 40)}" is not a date YYYY-MM-DD`);
    if (f[1] === '') throw err(2, 'device_a is empty');
    if (f[2] === '') throw err(3, 'device_b is empty');
    const minutes = /^\d{1,9}(\.\d{1,9})?$/.test(f[3]) ? Number(f[3]) : NaN;
    if (!(minutes >= 0 && minutes <= 1440)) throw err(4, `minutes_within_2m "${f[3].slice(0, 40)}" is not a number of minutes 0..1440`);
    if (f[4] !== '0' && f[4] !== '1') throw err(5, `close_contact "${f[4].slice(0, 40)}" must be 0 or 1`);
    return { a: f[1] < f[2] ? f[1] : f[2], b: f[1] < f[2] ? f[2] : f[1], dayStartMs: day, minutes };
  });
}

/** One pair and day: the true minutes within 2 m and each method's credited minutes. */
export interface DailyRuleRow {
  a: string;
  b: string;
  dayStartMs: number;
  trueMinutes: number;
  minutes: Record<string, number>;
}

/**
 * Joins the truth with every method's daily minutes (per directed pair: the pair's value is the larger
 * direction, as either phone flags the contact). `observed` adds pair-days that some method saw but
 * credited nothing (0 minutes everywhere unless the truth says otherwise), so misses count.
 */
export function dailyRuleRows(
  truth: Iterable<PairDayTruth>,
  methods: Array<{ method: string; daily: Iterable<Pick<DailyRow, 'receiver' | 'transmitter' | 'dayStartMs' | 'minutesWithin2m'>> }>,
  observed: Iterable<{ receiver: string; transmitter: string; dayStartMs: number }> = [],
): DailyRuleRow[] {
  const rows = new Map<string, DailyRuleRow>();
  const row = (x: string, y: string, day: number): DailyRuleRow => {
    const k = pairDayKey(x, y, day);
    let r = rows.get(k);
    if (!r) {
      r = { a: x < y ? x : y, b: x < y ? y : x, dayStartMs: day, trueMinutes: 0, minutes: {} };
      for (const m of methods) r.minutes[m.method] = 0;
      rows.set(k, r);
    }
    return r;
  };
  for (const t of truth) {
    const r = row(t.a, t.b, t.dayStartMs);
    r.trueMinutes = Math.max(r.trueMinutes, t.minutes);
  }
  for (const o of observed) row(o.receiver, o.transmitter, windowStartOf(o.dayStartMs, DAY_MS));
  for (const m of methods)
    for (const d of m.daily) {
      const r = row(d.receiver, d.transmitter, d.dayStartMs);
      r.minutes[m.method] = Math.max(r.minutes[m.method], d.minutesWithin2m);
    }
  return [...rows.values()].sort((p, q) => p.dayStartMs - q.dayStartMs || (p.a < q.a ? -1 : p.a > q.a ? 1 : p.b < q.b ? -1 : p.b > q.b ? 1 : 0));
}

/**
 * The rule scored for one method: a pair-day is a true close contact at >= closeMinutes true minutes;
 * the method's minutes rank (AUC) and decide (minutes >= closeMinutes). Same metrics as the windows.
 */
export function evaluateDailyRule(method: string, rows: DailyRuleRow[], opts: { closeMinutes?: number; costs?: EvalCosts } = {}): EvalResult {
  const cm = opts.closeMinutes ?? CLOSE_CONTACT_MINUTES;
  const scored = rows.map((r) => ({
    receiver: r.a, transmitter: r.b, windowStartMs: r.dayStartMs, windowEndMs: r.dayStartMs + DAY_MS,
    score: r.minutes[method] ?? 0, contact: (r.minutes[method] ?? 0) >= cm, truth: r.trueMinutes >= cm,
  }));
  return evaluateWindows(method, scored, (w) => (w as (typeof scored)[number]).truth, { costs: opts.costs });
}
