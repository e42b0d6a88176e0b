// The sweep's summary table, built only from completed job results, in job order: CSV (records/rows.ts
// csvField) and JSON with the same columns. No wall-clock figure enters it, so the same sweep file gives
// the same bytes whether it ran on a local pool or on workers of a queue.
import { csvField } from '../../records/rows.ts';
import type { JobResult } from './job.ts';
import type { SweepJob, SweepSpec } from './spec.ts';

export interface SweepTable {
  columns: string[];
  rows: JobResult['row'][];
}

export function buildTable(spec: SweepSpec, jobs: SweepJob[], results: Map<number, JobResult>): SweepTable {
  const missing = jobs.filter((j) => !results.has(j.index));
  if (missing.length) throw new Error(`sweep ${spec.name}: ${missing.length} job(s) without a result (first: ${missing[0].id})`);
  const rows = jobs.map((j) => results.get(j.index)!.row);
  // columns: the job's identity, its parameters in file order, then every figure in first-seen order
  const columns = ['job', 'scenario', 'seed', ...spec.params.map((p) => p.key)];
  for (const r of rows) for (const k of Object.keys(r)) if (!columns.includes(k)) columns.push(k);
  return { columns, rows };
}

const cell = (v: unknown) => (v === null || v === undefined ? '' : csvField(String(v)));

export function tableCsv(t: SweepTable): string {
  return [t.columns.map(cell).join(','), ...t.rows.map((r) => t.columns.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}

export function tableJson(spec: SweepSpec, t: SweepTable): string {
  return JSON.stringify({ sweep: spec.name, file_sha256_16: spec.hash, jobs: t.rows.length, columns: t.columns, rows: t.rows.map((r) => Object.fromEntries(t.columns.map((c) => [c, r[c] ?? null]))) }, null, 2) + '\n';
}
