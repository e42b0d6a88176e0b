import { describe, expect, it } from 'vitest';
import { compile } from 'vega-lite';
import {
  binPairPoints,
  contactTimelineSpec,
  f1ThresholdSpec,
  floorPlanSpec,
  LIMITS,
  ordinal,
  pairSeriesSpec,
  rocSpec,
  roomPolygon,
  scatterSpec,
  subsample,
  timeAxis,
} from '../../report/specs.ts';
import { syntheticRunInput } from '../../report/sample.ts';

const input = syntheticRunInput();
// Layers of a layered spec, as plain objects.
const layers = (spec: unknown) => (spec as { layer: Array<{ data?: { values: any[] }; mark: any }> }).layer;

describe('subsample', () => {
  it('keeps everything under the cap', () => {
    expect(subsample([1, 2, 3], 5)).toEqual([1, 2, 3]);
  });
  it('keeps at most max elements, the first and the last', () => {
    const xs = Array.from({ length: 1001 }, (_, i) => i);
    const s = subsample(xs, 100);
    expect(s.length).toBeLessThanOrEqual(100);
    expect(s[0]).toBe(0);
    expect(s.at(-1)).toBe(1000);
    expect([...s].sort((a, b) => a - b)).toEqual(s);
  });
});

describe('floorPlanSpec', () => {
  const spec = floorPlanSpec(input.floorPlan, input.tracks);
  it('draws each room as a closed outline and labels it', () => {
    const rooms = layers(spec)[0].data!.values;
    const lobby = rooms.filter((r) => r.room === 'lobby');
    expect(lobby).toHaveLength(5); // rectangle: 4 corners + closing point
    expect(lobby[0]).toMatchObject({ x: lobby[4].x, y: lobby[4].y });
    expect(rooms.filter((r) => r.room === 'office')).toHaveLength(6);
    expect(layers(spec)[1].data!.values.map((r) => r.room)).toEqual(['lobby', 'office']);
  });
  it('keeps one metre the same length on both axes', () => {
    const s = spec as any;
    const x = layers(spec)[0] as any;
    const xd = s.layer[0].encoding.x.scale.domain;
    const yd = s.layer[0].encoding.y.scale.domain;
    expect((xd[1] - xd[0]) / s.width).toBeCloseTo((yd[1] - yd[0]) / s.height, 2);
    expect(x.encoding.x.title).toBe('x (m)');
  });
  it('puts every device track in, subsampled to the cap, and the beacons', () => {
    const tracks = layers(spec)[2].data!.values;
    expect(new Set(tracks.map((r) => r.device)).size).toBe(input.tracks.length);
    const long = floorPlanSpec(input.floorPlan, [
      { device: 'd', points: Array.from({ length: 5000 }, (_, i) => ({ tMs: i * 1000, x: i % 10, y: 1 })) },
    ]);
    expect(layers(long).find((l) => l.mark.type === 'line' && l.data!.values[0]?.device === 'd')!.data!.values.length).toBeLessThanOrEqual(
      LIMITS.trackPointsPerDevice,
    );
    expect(layers(spec).some((l) => l.data!.values.some((v) => v.beacon === 'door beacon'))).toBe(true);
  });
  it('colours by kind instead of device when there are many devices', () => {
    const many = Array.from({ length: 20 }, (_, k) => ({ device: `p${k}`, kind: k % 2 ? 'staff' : 'visitor', points: [{ tMs: 0, x: k, y: k }] }));
    const s = floorPlanSpec({ rooms: [], beacons: [] }, many) as any;
    expect(s.layer[0].encoding.color.field).toBe('kind');
  });
  it('compiles to Vega', () => {
    expect(() => compile(spec)).not.toThrow();
  });
  it('turns rectangles into four corners', () => {
    expect(roomPolygon({ name: 'r', x: 1, y: 2, width: 3, height: 4 })).toEqual([[1, 2], [4, 2], [4, 6], [1, 6]]);
  });
});

