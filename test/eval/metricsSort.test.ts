// The metrics' sort (eval/metrics.ts scoreGroups, issue 20): positives' and negatives' scores sorted apart as
// typed arrays and merged must give exactly what the comparator index sort gave (the code before it,
// kept here as the reference), ties included, for any scores; and a NaN score must not hang them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { auc, f1ByThreshold, prf, rocPoints } from '../../eval/metrics.ts';

function refAuc(scores: number[], labels: boolean[]): number | null {
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let pos = 0;
  let rankSumPos = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1]] === scores[idx[i]]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (labels[idx[k]]) {
      pos++;
      rankSumPos += avgRank;
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return null;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

function refRoc(scores: number[], labels: boolean[]) {
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let P = 0;
  for (let i = 0; i < n; i++) if (labels[i]) P++;
  const N = n - P;
  const pts = [{ fpr: 0, tpr: 0 }];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j < n && scores[idx[j]] === scores[idx[i]]) {
      if (labels[idx[j]]) tp++;
      else fp++;
      j++;
    }
    pts.push({ fpr: N ? fp / N : 0, tpr: P ? tp / P : 0 });
    i = j;
  }
  return pts;
}

function refF1(scores: number[], labels: boolean[]) {
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let P = 0;
  for (let i = 0; i < n; i++) if (labels[i]) P++;
  const out: { threshold: number; f1: number | null }[] = [];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < n; ) {
    const s = scores[idx[i]];
    while (i < n && scores[idx[i]] === s) {
      if (labels[idx[i]]) tp++;
      else fp++;
      i++;
    }
    out.push({ threshold: s, f1: prf({ tp, fp, fn: P - tp, tn: n - P - fp }).f1 });
  }
  return out;
}

// scores with many ties (a few values) or none (any doubles, no NaN, no -0: toEqual tells -0 from 0)
const score = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.double({ noNaN: true, noDefaultInfinity: false }).filter((x) => !Object.is(x, -0)));
const data = fc.array(fc.tuple(score, fc.boolean()), { maxLength: 200 });

describe('metrics: the typed-array sort', () => {
  it('AUC, ROC points and F1 by threshold equal the comparator sort exactly', () => {
    fc.assert(
      fc.property(data, (rows) => {
        const s = rows.map((r) => r[0]);
        const l = rows.map((r) => r[1]);
        expect(auc(s, l)).toBe(refAuc(s, l));
        expect(rocPoints(s, l)).toEqual(refRoc(s, l));
        expect(f1ByThreshold(s, l)).toEqual(refF1(s, l));
      }),
      { numRuns: 500 },
    );
  });

  it('a NaN score is a group of its own, not a hang (the comparator loops never moved past one)', () => {
    const s = [0.5, NaN, 0.7, 0.5];
    const l = [true, false, true, false];
    // the comparator sort may leave the two 0.5s apart around the NaN: 3 or 4 groups
    expect(rocPoints(s, l).length).toBeGreaterThanOrEqual(1 + 3);
    expect(f1ByThreshold(s, l).length).toBeGreaterThanOrEqual(3);
    expect(typeof auc(s, l)).toBe('number');
  });
});
