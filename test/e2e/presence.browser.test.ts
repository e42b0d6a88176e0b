// The presence pages (`scan report --period day|week`) in a real browser (Debian's chromium through
// playwright-core): they load offline with no console errors and no requests, every chart has visible
// marks, count axes start at 0 with whole-number ticks, and the time axis spans the whole period. A
// full-page screenshot of each is kept in REPORT_SCREENSHOTS_DIR (default: a temp folder) to look at.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.ts';
import { TZ, writeDoorLogbook } from './presenceFixture.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';
const skip = !haveChromium && !inCi;
const SKIP_MESSAGE = `SKIPPED: no chromium at ${CHROMIUM} (install it: apt-get install chromium, or set CHROMIUM_PATH)`;
if (skip) console.warn(SKIP_MESSAGE);

const tmp = mkdtempSync(join(tmpdir(), 'bz-presence-browser-'));
const shots = process.env.REPORT_SCREENSHOTS_DIR ?? join(tmp, 'screenshots');
let browser: Browser | undefined;
let dbPath = '';

beforeAll(async () => {
  if (skip) return;
  if (!haveChromium) throw new Error(`CI=true but no chromium at ${CHROMIUM}; .ci/run installs it from Debian`);
  mkdirSync(shots, { recursive: true });
  dbPath = writeDoorLogbook(tmp, '2026-11-16', 10).dbPath; // Mon 16 to Wed 25 November, local days
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  rmSync(tmp, { recursive: true, force: true });
});

interface Axis {
  label: string;
  ticks: string[];
}
interface PageCheck {
  problems: string[];
  plots: Record<string, { marks: number; axes: Axis[] }>;
}

