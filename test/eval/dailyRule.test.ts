import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvError, parseAll } from '../../records/csv.ts';
import { contactsTruthReader, dailyRuleRows, evaluateDailyRule, TimeTruth, TRUTH_MAX_GAP_MS } from '../../eval/dailyRule.ts';

const DAY = Date.UTC(2026, 0, 5);
const MIN = 60_000;
const row = (t: number, d: number, rx = 'a', tx = 'b') => ({ timestampMs: t, receiver: rx, transmitter: tx, distanceM: d });

describe('time-based truth', () => {
  it('credits each reading the time to the pair next one, capped, per window and per pair and day', () => {
    const tt = new TimeTruth();
    // 20 min at 1 m (a reading every 2 s), then 5 min at 3 m
    for (let t = 0; t < 20 * MIN; t += 2000) tt.add(row(DAY + t, 1));
    for (let t = 20 * MIN; t < 25 * MIN; t += 2000) tt.add(row(DAY + t, 3));
    const daily = tt.daily();
    expect(daily).toHaveLength(1);
    expect(daily[0]).toMatchObject({ a: 'a', b: 'b', dayStartMs: DAY });
    expect(daily[0].minutes).toBeCloseTo(20, 6);
    expect(tt.window('a', 'b', DAY)).toEqual({ observedS: 900, withinS: 900 });
    // second window: 5 min within, 5 min beyond (last reading credited like its predecessor)
    expect(tt.window('a', 'b', DAY + 15 * MIN)).toEqual({ observedS: 600, withinS: 300 });
    expect(tt.windowLabel('a', 'b', DAY + 15 * MIN)).toBe(true);
    expect(tt.windowLabel('a', 'b', DAY + 30 * MIN)).toBeUndefined();
  });

  it('does not count a long silence as time together (gap cap)', () => {
    const tt = new TimeTruth();
    tt.add(row(DAY, 1));
    tt.add(row(DAY + 60 * MIN, 1));
    expect(tt.daily()[0].minutes).toBeCloseTo((2 * TRUTH_MAX_GAP_MS) / MIN, 9);
  });

  it('a partial window is judged on the time it was observed', () => {
    const tt = new TimeTruth();
    // the encounter starts 12 min into the window: 3 min at 1 m
    for (let t = 12 * MIN; t < 15 * MIN; t += 1000) tt.add(row(DAY + t, 1));
    expect(tt.windowLabel('a', 'b', DAY)).toBe(true);
  });

  it('the pair-day value is the larger direction', () => {
    const tt = new TimeTruth();
    for (let t = 0; t < 10 * MIN; t += 1000) tt.add(row(DAY + t, 1, 'a', 'b'));
    for (let t = 0; t < 4 * MIN; t += 1000) tt.add(row(DAY + 20 * MIN + t, 1, 'b', 'a'));
    const d = tt.daily();
    expect(d).toHaveLength(1);
    expect(d[0].minutes).toBeCloseTo(10, 6);
  });
});

describe('the 15-minute rule', () => {
  it('joins truth and methods per unordered pair and day, and scores minutes as the score', () => {
    const truth = [
      { a: 'a', b: 'b', dayStartMs: DAY, minutes: 30 },
      { a: 'a', b: 'c', dayStartMs: DAY, minutes: 2 },
    ];
    const rows = dailyRuleRows(
      truth,
      [
        { method: 'm', daily: [{ receiver: 'b', transmitter: 'a', dayStartMs: DAY, minutesWithin2m: 20 }, { receiver: 'a', transmitter: 'b', dayStartMs: DAY, minutesWithin2m: 5 }] },
        { method: 'n', daily: [{ receiver: 'a', transmitter: 'c', dayStartMs: DAY, minutesWithin2m: 16 }] },
      ],
      [{ receiver: 'd', transmitter: 'a', dayStartMs: DAY + 5 * MIN }],
    );
    expect(rows.map((r) => [r.a, r.b, r.trueMinutes, r.minutes.m, r.minutes.n])).toEqual([
      ['a', 'b', 30, 20, 0],
      ['a', 'c', 2, 0, 16],
      ['a', 'd', 0, 0, 0],
    ]);
    const m = evaluateDailyRule('m', rows);
    expect([m.tp, m.fp, m.fn, m.tn]).toEqual([1, 0, 0, 2]);
    expect(m.auc).toBe(1);
    const n = evaluateDailyRule('n', rows);
    expect([n.tp, n.fp, n.fn, n.tn]).toEqual([0, 1, 1, 1]);
    expect(n.allContactF1).toBeCloseTo(0.5, 9);
  });
});

describe('contacts_truth.csv reader', () => {
  const H = 'day,device_a,device_b,minutes_within_2m,close_contact\n';
  it('reads the simulator file', () => {
    expect(parseAll(contactsTruthReader('c.csv'), H + '2026-03-02,z,y,57.07,1\n')).toEqual([{ a: 'y', b: 'z', dayStartMs: Date.UTC(2026, 2, 2), minutes: 57.07 }]);
  });
  it('names file, line and column of a bad field', () => {
    expect(() => parseAll(contactsTruthReader('c.csv'), H + '2026-02-30,a,b,1,0\n')).toThrow(/c\.csv:2.*day/);
    expect(() => parseAll(contactsTruthReader('c.csv'), H + '2026-03-02,a,b,-1,0\n')).toThrow(/c\.csv:2.*minutes_within_2m/);
    expect(() => parseAll(contactsTruthReader('c.csv'), H + '2026-03-02,a,b,1,2\n')).toThrow(/c\.csv:2.*close_contact/);
    expect(() => parseAll(contactsTruthReader('c.csv'), 'day,a\n')).toThrow(CsvError);
  });
  it('never crashes on arbitrary bytes: rows or a CsvError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        try {
          parseAll(contactsTruthReader('x'), H + s);
        } catch (e) {
          if (!(e instanceof CsvError)) throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
