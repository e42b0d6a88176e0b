// Chooses method "ours"'s free parameters on the TRAINING splits only (herald-edison-A, pc-ng-train, made
// by scripts/convert-datasets.ts) with a small grid, and prints each setting's AUC/F1 per split. The
// held-out splits are never read here. README "Proximity classifier" quotes the chosen values.
//
//   npx tsx scripts/tune-classifier.ts <converted-dir> [calibration.csv]

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classifyAll, type OursParams } from '../firmware/proximity/classifier.ts';
import { calibrationLookup, parseCalibrationCsv } from '../firmware/proximity/calibration.ts';
import { observationReader, truthReader } from '../firmware/proximity/csv.ts';
import { readCsvFile } from '../firmware/proximity/csvFiles.ts';
import { evaluateWindows, truthMedians } from '../firmware/proximity/evaluate.ts';

const [dir, calPath] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: npx tsx scripts/tune-classifier.ts <converted-dir> [calibration.csv]\n');
  process.exit(2);
}
const calibration = calPath ? calibrationLookup(parseCalibrationCsv(readFileSync(calPath, 'utf8'))) : undefined;
const TRAIN = ['herald-edison-A', 'pc-ng-train'];
const sets = TRAIN.map((name) => {
  const obs = readCsvFile(join(dir, name, 'observations.csv'), observationReader(name));
  const truth = readCsvFile(join(dir, name, 'truth.csv'), truthReader(name));
  return { name, obs, medians: truthMedians(truth, 15 * 60_000) };
});

function run(method: 'ours' | 'gaen' | 'bluezone', ours: Partial<OursParams> = {}): string {
  const cells: string[] = [];
  let minAuc = Infinity;
  let minF1 = Infinity;
  for (const s of sets) {
    const { windows } = classifyAll(s.obs, { method, calibration, ours });
    const r = evaluateWindows(method, windows, s.medians);
    minAuc = Math.min(minAuc, r.auc ?? 0);
    minF1 = Math.min(minF1, r.f1 ?? 0);
    cells.push(`${s.name} auc=${r.auc?.toFixed(3)} f1=${r.f1?.toFixed(3)} p=${r.precision?.toFixed(2)} r=${r.recall?.toFixed(2)}`);
  }
  return `min auc=${minAuc.toFixed(3)} min f1=${minF1.toFixed(3)} | ${cells.join(' | ')}`;
}

process.stdout.write(`gaen     ${run('gaen')}\n`);
process.stdout.write(`bluezone ${run('bluezone')}\n`);
// The grid searched for the defaults (README): level quantile and weight, pair-offset prior, then the
// threshold with the best mean F1. Override with GRID='{"thresholdDbm":[-80,-81]}'.
const grid = process.env.GRID
  ? JSON.parse(process.env.GRID)
  : { upperQuantile: [0.9, 0.95, 0.99], upperWeight: [0.5, 1], offsetPriorWindows: [0, 4, 8], thresholdDbm: [-78, -79, -80, -81, -82, -83] };
const keys = Object.keys(grid);
function rec(i: number, cur: Partial<OursParams>): void {
  if (i === keys.length) {
    process.stdout.write(`ours ${JSON.stringify(cur)} ${run('ours', cur)}\n`);
    return;
  }
  for (const v of grid[keys[i]]) rec(i + 1, { ...cur, [keys[i]]: v });
}
rec(0, {});
