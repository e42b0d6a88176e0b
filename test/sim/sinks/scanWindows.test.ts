import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSimulation } from '../../../sim/run.ts';
import { parseScenarioText } from '../../../sim/scenario/load.ts';
import { SCAN_WINDOWS_CSV_HEADER, ScanWindowAggregates } from '../../../sim/sinks/scanWindows.ts';

// Two Android phones, an iPhone and a scanning Pi beacon, seated close; 5 simulated minutes.
const SCENARIO = `
name: seated-sw
start: "2026-03-02T08:00:00Z"
duration: 5m
environment: lobby
area: {width: 20, height: 10}
beacons:
  - {name: pi, x: 2.5, y: 5, intervalMs: 100, scan: true}
places:
  entrance: {point: [6, 9], jitterM: 0}
  chairs: {points: [[5, 5], [6, 5], [7, 5]]}
groups:
  - {name: and, count: 2, phones: {android: 1}, carriage: {hand: 1}, arrive: {at: "+0s"}, plan: [{sit: chairs}]}
  - {name: ios, count: 1, phones: {ios: 1}, carriage: {pocket: 1}, arrive: {at: "+0s"}, plan: [{sit: chairs}]}
`;
const scenario = parseScenarioText(SCENARIO, 'seated-sw.yaml');

interface SwRow {
  rx: string;
  tx: string;
  ws: number;
  we: number;
  n: number;
  min: number;
  max: number;
  mean: number;
  sd: number;
  first: number;
  last: number;
}
function readSw(dir: string): { header: string; rows: SwRow[] } {
  const lines = readFileSync(join(dir, 'scan_windows.csv'), 'utf8').trim().split('\n');
  const rows = lines.slice(1).map((l) => {
    const f = l.split(',');
    const v = f.slice(2).map(Number);
    return { rx: f[0], tx: f[1], ws: v[0], we: v[1], n: v[2], min: v[3], max: v[4], mean: v[5], sd: v[6], first: v[7], last: v[8] };
  });
  return { header: lines[0], rows };
}
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

async function run(seed: number, scanWindows: boolean | 'default' = true): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'sim-sw-'));
  await runSimulation(scenario, { seed, outDir: dir, report: false, classify: false, ...(scanWindows === 'default' ? {} : { scanWindows }) });
  return dir;
}

describe('scan_windows.csv', () => {
  let dir: string;
  it('aggregates every reception per (receiver, transmitter, scan window): at least the logged rows', async () => {
    dir = await run(3);
    const { header, rows } = readSw(dir);
    expect(header).toBe(SCAN_WINDOWS_CSV_HEADER);
    expect(rows.length).toBeGreaterThan(50);
    const obs = new Map<string, number>();
    for (const l of readFileSync(join(dir, 'observations.csv'), 'utf8').trim().split('\n').slice(1)) {
      const f = l.split(',');
      const k = `${f[1]}>${f[2]}`;
      obs.set(k, (obs.get(k) ?? 0) + 1);
    }
    const agg = new Map<string, number>();
    for (const r of rows) agg.set(`${r.rx}>${r.tx}`, (agg.get(`${r.rx}>${r.tx}`) ?? 0) + r.n);
    expect(obs.size).toBeGreaterThan(3);
    for (const [k, n] of obs) expect(agg.get(k) ?? 0, k).toBeGreaterThanOrEqual(n);
    // Android is logged at most once per 5 s but heard on every 100-ms-ish event inside its scan windows
    let total = 0;
    for (const n of agg.values()) total += n;
    expect(total).toBeGreaterThan([...obs.values()].reduce((a, b) => a + b, 0));
  }, 30_000);

  it('every row is consistent, rows are unique per window and sorted by end, receiver, transmitter', () => {
    const { rows } = readSw(dir);
    const seen = new Set<string>();
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      expect(r.n).toBeGreaterThanOrEqual(1);
      expect(r.we).toBeGreaterThan(r.ws);
      expect(r.min).toBeLessThanOrEqual(r.mean);
      expect(r.mean).toBeLessThanOrEqual(r.max);
      expect(r.sd).toBeGreaterThanOrEqual(0);
      if (r.n === 1) expect(r.min).toBe(r.max);
      expect(r.first).toBeGreaterThanOrEqual(r.ws);
      expect(r.last).toBeLessThanOrEqual(r.we); // packet starts before the end; both floored to ms
      expect(r.first).toBeLessThanOrEqual(r.last);
      const k = `${r.rx}>${r.tx}@${r.ws}`;
      expect(seen.has(k), k).toBe(false);
      seen.add(k);
      if (i > 0) expect(r.we).toBeGreaterThanOrEqual(rows[i - 1].we);
    }
  });

  it('is byte-identical for the same seed; off unless asked for, and the other files do not change', async () => {
    const b = await run(3);
    expect(sha(join(b, 'scan_windows.csv'))).toBe(sha(join(dir, 'scan_windows.csv')));
    for (const off of [false, 'default'] as const) {
      const c = await run(3, off);
      expect(existsSync(join(c, 'scan_windows.csv'))).toBe(false);
      expect(sha(join(c, 'observations.csv'))).toBe(sha(join(dir, 'observations.csv')));
    }
  }, 60_000);
});

describe('ScanWindowAggregates', () => {
  it('folds receptions into exact figures and writes each window once it has closed', () => {
    const d = mkdtempSync(join(tmpdir(), 'sw-unit-'));
    const p = join(d, 'scan_windows.csv');
    const a = new ScanWindowAggregates(p, 3, 1_000_000, ['a', 'b', 'c']);
    // receiver 0, window [0, 30 ms): tx 1 three times, tx 2 once; receiver 2, window [10, 20 ms)
    a.add(0, 1, 0, 30_000, 1_000, -60);
    a.add(0, 2, 0, 30_000, 2_000, -80);
    a.add(0, 1, 0, 30_000, 5_000, -70);
    a.add(2, 0, 10_000, 20_000, 12_000, -50);
    a.add(0, 1, 0, 30_000, 9_000, -65);
    a.closeUntil(25_000); // only receiver 2's window has ended
    expect(a.rows).toBe(1);
    // receiver 0 moves on to its next window: the first one is complete but ends at 30 ms
    a.add(0, 1, 100_000, 130_000, 101_000, -90);
    a.closeUntil(30_000);
    expect(a.rows).toBe(3);
    // slots are reused: many later windows, the pool does not grow past what is open
    for (let k = 2; k < 5000; k++) {
      a.add(0, 1, k * 100_000, k * 100_000 + 30_000, k * 100_000 + 1_000, -70);
      a.closeUntil(k * 100_000 + 50_000);
    }
    a.finish();
    expect(a.rows).toBe(3 + 4999);
    expect(((a as unknown as { cap: number }).cap)).toBe(1024);
    const lines = readFileSync(p, 'utf8').trim().split('\n');
    expect(lines[0]).toBe(SCAN_WINDOWS_CSV_HEADER);
    expect(lines[1]).toBe('c,a,1000010,1000020,1,-50,-50,-50.00,0.00,1000012,1000012');
    // -60, -70, -65: mean -65, population sd sqrt(50/3)
    expect(lines[2]).toBe('a,b,1000000,1000030,3,-70,-60,-65.00,4.08,1000001,1000009');
    expect(lines[3]).toBe('a,c,1000000,1000030,1,-80,-80,-80.00,0.00,1000002,1000002');
    expect(lines[4]).toBe('a,b,1000100,1000130,1,-90,-90,-90.00,0.00,1000101,1000101');
    expect(lines.length).toBe(1 + 3 + 4999);
  });
});
