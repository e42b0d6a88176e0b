// Issue 16: where resvg has no native binary (armv6 Pi Zero W), reports fall back to SVG with a one-line
// note instead of failing. BLUEZONE_NO_PNG=1 takes the path a failed import takes (report/svg.ts).
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

process.env.BLUEZONE_NO_PNG = '1'; // before report/svg.ts first decides (once per process)
const { writeReport } = await import('../../report/render.ts');
const { pngUnavailable, svgToPng } = await import('../../report/svg.ts');

const dir = mkdtempSync(join(tmpdir(), 'bz-nopng-'));
afterAll(() => {
  delete process.env.BLUEZONE_NO_PNG;
  rmSync(dir, { recursive: true, force: true });
});

describe('PNG unavailable', () => {
  it('writes the page and the SVG plots, no PNG, and notes it once on stderr', () => {
    const notes: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(((s: string) => (notes.push(String(s)), true)) as typeof process.stderr.write);
    try {
      const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="5" height="5"/></svg>';
      const files = writeReport(dir, { html: '<p>ok</p>', svgs: { a: svg, b: svg } });
      expect(files.map((f) => f.slice(dir.length + 1)).sort()).toEqual(['plots/a.svg', 'plots/b.svg', 'report.html']);
      expect(readdirSync(join(dir, 'plots')).sort()).toEqual(['a.svg', 'b.svg']);
      expect(existsSync(join(dir, 'report.html'))).toBe(true);
      expect(pngUnavailable()).toBe('BLUEZONE_NO_PNG=1');
      expect(notes.filter((n) => n.startsWith('note: PNG plots unavailable'))).toHaveLength(1);
      expect(() => svgToPng(svg)).toThrow(/PNG output unavailable/);
    } finally {
      spy.mockRestore();
    }
  });
});
