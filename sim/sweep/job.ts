// One sweep job: the scenario with its parameters, simulated with outputs in a private temporary folder
// (the classifier and its evaluation need them), reduced to one summary row; the folder is removed. The
// row holds only seed-determined figures, so a job gives the same row on any machine and thread.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSimulation } from '../run.ts';
import type { Scenario } from '../scenario/schema.ts';
import { jobScenario, type ParamValue, type SweepJob } from './spec.ts';

/** The classifier methods whose AUC and F1 the table carries (firmware/proximity: ours and both baselines). */
export type Metric = number | string | null;

export interface JobResult {
  index: number;
  id: string;
  /** Seed-determined figures, keyed by column name. */
  row: Record<string, Metric | ParamValue>;
  /** Wall-clock seconds (timing.json only, never the table). */
  wallS: number;
}

/** A job with its scenario resolved and validated (what travels to a worker: no file paths). */
export interface ResolvedJob extends SweepJob {
  resolved: { scenario: Scenario; durationMs?: number; devices?: number; scale?: number };
}

/** Resolves every job up front, so a bad parameter fails (exit 2) before any simulating. */
export function resolveJobs(jobs: SweepJob[]): ResolvedJob[] {
  return jobs.map((j) => ({ ...j, resolved: jobScenario(j) }));
}

export async function runSweepJob(job: ResolvedJob): Promise<JobResult> {
  const { scenario, durationMs, devices, scale } = job.resolved;
  const dir = mkdtempSync(join(tmpdir(), 'bz-sweep-job-'));
  const t0 = performance.now();
  try {
    const r = await runSimulation(scenario, { seed: job.seed, durationMs, devices, scale, outDir: dir, report: false, threads: 1 });
    const s = r.stats;
    const sum = r.summary as { contacts_truth: { pairs_with_any_time_within_2m: number; close_contacts: unknown[] }; evaluation?: { results: Record<string, unknown>[] } | null };
    const row: JobResult['row'] = {
      job: job.index, scenario: job.scenario, seed: job.seed, ...job.params,
      duration_s: s.simMs / 1000, phones: s.devices.android + s.devices.ios, beacons: s.devices.beacon,
      pair_evaluations: s.pairEvaluations, receptions: s.receptions, lost_below_sensitivity: s.lostBelowSensitivity,
      lost_collision: s.lostCollision, lost_half_duplex: s.lostHalfDuplex, observations: s.observations,
      truth_pairs: sum.contacts_truth.pairs_with_any_time_within_2m, close_contacts: sum.contacts_truth.close_contacts.length,
    };
    for (const e of sum.evaluation?.results ?? []) {
      const m = String(e.method).replace(/[^A-Za-z0-9]+/g, '_').toLowerCase();
      row[`auc_${m}`] = round(e.auc as number | null);
      row[`f1_${m}`] = round(e.f1 as number | null);
    }
    return { index: job.index, id: job.id, row, wallS: (performance.now() - t0) / 1000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (x: number | null) => (x === null || !Number.isFinite(x) ? null : Math.round(x * 1e4) / 1e4);
