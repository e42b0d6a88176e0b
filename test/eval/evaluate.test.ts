import { describe, expect, it } from 'vitest';
import { auc, evaluateWindows, median, rocPoints, truthMedians, windowKey } from '../../eval/evaluate.ts';

describe('AUC', () => {
  it('matches a hand-computed example', () => {
    // Positives 0.9, 0.8, 0.6; negatives 0.7, 0.55, 0.5. Pairs won: 3 + 3 + 2 = 8 of 9.
    expect(auc([0.9, 0.8, 0.7, 0.6, 0.55, 0.5], [true, true, false, true, false, false])).toBeCloseTo(8 / 9, 12);
  });
  it('counts ties as one half and is undefined with one class', () => {
    expect(auc([1, 1], [true, false])).toBe(0.5);
    expect(auc([1, 2, 3], [true, true, false])).toBe(0);
    expect(auc([1, 2], [true, true])).toBeNull();
  });
  it('ROC runs from (0,0) to (1,1)', () => {
    const pts = rocPoints([0.9, 0.8, 0.7, 0.6], [true, false, true, false]);
    expect(pts[0]).toEqual({ fpr: 0, tpr: 0 });
    expect(pts.at(-1)).toEqual({ fpr: 1, tpr: 1 });
    expect(pts[1]).toEqual({ fpr: 0, tpr: 0.5 });
  });
});

describe('joining windows with truth', () => {
  const W = 900_000;
  it('labels a window by the median true distance of its rows (<= 2 m is a contact)', () => {
    const truth = [
      { timestampMs: 10, receiver: 'a', transmitter: 'b', distanceM: 1 },
      { timestampMs: 20, receiver: 'a', transmitter: 'b', distanceM: 3 },
      { timestampMs: 30, receiver: 'a', transmitter: 'b', distanceM: 2 },
      { timestampMs: W + 5, receiver: 'a', transmitter: 'b', distanceM: 2.5 },
    ];
    const med = truthMedians(truth, W);
    expect(med.get(windowKey('a', 'b', 0))).toBe(2);
    expect(med.get(windowKey('a', 'b', W))).toBe(2.5);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    const w = (start: number, score: number, contact: boolean, tx = 'b') => ({
      receiver: 'a', transmitter: tx, windowStartMs: start, windowEndMs: start + W, score, contact,
    });
    const r = evaluateWindows('m', [w(0, 5, true), w(W, 1, true), w(0, 9, true, 'zz')], med, { costs: { miss: 10, falseAlarm: 1 } });
    expect(r).toMatchObject({ windows: 2, unmatched: 1, positives: 1, negatives: 1, tp: 1, fp: 1, fn: 0, tn: 0, auc: 1, cost: 1 });
    expect(r.precision).toBe(0.5);
    expect(r.recall).toBe(1);
    expect(r.f1).toBeCloseTo(2 / 3, 12);
  });
});
