// Chooses method "ours"'s parameters on the TRAINING splits only and writes the parameter file
// (firmware/proximity/params/default.json). Training splits (docs/classifier.md "Splits"): herald-edison
// `*-A` files and pc-ng HandHand, HandBackpack, PocketPocket, each scored twice: continuous and thinned
// to GAEN's scan schedule (eval/thinning.ts, seed 1). The held-out splits are never read here.
//
//   npm run fit:classifier -- --data DIR [--out FILE] [--grid JSON] [--version NAME] [--sim NAME=OUT_DIR ...]
//
// Protocol, fixed before looking at results:
//  1. shape (every grid setting but the threshold) by the LOWEST of the four training AUCs, so the
//     score must rank well both with many readings and with GAEN's few;
//  2. the threshold (whole dBm) by the mean of the four training F1s' margins over the all-contact F1,
//     less half the largest shift in the share of windows called contact between continuous and
//     thinned; among the thresholds within F1_MARGIN of the best, the middle of that plateau (of two,
//     the lower);
//  3. with --sim (training seeds of the simulator only: docs/classifier.md "Splits"), how a scan instance
//     is credited minutes: its level from median to loudest reading (instanceUpper), its weight against
//     the window score (instanceWeight), a shift of its level (instanceShiftDb) and a soft credit
//     (instanceSoftDb), over INSTANCE_GRID, by the margins over the better baseline at the 15-minute
//     rule (F1 or AUC), worst first (leximin; ruleStage), across the scenarios (each simulated
//     scenario's seeds pooled, continuous; and herald-edison A continuous and thinned). These change
//     minutes only, never a window's score or decision.
//  4. with --sim, the daily minutes' correction for the instance decisions' errors (dailySensitivity,
//     dailySpecificity: the Rogan-Gladen estimator) over DAILY_GRID, by the same objective as stage 3.
// Then it reports (stderr and the file's provenance) the threshold's sensitivity to body loss: every
// training condition re-scored with its RSSI lowered by 0 / 5 / 10 / 15 / 20 dB (phones carried in a
// pocket or bag read 5-30 dB lower, pc-ng and mitll), learned offsets on and off (cold start).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { classifyAll, type OursParams } from '../firmware/proximity/classifier.ts';
import { oursOf, PARAMS_FORMAT_VERSION, type ParamsFile } from '../firmware/proximity/params.ts';
import { calibrationLookup, loadCalibrationTable } from '../records/calibration.ts';
import { dataDirFrom, heraldObservations, pcngObservations, type TruthObservation } from '../records/datasets.ts';
import { truthLabels, windowKey } from '../eval/labels.ts';
import { auc } from '../eval/metrics.ts';
import { thinToSchedule } from '../eval/thinning.ts';
import { readRunFolder, runFoldersSpec, runHarness } from '../eval/harness.ts';
import { evaluateDailyRule, type DailyRuleRow, type PairDayTruth } from '../eval/dailyRule.ts';
import type { TruthLike } from '../eval/labels.ts';
import type { Observation } from '../records/rows.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string' }, out: { type: 'string' }, grid: { type: 'string' }, seed: { type: 'string', default: '1' },
    sim: { type: 'string', multiple: true }, version: { type: 'string' },
  },
});
const dir = dataDirFrom(values.data);
const seed = Number(values.seed);
const calibration = calibrationLookup(loadCalibrationTable());
const WINDOW_MS = 15 * 60_000;
const F1_MARGIN = 0.005;
const THRESHOLDS = Array.from({ length: 31 }, (_, i) => -60 - i); // -60 .. -90 dBm
const GRID: Record<string, number[]> = {
  upperQuantile: [0.9, 0.95],
  // absolute reading counts are not evidence under duty-cycled scanning (issue 15): fixed at 0
  countDbPerDoubling: [0],
  rateDbPerDoubling: [0, 1, 2, 3, 4],
  offsetPriorWindows: [4, 8, 16],
  ...(values.grid ? (JSON.parse(values.grid) as Record<string, number[]>) : {}),
};

const byTime = (r: TruthObservation[]) => r.sort((a, b) => a.timestampMs - b.timestampMs);
const TRAIN = [
  { name: 'herald-edison A', rows: byTime(heraldObservations(dir, 'A')) },
  { name: 'pc-ng train', rows: byTime(pcngObservations(dir, 'train')) },
];
const conditions = TRAIN.flatMap((s) => {
  const labels = truthLabels(s.rows, WINDOW_MS);
  return [
    { name: `${s.name} continuous`, obs: s.rows, labels },
    { name: `${s.name} thinned`, obs: [...thinToSchedule(s.rows, seed)], labels },
  ];
});

