// Renders the run, eval and presence reports: each plot as SVG (vega, headless) inlined in one
// self-contained HTML page; writeReport adds plots/*.svg and plots/*.png beside report.html.
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { OutputSet, type OutputWriter } from '../records/output.ts';
import { esc, figuresTable, fmtValue, metricsTable, page, type Section } from './html.ts';
import { contactTimelineSpec, f1ThresholdSpec, floorPlanSpec, pairSeriesSpec, rocSpec, scatterSpec } from './specs.ts';
import { pngUnavailable, prefixSvgIds, specToSvg, svgToPng } from './svg.ts';
import type { EvalReportInput, ExtraSection, F1Curve, RenderedReport, RunReportInput } from './types.ts';

export type { RenderedReport } from './types.ts';

export interface PlotJob {
  name: string;
  spec: TopLevelSpec | null;
}

export async function renderPlots(jobs: PlotJob[]): Promise<Record<string, string>> {
  const svgs: Record<string, string> = {};
  // One at a time: vega's id counters are module-global, and the order fixes the output bytes.
  for (const j of jobs) if (j.spec) svgs[j.name] = prefixSvgIds(await specToSvg(j.spec), j.name);
  return svgs;
}

function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return 'unknown';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h} h ${m} min ${sec} s` : m > 0 ? `${m} min ${sec} s` : `${sec} s`;
}

const fin = (...v: number[]) => v.every(Number.isFinite);
const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/** Drops points with NaN/Infinity (vega would print them into the SVG) and clamps ROC to the unit square. */
function finiteRunInput(i: RunReportInput): RunReportInput {
  return {
    ...i,
    floorPlan: {
      ...i.floorPlan,
      widthM: fin(i.floorPlan.widthM ?? 0) ? i.floorPlan.widthM : undefined,
      heightM: fin(i.floorPlan.heightM ?? 0) ? i.floorPlan.heightM : undefined,
      rooms: i.floorPlan.rooms.filter((r) => ('polygon' in r ? r.polygon.length > 0 && r.polygon.every(([x, y]) => fin(x, y)) : fin(r.x, r.y, r.width, r.height))),
      beacons: i.floorPlan.beacons.filter((b) => fin(b.x, b.y)),
    },
    tracks: i.tracks.map((t) => ({ ...t, points: t.points.filter((p) => fin(p.tMs, p.x, p.y)) })),
    pairs: i.pairs.map((p) => ({ ...p, points: p.points.filter((q) => fin(q.tMs, q.rssiDbm, q.distanceM)) })),
    scatter: i.scatter.filter((s) => fin(s.distanceM, s.rssiDbm)),
    contacts: i.contacts.map((c) => ({
      ...c,
      truth: c.truth.filter((iv) => fin(iv.startMs, iv.endMs) && iv.endMs >= iv.startMs),
      detected: c.detected.filter((iv) => fin(iv.startMs, iv.endMs) && iv.endMs >= iv.startMs),
    })),
    roc: i.roc.map((c) => ({ ...c, points: c.points.filter((p) => fin(p.fpr, p.tpr)).map((p) => ({ fpr: clamp01(p.fpr), tpr: clamp01(p.tpr) })) })),
    f1: finiteF1(i.f1),
  };
}

function finiteF1(curves: F1Curve[] | undefined): F1Curve[] {
  return (curves ?? []).map((c) => ({ ...c, points: c.points.filter((p) => fin(p.threshold, p.f1)).map((p) => ({ threshold: p.threshold, f1: clamp01(p.f1) })) })).filter((c) => c.points.length > 0);
}

/** Plot jobs of the producers' extra sections (named by their id). */
function extraJobs(extra: ExtraSection[] | undefined): PlotJob[] {
  return (extra ?? []).filter((x) => x.spec).map((x) => ({ name: x.id, spec: x.spec! }));
}

/** The page's sections with the extra ones inserted before the section they name (default: at the end). */
function withExtra(sections: Section[], extra: ExtraSection[] | undefined, svgs: Record<string, string>): Section[] {
  const out = [...sections];
  for (const x of extra ?? []) {
    const s: Section = { id: x.id, title: x.title, html: x.html, caption: x.caption, missing: x.missing, ...(x.spec ? { plot: x.id, svg: svgs[x.id] } : {}) };
    const at = x.before ? out.findIndex((o) => o.id === x.before) : -1;
    if (at >= 0) out.splice(at, 0, s);
    else out.push(s);
  }
  return out;
}

const F1_CAPTION = 'Each method scores a window in its own unit (ours: RSSI level, dBm; GAEN: minutes weighted by attenuation bucket; Bluezone: strongest RSSI, dBm), so each has its own threshold axis.';

/** The report of one `sim run`: summary, figures, floor plan, pairs, scatter, timeline, ROC, metrics. */
export async function renderRunReport(raw: RunReportInput): Promise<RenderedReport> {
  const input = finiteRunInput(raw);
  const hasTracks = input.tracks.some((t) => t.points.length > 0) || input.floorPlan.rooms.length > 0;
  const hasPairs = input.pairs.some((p) => p.points.length > 0);
  const hasContacts = input.contacts.some((c) => c.truth.length + c.detected.length > 0);
  const hasRoc = input.roc.some((c) => c.points.length > 0);
  const startMs = Number.isFinite(input.startMs) ? (input.startMs ?? 0) : 0;
  const durationMs = Number.isFinite(input.scenario.durationMs) && input.scenario.durationMs > 0 ? input.scenario.durationMs : undefined;
  const time = { startMs, durationMs: durationMs ?? 0 };
  const svgs = await renderPlots([
    { name: 'floorplan', spec: hasTracks ? floorPlanSpec(input.floorPlan, input.tracks) : null },
    { name: 'pairs', spec: hasPairs ? pairSeriesSpec(input.pairs.filter((p) => p.points.length > 0), time) : null },
    { name: 'rssi-distance', spec: input.scatter.length ? scatterSpec(input.scatter, Math.max(input.scatterTotal ?? 0, input.scatter.length), input.scatterStride ?? 1) : null },
    { name: 'contacts', spec: hasContacts ? contactTimelineSpec(input.contacts, durationMs, startMs) : null },
    { name: 'roc', spec: hasRoc ? rocSpec(input.roc.filter((c) => c.points.length > 0)) : null },
    { name: 'f1-threshold', spec: input.f1?.length ? f1ThresholdSpec(input.f1) : null },
    ...extraJobs(input.sections),
  ]);
  const s = input.scenario;
  const devices = Object.entries(s.devices)
    .filter(([k]) => !(s.people && k === 'people'))
    .map(([k, v]) => `${fmtValue(v)} ${k}`)
    .join(', ');
  const people = s.people ? `<dt>people</dt><dd>${esc(fmtValue(s.people.present))} present of ${esc(fmtValue(s.people.scheduled))} scheduled <span class="caption">(present: arrived during the simulated time)</span></dd>\n` : '';
  const summary = `<dl class="summary">