async function open(html: string, screenshot: string): Promise<PageCheck> {
  const page = await browser!.newPage({ viewport: { width: 1200, height: 900 } });
  const problems: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e}`));
  page.on('requestfailed', (r) => problems.push(`failed: ${r.url()}`));
  page.on('request', (r) => !r.url().startsWith('file:') && !r.url().startsWith('data:') && problems.push(`external: ${r.url()}`));
  await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
  const plots = await page.evaluate(() => {
    const out: Record<string, { marks: number; axes: { label: string; ticks: string[] }[] }> = {};
    for (const div of document.querySelectorAll<HTMLElement>('[data-plot]')) {
      const svg = div.querySelector('svg')!;
      const marks = [...svg.querySelectorAll('g[class*="role-mark"] path, g[class*="role-mark"] rect, g[class*="role-mark"] line')].filter((m) => {
        const b = (m as SVGGraphicsElement).getBBox();
        return b.width > 0 && b.height > 0;
      }).length;
      // vega describes each axis: "Y-axis titled '...' for a linear scale with values from 0 to 3"
      const axes = [...svg.querySelectorAll('g[aria-roledescription="axis"]')].map((g) => ({
        label: g.getAttribute('aria-label') ?? '',
        ticks: [...g.querySelectorAll('g[class*="role-axis-label"] text')].map((t) => [...t.querySelectorAll('tspan')].map((s) => s.textContent).join(' ') || t.textContent || ''),
      }));
      out[div.dataset.plot!] = { marks, axes };
    }
    return out;
  });
  await page.screenshot({ path: screenshot, fullPage: true });
  await page.close();
  return { problems, plots };
}

const yAxis = (p: PageCheck['plots'][string]) => p.axes.find((a) => a.label.startsWith('Y-axis'))!;
const xAxis = (p: PageCheck['plots'][string]) => p.axes.find((a) => a.label.startsWith('X-axis'))!;

function countAxisReadsRight(p: PageCheck['plots'][string]) {
  const y = yAxis(p);
  expect(y.label).toMatch(/linear scale with values from 0 to \d+$/);
  const ticks = y.ticks.map(Number);
  expect(ticks[0]).toBe(0);
  expect(ticks.every(Number.isInteger), `y ticks ${y.ticks}`).toBe(true);
}

describe.skipIf(skip)('presence pages in a browser', () => {
  it('day page (a day still running, Asia/Ho_Chi_Minh): bars from 0, integer ticks, 00:00-24:00 local with UTC', async () => {
    process.env.BLUEZONE_TEST_CLOCK = 'start=2026-11-25T07:20:00Z,speed=1'; // 14:20 local
    const out = join(tmp, 'day');
    const r = await cli('scan', 'report', '--db', dbPath, '--date', '2026-11-25', '--tz', TZ, '--site', 'HQ lobby', '--head-count', '120', '--out', out);
    delete process.env.BLUEZONE_TEST_CLOCK;
    expect(r.code, r.stderr).toBe(0);
    const c = await open(join(out, 'presence.html'), join(shots, 'presence-day.png'));
    expect(c.problems).toEqual([]);
    expect(Object.keys(c.plots)).toEqual(['presence']);
    const p = c.plots.presence;
    expect(p.marks).toBeGreaterThan(5);
    countAxisReadsRight(p);
    const x = xAxis(p);
    expect(x.label).toMatch(/values from 0 to 24$/); // the whole local day, also the part not yet begun
    expect(x.ticks[0]).toBe('00:00 17:00 UTC');
    expect(x.ticks.at(-1)).toBe('24:00 17:00 UTC');
  });

  it('day page of a quiet Sunday (our beacon and a few visitors): still a chart from 0', async () => {
    process.env.BLUEZONE_TEST_CLOCK = 'start=2026-12-01T00:00:00Z,speed=1';
    const out = join(tmp, 'sunday');
    const r = await cli('scan', 'report', '--db', dbPath, '--date', '2026-11-22', '--tz', TZ, '--out', out);
    delete process.env.BLUEZONE_TEST_CLOCK;
    expect(r.code, r.stderr).toBe(0);
    const c = await open(join(out, 'presence.html'), join(shots, 'presence-day-sunday.png'));
    expect(c.problems).toEqual([]);
    countAxisReadsRight(c.plots.presence);
    expect(c.plots.presence.marks).toBeGreaterThan(0);
  });

  it('week page (a week still running): bars from 0, integer ticks, all seven days on the axis', async () => {
    process.env.BLUEZONE_TEST_CLOCK = 'start=2026-11-25T07:20:00Z,speed=1';
    const out = join(tmp, 'week');
    const r = await cli('scan', 'report', '--db', dbPath, '--period', 'week', '--tz', TZ, '--site', 'HQ lobby', '--out', out);
    delete process.env.BLUEZONE_TEST_CLOCK;
    expect(r.code, r.stderr).toBe(0);
    const c = await open(join(out, 'presence-week.html'), join(shots, 'presence-week.png'));
    expect(c.problems).toEqual([]);
    const p = c.plots['presence-week'];
    expect(p.marks).toBeGreaterThanOrEqual(3 * 2); // Mon-Wed: Android and iOS bars (+ whiskers)
    countAxisReadsRight(p);
    expect(xAxis(p).ticks).toEqual(['Mon 23/11', 'Tue 24/11', 'Wed 25/11', 'Thu 26/11', 'Fri 27/11', 'Sat 28/11', 'Sun 29/11']);
  });

  it('week page of a whole past week', async () => {
    process.env.BLUEZONE_TEST_CLOCK = 'start=2026-11-25T07:20:00Z,speed=1';
    const out = join(tmp, 'week47');
    const r = await cli('scan', 'report', '--db', dbPath, '--period', 'week', '--date', '2026-11-18', '--tz', TZ, '--out', out);
    delete process.env.BLUEZONE_TEST_CLOCK;
    expect(r.code, r.stderr).toBe(0);
    const c = await open(join(out, 'presence-week.html'), join(shots, 'presence-week-past.png'));
    expect(c.problems).toEqual([]);
    expect(c.plots['presence-week'].marks).toBeGreaterThanOrEqual(7);
    countAxisReadsRight(c.plots['presence-week']);
  });
});

if (skip) it.skip(SKIP_MESSAGE, () => {});
