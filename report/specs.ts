// Vega-Lite specs for each report plot, built from the plain report inputs (report/types.ts).
// Pure functions: no I/O, deterministic, so tests can check the specs and the renderer can compile them.
import type { TopLevelSpec } from 'vega-lite';
import type {
  ContactTimeline,
  DeviceTrack,
  FloorPlan,
  PairSeries,
  PresenceReportInput,
  RocCurve,
  Room,
  ScatterSample,
} from './types.ts';

/** Caps that keep the self-contained HTML small; data beyond them is subsampled with a fixed stride. */
export const LIMITS = {
  trackPointsPerDevice: 400,
  scatterPoints: 3000,
  pairPoints: 1500,
  pairs: 4,
  timelinePeople: 40,
} as const;

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
const CONFIG = {
  font: 'DejaVu Sans, Liberation Sans, Arial, sans-serif',
  background: 'white',
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: '#e8e8e8' },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 320 },
  title: { fontSize: 14, anchor: 'start' as const },
  view: { stroke: '#ccc' },
};

/** Every k-th element so that at most `max` remain; keeps the last one (end of a track). */
export function subsample<T>(xs: readonly T[], max: number): T[] {
  if (xs.length <= max) return xs.slice();
  const k = Math.ceil(xs.length / max);
  const out: T[] = [];
  for (let i = 0; i < xs.length; i += k) out.push(xs[i]);
  if ((xs.length - 1) % k !== 0) out[out.length - 1] = xs[xs.length - 1];
  return out;
}

