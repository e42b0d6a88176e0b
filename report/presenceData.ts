// From the logbook to the presence pages and the adoption report files (CSV / JSON an agency sends on):
// one computePresence (firmware/beacon/presence.ts) per local day, the same one the fleet reporter uses.
import type Database from 'better-sqlite3';
import { computePresence, ESTIMATE_METHOD, peakHour, STATIONARY_RULE, type PresenceEstimate, type PresenceOptions, type PresencePeriod } from '../firmware/beacon/presence.ts';
import { addDays, isoWeekLabel, isoWeekMonday, localDate, localDayRange, tzOffsetMin } from '../firmware/beacon/tz.ts';
import type { PresenceDayInput, PresenceDaySummary, PresenceEstimateView, PresenceWeekInput } from './presence.ts';

type Db = Database.Database;

export interface PresenceQuery {
  tz: string;
  /** Report time: slots and days after it are absent. */
  nowMs: number;
  site?: string;
  dwellMin?: number;
  ownIdAt?: PresenceOptions['ownIdAt'];
  /** People counted at the entrance: one number for the day, or per date for a week. */
  headCount?: number | Record<string, number>;
}

const view = (e: PresenceEstimate): PresenceEstimateView => ({ visitors: e.visitors, lower: e.lower, upper: e.upper, android: e.android, ios: e.ios, method: e.method });

function day(db: Db, date: string, q: PresenceQuery): PresencePeriod {
  const [from, to] = localDayRange(date, q.tz);
  return computePresence(db, from, to, { nowMs: q.nowMs, dwellMin: q.dwellMin, ownIdAt: q.ownIdAt });
}

const offsetAt = (tz: string) => (ms: number) => tzOffsetMin(ms, tz);
const headFor = (q: PresenceQuery, date: string) => (typeof q.headCount === 'number' ? q.headCount : q.headCount?.[date]);

/** The local date (in the zone) of the logbook's newest row; undefined for an empty logbook. */
export function lastLogbookDate(db: Db, tz: string): string | undefined {
  const r = db.prepare('SELECT MAX(timestamp) AS t FROM trace_info').get() as { t: number | null };
  return r.t === null ? undefined : localDate(r.t, tz);
}

export function presenceDayInput(db: Db, date: string, q: PresenceQuery): PresenceDayInput {
  const p = day(db, date, q);
  const prevDate = addDays(date, -1);
  // a day still running is compared with the previous day up to the same time of day, not the whole day
  const running = p.fromMs < q.nowMs && q.nowMs < p.toMs;
  const prevFrom = localDayRange(prevDate, q.tz)[0];
  const upToMs = running ? prevFrom + (q.nowMs - p.fromMs) : undefined;
  const prev = day(db, prevDate, upToMs === undefined ? q : { ...q, nowMs: upToMs });
  const hasPrev = prev.slots.some((s) => s.sightings > 0);
  return {
    site: q.site,
    tz: q.tz,
    date,
    fromMs: p.fromMs,
    toMs: p.toMs,
    nowMs: q.nowMs,
    slots: p.slots.map((s) => ({ startMs: s.startMs, phones: s.distinctIds, android: s.distinctIds - s.ios, ios: s.ios, own: s.own, stationary: s.stationary, future: s.future })),
    estimate: view(p.estimate),
    peakHour: peakHour(p.slots, offsetAt(q.tz)),
    previous: hasPrev ? { date: prevDate, estimate: view(prev.estimate), upToMs } : null,
    stationary: p.stationary.map((s) => ({ fromMs: s.fromMs, toMs: s.toMs, medianRssi: s.medianRssi, platform: s.platform })),
    ownRows: p.ownRows,
    rule: p.rule,
    headCount: headFor(q, date),
  };
}

function weekDays(db: Db, monday: string, q: PresenceQuery): PresenceDaySummary[] {
  const out: PresenceDaySummary[] = [];
  for (let i = 0; i < 7; i++) {
    const date = addDays(monday, i);
    const p = day(db, date, q);
    out.push({
      date,
      fromMs: p.fromMs,
      toMs: p.toMs,
      future: p.fromMs >= q.nowMs,
      partial: p.fromMs < q.nowMs && q.nowMs < p.toMs,
      estimate: view(p.estimate),
      peakHour: peakHour(p.slots, offsetAt(q.tz)),
      stationary: p.stationary.length,
      headCount: headFor(q, date),
    });
  }
  return out;
}

