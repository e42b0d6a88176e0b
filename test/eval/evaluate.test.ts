import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateWindows } from '../../eval/evaluate.ts';
import { truthLabels, windowKey, WindowTruth } from '../../eval/labels.ts';
import { allContactF1, auc, median, rocPoints } from '../../eval/metrics.ts';

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
  it('all-contact F1 is 2P / (N + P)', () => {
    expect(allContactF1(1, 3)).toBeCloseTo(0.5, 12);
    expect(allContactF1(0, 0)).toBeNull();
  });
});

describe('the one truth labelling (median true distance within 2 m)', () => {
  const W = 900_000;
  it('labels a window by the median true distance of its rows (<= 2 m is a contact)', () => {
    const truth = [
      { timestampMs: 10, receiver: 'a', transmitter: 'b', distanceM: 1 },
      { timestampMs: 20, receiver: 'a', transmitter: 'b', distanceM: 3 },
      { timestampMs: 30, receiver: 'a', transmitter: 'b', distanceM: 2 },
      { timestampMs: W + 5, receiver: 'a', transmitter: 'b', distanceM: 2.5 },
    ];
    const labels = truthLabels(truth, W);
    expect(labels.label(windowKey('a', 'b', 0))).toBe(true);
    expect(labels.label(windowKey('a', 'b', W))).toBe(false);
    expect(labels.label(windowKey('a', 'c', 0))).toBeUndefined();
    const w = (start: number, score: number, contact: boolean, tx = 'b') => ({
      receiver: 'a', transmitter: tx, windowStartMs: start, windowEndMs: start + W, score, contact,
    });
    const r = evaluateWindows('m', [w(0, 5, true), w(W, 1, true), w(0, 9, true, 'zz')], (x) => labels.label(windowKey(x.receiver, x.transmitter, x.windowStartMs)), { costs: { miss: 10, falseAlarm: 1 } });
    expect(r).toMatchObject({ windows: 2, unmatched: 1, positives: 1, negatives: 1, tp: 1, fp: 1, fn: 0, tn: 0, auc: 1, cost: 1 });
    expect(r.precision).toBe(0.5);
    expect(r.recall).toBe(1);
    expect(r.f1).toBeCloseTo(2 / 3, 12);
    expect(r.allContactF1).toBeCloseTo(2 / 3, 12);
  });

  it('equals median(distances) <= contactM on any stream (O(1) state per window)', () => {
    // distances on the 0.01 m grid truth.csv holds, around the 2 m boundary, both parities
    const dist = fc.integer({ min: 0, max: 600 }).map((c) => c / 100);
    fc.assert(
      fc.property(fc.array(dist, { minLength: 1, maxLength: 40 }), fc.constantFrom(1, 2, 1.5), (ds, contactM) => {
        const t = new WindowTruth<number>(W, contactM);
        for (const d of ds) t.add(7, d);
        expect(t.label(7)).toBe(median(ds) <= contactM);
      }),
      { numRuns: 20_000 },
    );
  });
});