// Every setting is scored over the code's base (oursOf), never over the shipped file: the fit must not
// depend on the parameters it replaces.
function scoreSetting(ours: Partial<OursParams>) {
  return conditions.map((c) => {
    const scores: number[] = [];
    const labels: boolean[] = [];
    for (const w of classifyAll(c.obs, { method: 'ours', calibration, ours: oursOf(ours) }).windows) {
      const l = c.labels.label(windowKey(w.receiver, w.transmitter, w.windowStartMs));
      if (l === undefined) continue;
      scores.push(w.score);
      labels.push(l);
    }
    const f1 = THRESHOLDS.map((t) => {
      let tp = 0, fp = 0, fn = 0;
      for (let i = 0; i < scores.length; i++) {
        const hit = scores[i] >= t;
        if (hit && labels[i]) tp++;
        else if (hit) fp++;
        else if (labels[i]) fn++;
      }
      return (2 * tp) / (2 * tp + fp + fn);
    });
    const called = THRESHOLDS.map((t) => scores.filter((x) => x >= t).length / scores.length);
    const pos = labels.filter(Boolean).length;
    return { auc: auc(scores, labels) ?? 0, f1, called, allContactF1: (2 * pos) / (pos + scores.length) };
  });
}

/** Every combination of a grid's values, the first parameter varying slowest. */
function gridSettings(grid: Record<string, number[]>): Array<Partial<OursParams>> {
  let settings: Array<Partial<OursParams>> = [{}];
  for (const [k, values] of Object.entries(grid)) settings = settings.flatMap((s) => values.map((v) => ({ ...s, [k]: v })));
  return settings;
}
const settings = gridSettings(GRID);
let best: { s: Partial<OursParams>; minAuc: number; r: ReturnType<typeof scoreSetting> } | undefined;
for (const s of settings) {
  const r = scoreSetting(s);
  const minAuc = Math.min(...r.map((x) => x.auc));
  process.stderr.write(`${JSON.stringify(s)} AUC ${r.map((x) => x.auc.toFixed(3)).join(' / ')} min ${minAuc.toFixed(3)}\n`);
  if (!best || minAuc > best.minAuc + 1e-9) best = { s, minAuc, r };
}
const r = best!.r;
// Threshold: the mean margin of training F1 over the all-contact F1 (the floor each condition must beat),
// less half the largest continuous-vs-thinned shift in the share of windows called contact.
const objective = THRESHOLDS.map((_, i) => {
  const margin = r.reduce((a, x) => a + x.f1[i] - x.allContactF1, 0) / r.length;
  return margin - 0.5 * Math.max(Math.abs(r[0].called[i] - r[1].called[i]), Math.abs(r[2].called[i] - r[3].called[i]));
});
const top = Math.max(...objective);
const plateau = THRESHOLDS.filter((_, i) => objective[i] >= top - F1_MARGIN);
const threshold = plateau[Math.floor((plateau.length - 1) / 2 + 0.5)] ?? THRESHOLDS[objective.indexOf(top)];
for (let i = 0; i < THRESHOLDS.length; i++)
  process.stderr.write(`threshold ${THRESHOLDS[i]}: F1 ${r.map((x) => x.f1[i].toFixed(3)).join(' / ')} called ${r.map((x) => x.called[i].toFixed(3)).join(' / ')} objective ${objective[i].toFixed(3)}\n`);
const ours: Partial<OursParams> = { ...best!.s, thresholdDbm: threshold };

// 3. How scan instances are credited minutes, on the training simulator runs (--sim NAME=OUT_DIR[,OUT_DIR...],
// `bluezone sim run --out` folders; several after one name are one scenario's seeds, pooled).
const INSTANCE_GRID = { instanceUpper: [0, 0.5, 1], instanceShiftDb: [0, 3, 6, 9], instanceSoftDb: [0, 3], instanceWeight: [1, 0.5] };
const DAILY_GRID = { dailySensitivity: [1, 0.9, 0.8, 0.7, 0.6], dailySpecificity: [1, 0.99, 0.98, 0.96, 0.93, 0.9] };
const simSets = (values.sim ?? []).map(runFoldersSpec);
interface StageRun {
  obs: Observation[];
  truth: TruthLike[];
  contacts?: PairDayTruth[];
  thin?: { seed: number };
}
// The scenarios of stage 3: each simulated one (its runs pooled), and the real training set with
// 15-minute pair-days (herald-edison A, continuous and thinned: a rig's levels, which the simulator's
// crowds do not have, so credit that only suits the simulator loses there).
const stageSets: Array<{ name: string; runs: Array<() => StageRun> }> = simSets.length === 0 ? [] : [
  ...simSets.map((set) => ({
    name: set.name,
    runs: set.dirs.map((d) => () => readRunFolder(d)),
  })),
  { name: `${TRAIN[0].name} continuous`, runs: [() => ({ obs: TRAIN[0].rows, truth: TRAIN[0].rows })] },
  { name: `${TRAIN[0].name} thinned`, runs: [() => ({ obs: TRAIN[0].rows, truth: TRAIN[0].rows, thin: { seed } })] },
];
/**
 * Chooses among settings (each over `ours`) by the 15-minute rule on stageSets. A scenario's margin is
 * ours' margin over the better baseline in rule F1 or rule AUC, whichever is smaller; over the scenarios
 * with at least MIN_POSITIVES close contacts the margins are compared worst first (leximin: the worst
 * decides, a tie in it goes to the second worst, and so on), then by the mean over those scenarios of
 * (F1 + AUC) / 2, then the first in grid order. Returns the pick and what the file's provenance reports.
 */
