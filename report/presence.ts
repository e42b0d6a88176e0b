// The beacon's presence pages (`scan report --period day|week`): Bluezone phones at the door per
// 15-minute slot and per day, for the agency's daily and weekly adoption report (docs/adoption-report.md).
// Charts: counts are bars from zero with integer ticks; slots and days that have not happened are absent
// (the period's axis still spans them); time axes read HH:MM in the site's zone with UTC under it; titles
// state n and the period.
import type { TopLevelSpec } from 'vega-lite';
import { esc, fmtValue, metricsTable, page, type Section } from './html.ts';
import { prefixSvgIds, specToSvg } from './svg.ts';
import type { RenderedReport } from './types.ts';

export interface PresenceEstimateView {
  visitors: number;
  lower: number;
  upper: number;
  android: number;
  ios: number;
  method: string;
}

export interface PresenceSlotView {
  startMs: number;
  /** Phones counted in the slot (our own beacon and stationary transmitters left out). */
  phones: number;
  android: number;
  ios: number;
  own: number;
  stationary: number;
  future: boolean;
}

export interface StationaryView {
  fromMs: number;
  toMs: number;
  medianRssi: number;
  platform: string;
}

export interface PresenceDayInput {
  site?: string;
  /** IANA zone of the site; day boundaries are its midnights. */
  tz: string;
  /** Local date YYYY-MM-DD. */
  date: string;
  fromMs: number;
  toMs: number;
  /** When the report was made: slots after it are absent. */
  nowMs: number;
  slots: PresenceSlotView[];
  estimate: PresenceEstimateView;
  peakHour: { startMs: number; phones: number } | null;
  /** upToMs: for a day still running, the previous day counted only up to the same time of day. */
  previous: { date: string; estimate: PresenceEstimateView; upToMs?: number } | null;
  stationary: StationaryView[];
  ownRows: number;
  rule: string;
  /** People counted at the entrance the same day (optional input). */
  headCount?: number;
}

export interface PresenceDaySummary {
  date: string;
  fromMs: number;
  toMs: number;
  /** The day has not begun yet: absent from the chart. */
  future: boolean;
  /** The day is still running. */
  partial: boolean;
  estimate: PresenceEstimateView;
  peakHour: { startMs: number; phones: number } | null;
  stationary: number;
  headCount?: number;
}

export interface PresenceWeekInput {
  site?: string;
  tz: string;
  /** ISO week label, e.g. 2026-W48. */
  week: string;
  nowMs: number;
  days: PresenceDaySummary[];
  total: PresenceEstimateView;
  /** upToMs: for a week still running, the previous week counted only up to the same time of the week. */
  previous: { week: string; total: PresenceEstimateView; upToMs?: number } | null;
  rule: string;
  headCount?: number;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
const CONFIG = {
  font: 'DejaVu Sans, Liberation Sans, Arial, sans-serif',
  background: 'white',
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: '#e8e8e8' },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  title: { fontSize: 14, anchor: 'start' as const },
  view: { stroke: '#ccc' },
};
const COLORS = { Android: '#2f7d32', iOS: '#1f5fa8' };

const pad = (n: number) => String(n).padStart(2, '0');
/** HH:MM of ms shifted by offsetMin. */
const hhmmAt = (ms: number, offsetMin: number) => {
  const d = new Date(ms + offsetMin * 60_000);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
};

/** Integer count axis from zero: ticks at whole numbers only, domain [0, max] with max >= 1. */
function countY(title: string, max: number) {
  const top = Math.max(1, Math.ceil(max));
  return {
    type: 'quantitative' as const,
    title,
    scale: { domain: [0, top], zero: true, nice: false },
    axis: { tickMinStep: 1, format: 'd', values: integerTicks(top) },
  };
}

/** At most ~6 whole-number ticks from 0 to top (inclusive). */
export function integerTicks(top: number): number[] {
  const step = Math.max(1, [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000].find((s) => top / s <= 6) ?? Math.ceil(top / 6));
  const out: number[] = [];
  for (let v = 0; v <= top; v += step) out.push(v);
  return out;
}

/**
 * Phones per 15-minute slot over one local day: stacked Android / iOS bars from zero. x = hours since
 * the local midnight (0..24, or 23/25 on a DST day), labelled HH:MM local with the UTC time beneath.
 */
