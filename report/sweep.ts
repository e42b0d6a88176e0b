// The page of `sim sweep`: the summary table and plots comparing the jobs (classifier AUC per method, and
// logged observations), built with the same renderer and page as the other reports (render.ts, html.ts).
import type { TopLevelSpec } from 'vega-lite';
import { esc, metricsTable, page, type Section } from './html.ts';
import { renderPlots } from './render.ts';
import type { RenderedReport } from './types.ts';

export interface SweepReportInput {
  name: string;
  /** Parameter keys in file order (the x axis label of each job). */
  params: string[];
  columns: string[];
  rows: Record<string, string | number | boolean | null>[];
}

const CONFIG = { font: 'DejaVu Sans, Liberation Sans, Arial, sans-serif', background: 'white', axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: '#e8e8e8' } };

/** "lobby s1 devices=100": what a job is, for an axis. */
function jobLabel(r: SweepReportInput['rows'][number], params: string[]): string {
  return [`#${r.job} ${r.scenario} s${r.seed}`, ...params.map((p) => `${p}=${r[p]}`)].join(' ');
}

function pointSpec(title: string, data: { job: string; series: string; value: number }[], yTitle: string, order: string[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    config: CONFIG,
    title,
    width: Math.min(900, Math.max(240, 28 * order.length)),
    height: 260,
    data: { values: data },
    mark: { type: 'point', filled: true, size: 60 },
    encoding: {
      x: { field: 'job', type: 'nominal', sort: order, title: 'job', axis: { labelAngle: -45, labelLimit: 220 } },
      y: { field: 'value', type: 'quantitative', title: yTitle },
      color: { field: 'series', type: 'nominal', title: null },
    },
  } as TopLevelSpec;
}

export async function renderSweepReport(input: SweepReportInput): Promise<RenderedReport> {
  const labels = input.rows.map((r) => jobLabel(r, input.params));
  const auc: { job: string; series: string; value: number }[] = [];
  const obs: { job: string; series: string; value: number }[] = [];
  input.rows.forEach((r, i) => {
    for (const c of input.columns) if (c.startsWith('auc_') && typeof r[c] === 'number') auc.push({ job: labels[i], series: c.slice(4), value: r[c] as number });
    if (typeof r.observations === 'number') obs.push({ job: labels[i], series: 'observations', value: r.observations });
    if (typeof r.receptions === 'number') obs.push({ job: labels[i], series: 'receptions', value: r.receptions });
  });
  const svgs = await renderPlots([
    { name: 'auc', spec: auc.length ? pointSpec('Classifier AUC per job (eval/, windows against truth)', auc, 'AUC', labels) : null },
    { name: 'counts', spec: obs.length ? pointSpec('Receptions and logged observations per job', obs, 'count', labels) : null },
  ]);
  const rows = input.rows.map((r) => Object.fromEntries(input.columns.map((c) => [c, r[c] === null || r[c] === undefined ? '' : typeof r[c] === 'boolean' ? String(r[c]) : (r[c] as string | number)])));
  const sections: Section[] = [
    {
      id: 'grid', title: 'Grid',
      html: `<p>${esc(input.rows.length)} jobs; parameters: ${input.params.length ? input.params.map((p) => `<code>${esc(p)}</code>`).join(', ') : 'none'}. Every figure is determined by the scenario, its parameters and the seed (summary.csv holds the same rows).</p>`,
    },
    { id: 'auc', title: 'AUC', plot: 'auc', svg: svgs.auc, missing: 'No classifier results (no windows in these runs).' },
    { id: 'counts', title: 'Receptions and observations', plot: 'counts', svg: svgs.counts, missing: 'No jobs.' },
    { id: 'table', title: 'Summary table', html: metricsTable({ columns: input.columns, rows }) },
  ];
  return { html: page({ title: `Sweep ${input.name}`, subtitle: `${input.rows.length} jobs`, sections }), svgs };
}
