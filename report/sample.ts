// A small synthetic run for the report tests and benchmark (bench/report.ts): 6 people walking in a two-room lobby, RSSI from a log-distance
// model with seeded noise. Not the simulator: only shaped like its output so the renderer can be tested.
import { mulberry32 } from '../firmware/hci/airModel.ts';
import type { ContactTimeline, DeviceTrack, PairSeries, RocCurve, RunReportInput, ScatterSample } from './types.ts';

const rng = mulberry32;

export function syntheticRunInput(seed = 1): RunReportInput {
  const r = rng(seed);
  const people = ['alice', 'bob', 'carol', 'dan', 'erin', 'frank'];
  const durationMs = 30 * 60_000;
  const stepMs = 10_000;
  const tracks: DeviceTrack[] = people.map((p, k) => {
    const cx = 3 + (k % 3) * 4;
    const cy = 2.5 + Math.floor(k / 3) * 4;
    const points = [];
    for (let t = 0; t <= durationMs; t += stepMs) {
      const a = (t / durationMs) * 2 * Math.PI * (1 + (k % 2));
      points.push({ tMs: t, x: cx + 1.8 * Math.cos(a + k), y: cy + 1.5 * Math.sin(a + k) });
    }
    return { device: p, kind: k < 2 ? 'staff' : 'visitor', points };
  });
  const dist = (a: DeviceTrack, b: DeviceTrack, i: number) =>
    Math.hypot(a.points[i].x - b.points[i].x, a.points[i].y - b.points[i].y);
  const rssiAt = (d: number) => Math.round(-60 - 25 * Math.log10(Math.max(d, 0.1)) + (r() - 0.5) * 12);
  const pairs: PairSeries[] = [];
  const scatter: ScatterSample[] = [];
  const contacts: ContactTimeline[] = people.map((p) => ({ person: p, truth: [], detected: [] }));
  for (let a = 0; a < people.length; a++) {
    for (let b = 0; b < people.length; b++) {
      if (a === b) continue;
      const pts: PairSeries['points'] = [];
      for (let i = 0; i < tracks[a].points.length; i++) {
        const d = dist(tracks[a], tracks[b], i);
        const rssi = rssiAt(d);
        pts.push({ tMs: tracks[a].points[i].tMs, rssiDbm: rssi, distanceM: d });
        scatter.push({ distanceM: d, rssiDbm: rssi, group: a < 2 ? 'pixel' : 'iphone' });
      }
      if (pairs.length < 2 && a < 2) pairs.push({ receiver: people[a], transmitter: people[b], points: pts });
      // Intervals of truth (d < 2 m) and detection (RSSI > -68 dBm).
      const close = (i: number) => pts[i].distanceM < 2;
      const det = (i: number) => pts[i].rssiDbm > -68;
      for (const [pred, list] of [
        [close, contacts[a].truth],
        [det, contacts[a].detected],
      ] as const) {
        let start = -1;
        for (let i = 0; i <= pts.length; i++) {
          const on = i < pts.length && pred(i);
          if (on && start < 0) start = i;
          if (!on && start >= 0) {
            list.push({ startMs: pts[start].tMs, endMs: pts[i - 1].tMs + stepMs, with: people[b] });
            start = -1;
          }
        }
      }
    }
  }
  const curve = (method: string, power: number): RocCurve => {
    const points = Array.from({ length: 11 }, (_, i) => ({ fpr: i / 10, tpr: Math.pow(i / 10, power) }));
    const auc = points.slice(1).reduce((s, p, i) => s + ((p.fpr - points[i].fpr) * (p.tpr + points[i].tpr)) / 2, 0);
    return { method, points, auc };
  };
  const roc = [curve('ours', 0.25), curve('gaen', 0.5), curve('bluezone', 0.8)];
  return {
    title: 'Simulation report: lobby (synthetic test input)',
    scenario: {
      name: 'synthetic-lobby',
      seed,
      durationMs,
      devices: { phones: people.length, beacons: 1 },
      environment: 'office, log-distance n=2.5, 12 dB uniform noise',
      figures: [
        { label: 'pairs evaluated per second', value: 1234567.8, unit: 'pairs/s' },
        { label: 'real-time factor', value: 850.25, unit: 'x' },
        { label: 'observations', value: scatter.length },
      ],
    },
    floorPlan: {
      widthM: 14,
      heightM: 9,
      rooms: [
        { name: 'lobby', x: 0, y: 0, width: 8, height: 9 },
        { name: 'office', polygon: [[8, 0], [14, 0], [14, 6], [11, 9], [8, 9]] },
      ],
      beacons: [{ name: 'door beacon', x: 0.5, y: 4.5 }],
    },
    tracks,
    pairs,
    scatter,
    contacts,
    roc,
    metrics: {
      columns: ['method', 'auc', 'precision', 'recall', 'f1'],
      rows: roc.map((c, i) => ({ method: c.method, auc: c.auc, precision: 0.9 - i * 0.1, recall: 0.8 - i * 0.1, f1: 0.85 - i * 0.1 })),
    },
  };
}