function ruleStage(label: string, grid: Record<string, number[]>): { pick: Partial<OursParams>; report: Record<string, unknown> } {
  const settings = gridSettings(grid);
  // per setting and scenario, the pooled pair-day rows (each run read once, scored under every setting);
  // the baselines' rows once (their minutes do not depend on these parameters)
  const rows = settings.map(() => stageSets.map(() => [] as DailyRuleRow[]));
  const baseRows = stageSets.map(() => [] as DailyRuleRow[]);
  stageSets.forEach((set, si) => {
    for (const load of set.runs) {
      const { obs, truth, contacts, thin } = load();
      const labels = truthLabels(truth, WINDOW_MS);
      baseRows[si].push(...runHarness(obs, truth, { methods: ['gaen', 'bluezone'], classifier: { calibration }, contactsTruth: contacts, thin, labels }).dailyRows);
      settings.forEach((setting, k) => {
        rows[k][si].push(...runHarness(obs, truth, { methods: ['ours'], classifier: { calibration, ours: oursOf({ ...ours, ...setting }) }, contactsTruth: contacts, thin, labels }).dailyRows);
      });
    }
  });
  // The acceptance asks ours to beat both baselines at the rule in every scenario, in F1 and in AUC: hence
  // the worst margin first. Leximin rather than maximin with ties by the mean: herald-A's rule AUC, which
  // stage 4 cannot move, was every setting's worst, and the mean then traded lobby-gaen's AUC under the
  // baselines' for office F1 (fit of 2026-12-08, training runs only). (A first version of stage 3
  // maximised the mean alone: on the training runs it traded office F1, 0.327 -> 0.154 below GAEN's
  // 0.169, for lobby-gaen; it was replaced before any check run was scored.)
  const MIN_POSITIVES = 10;
  const best = baseRows.map((r) => {
    const e = ['gaen', 'bluezone'].map((m) => evaluateDailyRule(m, r));
    return { f1: Math.max(...e.map((x) => x.f1 ?? 0)), auc: Math.max(...e.map((x) => x.auc ?? 0)), positives: e[0].positives };
  });
  const used = best.map((b) => b.positives >= MIN_POSITIVES);
  const figures = rows.map((perSet) => perSet.map((r) => evaluateDailyRule('ours', r)));
  // each setting's margins, worst first
  const margins = figures.map((perSet) => perSet.flatMap((e, si) => (used[si] ? [Math.min((e.f1 ?? 0) - best[si].f1, (e.auc ?? 0) - best[si].auc)] : [])).sort((a, b) => a - b));
  const mean = figures.map((perSet) => {
    const u = perSet.filter((_, si) => used[si]);
    return u.reduce((a, e) => a + ((e.f1 ?? 0) + (e.auc ?? 0)) / 2, 0) / Math.max(u.length, 1);
  });
  // > 0: setting k is better than setting j
  const compare = (k: number, j: number): number => {
    for (let i = 0; i < margins[k].length; i++) if (Math.abs(margins[k][i] - margins[j][i]) > 1e-9) return margins[k][i] - margins[j][i];
    return Math.abs(mean[k] - mean[j]) > 1e-9 ? mean[k] - mean[j] : 0;
  };
  let pick = 0;
  for (let k = 1; k < settings.length; k++) if (compare(k, pick) > 0) pick = k;
  process.stderr.write(`${label}: baselines (better of gaen, bluezone) rule F1 / AUC: ${stageSets.map((r, si) => `${r.name} ${best[si].f1.toFixed(3)}/${best[si].auc.toFixed(3)} (${best[si].positives} pos)`).join('  ')}\n`);
  settings.forEach((st, k) =>
    process.stderr.write(`${label} ${JSON.stringify(st)}: rule F1 / AUC ${figures[k].map((e) => `${(e.f1 ?? 0).toFixed(3)}/${e.auc === null ? 'n/a' : e.auc.toFixed(3)}`).join('  ')} margins ${margins[k].map((m) => m.toFixed(3)).join(' ')} mean ${mean[k].toFixed(4)}\n`),
  );
  return {
    pick: settings[pick],
    report: {
      runs: stageSets.map((r) => `${r.name}: ${r.runs.length} run(s)`),
      objective: `margins over the better baseline (rule F1 or AUC, the smaller) over scenarios with >= ${MIN_POSITIVES} close contacts, compared worst first (leximin), ties by the mean of (F1 + AUC) / 2; each scenario's runs pooled`,
      grid,
      chosen: { ...settings[pick], margins: margins[pick].map((m) => +m.toFixed(4)), mean: +mean[pick].toFixed(4) },
      rule: Object.fromEntries(
        stageSets.map((r, si) => [r.name, {
          positives: best[si].positives, ours_f1: +(figures[pick][si].f1 ?? 0).toFixed(3), ours_auc: figures[pick][si].auc === null ? null : +figures[pick][si].auc!.toFixed(3),
          best_baseline_f1: +best[si].f1.toFixed(3), best_baseline_auc: +best[si].auc.toFixed(3),
        }]),
      ),
    },
  };
}

