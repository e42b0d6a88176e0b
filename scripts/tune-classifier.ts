// Chooses method "ours"'s free parameters on the TRAINING splits only (herald-edison-A, pc-ng-train, made
// by scripts/convert-datasets.ts) and prints every setting's figures per split. The held-out splits are
// never read here. docs/classifier.md quotes the chosen values.
//
//   npx tsx scripts/tune-classifier.ts <converted-dir> [calibration.csv]
//
// Protocol (fixed before looking at any result):
//  1. the window level's shape (upper quantile, trimmed-max blend, dwell term, offset prior) is picked by
//     the LOWER of the two training AUCs (the score ranks windows; the threshold does not change it);
//  2. with that shape, the threshold (whole dBm) is picked by the mean training F1 with a margin: among the
//     thresholds whose mean F1 is within F1_MARGIN of the best, the middle one (the centre of the plateau,
//     not its edge, so a small shift in levels on new data does not fall off a cliff; of two, the lower).
// Override the grid with GRID='{"countDbPerDoubling":[0,2]}'.

import { join } from 'node:path';
import { classifyAll, OURS_DEFAULTS, type OursParams } from '../firmware/proximity/classifier.ts';
import { calibrationLookup, loadCalibrationTable } from '../records/calibration.ts';
import { observationReader, truthReader } from '../records/csv.ts';
import { readCsvFile } from '../records/csvFiles.ts';
import { evaluateWindows } from '../eval/evaluate.ts';
import { truthLabels, windowKey } from '../eval/labels.ts';
import { auc } from '../eval/metrics.ts';

const [dir, calPath] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: npx tsx scripts/tune-classifier.ts <converted-dir> [calibration.csv]\n');
  process.exit(2);
}
const calibration = calPath ? calibrationLookup(loadCalibrationTable(calPath)) : undefined;
const TRAIN = ['herald-edison-A', 'pc-ng-train'];
const WINDOW_MS = 15 * 60_000;
const F1_MARGIN = 0.005;
const THRESHOLDS = Array.from({ length: 21 }, (_, i) => -66 - i); // -66 .. -86 dBm
const sets = TRAIN.map((name) => {
  const obs = readCsvFile(join(dir, name, 'observations.csv'), observationReader(name));
  const truth = readCsvFile(join(dir, name, 'truth.csv'), truthReader(name));
  return { name, obs, labels: truthLabels(truth, WINDOW_MS) };
});

/** Per split: AUC of the score and F1 at every candidate threshold (score >= threshold = contact). */
function scoreOurs(ours: Partial<OursParams>): { aucs: number[]; f1: number[][] } {
  const aucs: number[] = [];
  const f1: number[][] = [];
  for (const s of sets) {
    const { windows } = classifyAll(s.obs, { method: 'ours', calibration, ours });
    const scores: number[] = [];
    const labels: boolean[] = [];
    for (const w of windows) {
      const label = s.labels.label(windowKey(w.receiver, w.transmitter, w.windowStartMs));
      if (label === undefined) continue;
      scores.push(w.score);
      labels.push(label);
    }
    aucs.push(auc(scores, labels) ?? 0);
    f1.push(
      THRESHOLDS.map((t) => {
        let tp = 0;
        let fp = 0;
        let fn = 0;
        for (let i = 0; i < scores.length; i++) {
          const c = scores[i] >= t;
          if (c && labels[i]) tp++;
          else if (c) fp++;
          else if (labels[i]) fn++;
        }
        return (2 * tp) / (2 * tp + fp + fn);
      }),
    );
  }
  return { aucs, f1 };
}

for (const method of ['gaen', 'bluezone'] as const) {
  const cells = sets.map((s) => {
    const r = evaluateWindows(method, classifyAll(s.obs, { method, calibration }).windows, (w) => s.labels.label(windowKey(w.receiver, w.transmitter, w.windowStartMs)));
    return `${s.name} auc=${r.auc?.toFixed(3)} f1=${r.f1?.toFixed(3)}`;
  });
  process.stdout.write(`${method.padEnd(8)} ${cells.join(' | ')}\n`);
}

// Step 1: the level's shape, by the lower training AUC.
const grid: Record<string, number[]> = process.env.GRID
  ? JSON.parse(process.env.GRID)
  : {
      upperQuantile: [0.9, 0.95, 0.99],
      maxWeight: [0, 0.5],
      countDbPerDoubling: [0, 2, 3, 4],
      countRefReadings: [1, 4, 15, 60],
      offsetPriorWindows: [4, 8],
    };
const keys = Object.keys(grid);
let best: { p: Partial<OursParams>; minAuc: number; f1: number[][] } | undefined;
function rec(i: number, cur: Partial<OursParams>): void {
  if (i === keys.length) {
    const { aucs, f1 } = scoreOurs(cur);
    const minAuc = Math.min(...aucs);
    process.stdout.write(`ours ${JSON.stringify(cur)} auc ${sets.map((s, j) => `${s.name}=${aucs[j].toFixed(3)}`).join(' ')} min=${minAuc.toFixed(4)}\n`);
    if (!best || minAuc > best.minAuc + 1e-9) best = { p: cur, minAuc, f1 };
    return;
  }
  for (const v of grid[keys[i]]) rec(i + 1, { ...cur, [keys[i]]: v });
}
rec(0, {});

// Step 2: the threshold, by mean training F1 with a margin (centre of the near-best plateau).
const mean = THRESHOLDS.map((_, k) => best!.f1.reduce((a, f) => a + f[k], 0) / best!.f1.length);
const top = Math.max(...mean);
const near = THRESHOLDS.filter((_, k) => mean[k] >= top - F1_MARGIN);
// THRESHOLDS run from high to low: with an even count the lower (more liberal) middle one, as a missed
// contact costs more than a false alarm.
const threshold = near[Math.ceil((near.length - 1) / 2)];
for (let k = 0; k < THRESHOLDS.length; k++)
  process.stdout.write(`threshold ${THRESHOLDS[k]} mean F1 ${mean[k].toFixed(4)} (${best!.f1.map((f) => f[k].toFixed(3)).join(' / ')})${mean[k] >= top - F1_MARGIN ? ' *' : ''}\n`);
const chosen = { ...OURS_DEFAULTS, ...best!.p, thresholdDbm: threshold };
process.stdout.write(`chosen ${JSON.stringify(chosen)} (lower training AUC ${best!.minAuc.toFixed(3)}, near-best thresholds ${near.join(', ')})\n`);
