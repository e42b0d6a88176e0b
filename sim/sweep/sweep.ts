// `sim sweep FILE.yaml`: expand the grid (spec.ts), run every job on the local pool (local.ts) or on a
// BullMQ queue (queue.ts), and write OUT/summary.csv, OUT/summary.json, OUT/report.html (+ plots/) from
// the completed results, plus OUT/timing.json (wall-clock, the only file that differs between runs).
import { join } from 'node:path';
import { OutputSet } from '../../records/output.ts';
import { renderSweepReport } from '../../report/sweep.ts';
import { writeReport } from '../../report/render.ts';
import { resolveJobs, type JobResult } from './job.ts';
import { runLocal } from './local.ts';
import { runOnQueue } from './queue.ts';
import { expandJobs, loadSweepFile, type SweepSpec } from './spec.ts';
import { buildTable, tableCsv, tableJson, type SweepTable } from './table.ts';

export interface SweepOptions {
  outDir: string;
  /** Local pool size (ignored with queue). */
  jobs: number;
  /** redis://HOST:PORT: run on BullMQ workers instead of the local pool. */
  queue?: string;
  report?: boolean;
  onJob?: (r: JobResult, done: number, total: number) => void;
}

export interface SweepRun {
  spec: SweepSpec;
  table: SweepTable;
  files: string[];
  wallS: number;
}

export async function runSweep(file: string, o: SweepOptions): Promise<SweepRun> {
  const spec = loadSweepFile(file);
  const jobs = resolveJobs(expandJobs(spec));
  // every output staged before the first job: a bad --out fails now (exit 2), and nothing is published
  // unless every job completed
  const set = new OutputSet();
  try {
    const csv = set.add(join(o.outDir, 'summary.csv'), { mkdir: true });
    const json = set.add(join(o.outDir, 'summary.json'));
    const timing = set.add(join(o.outDir, 'timing.json'));
    const html = o.report === false ? undefined : set.add(join(o.outDir, 'report.html'));
    const t0 = performance.now();
    const results = o.queue ? await runOnQueue(o.queue, jobs, { onJob: o.onJob }) : await runLocal(jobs, o.jobs, o.onJob);
    const wallS = (performance.now() - t0) / 1000;
    const table = buildTable(spec, jobs, results);
    csv.write(tableCsv(table));
    json.write(tableJson(spec, table));
    timing.write(JSON.stringify({
      wall_s: Math.round(wallS * 100) / 100, runner: o.queue ? 'queue' : 'local', local_jobs: o.queue ? null : o.jobs,
      job_wall_s: jobs.map((j) => Math.round(results.get(j.index)!.wallS * 100) / 100),
    }, null, 2) + '\n');
    const files = [csv.path, json.path, timing.path];
    if (html) {
      const rendered = await renderSweepReport({ name: spec.name, params: spec.params.map((p) => p.key), columns: table.columns, rows: table.rows as SweepRenderRows });
      files.push(...writeReport(o.outDir, rendered, 'report.html', { set, html }));
    }
    set.commit();
    return { spec, table, files, wallS };
  } catch (e) {
    set.abort();
    throw e;
  }
}

type SweepRenderRows = Parameters<typeof renderSweepReport>[0]['rows'];
