// Vega-Lite specs for each report plot, built from the plain report inputs (report/types.ts).
// Pure functions: no I/O, deterministic, so tests can check the specs and the renderer can compile them.
import type { TopLevelSpec } from 'vega-lite';
import type {
  ContactTimeline,
  DeviceTrack,
  F1Curve,
  FloorPlan,
  PairSeries,
  RocCurve,
  Room,
  ScatterSample,
} from './types.ts';

/** Caps that keep the self-contained HTML small; data beyond them is subsampled with a fixed stride. */
export const LIMITS = {
  trackPointsPerDevice: 400,
  scatterPoints: 3000,
  pairPoints: 1500,
  pairs: 6,
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

/** 2 -> "2nd", 11 -> "11th", 23 -> "23rd". */
export function ordinal(k: number): string {
  const t = k % 100;
  const suffix = t >= 11 && t <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][k % 10] ?? 'th');
  return `${k.toLocaleString('en-US')}${suffix}`;
}

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

/** The run's time span: sim time 0 as Unix ms (0 when unknown) and its length. */
export interface RunTime {
  startMs: number;
  durationMs: number;
}

/** Fixed colours per method, the same on every plot (ours blue, GAEN orange, Bluezone green). */
const METHOD_COLOURS: Record<string, string> = { ours: '#1f77b4', gaen: '#ff7f0e', bluezone: '#2ca02c' };
const OTHER_COLOURS = ['#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** Colour scale for methods in the given order: known methods keep their colour, others take the rest. */
export function methodColours(methods: string[]): string[] {
  let k = 0;
  return methods.map((m) => METHOD_COLOURS[m.split(' ')[0]] ?? OTHER_COLOURS[k++ % OTHER_COLOURS.length]);
}

/** What each method's window score is (firmware/proximity/classifier.ts), for the threshold axis. */
export function scoreLabel(method: string): string {
  return { ours: 'RSSI level (dBm)', gaen: 'weighted minutes', bluezone: 'strongest RSSI (dBm)' }[method] ?? 'score';
}

/**
 * A UTC clock-time x axis spanning the whole run (not only the data), HH:MM, or HH:MM:SS for runs up to
 * 10 minutes. Rows carry the time as Unix ms in `field`.
 */
export function timeAxis(time: RunTime, field = 't'): Record<string, unknown> {
  const dur = Math.max(1000, time.durationMs);
  const short = dur <= 10 * 60_000;
  // Ticks on round clock times (multiples of the step since midnight UTC), at most about 8 over the run.
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400].map((s) => s * 1000);
  const step = steps.find((st) => dur / st <= 8) ?? 86_400_000;
  const values: number[] = [];
  for (let v = Math.ceil(time.startMs / step) * step; v <= time.startMs + dur; v += step) values.push(v);
  return {
    field,
    type: 'temporal',
    title: time.startMs > 0 ? 'time (UTC)' : 'time since start',
    scale: { type: 'utc', domain: [time.startMs, time.startMs + dur], nice: false },
    axis: { format: short ? '%H:%M:%S' : '%H:%M', values, labelOverlap: true },
  };
}

/** Bin width for pair series: a round width giving at most about 600 bins over the run. */
export function pairBinMs(durationMs: number): number {
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600].map((s) => s * 1000);
  return steps.find((b) => durationMs / b <= 600) ?? 3600_000;
}