export function presenceDaySpec(input: PresenceDayInput, offsetMinAt: (ms: number) => number): TopLevelSpec {
  const hours = (input.toMs - input.fromMs) / 3_600_000;
  const past = input.slots.filter((s) => !s.future);
  const rows = past.flatMap((s) => {
    const x = (s.startMs - input.fromMs) / 3_600_000;
    const local = hhmmAt(s.startMs, offsetMinAt(s.startMs));
    const utc = hhmmAt(s.startMs, 0);
    // a slot with no phone draws no bar (a zero-height rect would count as a mark); its place stays white,
    // while slots that have not begun are shaded
    return (['Android', 'iOS'] as const).map((platform) => ({ x, x2: x + 0.25, platform, phones: platform === 'Android' ? s.android : s.ios, slot: `${local} (${utc} UTC)`, total: s.phones })).filter((r) => r.phones > 0);
  });
  const ticks: number[] = [];
  for (let h = 0; h <= hours + 1e-9; h += 3) ticks.push(h);
  if (ticks[ticks.length - 1] !== hours) ticks.push(hours);
  const labels = ticks.map((h) => {
    const ms = input.fromMs + h * 3_600_000;
    const local = h === hours ? '24:00' : hhmmAt(ms, offsetMinAt(ms));
    return `datum.value == ${h} ? ['${local}', '${hhmmAt(ms, 0)} UTC']`;
  });
  const max = Math.max(0, ...past.map((s) => s.phones));
  const n = past.reduce((a, s) => a + s.phones, 0);
  const nowX = (input.nowMs - input.fromMs) / 3_600_000;
  const running = nowX > 0 && nowX < hours;
  const zone = input.tz === 'UTC' ? 'UTC' : `${input.tz}`;
  const layers: unknown[] = [];
  if (running) {
    // the part of the day that has not happened: shaded and labelled, no bars (absent, not zero)
    layers.push(
      { data: { values: [{ a: nowX, b: hours }] }, mark: { type: 'rect', color: '#eeeeee' }, encoding: { x: { field: 'a', type: 'quantitative' }, x2: { field: 'b' } } },
      { data: { values: [{ a: nowX, label: `now ${hhmmAt(input.nowMs, offsetMinAt(input.nowMs))}: later slots not yet` }] }, mark: { type: 'text', align: 'left', baseline: 'top', dx: 4, dy: 4, color: '#666', fontSize: 11 }, encoding: { x: { field: 'a', type: 'quantitative' }, y: { value: 0 }, text: { field: 'label' } } },
    );
  }
  if (n === 0) {
    layers.push({ data: { values: [{ a: Math.min(nowX, hours) / 2, label: `no Bluezone phones heard in ${past.length} slot(s)` }] }, mark: { type: 'text', color: '#444', fontSize: 12 }, encoding: { x: { field: 'a', type: 'quantitative' }, y: { value: 120 }, text: { field: 'label' } } });
  }
  layers.push({
    data: { values: rows },
    mark: { type: 'bar', stroke: 'white', strokeWidth: 0.5 },
    encoding: {
      x: { field: 'x', type: 'quantitative' },
      x2: { field: 'x2' },
      y: { field: 'phones', aggregate: 'sum', stack: 'zero', ...countY('phones per 15 min', max) },
      color: { field: 'platform', type: 'nominal', title: 'platform', scale: { domain: ['Android', 'iOS'], range: [COLORS.Android, COLORS.iOS] } },
      tooltip: [{ field: 'slot', title: 'slot start' }, { field: 'platform' }, { field: 'phones', aggregate: 'sum', title: 'phones' }],
    },
  });
  const slotsSoFar = past.length;
  return {
    $schema: SCHEMA,
    title: {
      text: `Bluezone phones at the door per 15-minute slot, ${input.date} (${zone})`,
      subtitle: `n = ${n} phone-slots in ${slotsSoFar} of ${input.slots.length} slots${running ? ' (day still running)' : ''}; our own beacon and ${input.stationary.length} stationary transmitter(s) left out`,
    },
    width: 720,
    height: 240,
    config: CONFIG,
    encoding: {
      x: {
        type: 'quantitative',
        title: `time of day, ${zone} (UTC beneath)`,
        scale: { domain: [0, hours], nice: false, zero: true },
        axis: { values: ticks, labelExpr: `${labels.join(' : ')} : ''` },
      },
    },
    layer: layers,
    resolve: { scale: { y: 'shared' } },
  } as TopLevelSpec;
}

