// Vega-Lite -> Vega -> SVG on the server (headless View, no canvas), and SVG -> PNG with resvg.
import { createRequire } from 'node:module';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Compiles a Vega-Lite spec and renders it to a standalone SVG string. */
export async function specToSvg(spec: TopLevelSpec): Promise<string> {
  const { spec: vgSpec } = compile(spec);
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Gives every id in one SVG a per-plot prefix, so several SVGs inlined in one HTML page never share a
 * clip-path or gradient id (vega numbers them per render: clip1, gradient_0, ...).
 */
export function prefixSvgIds(svg: string, prefix: string): string {
  const ids = new Map<string, string>();
  let n = 0;
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) if (!ids.has(m[1])) ids.set(m[1], `${prefix}-${n++}`);
  if (ids.size === 0) return svg;
  return svg
    .replace(/(\sid=")([^"]+)(")/g, (all, a, id, b) => (ids.has(id) ? a + ids.get(id) + b : all))
    .replace(/url\(#([^)]+)\)/g, (all, id) => (ids.has(id) ? `url(#${ids.get(id)})` : all))
    .replace(/(href=")#([^"]+)(")/g, (all, a, id, b) => (ids.has(id) ? `${a}#${ids.get(id)}${b}` : all));
}

type ResvgModule = typeof import('@resvg/resvg-js');
let resvg: ResvgModule | undefined;
let pngMissing: string | undefined;

/**
 * Why PNG output is unavailable here, or undefined when it works. resvg is a native module with prebuilt
 * binaries for common platforms only (none for armv6, e.g. the Pi Zero W): where it does not load, reports
 * keep their SVG plots and skip the PNG copies, with a one-line note on stderr (once per process).
 * BLUEZONE_NO_PNG=1 forces this (and tests it).
 */
export function pngUnavailable(): string | undefined {
  if (resvg || pngMissing) return pngMissing;
  if (process.env.BLUEZONE_NO_PNG === '1') pngMissing = 'BLUEZONE_NO_PNG=1';
  else {
    try {
      resvg = createRequire(import.meta.url)('@resvg/resvg-js') as ResvgModule;
    } catch (e) {
      pngMissing = `@resvg/resvg-js does not load on ${process.platform}-${process.arch}: ${((e as Error).message ?? String(e)).split('\n')[0]}`;
    }
  }
  if (pngMissing) process.stderr.write(`note: PNG plots unavailable (${pngMissing}); writing SVG only\n`);
  return pngMissing;
}

/** Rasterises an SVG at 2x with the system fonts (text needs at least one font, e.g. DejaVu Sans). */
export function svgToPng(svg: string, zoom = 2): Buffer {
  const why = pngUnavailable();
  if (why) throw new Error(`PNG output unavailable: ${why}`);
  const r = new resvg!.Resvg(svg, {
    fitTo: { mode: 'zoom', value: zoom },
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  });
  return r.render().asPng();
}

/**
 * Data marks in a vega SVG by mark group class (e.g. "mark-line role-mark layer_2_marks"): for each, the
 * number of groups and of drawn elements (path/line/rect). Axes, legends and titles are not data marks.
 */
export function dataMarks(svg: string): Map<string, { groups: number; elements: number }> {
  const out = new Map<string, { groups: number; elements: number }>();
  for (const m of svg.matchAll(/<g class="(mark-(?:symbol|line|rect|area|rule|trail|text|shape|arc)[^"]*role-mark[^"]*)"[^>]*>([\s\S]*?)<\/g>/g)) {
    const e = out.get(m[1]) ?? { groups: 0, elements: 0 };
    e.groups += 1;
    e.elements += (m[2].match(/<path\b|<line\b|<rect\b|<text\b/g) ?? []).length;
    out.set(m[1], e);
  }
  return out;
}

/** Total drawn data elements in a vega SVG: a plot without data has none. */
export function countMarks(svg: string): number {
  let n = 0;
  for (const v of dataMarks(svg).values()) n += v.elements;
  return n;
}