const dwellOf = (days: PresenceDaySummary[]) => /\(1 \+ ([\d.]+) min dwell/.exec(days[0]?.estimate.method ?? '')?.[1] ?? '2';

function weekTotal(days: PresenceDaySummary[]): PresenceEstimateView {
  const sum = (f: (e: PresenceEstimateView) => number) => days.filter((d) => !d.future).reduce((a, d) => a + f(d.estimate), 0);
  return {
    visitors: sum((e) => e.visitors),
    lower: sum((e) => e.lower),
    upper: sum((e) => e.upper),
    android: sum((e) => e.android),
    ios: sum((e) => e.ios),
    method: ESTIMATE_METHOD.replace('dwell', `${dwellOf(days)} min dwell`),
  };
}

/** The ISO week (Monday to Sunday, local days) holding `date`. */
export function presenceWeekInput(db: Db, date: string, q: PresenceQuery): PresenceWeekInput {
  const monday = isoWeekMonday(date);
  const days = weekDays(db, monday, q);
  const prevMonday = addDays(monday, -7);
  const [prevFrom] = localDayRange(prevMonday, q.tz);
  // a week still running is compared with the previous week up to the same time of the week
  const [weekFrom] = localDayRange(monday, q.tz);
  const [, weekTo] = localDayRange(addDays(monday, 6), q.tz);
  const upToMs = weekFrom < q.nowMs && q.nowMs < weekTo ? prevFrom + (q.nowMs - weekFrom) : undefined;
  const prevDays = weekDays(db, prevMonday, upToMs === undefined ? q : { ...q, nowMs: upToMs });
  const [, prevTo] = localDayRange(addDays(prevMonday, 6), q.tz);
  const prevHasRows = (db.prepare('SELECT 1 FROM trace_info WHERE timestamp >= ? AND timestamp < ? LIMIT 1').get(prevFrom, prevTo) as unknown) !== undefined;
  const head = days.reduce((a, d) => (d.headCount === undefined || d.future ? a : (a ?? 0) + d.headCount), undefined as number | undefined);
  return {
    site: q.site,
    tz: q.tz,
    week: isoWeekLabel(monday),
    nowMs: q.nowMs,
    days,
    total: weekTotal(days),
    previous: prevHasRows ? { week: isoWeekLabel(prevMonday), total: weekTotal(prevDays), upToMs } : null,
    rule: 'Each day: ' + STATIONARY_RULE,
    headCount: head,
  };
}

// ---- the files an agency sends on -----------------------------------------------------------------

const hhmm = (ms: number, tz: string) => new Date(ms + tzOffsetMin(ms, tz) * 60_000).toISOString().slice(11, 16);
const utc = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const pct = (phones: number, people: number | undefined) => (people && people > 0 ? Math.round((1000 * phones) / people) / 10 : null);

export const DAY_CSV_HEADER = 'date,tz,slot_start_local,slot_start_utc,phones,android,ios,stationary_excluded,own_beacon_ids';
export const WEEK_CSV_HEADER = 'week,date,tz,phones,lower,upper,android,ios,peak_hour_local,stationary_excluded,head_count,share_pct,complete';

/** Day CSV: one row per slot that has begun (slots not yet begun are absent, not zero). */
export function dayCsv(d: PresenceDayInput): string {
  const rows = d.slots.filter((s) => !s.future).map((s) => [d.date, d.tz, hhmm(s.startMs, d.tz), utc(s.startMs), s.phones, s.android, s.ios, s.stationary, s.own].join(','));
  return [DAY_CSV_HEADER, ...rows].join('\n') + '\n';
}

/** Week CSV: one row per day that has begun. */
export function weekCsv(w: PresenceWeekInput): string {
  const rows = w.days.filter((d) => !d.future).map((d) =>
    [w.week, d.date, w.tz, d.estimate.visitors, d.estimate.lower, d.estimate.upper, d.estimate.android, d.estimate.ios, d.peakHour ? hhmm(d.peakHour.startMs, w.tz) : '', d.stationary, d.headCount ?? '', pct(d.estimate.visitors, d.headCount) ?? '', d.partial ? 'no' : 'yes'].join(','),
  );
  return [WEEK_CSV_HEADER, ...rows].join('\n') + '\n';
}

const estJson = (e: PresenceEstimateView) => ({ phones: e.visitors, lower: e.lower, upper: e.upper, android: e.android, ios: e.ios });

/** The day report as JSON (snake_case keys). */
export function dayJson(d: PresenceDayInput) {
  return {
    period: 'day',
    site: d.site ?? null,
    tz: d.tz,
    date: d.date,
    from_utc: utc(d.fromMs),
    to_utc: utc(d.toMs),
    complete: d.nowMs >= d.toMs,
    estimate: estJson(d.estimate),
    method: d.estimate.method,
    peak_hour: d.peakHour ? { start_local: hhmm(d.peakHour.startMs, d.tz), start_utc: utc(d.peakHour.startMs), phone_slots: d.peakHour.phones } : null,
    previous: d.previous ? { date: d.previous.date, up_to: d.previous.upToMs === undefined ? null : utc(d.previous.upToMs), ...estJson(d.previous.estimate), change: d.estimate.visitors - d.previous.estimate.visitors } : null,
    head_count: d.headCount ?? null,
    share_pct: pct(d.estimate.visitors, d.headCount),
    own_beacon_sightings: d.ownRows,
    stationary: d.stationary.map((s) => ({ from_utc: utc(s.fromMs), to_utc: utc(s.toMs), platform: s.platform, median_rssi: s.medianRssi })),
    stationary_rule: d.rule,
    slots: d.slots.filter((s) => !s.future).map((s) => ({ start_local: hhmm(s.startMs, d.tz), start_utc: utc(s.startMs), phones: s.phones, android: s.android, ios: s.ios, stationary_excluded: s.stationary, own_beacon_ids: s.own })),
  };
}

/** The week report as JSON (snake_case keys). */
export function weekJson(w: PresenceWeekInput) {
  return {
    period: 'week',
    site: w.site ?? null,
    tz: w.tz,
    week: w.week,
    total: estJson(w.total),
    method: w.total.method,
    previous: w.previous ? { week: w.previous.week, up_to: w.previous.upToMs === undefined ? null : utc(w.previous.upToMs), ...estJson(w.previous.total), change: w.total.visitors - w.previous.total.visitors } : null,
    head_count: w.headCount ?? null,
    share_pct: pct(w.total.visitors, w.headCount),
    stationary_rule: w.rule,
    days: w.days.map((d) => ({
      date: d.date,
      from_utc: utc(d.fromMs),
      to_utc: utc(d.toMs),
      status: d.future ? 'future' : d.partial ? 'partial' : 'complete',
      ...(d.future ? {} : estJson(d.estimate)),
      peak_hour_local: d.peakHour ? hhmm(d.peakHour.startMs, w.tz) : null,
      stationary_excluded: d.future ? null : d.stationary,
      head_count: d.headCount ?? null,
      share_pct: d.future ? null : pct(d.estimate.visitors, d.headCount),
    })),
  };
}
