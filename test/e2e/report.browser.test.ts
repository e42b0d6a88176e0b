// Opens rendered reports in a real browser (Debian's chromium through playwright-core): the page must load
// offline with no console errors or failed requests, and every plot must show marks drawn from data.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSimulation } from '../../sim/run.ts';
import { renderEvalReport, renderPresenceReport, renderRunReport, writeReport } from '../../report/index.ts';
import { loadScenario } from '../../sim/scenario/load.ts';
import { syntheticRunInput } from '../../report/sample.ts';

// Debian's package (`apt-get install chromium`); CHROMIUM_PATH overrides. No browser is downloaded.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';
// Outside CI a missing browser skips (with this message); in CI it must fail, so the check is not lost.
const skip = !haveChromium && !inCi;
const SKIP_MESSAGE = `SKIPPED: no chromium at ${CHROMIUM} (install it: apt-get install chromium, or set CHROMIUM_PATH)`;

let browser: Browser | undefined;
const tmp = mkdtempSync(join(tmpdir(), 'bz-browser-'));
// BZ_SCREENSHOT_DIR=<dir> keeps a full-page screenshot of the run report there, to look at by eye.
const shotDir = process.env.BZ_SCREENSHOT_DIR;

// Said when the file loads: vitest runs no hooks in a file whose tests are all skipped.
if (skip) console.warn(SKIP_MESSAGE);

beforeAll(async () => {
  if (skip) return;
  if (!haveChromium) throw new Error(`CI=true but no chromium at ${CHROMIUM}; .ci/run installs it from Debian`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  rmSync(tmp, { recursive: true, force: true });
});

interface PageCheck {
  consoleErrors: string[];
  failedRequests: string[];
  /** Requests that left file:// (the report must work offline). */
  externalRequests: string[];
  /** Per plot (data-plot name): drawn data elements in its SVG. */
  plots: Record<string, number>;
}

async function openReport(htmlPath: string, screenshot?: string): Promise<PageCheck> {
  const page = await browser!.newPage({ viewport: { width: 1200, height: 900 } });
  const check: PageCheck = { consoleErrors: [], failedRequests: [], externalRequests: [], plots: {} };
  page.on('console', (m) => {
    if (m.type() === 'error') check.consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => check.consoleErrors.push(String(e)));
  page.on('requestfailed', (r) => check.failedRequests.push(`${r.url()}: ${r.failure()?.errorText}`));
  page.on('request', (r) => {
    if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) check.externalRequests.push(r.url());
  });
  await page.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load' });
  check.plots = await page.evaluate(() => {
    const out: Record<string, number> = {};
    for (const div of document.querySelectorAll<HTMLElement>('[data-plot]')) {
      const svg = div.querySelector('svg');
      // Vega tags data marks with role-mark; axes, legends and titles have other roles.
      const marks = svg ? svg.querySelectorAll('g[class*="role-mark"] path, g[class*="role-mark"] rect, g[class*="role-mark"] line') : [];
      // A mark counts only when the browser lays it out with a size (not display:none, not 0x0).
      out[div.dataset.plot!] = [...marks].filter((m) => {
        const b = (m as SVGGraphicsElement).getBBox();
        return b.width > 0 || b.height > 0;
      }).length;
    }
    return out;
  });
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  await page.close();
  return check;
}

describe.skipIf(skip)('report in a browser', () => {
  it('run report: loads offline without errors, every plot has marks', async () => {
    const input = syntheticRunInput(7);
    const dir = join(tmp, 'run');
    writeReport(dir, await renderRunReport(input));
    const check = await openReport(join(dir, 'report.html'), shotDir ? join(shotDir, 'run-report.png') : undefined);
    expect(check.consoleErrors).toEqual([]);
    expect(check.failedRequests).toEqual([]);
    expect(check.externalRequests).toEqual([]);
    expect(Object.keys(check.plots).sort()).toEqual(['contacts', 'floorplan', 'pairs', 'roc', 'rssi-distance']);
    for (const [name, n] of Object.entries(check.plots)) expect(n, `plot ${name} has no visible marks`).toBeGreaterThan(0);
    // Every contact interval is a visible bar.
    const intervals = input.contacts.reduce((s, c) => s + c.truth.length + c.detected.length, 0);
    expect(check.plots.contacts).toBe(intervals);
  });

  it('report of a real short simulator run (lobby, 5 simulated minutes): no errors, plots with marks', async () => {
    const dir = join(tmp, 'sim');
    await runSimulation(loadScenario('lobby'), { durationMs: 5 * 60_000, outDir: dir });
    const check = await openReport(join(dir, 'report.html'), shotDir ? join(shotDir, 'sim-report.png') : undefined);
    expect(check.consoleErrors).toEqual([]);
    expect(check.failedRequests).toEqual([]);
    expect(check.externalRequests).toEqual([]);
    // A short run may have no contact or no ROC (then the page says why); these always have data.
    for (const name of ['floorplan', 'pairs', 'rssi-distance']) expect(check.plots[name], `plot ${name}`).toBeGreaterThan(0);
    for (const [name, n] of Object.entries(check.plots)) expect(n, `plot ${name} has no visible marks`).toBeGreaterThan(0);
  });

  it('eval and presence pages load without errors and show their plot', async () => {
    const ev = await renderEvalReport({
      title: 'Eval',
      metrics: { columns: ['method', 'auc'], rows: [{ method: 'ours', auc: 0.9 }] },
      roc: syntheticRunInput().roc,
    });
    writeReport(join(tmp, 'eval'), ev);
    const pr = await renderPresenceReport({
      date: '2026-11-23',
      slots: [{ slot: 36, startMs: 0, distinctIds: 3 }],
      estimate: { visitors: 3, method: 'peak slot' },
    });
    writeReport(join(tmp, 'presence'), pr, 'presence.html');
    for (const [file, plot] of [
      [join(tmp, 'eval', 'report.html'), 'roc'],
      [join(tmp, 'presence', 'presence.html'), 'presence'],
    ]) {
      const check = await openReport(file);
      expect(check.consoleErrors).toEqual([]);
      expect(check.failedRequests).toEqual([]);
      expect(check.externalRequests).toEqual([]);
      expect(check.plots[plot]).toBeGreaterThan(0);
    }
  });
});

if (skip) it.skip(SKIP_MESSAGE, () => {});
