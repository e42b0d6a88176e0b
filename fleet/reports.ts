// The province's daily and weekly reports (issue 21), as rows for CSV (RFC 4180) and XLSX.
import type { FleetStore, Scope } from './store.ts';
import { writeXlsx, type Cell } from './xlsx.ts';

export const DAILY_HEADER = ['date', 'district', 'site', 'bluezone_phones', 'low', 'high', 'android', 'ios', 'stationary_excluded', 'same_day_last_week', 'beacons_up', 'beacons_down'];

export async function dailyRows(store: FleetStore, date: string, nowMs: number, scope: Scope): Promise<Cell[][]> {
  const sites = await store.sites(date, nowMs, scope);
  const rows: Cell[][] = [DAILY_HEADER];
  type K = 'estimate' | 'low' | 'high' | 'android' | 'stationary_excluded' | 'same_day_last_week' | 'beacons_up' | 'beacons_down';
  const sum = (xs: typeof sites, k: K) => xs.reduce((a, s) => a + s[k], 0);
  const totals = (xs: typeof sites): Cell[] => [sum(xs, 'estimate'), sum(xs, 'low'), sum(xs, 'high'), sum(xs, 'android'), null, sum(xs, 'stationary_excluded'), sum(xs, 'same_day_last_week'), sum(xs, 'beacons_up'), sum(xs, 'beacons_down')];
  // Sites come ordered by district: a subtotal row closes each district (what the province forwards upwards).
  for (let i = 0; i < sites.length; ) {
    const d = sites[i].district;
    const group = [];
    for (; i < sites.length && sites[i].district === d; i++) group.push(sites[i]);
    for (const s of group) rows.push([date, s.district, s.site, s.estimate, s.low, s.high, s.android, s.ios, s.stationary_excluded, s.same_day_last_week, s.beacons_up, s.beacons_down]);
    rows.push([date, d, 'DISTRICT TOTAL', ...totals(group)]);
  }
  rows.push([date, '', 'TOTAL', ...totals(sites)]);
  return rows;
}

export async function weeklyRows(store: FleetStore, monday: string, scope: Scope): Promise<Cell[][]> {
  const w = await store.week(monday, scope);
  const rows: Cell[][] = [['district', 'site', ...w.days, 'total_phone_days']];
  for (const s of w.sites) rows.push([s.district, s.site, ...s.days, s.total]);
  rows.push(['', 'TOTAL', ...w.days.map((_, i) => w.sites.reduce((a, s) => a + s.days[i], 0)), w.sites.reduce((a, s) => a + s.total, 0)]);
  return rows;
}

/** RFC 4180: quote a field with a comma, quote or line break; a leading = + - @ is prefixed with ' (CSV injection in spreadsheets). */
export function toCsv(rows: Cell[][]): string {
  const f = (v: Cell) => {
    if (v === null) return '';
    let s = String(v);
    if (typeof v === 'string' && /^[=+\-@]/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return rows.map((r) => r.map(f).join(',')).join('\r\n') + '\r\n';
}

export function toXlsx(sheet: string, rows: Cell[][]): Buffer {
  return writeXlsx(sheet, rows);
}
