// Opens rendered reports in a real browser (Debian's chromium through playwright-core): the page must load
// offline with no console errors or failed requests, every plot must show marks drawn from data, and the
// axes must span the data (time axes the whole run, rates, F1 and distances from zero). A full-page PNG of
// each page goes to REPORT_SCREENSHOTS_DIR (default: a temporary folder, printed), to look at by eye.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderEvalReport, renderRunReport, writeReport } from '../../report/index.ts';
import { syntheticRunInput } from '../../report/sample.ts';
import { cli } from '../helpers/cli.ts';

// Debian's package (`apt-get install chromium`); CHROMIUM_PATH overrides. No browser is downloaded.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';
// Outside CI a missing browser skips (with this message); in CI it must fail, so the check is not lost.
const skip = !haveChromium && !inCi;
const SKIP_MESSAGE = `SKIPPED: no chromium at ${CHROMIUM} (install it: apt-get install chromium, or set CHROMIUM_PATH)`;

let browser: Browser | undefined;
const tmp = mkdtempSync(join(tmpdir(), 'bz-browser-'));
// Screenshots are kept (CI uploads the folder as an artifact); without the variable, in a temporary folder.
const shotDir = process.env.REPORT_SCREENSHOTS_DIR ?? process.env.BZ_SCREENSHOT_DIR ?? join(tmpdir(), 'bz-report-screens');

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
  if (!skip) console.info(`report screenshots: ${shotDir}`);
});

interface PageCheck {
  consoleErrors: string[];
  failedRequests: string[];
  /** Requests that left file:// (the report must work offline). */
  externalRequests: string[];
  /** Per plot (data-plot name): drawn data elements in its SVG. */
  plots: Record<string, number>;
  /** Every axis as vega describes it: "X-axis titled 'time (UTC)' for a utc scale with values from 07:30 to 08:30". */
  axes: Array<{ plot: string; label: string }>;
  /** Text of the page (summary, captions). */
  text: string;
}

async function openReport(htmlPath: string, screenshot?: string): Promise<PageCheck> {
  const page = await browser!.newPage({ viewport: { width: 1200, height: 900 } });
  const check: PageCheck = { consoleErrors: [], failedRequests: [], externalRequests: [], plots: {}, axes: [], text: '' };
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
  check.axes = await page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('[data-plot]')].flatMap((div) =>
      [...div.querySelectorAll('g[aria-roledescription="axis"]')].map((g) => ({ plot: div.dataset.plot!, label: g.getAttribute('aria-label') ?? '' })),
    ),
  );
  check.text = await page.evaluate(() => document.body.innerText);
  if (screenshot) {
    mkdirSync(shotDir, { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
  }
  await page.close();
  return check;
}

describe.skipIf(skip)('report in a browser', () => {
  it('run report: loads offline without errors, every plot has marks', async () => {
    const input = syntheticRunInput(7);
    const dir = join(tmp, 'run');
    writeReport(dir, await renderRunReport(input));
    const check = await openReport(join(dir, 'report.html'), join(shotDir, 'synthetic-run.png'));
    expect(check.consoleErrors).toEqual([]);
    expect(check.failedRequests).toEqual([]);
    expect(check.externalRequests).toEqual([]);
    expect(Object.keys(check.plots).sort()).toEqual(['contacts', 'floorplan', 'pairs', 'roc', 'rssi-distance']);
    for (const [name, n] of Object.entries(check.plots)) expect(n, `plot ${name} has no visible marks`).toBeGreaterThan(0);
    // Every contact interval is a visible bar.
    const intervals = input.contacts.reduce((s, c) => s + c.truth.length + c.detected.length, 0);
    expect(check.plots.contacts).toBe(intervals);
  });

  it('eval page loads without errors and shows its plot', async () => {
    const ev = await renderEvalReport({
      title: 'Eval',
      metrics: { columns: ['method', 'auc'], rows: [{ method: 'ours', auc: 0.9 }] },
      roc: syntheticRunInput().roc,
    });
    writeReport(join(tmp, 'eval'), ev);
    const check = await openReport(join(tmp, 'eval', 'report.html'));
    expect(check.consoleErrors).toEqual([]);
    expect(check.failedRequests).toEqual([]);
    expect(check.externalRequests).toEqual([]);
    expect(check.plots.roc).toBeGreaterThan(0);
  });
});

/** "HH:MM" or "HH:MM:SS" (UTC) of Unix ms, as the page's time axes print it. */
const clock = (ms: number, seconds: boolean) => new Date(ms).toISOString().slice(11, seconds ? 19 : 16);
// Axes that must start at zero: rates, F1 and distances (vega's aria-label states the scale's domain).
const FROM_ZERO = ['false positive rate', 'true positive rate', 'F1', 'true distance (m)'];

function checkPage(check: PageCheck): void {
  expect(check.consoleErrors).toEqual([]);
  expect(check.failedRequests).toEqual([]);
  expect(check.externalRequests).toEqual([]);
  for (const [name, n] of Object.entries(check.plots)) expect(n, `plot ${name} has no visible marks`).toBeGreaterThan(0);
  for (const a of check.axes) {
    if (a.label.includes('discrete scale')) continue; // names (person), no domain to check
    const m = /titled '([^']*)' for a \w+ scale with values from (\S+) to (\S+)/.exec(a.label);
    expect(m, `axis of ${a.plot}: ${a.label}`).not.toBeNull();
    if (FROM_ZERO.includes(m![1])) expect(m![2], `${a.plot}: ${a.label}`).toMatch(/^0(\.0+)?$/);
  }
}

