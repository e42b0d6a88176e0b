import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countMarks,
  dataMarks,
  renderEvalReport,
  renderRunReport,
  writeReport,
  type RenderedReport,
} from '../../report/index.ts';
import { syntheticRunInput } from '../../report/sample.ts';

const input = syntheticRunInput();
let report: RenderedReport;
const tmp = mkdtempSync(join(tmpdir(), 'bz-report-'));

beforeAll(async () => {
  report = await renderRunReport(input);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function marks(svg: string, cls: RegExp) {
  const found = [...dataMarks(svg)].filter(([k]) => cls.test(k)).map(([, v]) => v);
  return { groups: found.reduce((s, v) => s + v.groups, 0), elements: found.reduce((s, v) => s + v.elements, 0) };
}

describe('renderRunReport', () => {
  it('renders every plot with marks from the data', () => {
    expect(Object.keys(report.svgs)).toEqual(['floorplan', 'pairs', 'rssi-distance', 'contacts', 'roc']);
    for (const [name, svg] of Object.entries(report.svgs)) {
      expect(svg.startsWith('<svg'), name).toBe(true);
      expect(countMarks(svg), name).toBeGreaterThan(0);
    }
  });
  it('draws one track per device, the rooms and the beacon', () => {
    const svg = report.svgs.floorplan;
    expect(marks(svg, /mark-line role-mark layer_2/).groups).toBe(input.tracks.length);
    expect(marks(svg, /mark-line role-mark layer_0/).groups).toBe(input.floorPlan.rooms.length);
    expect(svg).toContain('door beacon');
    expect(svg).toContain('x (m)');
    expect(svg).toContain('y (m)');
  });
  it('draws one RSSI dot per reception of each selected pair', () => {
    const svg = report.svgs.pairs;
    expect(marks(svg, /concat_0_layer_0/).elements).toBe(input.pairs[0].points.length);
    expect(svg).toContain('RSSI (dBm)');
    expect(svg).toContain('true distance (m)');
  });
  it('draws one bar per contact interval and one ROC line per method', () => {
    const intervals = input.contacts.reduce((s, c) => s + c.truth.length + c.detected.length, 0);
    expect(marks(report.svgs.contacts, /mark-rect/).elements).toBe(intervals);
    expect(marks(report.svgs.roc, /mark-line role-mark layer_1/).groups).toBe(input.roc.length);
    expect(report.svgs.roc).toContain('ours (AUC 0.782)');
  });
  it('is one self-contained page: inline SVG and CSS, no scripts or external resources', () => {
    const html = report.html;
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).not.toMatch(/<script|<link[^>]+href="(?!data:)|<img|@import|url\(http/i);
    expect(html).not.toMatch(/\ssrc=/);
    expect((html.match(/<svg /g) ?? []).length).toBe(5);
    for (const f of input.scenario.figures) expect(html).toContain(f.label);
    expect(html).toContain('<td class="num">1,234,567.8</td><td>pairs/s</td>');
    expect(html).toContain('<td class="num">5,430</td>');
    expect(html).toContain('synthetic-lobby');
    expect(html).toContain('30 min 0 s');
  });
  it('escapes text from the input', async () => {
    const evil = syntheticRunInput();
    evil.title = '<script>alert(1)</script>';
    evil.scenario.name = 'a&b';
    const r = await renderRunReport({ ...evil, tracks: [], pairs: [], scatter: [], contacts: [], roc: [] });
    expect(r.html).not.toContain('<script>');
    expect(r.html).toContain('&lt;script&gt;');
    expect(r.html).toContain('a&amp;b');
  });
  it('says why a plot is missing instead of drawing an empty one', async () => {
    const r = await renderRunReport({ ...input, roc: [], contacts: [], pairs: [] });
    expect(Object.keys(r.svgs)).toEqual(['floorplan', 'rssi-distance']);
    expect(r.html).toContain('No ROC curves');
    expect(r.html).toContain('No true or detected contact');
  });
  it('gives byte-identical output for the same input', async () => {
    const again = await renderRunReport(syntheticRunInput());
    expect(again.html).toBe(report.html);
  });
});

describe('writeReport', () => {
  it('writes report.html and an SVG and a PNG per plot', () => {
    const paths = writeReport(tmp, report);
    expect(readdirSync(join(tmp, 'plots')).sort()).toEqual(
      ['contacts', 'floorplan', 'pairs', 'roc', 'rssi-distance'].flatMap((n) => [`${n}.png`, `${n}.svg`]),
    );
    expect(readFileSync(join(tmp, 'report.html'), 'utf8')).toBe(report.html);
    const png = readFileSync(join(tmp, 'plots', 'roc.png'));
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    // 2x zoom of the SVG's width (IHDR width at byte 16, big-endian).
    const svgWidth = Number(/width="(\d+)"/.exec(report.svgs.roc)![1]);
    expect(png.readUInt32BE(16)).toBe(svgWidth * 2);
    expect(paths).toContain(join(tmp, 'report.html'));
  });
});

describe('renderEvalReport', () => {
  it('eval: metrics table and ROC', async () => {
    const r = await renderEvalReport({
      title: 'Eval: herald',
      metrics: { columns: ['dataset', 'method', 'auc'], rows: [{ dataset: 'herald', method: 'ours', auc: 0.91 }] },
      roc: input.roc,
      notes: ['truth: truth.csv'],
    });
    expect(Object.keys(r.svgs)).toEqual(['roc']);
    expect(countMarks(r.svgs.roc)).toBeGreaterThan(0);
    expect(r.html).toContain('<td class="num">0.910</td>');
    expect(r.html).toContain('truth: truth.csv');
  });
});