const DOW = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
export const dayLabel = (date: string) => {
  const d = new Date(date + 'T00:00:00Z');
  return `${DOW[d.getUTCDay()]} ${date.slice(8, 10)}/${date.slice(5, 7)}`;
};

/** Estimated phones per day of one week: stacked Android / iOS bars from zero, with the day's bounds. */
export function presenceWeekSpec(input: PresenceWeekInput): TopLevelSpec {
  const order = input.days.map((d) => dayLabel(d.date));
  const shown = input.days.filter((d) => !d.future);
  const bars = shown.flatMap((d) => (['Android', 'iOS'] as const).map((platform) => ({ day: dayLabel(d.date), platform, phones: platform === 'Android' ? d.estimate.android : d.estimate.ios })));
  const bounds = shown.map((d) => ({ day: dayLabel(d.date), lower: d.estimate.lower, upper: d.estimate.upper, estimate: d.estimate.visitors, note: d.partial ? 'so far' : '' }));
  const max = Math.max(0, ...shown.map((d) => Math.max(d.estimate.upper, d.estimate.visitors)));
  const n = shown.reduce((a, d) => a + d.estimate.visitors, 0);
  const x = { field: 'day', type: 'ordinal' as const, title: `day (${input.tz})`, sort: order, scale: { domain: order }, axis: { labelAngle: 0 } };
  const y = countY('phones per day (estimate)', max);
  return {
    $schema: SCHEMA,
    title: {
      text: `Bluezone phones per day, ${input.week} (${input.days[0].date} to ${input.days[input.days.length - 1].date}, ${input.tz})`,
      subtitle: `n = ${n} phone-days over ${shown.length} of ${input.days.length} days; bars: estimate (Android / iOS), line beside each bar: bounds (busiest slot .. sum of slots)`,
    },
    width: 560,
    height: 240,
    config: CONFIG,
    layer: [
      {
        data: { values: bars },
        mark: { type: 'bar', width: { band: 0.6 } },
        encoding: {
          x,
          y: { field: 'phones', aggregate: 'sum', stack: 'zero', ...y },
          color: { field: 'platform', type: 'nominal', title: 'platform', scale: { domain: ['Android', 'iOS'], range: [COLORS.Android, COLORS.iOS] } },
          tooltip: [{ field: 'day' }, { field: 'platform' }, { field: 'phones', aggregate: 'sum', title: 'phones' }],
        },
      },
      {
        data: { values: bounds },
        // beside the bar, not through it
        mark: { type: 'rule', color: '#333', strokeWidth: 1.5, xOffset: 28 },
        encoding: { x, y: { field: 'lower', ...y }, y2: { field: 'upper' }, tooltip: [{ field: 'day' }, { field: 'estimate' }, { field: 'lower' }, { field: 'upper' }, { field: 'note' }] },
      },
      {
        data: { values: bounds },
        mark: { type: 'tick', color: '#333', thickness: 1.5, size: 10, xOffset: 28 },
        encoding: { x, y: { field: 'upper', ...y } },
      },
      {
        data: { values: bounds },
        mark: { type: 'tick', color: '#333', thickness: 1.5, size: 10, xOffset: 28 },
        encoding: { x, y: { field: 'lower', ...y } },
      },
    ],
  } as TopLevelSpec;
}

async function renderSvgs(jobs: { name: string; spec: TopLevelSpec | null }[]): Promise<Record<string, string>> {
  const svgs: Record<string, string> = {};
  for (const j of jobs) if (j.spec) svgs[j.name] = prefixSvgIds(await specToSvg(j.spec), j.name);
  return svgs;
}

const utcStamp = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
const estimateText = (e: PresenceEstimateView) => `${fmtValue(e.visitors)} (bounds ${fmtValue(e.lower)}–${fmtValue(e.upper)}; Android ${fmtValue(e.android)}, iOS ${fmtValue(e.ios)})`;
const change = (now: number, before: number) => {
  const d = now - before;
  const pct = before > 0 ? ` (${d >= 0 ? '+' : ''}${Math.round((100 * d) / before)} %)` : '';
  return `${d >= 0 ? '+' : ''}${d}${pct}`;
};
const share = (phones: number, people: number | undefined) => (people && people > 0 ? `${Math.round((100 * phones) / people)} % (${phones} of ${people} people counted at the entrance)` : undefined);