function round(v: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export function roomPolygon(r: Room): Array<[number, number]> {
  if ('polygon' in r) return r.polygon;
  return [
    [r.x, r.y],
    [r.x + r.width, r.y],
    [r.x + r.width, r.y + r.height],
    [r.x, r.y + r.height],
  ];
}

function extent(plan: FloorPlan, tracks: DeviceTrack[]): { w: number; h: number; x0: number; y0: number } {
  let x0 = 0;
  let y0 = 0;
  let x1 = plan.widthM ?? 0;
  let y1 = plan.heightM ?? 0;
  const see = (x: number, y: number) => {
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  };
  for (const r of plan.rooms) for (const [x, y] of roomPolygon(r)) see(x, y);
  for (const b of plan.beacons) see(b.x, b.y);
  for (const t of tracks) for (const p of t.points) see(p.x, p.y);
  if (x1 - x0 <= 0) x1 = x0 + 1;
  if (y1 - y0 <= 0) y1 = y0 + 1;
  return { w: x1 - x0, h: y1 - y0, x0, y0 };
}

/** Floor plan (rooms, beacons) with each device's track; equal metres on both axes. */
export function floorPlanSpec(plan: FloorPlan, tracks: DeviceTrack[]): TopLevelSpec {
  const { w, h, x0, y0 } = extent(plan, tracks);
  const width = 560;
  const height = Math.max(160, Math.min(700, Math.round((width * h) / w)));
  // Equal aspect: widen the shorter domain so one metre is the same length on both axes.
  const mPerPx = Math.max(w / width, h / height);
  const xDomain = [round(x0), round(x0 + mPerPx * width)];
  const yDomain = [round(y0), round(y0 + mPerPx * height)];
  const x = { field: 'x', type: 'quantitative' as const, title: 'x (m)', scale: { domain: xDomain, nice: false, zero: false } };
  const y = { field: 'y', type: 'quantitative' as const, title: 'y (m)', scale: { domain: yDomain, nice: false, zero: false } };

  const roomRows = plan.rooms.flatMap((r) => {
    const poly = roomPolygon(r);
    return [...poly, poly[0]].map(([px, py], i) => ({ room: r.name, i, x: round(px), y: round(py) }));
  });
  const roomLabels = plan.rooms.map((r) => {
    const poly = roomPolygon(r);
    const cx = poly.reduce((s, p) => s + p[0], 0) / poly.length;
    const top = Math.max(...poly.map((p) => p[1]));
    return { room: r.name, x: round(cx), y: round(top) };
  });
  const manyDevices = tracks.length > 12;
  const trackRows = tracks.flatMap((t) =>
    subsample(t.points, LIMITS.trackPointsPerDevice).map((p) => ({
      device: t.device,
      kind: t.kind ?? 'device',
      tMin: round(p.tMs / 60000, 3),
      x: round(p.x),
      y: round(p.y),
    })),
  );
  const lastRows = tracks
    .filter((t) => t.points.length > 0)
    .map((t) => {
      const p = t.points[t.points.length - 1];
      return { device: t.device, kind: t.kind ?? 'device', x: round(p.x), y: round(p.y) };
    });
  const colorField = manyDevices ? 'kind' : 'device';
  const color = { field: colorField, type: 'nominal' as const, title: manyDevices ? 'device kind' : 'device' };

  const layers: any[] = [];
  if (roomRows.length) {
    layers.push({
      data: { values: roomRows },
      mark: { type: 'line', stroke: '#555', strokeWidth: 2 },
      encoding: { x, y, detail: { field: 'room' }, order: { field: 'i', type: 'quantitative' } },
    });
    layers.push({
      data: { values: roomLabels },
      mark: { type: 'text', dy: 10, baseline: 'top', fontSize: 11, fill: '#555' },
      encoding: { x, y, text: { field: 'room' } },
    });
  }
  if (trackRows.length) {
    layers.push({
      data: { values: trackRows },
      mark: { type: 'line', strokeWidth: 1.5, opacity: 0.75 },
      encoding: {
        x,
        y,
        detail: { field: 'device' },
        color,
        order: { field: 'tMin', type: 'quantitative' },
        tooltip: [{ field: 'device' }, { field: 'tMin', title: 't (min)' }],
      },
    });
    layers.push({
      data: { values: lastRows },
      mark: { type: 'circle', size: 30, opacity: 0.9 },
      encoding: { x, y, color, tooltip: [{ field: 'device' }] },
    });
  }
  if (plan.beacons.length) {
    const beaconRows = plan.beacons.map((b) => ({ beacon: b.name, x: round(b.x), y: round(b.y) }));
    layers.push({
      data: { values: beaconRows },
      mark: { type: 'point', shape: 'triangle-up', size: 140, filled: true, color: 'black' },
      encoding: { x, y, tooltip: [{ field: 'beacon' }] },
    });
    layers.push({
      data: { values: beaconRows },
      mark: { type: 'text', dx: 8, align: 'left', fontSize: 11, fontWeight: 'bold' },
      encoding: { x, y, text: { field: 'beacon' } },
    });
  }
  return {
    $schema: SCHEMA,
    title: { text: 'Floor plan and device tracks', subtitle: 'rooms (grey), beacons (▲), last position (●)' },
    width,
    height,
    config: CONFIG,
    layer: layers,
  } as TopLevelSpec;
}

/** Per selected pair: RSSI (dBm, left axis) and true distance (m, right axis) against time. */
export function pairSeriesSpec(pairs: PairSeries[]): TopLevelSpec {
  const charts = pairs.slice(0, LIMITS.pairs).map((p) => {
    const rows = subsample(p.points, LIMITS.pairPoints).map((q) => ({
      tMin: round(q.tMs / 60000, 4),
      rssi: q.rssiDbm,
      distance: round(q.distanceM),
    }));
    const x = { field: 'tMin', type: 'quantitative' as const, title: 'time (min)' };
    return {
      title: `${p.receiver} hears ${p.transmitter}`,
      width: 560,
      height: 160,
      data: { values: rows },
      layer: [
        {
          mark: { type: 'point', size: 10, filled: true, color: '#1f77b4', opacity: 0.6 },
          encoding: {
            x,
            y: { field: 'rssi', type: 'quantitative', title: 'RSSI (dBm)', scale: { zero: false }, axis: { titleColor: '#1f77b4' } },
          },
        },
        {
          mark: { type: 'line', color: '#d62728', strokeWidth: 2 },
          encoding: {
            x,
            y: { field: 'distance', type: 'quantitative', title: 'true distance (m)', axis: { titleColor: '#d62728', orient: 'right' } },
          },
        },
      ],
      resolve: { scale: { y: 'independent' } },
    };
  });
  return {
    $schema: SCHEMA,
    title: { text: 'RSSI and true distance over time', subtitle: 'blue dots: RSSI of each received advert; red line: true distance' },
    config: CONFIG,
    vconcat: charts,
  } as TopLevelSpec;
}

/** RSSI against true distance (log x), with the 2 m contact threshold. */
export function scatterSpec(samples: ScatterSample[]): TopLevelSpec {
  const rows = subsample(samples, LIMITS.scatterPoints).map((s) => ({
    distance: Math.max(0.05, round(s.distanceM)),
    rssi: s.rssiDbm,
    group: s.group ?? 'all',
  }));
  const grouped = new Set(rows.map((r) => r.group)).size > 1;
  return {
    $schema: SCHEMA,
    title: { text: 'RSSI vs true distance', subtitle: `${rows.length} receptions${rows.length < samples.length ? ` (subsampled from ${samples.length})` : ''}; dashed: 2 m` },
    width: 560,
    height: 320,
    config: CONFIG,
    layer: [
      {
        data: { values: rows },
        mark: { type: 'circle', size: 12, opacity: 0.45 },
        encoding: {
          x: { field: 'distance', type: 'quantitative', title: 'true distance (m, log scale)', scale: { type: 'log', nice: false } },
          y: { field: 'rssi', type: 'quantitative', title: 'RSSI (dBm)', scale: { zero: false } },
          ...(grouped ? { color: { field: 'group', type: 'nominal', title: 'group' } } : {}),
        },
      },
      {
        data: { values: [{ d: 2 }] },
        mark: { type: 'rule', strokeDash: [6, 4], color: '#333' },
        encoding: { x: { field: 'd', type: 'quantitative' } },
      },
    ],
  } as TopLevelSpec;
}

/** Per person: intervals of true contact (within 2 m) and of detected contact, side by side. */
export function contactTimelineSpec(timelines: ContactTimeline[], durationMs?: number): TopLevelSpec {
  const people = timelines.filter((t) => t.truth.length + t.detected.length > 0).slice(0, LIMITS.timelinePeople);
  const rows = people.flatMap((t) => [
    ...t.truth.map((iv) => ({ person: t.person, series: 'true contact', start: round(iv.startMs / 60000, 3), end: round(iv.endMs / 60000, 3), with: iv.with ?? '' })),
    ...t.detected.map((iv) => ({ person: t.person, series: 'detected', start: round(iv.startMs / 60000, 3), end: round(iv.endMs / 60000, 3), with: iv.with ?? '' })),
  ]);
  return {
    $schema: SCHEMA,
    title: { text: 'Contact timeline per person', subtitle: 'true contact = within 2 m; detected = classifier decision' },
    width: 560,
    height: { step: 26 },
    config: CONFIG,
    data: { values: rows },
    // Detected windows are whole 15-minute windows and may run past the end of the run: clip to the plot.
    mark: { type: 'bar', cornerRadius: 1, clip: true },
    encoding: {
      y: { field: 'person', type: 'nominal', title: 'person', sort: people.map((p) => p.person) },
      yOffset: { field: 'series', sort: ['true contact', 'detected'] },
      x: {
        field: 'start',
        type: 'quantitative',
        title: 'time (min)',
        ...(durationMs ? { scale: { domain: [0, round(durationMs / 60000, 3)], nice: false } } : {}),
      },
      x2: { field: 'end' },
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        scale: { domain: ['true contact', 'detected'], range: ['#2ca02c', '#ff7f0e'] },
      },
      tooltip: [{ field: 'person' }, { field: 'series' }, { field: 'with' }, { field: 'start', title: 'from (min)' }, { field: 'end', title: 'to (min)' }],
    },
  } as TopLevelSpec;
}

