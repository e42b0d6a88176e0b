import { describe, expect, it } from 'vitest';
import { compile } from 'vega-lite';
import {
  contactTimelineSpec,
  floorPlanSpec,
  LIMITS,
  pairSeriesSpec,
  presenceSpec,
  rocSpec,
  roomPolygon,
  scatterSpec,
  subsample,
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
  it('pairSeriesSpec: one chart per pair with RSSI and distance on their own axes', () => {
    const s = pairSeriesSpec(input.pairs) as any;
    expect(s.vconcat).toHaveLength(input.pairs.length);
    expect(s.vconcat[0].title).toBe('alice hears bob');
    expect(s.vconcat[0].layer[0].encoding.y.title).toBe('RSSI (dBm)');
    expect(s.vconcat[0].layer[1].encoding.y.title).toBe('true distance (m)');
    expect(s.vconcat[0].data.values).toHaveLength(input.pairs[0].points.length);
    expect(s.vconcat[0].data.values[6].tMin).toBe(1); // 6 x 10 s
  });
  it('scatterSpec: subsamples to the cap and marks 2 m', () => {
    const s = scatterSpec(input.scatter) as any;
    expect(s.layer[0].data.values.length).toBeLessThanOrEqual(LIMITS.scatterPoints);
    expect(s.layer[1].data.values).toEqual([{ d: 2 }]);
    expect(s.title.subtitle).toContain(`subsampled from ${input.scatter.length}`);
  });
  it('contactTimelineSpec: one bar per interval, truth and detected, people without contact left out', () => {
    const contacts = [
      { person: 'a', truth: [{ startMs: 0, endMs: 60_000 }], detected: [{ startMs: 30_000, endMs: 90_000 }] },
      { person: 'b', truth: [], detected: [] },
    ];
    const s = contactTimelineSpec(contacts, 600_000) as any;
    expect(s.data.values).toEqual([
      { person: 'a', series: 'true contact', start: 0, end: 1, with: '' },
      { person: 'a', series: 'detected', start: 0.5, end: 1.5, with: '' },
    ]);
    expect(s.encoding.x.scale.domain).toEqual([0, 10]);
  });
  it('rocSpec: points in fpr order per method with AUC in the label', () => {
    const s = rocSpec([{ method: 'ours', auc: 0.9, points: [{ fpr: 1, tpr: 1 }, { fpr: 0, tpr: 0 }, { fpr: 0.1, tpr: 0.8 }] }]) as any;
    expect(s.layer[1].data.values.map((r: any) => [r.fpr, r.tpr])).toEqual([[0, 0], [0.1, 0.8], [1, 1]]);
    expect(s.layer[1].data.values[0].method).toBe('ours (AUC 0.900)');
  });
  it('presenceSpec: one bar per slot at its time of day', () => {
    const s = presenceSpec({ date: '2026-11-23', slots: [{ slot: 33, startMs: 0, distinctIds: 4 }], estimate: { visitors: 4, method: 'x' } }) as any;
    expect(s.data.values).toEqual([{ slot: 33, from: 8.25, to: 8.5, time: '08:15', ids: 4 }]);
  });
});
