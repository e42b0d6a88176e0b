// Issue 21's end-to-end check, on PGlite and on a real PostgreSQL server: two beacons (real logbook,
// scan service and reporter on the in-memory air) report through a collector restart, a connection
// killed after the collector answered (lost reply) and a day offline; the collector's numbers (API,
// CSV and, where chromium is installed, the dashboard in a real browser) equal the sum of the beacons'
// own presence reports exactly.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { presenceEstimate, presenceReport } from '../../firmware/beacon/logbook.ts';
import { DAY_MS, SLOT_MS } from '../../firmware/protocol/keys.ts';
import { FakeTime } from '../firmware/beacon/fakeTime.ts';
import { basic, CollectorUnderTest, LossyProxy, makeBeacon, tempDir } from './harness.ts';
import { findPgBin, startPg, type PgServer } from './pgServer.ts';

const DAY = Date.parse('2026-11-23T00:00:00Z');
const D0 = '2026-11-23';
const D1 = '2026-11-24';
const inCi = process.env.CI === 'true';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PW = 'province-viewer-pw';

let pg: PgServer | undefined;
afterAll(() => pg?.stop());

async function scenario(target: () => Promise<string>, browser: boolean) {
  const tmp = tempDir('bz-fleet-e2e-');
  const time = new FakeTime(DAY + 7 * 3600_000);
  const collector = new CollectorUnderTest(await target(), time.now);
  const proxy = new LossyProxy(() => collector.port);
  const cleanup: (() => Promise<void> | void)[] = [];
  try {
    await collector.start();
    const url = await proxy.start();
    cleanup.push(() => proxy.stop());
    const store = collector.store;
    await store.addSite('HQ lobby', 'District 1');
    await store.addSite('Ward office', 'District 2');
    const t1 = await store.enrol('pi-hq-1', 'HQ lobby', time.now());
    const t2 = await store.enrol('pi-ward-1', 'Ward office', time.now());
    await store.addViewer('province', PW, null);
    // pi-hq-1's clock is 30 s fast: the dashboard must warn.
    const b1 = await makeBeacon({ id: 'pi-hq-1', time, url, token: t1, seed: 1, clockSkewMs: 30_000, dir: tmp.dir });
    const b2 = await makeBeacon({ id: 'pi-ward-1', time, url, token: t2, seed: 2, dir: tmp.dir });
    cleanup.push(() => b1.close(), () => b2.close());
    const beacons = [b1, b2];
    const tickAll = async () => Promise.all(beacons.map((b) => b.reporter.tick()));
    const at = (day: number, hhmm: string) => day + Number(hhmm.slice(0, 2)) * 3600_000 + Number(hhmm.slice(3)) * 60_000 + 10_000;

    // 07:00-09:00, collector up: everything goes through.
    beacons.forEach((b) => b.visitors(DAY, 28, 36));
    time.jump(at(DAY, '09:00'));
    expect(await tickAll()).toEqual([true, true]);
    expect(beacons.map((b) => b.reporter.pending())).toEqual([0, 0]);

    // Collector restart: uploads fail and stay queued, then go through to the restarted collector.
    beacons.forEach((b) => b.visitors(DAY, 36, 40));
    await collector.stop();
    time.jump(at(DAY, '10:00'));
    expect(await tickAll()).toEqual([false, false]);
    expect(b1.reporter.pending()).toBeGreaterThan(0);
    await collector.start();
    expect(await tickAll()).toEqual([true, true]);
    expect(b1.reporter.pending()).toBe(0);

    // A lost reply: the collector commits, the connection dies before the beacon hears back; the retry
    // sends the same rows again and must not double them.
    beacons.forEach((b) => b.visitors(DAY, 40, 44));
    time.jump(at(DAY, '11:00'));
    proxy.killNextPresenceReply = true;
    expect(await b1.reporter.tick()).toBe(false);
    expect(proxy.killed).toBe(1);
    const stored = await collector.store.sql.query<{ n: number }>("SELECT count(*)::int AS n FROM slot_counts WHERE beacon_id = 'pi-hq-1' AND day = $1 AND slot = 43", [D0]);
    expect(stored[0].n).toBe(1); // the collector did store it
    expect(b1.reporter.pending()).toBeGreaterThan(0); // ...but the beacon does not know
    expect(await tickAll()).toEqual([true, true]);

    // A day offline: the collector is down from 11:00 to the next day 12:00 while the lobbies stay busy.
    beacons.forEach((b) => b.visitors(DAY, 44, 72));
    await collector.stop();
    for (const h of ['14:00', '18:00', '23:50']) {
      time.jump(at(DAY, h));
      expect(await tickAll()).toEqual([false, false]);
    }
    beacons.forEach((b) => b.visitors(DAY + DAY_MS, 28, 48));
    time.jump(at(DAY + DAY_MS, '12:00'));
    expect(await tickAll()).toEqual([false, false]);
    await collector.start();
    expect(await tickAll()).toEqual([true, true]);
    expect(beacons.map((b) => b.reporter.pending())).toEqual([0, 0]);

    // What each beacon's own logbook says (the `scan report` numbers).
    const own = (b: (typeof beacons)[number], day: number, slots: number) => {
      const rows = presenceReport(b.db, day).slice(0, slots);
      return { rows, est: presenceEstimate(rows) };
    };
    const mine = { hq0: own(b1, DAY, 96), ward0: own(b2, DAY, 96), hq1: own(b1, DAY + DAY_MS, 48), ward1: own(b2, DAY + DAY_MS, 48) };
    expect(mine.hq0.est.visitors).toBeGreaterThan(50); // the traffic really happened
    expect(mine.hq0.rows.some((r) => r.carriedOver > 0)).toBe(true);

    const get = async (path: string, pw = PW) => {
      const r = await fetch(url + path, { headers: { authorization: basic('province', pw) } });
      return { status: r.status, body: r.headers.get('content-type')?.includes('json') ? await r.json() : await r.text() };
    };
    for (const [date, hq, ward] of [[D0, mine.hq0, mine.ward0], [D1, mine.hq1, mine.ward1]] as const) {
      const o = (await get(`/api/v1/overview?date=${date}`)).body;
      const site = (name: string) => o.sites.find((s: { site: string }) => s.site === name);
      expect([site('HQ lobby').estimate, site('HQ lobby').low, site('HQ lobby').high]).toEqual([hq.est.visitors, hq.est.lower, hq.est.upper]);
      expect([site('Ward office').estimate, site('Ward office').low, site('Ward office').high]).toEqual([ward.est.visitors, ward.est.lower, ward.est.upper]);
      expect(o.total.estimate).toBe(hq.est.visitors + ward.est.visitors);
      for (const [name, m] of [['HQ lobby', hq], ['Ward office', ward]] as const) {
        const sd = (await get(`/api/v1/sites/${site(name).site_id}?date=${date}`)).body;
        expect(sd.slots.slice(0, m.rows.length).map((s: { android: number }) => s.android)).toEqual(m.rows.map((r) => r.distinctIds));
      }
      const csv = (await get(`/reports/daily.csv?date=${date}`)).body as string;
      expect(csv).toContain(`${date},District 1,HQ lobby,${hq.est.visitors},${hq.est.lower},${hq.est.upper},`);
      expect(csv).toContain(`${date},District 1,DISTRICT TOTAL,${hq.est.visitors},`);
      expect(csv).toContain(`${date},,TOTAL,${hq.est.visitors + ward.est.visitors},`);
    }
    // Health: both up now; pi-hq-1 warned for its clock; after 6 min without heartbeats pi-ward-1 is down.
    let o = (await get(`/api/v1/overview?date=${D1}`)).body;
    expect(o.beacons_down).toEqual([]);
    expect(o.clock_warnings.map((b: { beacon_id: string }) => b.beacon_id)).toEqual(['pi-hq-1']);
    expect(Math.abs(o.clock_warnings[0].clock_offset_ms - 30_000)).toBeLessThan(1000);
    time.jump(time.now() + 6 * 60_000);
    expect(await b1.reporter.sendHeartbeat()).toBe(true);
    o = (await get(`/api/v1/overview?date=${D1}`)).body;
    expect(o.beacons_down.map((b: { beacon_id: string }) => b.beacon_id)).toEqual(['pi-ward-1']);
    expect((await get('/api/v1/overview', 'wrong-password-x')).status).toBe(401);

    if (browser) {
      const br = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-component-update'] });
      cleanup.push(() => br.close());
      const ctx = await br.newContext({ httpCredentials: { username: 'province', password: PW } });
      const page = await ctx.newPage();
      const errors: string[] = [];
      const external: string[] = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (r) => !r.url().startsWith(url) && external.push(r.url()));
      await page.goto(`${url}/?date=${D0}`);
      await page.waitForSelector('#sites tbody tr');
      const cell = (site: string, k: string) => page.locator(`#sites tr:has(a:text-is("${site}")) td[data-k="${k}"]`).innerText();
      expect(Number(await cell('HQ lobby', 'estimate'))).toBe(mine.hq0.est.visitors);
      expect(Number(await cell('Ward office', 'estimate'))).toBe(mine.ward0.est.visitors);
      expect(Number(await page.locator('#total').innerText())).toBe(mine.hq0.est.visitors + mine.ward0.est.visitors);
      expect(await page.locator('#down').innerText()).toContain('pi-ward-1');
      expect(await page.locator('#clock').innerText()).toContain('pi-hq-1');
      await page.click('a:text-is("HQ lobby")');
      await page.waitForSelector('#slots rect.bar', { state: 'attached' });
      const bars = await page.locator('#slots rect.bar').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-v'))));
      expect(bars).toEqual(mine.hq0.rows.map((r) => r.distinctIds));
      expect(Number(await page.locator('#site-total').innerText())).toBe(mine.hq0.est.visitors);
      expect(await page.locator('#week rect.bar').count()).toBe(7);
      expect(errors).toEqual([]);
      expect(external).toEqual([]);
    }
    return { slotMs: SLOT_MS };
  } finally {
    for (const c of cleanup.reverse()) await c();
    await collector.stop();
    tmp.remove();
  }
}

describe('fleet end to end', () => {
  it('PGlite: two beacons through a restart, a lost reply and a day offline; dashboard = sum of the beacons', async () => {
    const haveChromium = existsSync(CHROMIUM);
    if (!haveChromium && inCi) throw new Error(`CI=true but no chromium at ${CHROMIUM}; .ci/run installs it from Debian`);
    if (!haveChromium) console.warn(`no chromium at ${CHROMIUM}: the dashboard's browser check is skipped`);
    const dir = tempDir('bz-fleet-pglite-');
    try {
      await scenario(async () => dir.dir, haveChromium);
    } finally {
      dir.remove();
    }
  }, 180_000);

  const havePg = findPgBin() !== undefined;
  if (!havePg && !inCi) console.warn('SKIPPED: no PostgreSQL server binaries (/usr/lib/postgresql/*/bin); apt-get install postgresql');
  it.skipIf(!havePg && !inCi)('PostgreSQL server: the same scenario', async () => {
    if (!havePg) throw new Error('CI=true but no PostgreSQL server binaries; .ci/run installs the postgresql package');
    await scenario(async () => {
      pg = await startPg();
      return pg!.url;
    }, false);
  }, 180_000);
});