/** The day page: summary, per-slot chart, stationary transmitters, slot table. */
export async function renderPresenceDay(input: PresenceDayInput, offsetMinAt: (ms: number) => number): Promise<RenderedReport> {
  const past = input.slots.filter((s) => !s.future);
  const hasPhones = past.some((s) => s.phones > 0);
  const svgs = await renderSvgs([{ name: 'presence', spec: past.length ? presenceDaySpec(input, offsetMinAt) : null }]);
  const local = (ms: number) => hhmmAt(ms, offsetMinAt(ms));
  const both = (ms: number) => `${local(ms)} ${input.tz} (${hhmmAt(ms, 0)} UTC)`;
  const e = input.estimate;
  const sh = share(e.visitors, input.headCount);
  const summary = `<dl class="summary">
${input.site ? `<dt>site</dt><dd>${esc(input.site)}</dd>\n` : ''}<dt>day</dt><dd>${esc(input.date)} 00:00–24:00 ${esc(input.tz)} = ${esc(utcStamp(input.fromMs))} to ${esc(utcStamp(input.toMs))} UTC${input.nowMs < input.toMs ? `; so far, up to ${esc(both(input.nowMs))}` : ''}</dd>
<dt>Bluezone phones at the door</dt><dd>${esc(estimateText(e))}</dd>
<dt>peak hour</dt><dd>${input.peakHour ? `${esc(local(input.peakHour.startMs))}–${esc(local(input.peakHour.startMs + 3_600_000))} ${esc(input.tz)} (${esc(hhmmAt(input.peakHour.startMs, 0))}–${esc(hhmmAt(input.peakHour.startMs + 3_600_000, 0))} UTC), ${input.peakHour.phones} phone-slots` : 'no phones'}</dd>
<dt>previous day</dt><dd>${input.previous ? `${esc(input.previous.date)}${input.previous.upToMs !== undefined ? ` up to the same time (${esc(local(input.previous.upToMs))})` : ''}: ${esc(estimateText(input.previous.estimate))}; change ${esc(change(e.visitors, input.previous.estimate.visitors))}` : 'no data'}</dd>
${sh ? `<dt>share running Bluezone</dt><dd>${esc(sh)}</dd>\n` : ''}<dt>left out</dt><dd>our own beacon (${input.ownRows} sightings), ${input.stationary.length} stationary transmitter(s)</dd>
</dl>
<p class="caption">How the estimate is made: ${esc(e.method)}.</p>`;
  const stationaryHtml = input.stationary.length
    ? metricsTable({
        columns: ['heard from', 'to', 'platform', 'median RSSI (dBm)'],
        rows: input.stationary.map((s) => ({ 'heard from': both(s.fromMs), to: both(s.toMs), platform: s.platform, 'median RSSI (dBm)': s.medianRssi })),
      }) + `<p class="caption">${esc(input.rule)}</p>`
    : `<p class="missing">None.</p><p class="caption">${esc(input.rule)}</p>`;
  // slots where nothing but our own beacon was heard are left out of the table (the chart shows them)
  const heard = past.filter((s) => s.phones + s.stationary > 0);
  const table = heard.length
    ? metricsTable({
        columns: [`slot (${input.tz})`, 'slot (UTC)', 'phones', 'Android', 'iOS', 'stationary left out', 'own beacon IDs'],
        rows: heard.map((s) => ({
          [`slot (${input.tz})`]: `${local(s.startMs)}–${local(s.startMs + 900_000)}`,
          'slot (UTC)': `${hhmmAt(s.startMs, 0)}–${hhmmAt(s.startMs + 900_000, 0)}`,
          phones: s.phones,
          Android: s.android,
          iOS: s.ios,
          'stationary left out': s.stationary,
          'own beacon IDs': s.own,
        })),
      })
    : '<p class="missing">No phones and no stationary transmitters heard on this day.</p>';
  const sections: Section[] = [
    { id: 'summary', title: 'Summary', html: summary },
    {
      id: 'presence',
      title: 'Per 15-minute slot',
      plot: 'presence',
      svg: hasPhones || past.length ? svgs.presence : undefined,
      missing: 'This day has not begun yet.',
      caption: 'Phones rotate their BluezoneID every 15 minutes (bluezone-protocol.md 1.2), so distinct IDs per slot are phones present in that slot; one phone staying across a boundary is in two slots. iPhones are counted when the scanner read their ID over GATT.',
    },
    { id: 'stationary', title: 'Stationary transmitters (not counted)', html: stationaryHtml },
    { id: 'slots', title: 'Slots', html: table },
  ];
  const title = `Bluezone adoption at the door, ${input.date}`;
  return { html: page({ title, subtitle: [input.site, `day report, ${input.tz}`].filter(Boolean).join(' · '), sections }), svgs };
}