<dt>scenario</dt><dd>${esc(s.name)}</dd>
<dt>seed</dt><dd>${esc(s.seed)}</dd>
<dt>simulated time</dt><dd>${esc(fmtDuration(s.durationMs))}</dd>
<dt>devices</dt><dd>${esc(devices || 'none')}</dd>
${people}<dt>environment</dt><dd>${esc(s.environment)}</dd>
</dl>`;
  const sections: Section[] = [
    { id: 'summary', title: 'Summary', html: summary },
    { id: 'figures', title: 'Figures', html: s.figures.length ? figuresTable(s.figures) : '<p class="missing">No figures.</p>' },
    {
      id: 'floorplan',
      title: 'Floor plan',
      plot: 'floorplan',
      svg: svgs.floorplan,
      missing: 'No floor plan or tracks in this run.',
      caption: 'Positions in metres. Each line is one device moving during the run.',
    },
    {
      id: 'pairs',
      title: 'Selected pairs',
      plot: 'pairs',
      svg: svgs.pairs,
      html: input.pairsNote ? `<p class="caption">${esc(input.pairsNote)}</p>` : undefined,
      missing: 'No pair received any advertisement.',
      caption: 'RSSI of received advertisements and the true distance between the two devices, over the whole run (UTC).',
    },
    {
      id: 'rssi-distance',
      title: 'RSSI vs distance',
      plot: 'rssi-distance',
      svg: svgs['rssi-distance'],
      missing: 'No receptions.',
      caption: 'Spread at a given distance comes from fading, body shadowing and device calibration.',
    },
    {
      id: 'contacts',
      title: 'Contact timeline',
      plot: 'contacts',
      svg: svgs.contacts,
      missing: 'No true or detected contact in this run.',
      caption: input.contactsNote,
    },
    {
      id: 'roc',
      title: 'ROC',
      plot: 'roc',
      svg: svgs.roc,
      missing: 'No ROC curves (no classified windows with both classes in the ground truth).',
    },
    {
      id: 'f1-threshold',
      title: 'F1 against threshold',
      plot: 'f1-threshold',
      svg: svgs['f1-threshold'],
      missing: 'No F1 curves (no classified windows with a true contact).',
      caption: F1_CAPTION,
    },
    { id: 'metrics', title: 'Metrics', html: metricsTable(input.metrics) },
  ];
  const html = page({
    title: input.title,
    subtitle: `${s.name}, seed ${s.seed}, ${fmtDuration(s.durationMs)} simulated`,
    sections: withExtra(sections, input.sections, svgs),
  });
  return { html, svgs };
}

/** The report of `bluezone eval`: metrics per dataset and method, and ROC curves. */
export async function renderEvalReport(raw: EvalReportInput): Promise<RenderedReport> {
  const input = { ...raw, roc: raw.roc.map((c) => ({ ...c, points: c.points.filter((p) => fin(p.fpr, p.tpr)).map((p) => ({ fpr: clamp01(p.fpr), tpr: clamp01(p.tpr) })) })), f1: finiteF1(raw.f1) };
  const hasRoc = input.roc.some((c) => c.points.length > 0);
  const svgs = await renderPlots([
    { name: 'roc', spec: hasRoc ? rocSpec(input.roc.filter((c) => c.points.length > 0)) : null },
    { name: 'f1-threshold', spec: input.f1.length ? f1ThresholdSpec(input.f1) : null },
    ...extraJobs(input.sections),
  ]);
  const notes = (input.notes ?? []).map((n) => `<li>${esc(n)}</li>`).join('');
  const sections: Section[] = [
    ...(notes ? [{ id: 'inputs', title: 'Inputs', html: `<ul>${notes}</ul>` }] : []),
    { id: 'metrics', title: 'Metrics', html: metricsTable(input.metrics) },
    { id: 'roc', title: 'ROC', plot: 'roc', svg: svgs.roc, missing: 'No ROC curves (the truth has one class only, or no windows were scored).' },
    ...(raw.f1 ? [{ id: 'f1-threshold', title: 'F1 against threshold', plot: 'f1-threshold', svg: svgs['f1-threshold'], missing: 'No F1 curves (no windows with a true contact).', caption: F1_CAPTION }] : []),
  ];
  return { html: page({ title: input.title, sections: withExtra(sections, input.sections, svgs) }), svgs };
}

/** Where writeReport puts its files: the caller's output set (committed by the caller) and, when the
 * caller staged it before the work started, the writer for the page itself (sim run). */
export interface ReportTarget {
  set: OutputSet;
  html?: OutputWriter;
}

/**
 * Writes dir/report.html and dir/plots/<name>.svg + .png; returns the paths written. With `to`, the files
 * join the caller's output set (published by its commit); without, they are published together here.
 */
export function writeReport(dir: string, rendered: RenderedReport, htmlName = 'report.html', to?: ReportTarget): string[] {
  const set = to?.set ?? new OutputSet();
  try {
    // the page first: a bad folder fails before any PNG is drawn
    const htmlPath = join(dir, htmlName);
    const html = to?.html ?? set.add(htmlPath, { mkdir: true });
    const plots = join(dir, 'plots');
    const written: string[] = [];
    for (const [name, svg] of Object.entries(rendered.svgs)) {
      const svgPath = join(plots, `${name}.svg`);
      set.writeFile(svgPath, svg, { mkdir: true });
      written.push(svgPath);
      if (pngUnavailable()) continue; // SVG only where resvg has no binary (svg.ts)
      const pngPath = join(plots, `${name}.png`);
      set.writeFile(pngPath, svgToPng(svg));
      written.push(pngPath);
    }
    html.write(rendered.html);
    written.push(htmlPath);
    if (!to) set.commit();
    return written;
  } catch (e) {
    if (!to) set.abort();
    throw e;
  }
}
