import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { f1ByThreshold, prf } from '../../eval/metrics.ts';

describe('f1ByThreshold', () => {
  it('one point per distinct score, highest first, F1 of calling score >= threshold a contact', () => {
    const scores = [0.9, 0.2, 0.9, 0.5, 0.1];
    const labels = [true, false, false, true, false];
    expect(f1ByThreshold(scores, labels)).toEqual([
      { threshold: 0.9, f1: prf({ tp: 1, fp: 1, fn: 1, tn: 2 }).f1 },
      { threshold: 0.5, f1: prf({ tp: 2, fp: 1, fn: 0, tn: 2 }).f1 },
      { threshold: 0.2, f1: prf({ tp: 2, fp: 2, fn: 0, tn: 1 }).f1 },
      { threshold: 0.1, f1: prf({ tp: 2, fp: 3, fn: 0, tn: 0 }).f1 },
    ]);
  });
  it('matches a direct count at every threshold (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: -5, max: 5 }), fc.boolean()), { maxLength: 40 }), (rows) => {
        const scores = rows.map((r) => r[0]);
        const labels = rows.map((r) => r[1]);
        for (const p of f1ByThreshold(scores, labels)) {
          let tp = 0, fp = 0, fn = 0, tn = 0;
          rows.forEach(([s, l]) => (s >= p.threshold ? (l ? tp++ : fp++) : l ? fn++ : tn++));
          expect(p.f1).toBe(prf({ tp, fp, fn, tn }).f1);
        }
        expect(f1ByThreshold(scores, labels).length).toBe(new Set(scores).size);
      }),
    );
  });
});