/** ROC curves of each method with AUC in the legend, and the chance diagonal. */
export function rocSpec(curves: RocCurve[]): TopLevelSpec {
  const label = (c: RocCurve) => `${c.method} (AUC ${Number.isFinite(c.auc) ? c.auc.toFixed(3) : 'n/a'})`;
  const rows = curves.flatMap((c) =>
    [...c.points]
      .sort((a, b) => a.fpr - b.fpr || a.tpr - b.tpr)
      .map((p, i) => ({ method: label(c), i, fpr: round(p.fpr, 4), tpr: round(p.tpr, 4) })),
  );
  const axis = (t: string) => ({ type: 'quantitative' as const, title: t, scale: { domain: [0, 1] } });
  return {
    $schema: SCHEMA,
    title: { text: 'ROC: ours vs baselines', subtitle: 'window decisions against ground truth (within 2 m)' },
    width: 360,
    height: 360,
    config: CONFIG,
    layer: [
      {
        data: { values: [{ a: 0 }, { a: 1 }] },
        mark: { type: 'line', strokeDash: [4, 4], color: '#999' },
        encoding: { x: { field: 'a', ...axis('false positive rate') }, y: { field: 'a', ...axis('true positive rate') } },
      },
      {
        data: { values: rows },
        // Dots only when they can be told apart; dense curves (one point per threshold) stay lines.
        mark: { type: 'line', strokeWidth: 2, point: Math.max(0, ...curves.map((c) => c.points.length)) <= 40 ? { size: 14 } : false },
        encoding: {
          x: { field: 'fpr', ...axis('false positive rate') },
          y: { field: 'tpr', ...axis('true positive rate') },
          order: { field: 'i', type: 'quantitative' },
          color: { field: 'method', type: 'nominal', title: 'method', sort: curves.map(label) },
        },
      },
    ],
  } as TopLevelSpec;
}

/** Distinct BluezoneIDs heard at the door per 15-minute slot (UTC) over one day. */
export function presenceSpec(input: PresenceReportInput): TopLevelSpec {
  const rows = input.slots.map((s) => ({
    slot: s.slot,
    from: round(s.slot / 4, 2),
    to: round((s.slot + 1) / 4, 2),
    time: `${String(Math.floor(s.slot / 4)).padStart(2, '0')}:${String((s.slot % 4) * 15).padStart(2, '0')}`,
    ids: s.distinctIds,
  }));
  return {
    $schema: SCHEMA,
    title: { text: `Bluezone phones at the door, ${input.date} (UTC)`, subtitle: 'distinct BluezoneIDs heard per 15-minute slot' },
    width: 640,
    height: 220,
    config: CONFIG,
    data: { values: rows },
    mark: { type: 'bar', color: '#1f77b4' },
    encoding: {
      x: { field: 'from', type: 'quantitative', title: 'time of day (h, UTC)', scale: { domain: [0, 24] }, axis: { values: [0, 3, 6, 9, 12, 15, 18, 21, 24] } },
      x2: { field: 'to' },
      y: { field: 'ids', type: 'quantitative', title: 'distinct BluezoneIDs' },
      tooltip: [{ field: 'time', title: 'slot start' }, { field: 'ids', title: 'IDs' }],
    },
  } as TopLevelSpec;
}
