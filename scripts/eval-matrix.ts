// The acceptance table of issue 15: every real data set (and any simulated run given with --sim) x
// {continuous, thinned to GAEN's scan schedule} x {ours, gaen, bluezone, all-contact}: window AUC / F1 /
// share called contact, and the 15-minute rule per pair and UTC day. One harness (eval/harness.ts).
//
//   npm run eval:matrix -- --data DIR [--params FILE] [--seed 1] [--sim lobby=OUT_DIR[,OUT_DIR...] ...] [--json]
//
// DIR holds herald-edison, pc-ng-rss-smartphone, mitll-static-configs, as ../shared/data does; OUT_DIR is
// a `bluezone sim run --out` folder (observations.csv, truth.csv, contacts_truth.csv). Several folders
// after one name (the same scenario over several seeds) are scored as one pooled sample (harness.ts
// poolHarness).
import { parseArgs } from 'node:util';
import { calibrationLookup, loadCalibrationTable } from '../records/calibration.ts';
import { dataDirFrom, heraldObservations, mitllObservations, pcngObservations } from '../records/datasets.ts';
import type { Observation } from '../records/rows.ts';
import { poolHarness, readRunFolder, runFoldersSpec, runHarness, type HarnessResult } from '../eval/harness.ts';
import { truthLabels, type TruthLike } from '../eval/labels.ts';
import type { PairDayTruth } from '../eval/dailyRule.ts';
import { loadParamsFile } from '../eval/paramsFile.ts';
import { oursOf } from '../firmware/proximity/params.ts';
import { DEFAULT_WINDOW_MS } from '../firmware/proximity/classifier.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string' }, params: { type: 'string' }, seed: { type: 'string', default: '1' },
    sim: { type: 'string', multiple: true }, json: { type: 'boolean' }, only: { type: 'string' },
  },
});
const seed = Number(values.seed);
const calibration = calibrationLookup(loadCalibrationTable());
const ours = values.params ? oursOf(loadParamsFile(values.params).ours) : undefined;

interface Run {
  obs: Observation[];
  truth: TruthLike[];
  contacts?: PairDayTruth[];
}
interface Set {
  name: string;
  part: string;
  /** One loader per run (several: a pooled sample); each is read only while it is scored. */
  runs: Array<() => Run>;
}
const byTime = <T extends { timestampMs: number }>(a: T[]) => a.sort((p, q) => p.timestampMs - q.timestampMs);
const sets: Set[] = [];
if (values.data) {
  const dir = dataDirFrom(values.data);
  const real = (rows: () => (Observation & TruthLike)[]) => [() => {
    const r = byTime(rows());
    return { obs: r, truth: r };
  }];
  sets.push(
    { name: 'herald-edison A', part: 'training', runs: real(() => heraldObservations(dir, 'A')) },
    { name: 'herald-edison B', part: 'held out', runs: real(() => heraldObservations(dir, 'B')) },
    { name: 'pc-ng train', part: 'training', runs: real(() => pcngObservations(dir, 'train')) },
    { name: 'pc-ng test', part: 'held out', runs: real(() => pcngObservations(dir, 'test')) },
    { name: 'mitll', part: 'held out', runs: real(() => mitllObservations(dir)) },
  );
}
for (const spec of values.sim ?? []) {
  const { name, dirs } = runFoldersSpec(spec);
  sets.push({
    name: `sim ${name}${dirs.length > 1 ? ` (${dirs.length} runs)` : ''}`,
    part: 'simulated',
    runs: dirs.map((dir) => () => readRunFolder(dir)),
  });
}
if (sets.length === 0) {
  process.stderr.write('usage: npm run eval:matrix -- --data DIR [--params FILE] [--seed N] [--sim NAME=OUT_DIR[,OUT_DIR...] ...] [--json]\n');
  process.exit(2);
}

const f = (x: number | null) => (x === null ? 'n/a' : x.toFixed(3));
const rows: Record<string, unknown>[] = [];
const lines: string[] = [];
lines.push('| data set | part | scan | windows (pos) | AUC ours / gaen / bluezone | F1 ours / gaen / bluezone / all-contact | called ours | pair-days (pos) | rule AUC ours / gaen / bluezone | rule F1 ours / gaen / bluezone / all-contact |');
lines.push('|---|---|---|---|---|---|---|---|---|---|');
for (const s of sets) {
  if (values.only && !s.name.includes(values.only)) continue;
  // each run is read once and scored continuous and thinned
  const scored: [HarnessResult[], HarnessResult[]] = [[], []];
  for (const load of s.runs) {
    const { obs, truth, contacts } = load();
    const labels = truthLabels(truth, DEFAULT_WINDOW_MS);
    for (const thin of [false, true])
      scored[thin ? 1 : 0].push(runHarness(obs, truth, { classifier: { calibration, ours }, thin: thin ? { seed } : undefined, contactsTruth: contacts, labels }));
  }
  for (const thin of [false, true]) {
    const r = poolHarness(scored[thin ? 1 : 0]);
    const [o, g, b] = r.windows;
    const [od, gd, bd] = r.daily;
    lines.push(
      `| ${s.name} | ${s.part} | ${thin ? 'GAEN-thinned' : 'continuous'} | ${o.windows} (${o.positives}) | ${f(o.auc)} / ${f(g.auc)} / ${f(b.auc)} | ` +
        `${f(o.f1)} / ${f(g.f1)} / ${f(b.f1)} / ${f(o.allContactF1)} | ${o.calledContact.toFixed(3)} | ${od.windows} (${od.positives}) | ` +
        `${f(od.auc)} / ${f(gd.auc)} / ${f(bd.auc)} | ${f(od.f1)} / ${f(gd.f1)} / ${f(bd.f1)} / ${f(od.allContactF1)} |`,
    );
    rows.push({
      data_set: s.name, part: s.part, runs: s.runs.length, scan: thin ? 'gaen_thinned' : 'continuous', observations: r.observations, kept: r.kept,
      windows: r.windows.map((x) => ({ method: x.method, windows: x.windows, positives: x.positives, auc: x.auc, f1: x.f1, all_contact_f1: x.allContactF1, called_contact: x.calledContact })),
      daily_rule: r.daily.map((x) => ({ method: x.method, pair_days: x.windows, positives: x.positives, auc: x.auc, f1: x.f1, all_contact_f1: x.allContactF1 })),
    });
    process.stderr.write(`${s.name} ${thin ? 'thinned' : 'continuous'}: ${r.kept}/${r.observations} observations\n`);
  }
}
process.stdout.write(values.json ? JSON.stringify({ seed, params: values.params ?? 'shipped', rows }, null, 2) + '\n' : lines.join('\n') + '\n');
