/** Runs the fit comparison with given parameters and formats the per-bin KS table. */
import { existsSync } from 'node:fs';
import { loadCalibrationTable } from '../../records/calibration.ts';
import { DataFileError } from '../../records/errors.ts';
import { loadKernel } from '../kernel/index.ts';
import { loadRealData } from '../../records/datasets.ts';
import { DEFAULT_FIT, ksSummary, prepare, simulate, type FitParams, type KsSummary } from './fit.ts';

export interface FitReport extends KsSummary {
  data_dir: string;
  kernel: string;
  replicas: number;
  cap_per_bin: number;
  simulated_readings: number;
  params: FitParams;
  seconds: number;
}

export async function runFitReport(opts: { dataDir: string; replicas?: number; capPerBin?: number; seed?: number; params?: FitParams }): Promise<FitReport> {
  const t0 = performance.now();
  if (!existsSync(opts.dataDir)) throw new DataFileError(opts.dataDir, 0, 'data directory does not exist');
  const kernel = await loadKernel();
  const cap = opts.capPerBin ?? 400;
  const replicas = opts.replicas ?? 4;
  const data = loadRealData(opts.dataDir, { capPerBin: cap });
  const models = loadCalibrationTable();
  const prep = prepare(data, models, kernel, { replicas, seed: opts.seed ?? 20260101 });
  const params = opts.params ?? DEFAULT_FIT;
  const s = ksSummary(prep, simulate(prep, kernel, params));
  return {
    data_dir: opts.dataDir,
    kernel: kernel.name,
    replicas,
    cap_per_bin: cap,
    simulated_readings: prep.batch.n,
    params,
    ...s,
    seconds: (performance.now() - t0) / 1000,
  };
}

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '  -  ');

/** Markdown table: one row per (dataset, bin, split) with reading KS, medians and window-median KS. */
export function formatFitTable(r: FitReport): string {
  const key = (x: { dataset: string; bin: string; split: string }) => `${x.dataset}|${x.bin}|${x.split}`;
  const win = new Map(r.rows.filter((x) => x.kind === 'window').map((x) => [key(x), x]));
  const lines = [
    '| data set | bin | split | n real | KS readings | median real / sim (dBm) | KS 30 s medians |',
    '|---|---|---|---:|---:|---:|---:|',
  ];
  for (const x of r.rows) {
    if (x.kind !== 'reading') continue;
    const w = win.get(key(x));
    const centred = x.dataset === 'mitll' ? ' (centred)' : '';
    lines.push(`| ${x.dataset} | ${x.bin} | ${x.split} | ${x.n_real} | ${f3(x.ks)} | ${x.median_real_dbm} / ${x.median_sim_dbm}${centred} | ${w ? f3(w.ks) : '-'} |`);
  }
  lines.push('');
  lines.push('| mean KS over bins | readings train | readings test | 30 s medians train | 30 s medians test |');
  lines.push('|---|---:|---:|---:|---:|');
  for (const ds of Object.keys(r.mean)) {
    const m = r.mean[ds];
    const w = r.windowMean[ds] ?? { train: NaN, test: NaN };
    lines.push(`| ${ds} | ${f3(m.train)} | ${f3(m.test)} | ${f3(w.train)} | ${f3(w.test)} |`);
  }
  lines.push(`| **overall** | ${f3(r.overallReading.train)} | ${f3(r.overallReading.test)} | ${f3(r.overallWindow.train)} | ${f3(r.overallWindow.test)} |`);
  lines.push('');
  lines.push(`overall (readings and 30 s medians weighted equally): train ${f3(r.overall.train)}, test ${f3(r.overall.test)}; kernel ${r.kernel}, ${r.replicas} replicas, ${r.simulated_readings} simulated readings, ${r.seconds.toFixed(1)} s`);
  return lines.join('\n') + '\n';
}