describe.skipIf(skip)('sim run and eval pages of real runs in a browser', () => {
  // Short runs of each built-in scenario (city-block scaled down as in docs/simulator.md).
  const runs: Array<[string, string[]]> = [
    ['lobby', ['--duration', '20m']],
    ['office', ['--duration', '15m']],
    ['queue', ['--duration', '10m']],
    ['city-block', ['--devices', '2000', '--duration', '5s']],
  ];
  for (const [scenario, args] of runs) {
    it(`sim run ${scenario} ${args.join(' ')}: offline, no errors, marks in every plot, axes span the run`, async () => {
      const dir = join(tmp, `sim-${scenario}`);
      const r = await cli('sim', 'run', scenario, '--out', dir, ...args);
      expect(r.code, r.stderr).toBe(0);
      const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
      const check = await openReport(join(dir, 'report.html'), join(shotDir, `sim-${scenario}.png`));
      checkPage(check);
      // the plots a run always has; contacts and ROC only when the run has them (else the page says why)
      for (const name of ['floorplan', 'pairs', 'rssi-distance']) expect(check.plots[name], `plot ${name}`).toBeGreaterThan(0);
      // every time axis spans the whole run, in clock time (UTC)
      const start = Date.parse(summary.start);
      const seconds = summary.duration_ms <= 10 * 60_000;
      const span = `from ${clock(start, seconds)} to ${clock(start + summary.duration_ms, seconds)}`;
      const timeAxes = check.axes.filter((a) => a.label.includes("titled 'time (UTC)'"));
      expect(timeAxes.length).toBeGreaterThan(0);
      for (const a of timeAxes) expect(a.label, a.plot).toContain(span);
      // people: present of scheduled, present never more than scheduled
      const people = /people\s+([\d,]+) present of ([\d,]+) scheduled/.exec(check.text);
      expect(people, 'people line').not.toBeNull();
      const [present, scheduled] = [people![1], people![2]].map((v) => Number(v.replaceAll(',', '')));
      expect(scheduled).toBe(summary.devices.people);
      expect(present).toBeGreaterThan(0);
      expect(present).toBeLessThanOrEqual(scheduled);
      // selected pairs are phone pairs, each with its reason (every built-in has phone pairs in range)
      const titles = [...check.text.matchAll(/^(\S+) hears (\S+)$/gm)];
      expect(titles.length).toBeGreaterThan(0);
      for (const t of titles) expect(t[0]).not.toMatch(/beacon/);
      expect(check.text).not.toContain('No pair received any advertisement');
      // the scatter states shown of logged observations, and logged is the run's count
      const sc = /([\d,]+) of ([\d,]+) logged observations|all ([\d,]+) logged observations/.exec(check.text);
      expect(sc, 'scatter subtitle').not.toBeNull();
      expect(Number((sc![2] ?? sc![3]).replaceAll(',', ''))).toBe(summary.stats.observations);
      if (check.plots.roc) expect(check.text).toMatch(/ours \(AUC [\d.]+\)[\s\S]*gaen \(AUC [\d.]+\)[\s\S]*bluezone \(AUC [\d.]+\)/);
    });
  }

  it('eval --report of a real run: ROC and F1/threshold for ours and both baselines', async () => {
    const sim = join(tmp, 'sim-eval');
    expect((await cli('sim', 'run', 'lobby', '--duration', '30m', '--out', sim)).code).toBe(0);
    const dir = join(tmp, 'eval-report');
    const r = await cli('eval', '--truth', join(sim, 'truth.csv'), '--input', join(sim, 'observations.csv'), '--report', dir);
    expect(r.code, r.stderr).toBe(0);
    const check = await openReport(join(dir, 'report.html'), join(shotDir, 'eval.png'));
    checkPage(check);
    expect(Object.keys(check.plots).sort()).toEqual(['f1-threshold', 'roc']);
    expect(check.text).toMatch(/ours \(AUC [\d.]+\)[\s\S]*gaen \(AUC [\d.]+\)[\s\S]*bluezone \(AUC [\d.]+\)/);
    // one F1 panel per method, F1 from 0 to 1
    expect(check.axes.filter((a) => a.plot === 'f1-threshold' && a.label.includes("titled 'F1' for a linear scale with values from 0.0 to 1.0"))).toHaveLength(3);
  });
});

if (skip) it.skip(SKIP_MESSAGE, () => {});