/** "10 s", "2 min", "1 h". */
export function fmtSpan(ms: number): string {
  if (ms % 3600_000 === 0) return `${ms / 3600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}

type PairPoint = PairSeries['points'][number];

/** Per time bin of binMs (from tMs 0): mean RSSI and distance, RSSI min/max and count; deterministic. */
export function binPairPoints(points: readonly PairPoint[], binMs: number): PairPoint[] {
  const bins = new Map<number, { n: number; r: number; d: number; lo: number; hi: number }>();
  for (const p of points) {
    const k = Math.floor(p.tMs / binMs);
    const w = p.n ?? 1;
    const b = bins.get(k);
    const lo = p.rssiMinDbm ?? p.rssiDbm;
    const hi = p.rssiMaxDbm ?? p.rssiDbm;
    if (!b) bins.set(k, { n: w, r: p.rssiDbm * w, d: p.distanceM * w, lo, hi });
    else {
      b.n += w;
      b.r += p.rssiDbm * w;
      b.d += p.distanceM * w;
      b.lo = Math.min(b.lo, lo);
      b.hi = Math.max(b.hi, hi);
    }
  }
  return [...bins.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([k, b]) => ({ tMs: k * binMs + binMs / 2, rssiDbm: b.r / b.n, distanceM: b.d / b.n, rssiMinDbm: b.lo, rssiMaxDbm: b.hi, n: b.n }));
}

/**
 * Per selected pair: RSSI (dBm, left axis) and true distance (m, right axis) against clock time over the
 * whole run. Pairs with more receptions than LIMITS.pairPoints are shown as time bins (mean, min-max), and
 * each chart says how its points were drawn: nothing is cut off.
 */
export function pairSeriesSpec(pairs: PairSeries[], time: RunTime = { startMs: 0, durationMs: 0 }): TopLevelSpec {
  const span = time.durationMs > 0 ? time : { startMs: time.startMs, durationMs: Math.max(1000, ...pairs.flatMap((p) => p.points.map((q) => q.tMs))) };
  const charts = pairs.slice(0, LIMITS.pairs).map((p) => {
    const total = p.total ?? p.points.reduce((s, q) => s + (q.n ?? 1), 0);
    let binMs = p.binMs;
    let pts = p.points;
    if (!binMs && pts.length > LIMITS.pairPoints) {
      binMs = pairBinMs(span.durationMs);
      pts = binPairPoints(pts, binMs);
    }
    const rows = pts.map((q) => ({
      t: span.startMs + Math.round(q.tMs),
      rssi: round(q.rssiDbm, 1),
      lo: q.rssiMinDbm ?? q.rssiDbm,
      hi: q.rssiMaxDbm ?? q.rssiDbm,
      n: q.n ?? 1,
      distance: round(q.distanceM),
    }));
    const x = timeAxis(span);
    const distY = { field: 'distance', type: 'quantitative', title: 'true distance (m)', scale: { zero: true }, axis: { titleColor: '#d62728', orient: 'right' } };
    const rssiY = { field: 'rssi', type: 'quantitative', title: 'RSSI (dBm)', scale: { zero: false }, axis: { titleColor: '#1f77b4' } };
    const drawn = binMs
      ? `binned to ${fmtSpan(binMs)}: dot = mean RSSI, bar = min–max; ${total.toLocaleString('en-US')} receptions in ${rows.length.toLocaleString('en-US')} bins`
      : total === 1 ? 'one reception' : `all ${total.toLocaleString('en-US')} receptions`;
    const layer: any[] = [];
    if (binMs)
      layer.push({
        mark: { type: 'rule', color: '#1f77b4', opacity: 0.45 },
        encoding: { x, y: { ...rssiY, field: 'lo' }, y2: { field: 'hi' } },
      });
    layer.push(
      {
        mark: { type: 'point', size: binMs ? 14 : rows.length <= 60 ? 30 : 10, filled: true, color: '#1f77b4', opacity: 0.7 },
        encoding: {
          x,
          y: rssiY,
          tooltip: [{ field: 't', type: 'temporal', format: '%H:%M:%S', title: 'time (UTC)' }, { field: 'rssi', title: 'RSSI (dBm)' }, { field: 'n', title: 'receptions' }],
        },
      },
      {
        mark: { type: 'line', color: '#d62728', strokeWidth: 2 },
        encoding: { x, y: distY },
      },
    );
    // dots too when few: a lone reception still shows its distance (a layer of its own: a line's `point`
    // copies the time domain and vega-lite warns of a conflict)
    if (rows.length <= 60) layer.push({ mark: { type: 'point', size: 14, filled: true, color: '#d62728' }, encoding: { x, y: { ...distY, axis: null } } });
    return {
      title: { text: `${p.receiver} hears ${p.transmitter}`, subtitle: [...(p.reason ? [p.reason] : []), drawn], subtitleFontSize: 11 },
      width: 560,
      height: 160,
      data: { values: rows },
      layer,
      resolve: { scale: { y: 'independent' } },
    };
  });
  return {
    $schema: SCHEMA,
    title: { text: 'RSSI and true distance over time', subtitle: 'blue: RSSI of received adverts; red line: true distance' },
    config: { ...CONFIG, axisX: { labelAngle: 0 } },
    vconcat: charts,
  } as TopLevelSpec;
}

/**
 * RSSI against true distance (log x), with the 2 m contact threshold. `total` is the number of logged
 * observations the samples were drawn from and `stride` the producer's every-k-th (both stated).
 */
export function scatterSpec(samples: ScatterSample[], total = samples.length, stride = 1): TopLevelSpec {
  const k = samples.length > LIMITS.scatterPoints ? Math.ceil(samples.length / LIMITS.scatterPoints) : 1;
  const rows = subsample(samples, LIMITS.scatterPoints).map((s) => ({
    distance: Math.max(0.05, round(s.distanceM)),
    rssi: s.rssiDbm,
    group: s.group ?? 'all',
  }));
  const every = stride * k;
  const n = (v: number) => v.toLocaleString('en-US');
  const drawn = every > 1 || rows.length < total ? `${n(rows.length)} of ${n(total)} logged observations (every ${ordinal(every)})` : `all ${n(total)} logged observations`;
  const grouped = new Set(rows.map((r) => r.group)).size > 1;
  return {
    $schema: SCHEMA,
    title: { text: 'RSSI vs true distance', subtitle: `${drawn}; dashed: 2 m` },
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
          ...(grouped ? { color: { field: 'group', type: 'nominal', title: 'receiver' } } : {}),
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

/** Per person: intervals of true contact (within 2 m) and of detected contact, side by side, on clock time. */
export function contactTimelineSpec(timelines: ContactTimeline[], durationMs?: number, startMs = 0): TopLevelSpec {
  const people = timelines.filter((t) => t.truth.length + t.detected.length > 0).slice(0, LIMITS.timelinePeople);
  const iv = (person: string, series: string, v: { startMs: number; endMs: number; with?: string }) => ({ person, series, start: startMs + v.startMs, end: startMs + v.endMs, with: v.with ?? '' });
  const rows = people.flatMap((t) => [...t.truth.map((v) => iv(t.person, 'true contact', v)), ...t.detected.map((v) => iv(t.person, 'detected', v))]);
  const dur = durationMs ?? Math.max(1000, ...rows.map((r) => r.end - startMs));
  const x = timeAxis({ startMs, durationMs: dur }, 'start');
  const tf = dur <= 10 * 60_000 ? '%H:%M:%S' : '%H:%M';
  return {
    $schema: SCHEMA,
    title: { text: 'Contact timeline per person', subtitle: 'true contact = within 2 m; detected = window our classifier called contact' },
    width: 560,
    height: { step: 26 },
    config: CONFIG,
    data: { values: rows },
    // Detected windows are whole 15-minute windows and may run past the end of the run: clip to the plot.
    mark: { type: 'bar', cornerRadius: 1, clip: true },
    encoding: {
      y: { field: 'person', type: 'nominal', title: 'person', sort: people.map((p) => p.person) },
      yOffset: { field: 'series', sort: ['true contact', 'detected'] },
      x,
      // typed like x: untyped, vega-lite merges a second, unconverted copy of the domain and warns on stderr
      x2: { field: 'end', type: 'temporal' },
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        scale: { domain: ['true contact', 'detected'], range: ['#2ca02c', '#ff7f0e'] },
      },
      tooltip: [
        { field: 'person' },
        { field: 'series' },
        { field: 'with' },
        { field: 'start', type: 'temporal', format: tf, title: 'from' },
        { field: 'end', type: 'temporal', format: tf, title: 'to' },
      ],
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
    title: { text: curves.length > 1 ? 'ROC: ours vs baselines' : 'ROC', subtitle: 'window decisions against ground truth (within 2 m)' },
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
          color: { field: 'method', type: 'nominal', title: 'method', sort: curves.map(label), scale: { domain: curves.map(label), range: methodColours(curves.map((c) => c.method)) } },
        },
      },
    ],
  } as TopLevelSpec;
}

/**
 * F1 against the decision threshold, one panel per method (each score has its own unit), with a dashed
 * rule at the F1 of the method's own decision.
 */
export function f1ThresholdSpec(curves: F1Curve[]): TopLevelSpec {
  const colours = methodColours(curves.map((c) => c.method));
  const panels = curves.map((c, k) => {
    const rows = subsample([...c.points].sort((a, b) => a.threshold - b.threshold), 400).map((p) => ({ threshold: round(p.threshold, 4), f1: round(p.f1, 4) }));
    const best = c.points.reduce((b, p) => (p.f1 > b ? p.f1 : b), 0);
    const layer: any[] = [
      {
        data: { values: rows },
        // F1 is a step function of the threshold: between two scores it takes the value at the higher one
        mark: { type: 'line', strokeWidth: 2, color: colours[k], interpolate: 'step-before', point: rows.length <= 40 ? { size: 20, filled: true, color: colours[k] } : false },
        encoding: {
          x: { field: 'threshold', type: 'quantitative', title: `threshold: ${c.score}`, scale: { zero: false } },
          y: { field: 'f1', type: 'quantitative', title: 'F1', scale: { domain: [0, 1] } },
          tooltip: [{ field: 'threshold' }, { field: 'f1', title: 'F1' }],
        },
      },
    ];
    if (c.decisionF1 !== undefined && c.decisionF1 !== null && Number.isFinite(c.decisionF1))
      layer.push({
        data: { values: [{ f1: round(c.decisionF1, 4) }] },
        mark: { type: 'rule', strokeDash: [6, 4], color: '#333' },
        encoding: { y: { field: 'f1', type: 'quantitative' } },
      });
    const dec = c.decisionF1 === undefined || c.decisionF1 === null || !Number.isFinite(c.decisionF1) ? 'n/a' : c.decisionF1.toFixed(3);
    return {
      title: { text: c.method, subtitle: `best F1 ${best.toFixed(3)}; as decided ${dec}`, color: colours[k] },
      width: 220,
      height: 200,
      layer,
    };
  });
  return {
    $schema: SCHEMA,
    title: { text: curves.length > 1 ? 'F1 against threshold: ours vs baselines' : 'F1 against threshold', subtitle: 'windows scoring at or above the threshold called contact; dashed: F1 of the method’s own decision' },
    config: CONFIG,
    hconcat: panels,
  } as TopLevelSpec;
}