describe('other specs', () => {
  it('pairSeriesSpec: one chart per pair with RSSI and distance on their own axes, clock time over the run', () => {
    const start = Date.parse('2026-03-02T07:30:00Z');
    const s = pairSeriesSpec(input.pairs, { startMs: start, durationMs: 30 * 60_000 }) as any;
    expect(s.vconcat).toHaveLength(input.pairs.length);
    expect(s.vconcat[0].title.text).toBe('alice hears bob');
    expect(s.vconcat[0].title.subtitle).toEqual([`all ${input.pairs[0].points.length} receptions`]);
    expect(s.vconcat[0].layer[0].encoding.y.title).toBe('RSSI (dBm)');
    expect(s.vconcat[0].layer[1].encoding.y.title).toBe('true distance (m)');
    expect(s.vconcat[0].data.values).toHaveLength(input.pairs[0].points.length);
    expect(s.vconcat[0].data.values[6].t).toBe(start + 60_000); // 6 x 10 s
    const x = s.vconcat[0].layer[0].encoding.x;
    expect(x.type).toBe('temporal');
    expect(x.scale.domain).toEqual([start, start + 30 * 60_000]);
    expect(x.axis.format).toBe('%H:%M');
    expect(x.axis.values[0]).toBe(start);
  });
  it('pairSeriesSpec: a pair with more points than the cap is binned, visibly, never cut off', () => {
    const n = LIMITS.pairPoints * 4;
    const points = Array.from({ length: n }, (_, i) => ({ tMs: i * 1000, rssiDbm: -60 - (i % 7), distanceM: 1 + (i % 3) }));
    const s = pairSeriesSpec([{ receiver: 'a', transmitter: 'b', points, reason: 'why' }], { startMs: 0, durationMs: n * 1000 }) as any;
    const chart = s.vconcat[0];
    const rows = chart.data.values;
    expect(rows.length).toBeLessThanOrEqual(LIMITS.pairPoints);
    // the last bin reaches the end of the data (the old cap stopped the plot part way)
    expect(rows[rows.length - 1].t).toBeGreaterThan((n - 20) * 1000);
    expect(rows.reduce((a: number, r: any) => a + r.n, 0)).toBe(n);
    expect(chart.title.subtitle[0]).toBe('why');
    expect(chart.title.subtitle[1]).toMatch(new RegExp(`^binned to 10 s: .* ${n.toLocaleString('en-US')} receptions in ${rows.length} bins$`));
    expect(rows[0]).toMatchObject({ lo: -66, hi: -60 });
  });
  it('binPairPoints: mean, min, max and count per bin, bins in time order', () => {
    const pts = [
      { tMs: 12_000, rssiDbm: -70, distanceM: 2 },
      { tMs: 1000, rssiDbm: -60, distanceM: 1 },
      { tMs: 3000, rssiDbm: -80, distanceM: 3 },
    ];
    expect(binPairPoints(pts, 10_000)).toEqual([
      { tMs: 5000, rssiDbm: -70, distanceM: 2, rssiMinDbm: -80, rssiMaxDbm: -60, n: 2 },
      { tMs: 15_000, rssiDbm: -70, distanceM: 2, rssiMinDbm: -70, rssiMaxDbm: -70, n: 1 },
    ]);
  });
  it('scatterSpec: subsamples to the cap, states shown of total with the stride, and marks 2 m', () => {
    const s = scatterSpec(input.scatter) as any;
    const shown = s.layer[0].data.values.length;
    expect(shown).toBeLessThanOrEqual(LIMITS.scatterPoints);
    expect(s.layer[1].data.values).toEqual([{ d: 2 }]);
    const k = Math.ceil(input.scatter.length / LIMITS.scatterPoints);
    expect(s.title.subtitle).toBe(`${shown.toLocaleString('en-US')} of ${input.scatter.length.toLocaleString('en-US')} logged observations (every ${ordinal(k)}); dashed: 2 m`);
    // samples a producer already thinned: the total and the stride it used are what the page states
    const few = scatterSpec(input.scatter.slice(0, 100), 800, 8) as any;
    expect(few.title.subtitle).toBe('100 of 800 logged observations (every 8th); dashed: 2 m');
    expect((scatterSpec(input.scatter.slice(0, 100)) as any).title.subtitle).toBe('all 100 logged observations; dashed: 2 m');
  });
  it('contactTimelineSpec: one bar per interval, truth and detected, people without contact left out', () => {
    const contacts = [
      { person: 'a', truth: [{ startMs: 0, endMs: 60_000 }], detected: [{ startMs: 30_000, endMs: 90_000 }] },
      { person: 'b', truth: [], detected: [] },
    ];
    const start = Date.parse('2026-03-02T10:00:00Z');
    const s = contactTimelineSpec(contacts, 600_000, start) as any;
    expect(s.data.values).toEqual([
      { person: 'a', series: 'true contact', start, end: start + 60_000, with: '' },
      { person: 'a', series: 'detected', start: start + 30_000, end: start + 90_000, with: '' },
    ]);
    expect(s.encoding.x.scale.domain).toEqual([start, start + 600_000]);
    expect(s.encoding.x.axis.format).toBe('%H:%M:%S');
  });
  it('timeAxis: a 5 s run reads 10:00:00-10:00:05 (not 0.000-0.080 min), ticks on whole seconds', () => {
    const start = Date.parse('2026-03-02T10:00:00Z');
    const x = timeAxis({ startMs: start, durationMs: 5000 }) as any;
    expect(x.scale.domain).toEqual([start, start + 5000]);
    expect(x.axis.values).toEqual([0, 1, 2, 3, 4, 5].map((k) => start + k * 1000));
    const hour = timeAxis({ startMs: Date.parse('2026-03-02T07:30:00Z'), durationMs: 3600_000 }) as any;
    expect(hour.axis.format).toBe('%H:%M');
    expect(hour.axis.values.map((v: number) => new Date(v).toISOString().slice(11, 16))).toEqual(['07:30', '07:40', '07:50', '08:00', '08:10', '08:20', '08:30']);
  });
  it('rocSpec: points in fpr order per method with AUC in the label', () => {
    const s = rocSpec([{ method: 'ours', auc: 0.9, points: [{ fpr: 1, tpr: 1 }, { fpr: 0, tpr: 0 }, { fpr: 0.1, tpr: 0.8 }] }]) as any;
    expect(s.layer[1].data.values.map((r: any) => [r.fpr, r.tpr])).toEqual([[0, 0], [0.1, 0.8], [1, 1]]);
    expect(s.layer[1].data.values[0].method).toBe('ours (AUC 0.900)');
  });
  it('rocSpec and f1ThresholdSpec: ours and both baselines, each in its own fixed colour', () => {
    const curves = ['bluezone', 'ours', 'gaen'].map((method, i) => ({ method, auc: 0.5 + i / 10, points: [{ fpr: 0, tpr: 0 }, { fpr: 1, tpr: 1 }] }));
    const roc = rocSpec(curves) as any;
    expect(roc.layer[1].encoding.color.scale).toEqual({ domain: ['bluezone (AUC 0.500)', 'ours (AUC 0.600)', 'gaen (AUC 0.700)'], range: ['#2ca02c', '#1f77b4', '#ff7f0e'] });
    const f1 = f1ThresholdSpec(curves.map((c) => ({ method: c.method, score: 'dBm', decisionF1: 0.4, points: [{ threshold: -80, f1: 0.3 }, { threshold: -60, f1: 0.5 }] }))) as any;
    expect(f1.hconcat.map((p: any) => p.title.text)).toEqual(['bluezone', 'ours', 'gaen']);
    expect(f1.hconcat.map((p: any) => p.layer[0].mark.color)).toEqual(['#2ca02c', '#1f77b4', '#ff7f0e']);
    expect(f1.hconcat[0].layer[0].encoding.y.scale.domain).toEqual([0, 1]);
    expect(f1.hconcat[0].layer[1].data.values).toEqual([{ f1: 0.4 }]);
    expect(f1.hconcat[0].title.subtitle).toBe('best F1 0.500; as decided 0.400');
  });
});
