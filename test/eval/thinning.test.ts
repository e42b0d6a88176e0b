import { describe, expect, it } from 'vitest';
import { GAEN_SCHEDULE, ScanThinner, thinToSchedule } from '../../eval/thinning.ts';

const T0 = Date.UTC(2026, 0, 5, 10);

/** One reading per second per receiver for `hours`. */
function stream(receivers: string[], hours: number) {
  const out: { timestampMs: number; receiver: string; transmitter: string }[] = [];
  for (let t = 0; t < hours * 3_600_000; t += 1000) for (const r of receivers) out.push({ timestampMs: T0 + t, receiver: r, transmitter: 'tx' });
  return out;
}

/** Start times of the runs of kept readings (one run per scan). */
function scans(kept: { timestampMs: number }[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const k of kept) {
    const last = out[out.length - 1];
    if (last && k.timestampMs - last[1] <= 1000) last[1] = k.timestampMs;
    else out.push([k.timestampMs, k.timestampMs]);
  }
  return out;
}

describe('GAEN-schedule thinning', () => {
  it('keeps readings inside 4 s scans that start every 3.5-5 min', () => {
    const kept = [...thinToSchedule(stream(['a'], 3), 7)];
    const s = scans(kept);
    expect(s.length).toBeGreaterThanOrEqual(36); // 3 h / 5 min
    expect(s.length).toBeLessThanOrEqual(52); // 3 h / 3.5 min, plus the partial first one
    for (const [a, b] of s) expect(b - a).toBeLessThan(GAEN_SCHEDULE.scanMs);
    for (let i = 1; i < s.length; i++) {
      const gap = s[i][0] - s[i - 1][0];
      expect(gap).toBeGreaterThanOrEqual(GAEN_SCHEDULE.minPeriodMs - 1000);
      expect(gap).toBeLessThanOrEqual(GAEN_SCHEDULE.maxPeriodMs + 1000);
    }
    // 4 of every ~255 s kept
    expect(kept.length / (3 * 3600)).toBeGreaterThan(0.012);
    expect(kept.length / (3 * 3600)).toBeLessThan(0.02);
  });

  it('is deterministic per seed and receiver, whatever else is in the stream', () => {
    const alone = [...thinToSchedule(stream(['a'], 1), 3)].map((o) => o.timestampMs);
    const mixed = [...thinToSchedule(stream(['b', 'a', 'c'], 1), 3)].filter((o) => o.receiver === 'a').map((o) => o.timestampMs);
    expect(mixed).toEqual(alone);
    const other = [...thinToSchedule(stream(['a'], 1), 4)].map((o) => o.timestampMs);
    expect(other).not.toEqual(alone);
    // receivers are not in lockstep
    const b = [...thinToSchedule(stream(['b', 'a'], 1), 3)].filter((o) => o.receiver === 'b').map((o) => o.timestampMs);
    expect(b).not.toEqual(alone);
  });

  it('counts what it saw and kept, and rejects an impossible schedule', () => {
    const th = new ScanThinner(1);
    for (const o of stream(['a'], 1)) th.keep(o);
    expect(th.seen).toBe(3600);
    expect(th.kept).toBeGreaterThan(0);
    expect(th.kept).toBeLessThan(100);
    expect(() => new ScanThinner(1, { scanMs: 10, minPeriodMs: 5, maxPeriodMs: 6 })).toThrow(RangeError);
  });
});
