import { describe, expect, it } from 'vitest';
import { poolHarness, runHarness, type HarnessResult } from '../../eval/harness.ts';
import type { Observation } from '../../records/rows.ts';
import { truthLabels, type TruthLike } from '../../eval/labels.ts';

const DAY = Date.UTC(2026, 0, 5);
const MIN = 60_000;

/**
 * One simulated-like run: pairs of phones a_i -> b_i, each met for `minutes` minutes at distance d (a reading
 * every 2 s, RSSI falling with distance plus a per-run wobble), so some pair-days pass the 15-minute rule.
 */
function run(pairs: Array<{ minutes: number; d: number }>, wobble: number): { obs: Observation[]; truth: (Observation & TruthLike)[] } {
  const rows: (Observation & TruthLike)[] = [];
  pairs.forEach(({ minutes, d }, i) => {
    for (let t = 0; t < minutes * MIN; t += 2000) {
      const rssi = Math.round(-55 - 20 * Math.log10(d) + ((((t / 2000) * 7 + i * 13) % 9) - 4) * wobble);
      rows.push({ timestampMs: DAY + i * 90 * MIN + t, receiver: `a${i}`, transmitter: `b${i}`, rssi, distanceM: d, receiverModel: 'Pixel 3', transmitterModel: 'Pixel 3' });
    }
  });
  rows.sort((p, q) => p.timestampMs - q.timestampMs);
  return { obs: rows, truth: rows };
}

const score = (r: { obs: Observation[]; truth: TruthLike[] }): HarnessResult => runHarness(r.obs, r.truth);
const figures = (r: Pick<HarnessResult, 'windows' | 'daily'>) =>
  [...r.windows, ...r.daily].map((e) => ({ method: e.method, windows: e.windows, positives: e.positives, auc: e.auc, tp: e.tp, fp: e.fp, fn: e.fn, tn: e.tn }));

describe('poolHarness (several runs of one setting scored as one sample)', () => {
  const r1 = run([{ minutes: 20, d: 1 }, { minutes: 30, d: 6 }, { minutes: 16, d: 1.5 }, { minutes: 10, d: 1 }], 1);
  const r2 = run([{ minutes: 25, d: 1.2 }, { minutes: 40, d: 8 }, { minutes: 5, d: 3 }], 2);

  it('one run pooled gives that run\'s own figures', () => {
    const a = score(r1);
    expect(figures(poolHarness([a]))).toEqual(figures(a));
  });

  it('keeps the runs apart: the same device names in two runs are two samples, judged by their own truth', () => {
    // r2 re-uses a0, b0, a1, b1 ... with other distances: merged by name, the labels would mix
    const a = score(r1);
    const b = score(r2);
    const pooled = poolHarness([a, b]);
    for (let m = 0; m < a.windows.length; m++) {
      for (const k of ['windows', 'daily'] as const) {
        expect(pooled[k][m].windows).toBe(a[k][m].windows + b[k][m].windows);
        expect(pooled[k][m].positives).toBe(a[k][m].positives + b[k][m].positives);
        expect(pooled[k][m].tp).toBe(a[k][m].tp + b[k][m].tp);
        expect(pooled[k][m].fp).toBe(a[k][m].fp + b[k][m].fp);
      }
    }
    // pair-days at the rule: r1 has 2 true close contacts (20 min at 1 m, 16 at 1.5 m), r2 one
    expect(pooled.daily[0].positives).toBe(3);
    expect(pooled.observations).toBe(r1.obs.length + r2.obs.length);
  });

  it('refuses an empty pool', () => {
    expect(() => poolHarness([])).toThrow(/no runs/);
  });

  it('labels built once by the caller give the figures of labels built per call, and must match the window', () => {
    const labels = truthLabels(r1.truth, 15 * MIN);
    expect(figures(runHarness(r1.obs, r1.truth, { labels }))).toEqual(figures(score(r1)));
    expect(figures(runHarness(r1.obs, r1.truth, { labels, thin: { seed: 1 } }))).toEqual(figures(runHarness(r1.obs, r1.truth, { thin: { seed: 1 } })));
    expect(() => runHarness(r1.obs, r1.truth, { labels: truthLabels(r1.truth, 5 * MIN) })).toThrow(/labels for 300000 ms windows/);
  });
});