let instanceStage: Record<string, unknown> | undefined;
let dailyStage: Record<string, unknown> | undefined;
if (stageSets.length > 0) {
  const s3 = ruleStage('instance', INSTANCE_GRID);
  Object.assign(ours, s3.pick);
  instanceStage = s3.report;
  // 4. The daily correction (Rogan-Gladen, OursParams.dailySensitivity) over stage 3's pick, by the same
  // objective; 1 / 1 (minutes as credited) comes first, so it stays unless a correction does better.
  const s4 = ruleStage('daily', DAILY_GRID);
  Object.assign(ours, s4.pick);
  dailyStage = s4.report;
}

// Body-loss sensitivity of the chosen parameters (reported, not fitted).
const BODY_LOSS_DB = [0, 5, 10, 15, 20];
const bodyLoss = conditions.map((c) => {
  const row: Record<string, unknown> = { condition: c.name };
  for (const [label, offsets] of [['learned_offsets', {}], ['cold_start', { offsetPriorWindows: 0 }]] as const) {
    row[label] = BODY_LOSS_DB.map((db) => {
      const shifted = c.obs.map((o) => ({ ...o, rssi: o.rssi - db }));
      let tp = 0, fp = 0, fn = 0, n = 0, called = 0;
      for (const w of classifyAll(shifted, { method: 'ours', calibration, ours: oursOf({ ...ours, ...offsets }) }).windows) {
        const l = c.labels.label(windowKey(w.receiver, w.transmitter, w.windowStartMs));
        if (l === undefined) continue;
        n++;
        if (w.contact) called++;
        if (w.contact && l) tp++;
        else if (w.contact) fp++;
        else if (l) fn++;
      }
      return { loss_db: db, f1: +((2 * tp) / (2 * tp + fp + fn) || 0).toFixed(3), called: +(called / n).toFixed(3) };
    });
  }
  return row;
});
for (const b of bodyLoss)
  for (const label of ['learned_offsets', 'cold_start'])
    process.stderr.write(
      `body loss ${b.condition} (${label}): ${(b[label] as Array<{ loss_db: number; f1: number; called: number }>).map((x) => `${x.loss_db} dB F1 ${x.f1} called ${x.called}`).join(', ')}\n`,
    );
const out: ParamsFile = {
  format_version: PARAMS_FORMAT_VERSION,
  version: values.version ?? `ours-${new Date().toISOString().slice(0, 10)}`,
  provenance: {
    script: 'scripts/fit-classifier.ts',
    training: [
      'herald-edison *-A.csv',
      'pc-ng HandHand, HandBackpack, PocketPocket',
      ...(simSets.length > 0 ? [`simulator runs ${simSets.map((r) => `${r.name} (${r.dirs.length})`).join(', ')} (instance credit only)`] : []),
    ],
    conditions: conditions.map((c) => c.name),
    thinning_seed: seed,
    grid: GRID,
    training_auc: Object.fromEntries(conditions.map((c, i) => [c.name, +r[i].auc.toFixed(3)])),
    training_f1: Object.fromEntries(conditions.map((c, i) => [c.name, +r[i].f1[THRESHOLDS.indexOf(threshold)].toFixed(3)])),
    ...(instanceStage ? { instance_credit_stage: instanceStage } : {}),
    ...(dailyStage ? { daily_correction_stage: dailyStage } : {}),
    body_loss_sensitivity: bodyLoss,
    date: new Date().toISOString().slice(0, 10),
  },
  ours: { ...ours },
};
const text = JSON.stringify(out, null, 2) + '\n';
if (values.out) writeFileSync(values.out, text);
else process.stdout.write(text);
