// Local time for the presence pages: the site's IANA time zone next to UTC. Bluezone's slots are UTC
// quarter hours (bluezone-protocol.md 1.2) and every zone in use today is a whole multiple of 15 minutes
// from UTC, so a local day is a whole number of slots (92..100 with DST changes).
import { DAY_MS, SLOT_MS } from '../protocol/keys.ts';

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Throws a RangeError naming the zone when Intl does not know it. */
export function checkTimeZone(tz: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz }).format(0);
    return tz; // as given: ICU would canonicalise Asia/Ho_Chi_Minh to Asia/Saigon
  } catch {
    throw new RangeError(`unknown time zone "${tz}" (expected an IANA name such as Asia/Ho_Chi_Minh or UTC)`);
  }
}

export function systemTimeZone(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

function fmt(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(tz, f);
  }
  return f;
}

/** Local wall-clock minus UTC at `ms`, in minutes (Asia/Ho_Chi_Minh: +420). */
export function tzOffsetMin(ms: number, tz: string): number {
  const p = Object.fromEntries(fmt(tz).formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  const local = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return Math.round((local - Math.floor(ms / 1000) * 1000) / 60_000);
}

/** YYYY-MM-DD of `ms` in the zone. */
export function localDate(ms: number, tz: string): string {
  return new Date(ms + tzOffsetMin(ms, tz) * 60_000).toISOString().slice(0, 10);
}

/** HH:MM of `ms` in the zone. */
export function localHhmm(ms: number, tz: string): string {
  return new Date(ms + tzOffsetMin(ms, tz) * 60_000).toISOString().slice(11, 16);
}

/** UTC ms of 00:00 local on a YYYY-MM-DD date in the zone (rounded to a slot boundary). */
export function localMidnight(date: string, tz: string): number {
  const t = Date.parse(date + 'T00:00:00Z');
  let guess = t - tzOffsetMin(t, tz) * 60_000;
  const off2 = tzOffsetMin(guess, tz);
  if (t - off2 * 60_000 !== guess) guess = t - off2 * 60_000;
  return Math.round(guess / SLOT_MS) * SLOT_MS;
}

/** The local day [from, to) holding `ms`. */
export function localDayRange(date: string, tz: string): [number, number] {
  const next = new Date(Date.parse(date + 'T00:00:00Z') + DAY_MS).toISOString().slice(0, 10);
  return [localMidnight(date, tz), localMidnight(next, tz)];
}

/** "UTC+07:00" style label of the zone's offset at `ms`. */
export function offsetLabel(ms: number, tz: string): string {
  const o = tzOffsetMin(ms, tz);
  const a = Math.abs(o);
  return `UTC${o < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/** Adds whole days to a YYYY-MM-DD date. */
export function addDays(date: string, n: number): string {
  return new Date(Date.parse(date + 'T00:00:00Z') + n * DAY_MS).toISOString().slice(0, 10);
}

/** Monday of the ISO week holding the date. */
export function isoWeekMonday(date: string): string {
  const dow = (new Date(date + 'T00:00:00Z').getUTCDay() + 6) % 7; // 0 = Monday
  return addDays(date, -dow);
}

/** ISO week label, e.g. 2026-W48. */
export function isoWeekLabel(date: string): string {
  const d = new Date(date + 'T00:00:00Z');
  const thursday = new Date(d.getTime() + (3 - ((d.getUTCDay() + 6) % 7)) * DAY_MS);
  const y = thursday.getUTCFullYear();
  const week = 1 + Math.floor((thursday.getTime() - Date.UTC(y, 0, 1)) / (7 * DAY_MS));
  return `${y}-W${String(week).padStart(2, '0')}`;
}