/** The week page: summary, per-day chart with bounds, per-day table. */
export async function renderPresenceWeek(input: PresenceWeekInput, offsetMinAt: (ms: number) => number): Promise<RenderedReport> {
  const shown = input.days.filter((d) => !d.future);
  const svgs = await renderSvgs([{ name: 'presence-week', spec: shown.length ? presenceWeekSpec(input) : null }]);
  const local = (ms: number) => hhmmAt(ms, offsetMinAt(ms));
  const t = input.total;
  const sh = share(t.visitors, input.headCount);
  const peak = [...shown].sort((a, b) => b.estimate.visitors - a.estimate.visitors || a.fromMs - b.fromMs)[0];
  const summary = `<dl class="summary">
${input.site ? `<dt>site</dt><dd>${esc(input.site)}</dd>\n` : ''}<dt>week</dt><dd>${esc(input.week)}: ${esc(input.days[0].date)} to ${esc(input.days[input.days.length - 1].date)} (${esc(input.tz)} days)${input.nowMs < input.days[input.days.length - 1].toMs ? ', still running' : ''}</dd>
<dt>Bluezone phone-days</dt><dd>${esc(estimateText(t))}</dd>
<dt>busiest day</dt><dd>${peak && peak.estimate.visitors > 0 ? `${esc(dayLabel(peak.date))} ${esc(peak.date)}, ${peak.estimate.visitors} phones` : 'no phones'}</dd>
<dt>previous week</dt><dd>${input.previous ? `${esc(input.previous.week)}${input.previous.upToMs !== undefined ? ' up to the same time of the week' : ''}: ${esc(estimateText(input.previous.total))}; change ${esc(change(t.visitors, input.previous.total.visitors))}` : 'no data'}</dd>
${sh ? `<dt>share running Bluezone</dt><dd>${esc(sh)}</dd>\n` : ''}</dl>
<p class="caption">Phone-days: a phone at the door on two days counts twice (IDs change every 15 minutes and keys every day, bluezone-protocol.md 1.2, so the same phone cannot be recognised across days). Each day: ${esc(t.method)}.</p>`;
  const table = metricsTable({
    columns: ['day', 'date', 'phones', 'bounds', 'Android', 'iOS', 'peak hour', 'stationary left out', 'people counted', 'share'],
    rows: input.days.map((d) => ({
      day: dayLabel(d.date).slice(0, 3),
      date: d.date,
      phones: d.future ? '' : d.estimate.visitors,
      bounds: d.future ? 'not yet' : `${d.estimate.lower}–${d.estimate.upper}${d.partial ? ' (so far)' : ''}`,
      Android: d.future ? '' : d.estimate.android,
      iOS: d.future ? '' : d.estimate.ios,
      'peak hour': d.peakHour ? `${local(d.peakHour.startMs)}–${local(d.peakHour.startMs + 3_600_000)}` : '',
      'stationary left out': d.future ? '' : d.stationary,
      'people counted': d.headCount ?? '',
      share: d.headCount && !d.future ? `${Math.round((100 * d.estimate.visitors) / d.headCount)} %` : '',
    })),
  });
  const sections: Section[] = [
    { id: 'summary', title: 'Summary', html: summary },
    { id: 'presence-week', title: 'Per day', plot: 'presence-week', svg: svgs['presence-week'], missing: 'This week has not begun yet.', caption: input.rule },
    { id: 'days', title: 'Days', html: table },
  ];
  return { html: page({ title: `Bluezone adoption at the door, ${input.week}`, subtitle: [input.site, `week report, ${input.tz}`].filter(Boolean).join(' · '), sections }), svgs };
}
