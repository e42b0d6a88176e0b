// Issue 21's end-to-end check on the REAL virtual air, on PGlite and on a real PostgreSQL server: two
// beacons, each the real `bluezone scan` (noble over a pty bridge to the air) with its logbook and the
// real `bluezone fleet report` process, hear phones advertising on the air (raw HCI hosts on the air's
// TCP transport, each cycling through visitors' IDs). The reporters push through a collector restart and
// a connection killed after the collector answered. A shared sped-up test clock (BLUEZONE_TEST_CLOCK,
// 100x: a slot is 9 s) keeps it short. The collector's numbers (API, CSV and, where chromium is
// installed, the dashboard in a real browser) must equal the sum of the beacons' own presence reports.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { presenceEstimate, presenceReport } from '../../firmware/beacon/logbook.ts';
import { startPtyBridge, startVirtualAir } from '../../firmware/hci/index.ts';
import { encodeCommand } from '../../firmware/hci/packets.ts';
import { mulberry32 } from '../../firmware/hci/airModel.ts';
import { buildAndroidFrame } from '../../firmware/protocol/frames.ts';
import { SLOT_MS } from '../../firmware/protocol/keys.ts';
import { basic, CollectorUnderTest, LossyProxy, tempDir } from './harness.ts';
import { findPgBin, startPg, type PgServer } from './pgServer.ts';
import { proc, until, stop } from '../helpers/processes.ts';

const BIN = fileURLToPath(new URL('../../bin/bluezone.js', import.meta.url));
const SPEED = 100;
const START = Date.parse('2026-11-23T08:00:00Z');
const DAY = Date.parse('2026-11-23T00:00:00Z');
const DATE = '2026-11-23';
const PW = 'province-viewer-pw';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const inCi = process.env.CI === 'true';

let pg: PgServer | undefined;
afterAll(() => pg?.stop());

/** A phone on the air's TCP transport (our own HCI commands): advertises one visitor's Android frame at a time. */
async function phone(port: number, n: number) {
  const sock: Socket = connect(port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  sock.on('data', () => undefined); // events are not needed
  sock.write(encodeCommand('Reset', {}));
  sock.write(encodeCommand('LeSetAdvertisingParameters', {
    advertisingIntervalMin: 160, advertisingIntervalMax: 160, advertisingType: 3, ownAddressType: 0,
    peerAddress: '00:00:00:00:00:00', peerAddressType: 0, advertisingChannelMap: 7, advertisingFilterPolicy: 0,
  }));
  const rand = mulberry32(n);
  return {
    /** The next visitor: a fresh 12-byte ID (ADV_NONCONN_IND every 100 ms, bluezone-protocol.md 2.1). */
    next() {
      const id = Uint8Array.from({ length: 12 }, () => Math.floor(rand() * 256));
      sock.write(encodeCommand('LeSetAdvertisingEnable', { advertisingEnable: 0 }));
      sock.write(encodeCommand('LeSetAdvertisingData', { advertisingData: buildAndroidFrame(id) }));
      sock.write(encodeCommand('LeSetAdvertisingEnable', { advertisingEnable: 1 }));
    },
    quiet: () => sock.write(encodeCommand('LeSetAdvertisingEnable', { advertisingEnable: 0 })),
    close: () => sock.destroy(),
  };
}

function readDb<T>(path: string, fn: (d: Database.Database) => T): T | undefined {
  try {
    const d = new Database(path, { readonly: true, fileMustExist: true });
    try {
      return fn(d);
    } finally {
      d.close();
    }
  } catch {
    return undefined;
  }
}

async function scenario(target: () => Promise<string>, browser: boolean): Promise<void> {
  const tmp = tempDir('bz-fleet-air-');
  const cleanup: (() => Promise<unknown> | unknown)[] = [];
  const anchor = Date.now();
  const fake = () => START + (Date.now() - anchor) * SPEED;
  const env = { BLUEZONE_TEST_CLOCK: `start=${new Date(START).toISOString()},speed=${SPEED},anchor=${anchor}` };
  const collector = new CollectorUnderTest(await target(), fake);
  const proxy = new LossyProxy(() => collector.port);
  try {
    // the beacons' logbooks first: their start-up (tsx, noble powering on) is the slow part
    const air = await startVirtualAir({ port: 0, rssiModel: 'fixed:-62' });
    cleanup.push(() => air.close());
    const beacons = [{ id: 'pi-hq-1', site: 'HQ lobby' }, { id: 'pi-ward-1', site: 'Ward office' }].map((b) => ({ ...b, state: join(tmp.dir, b.id), db: join(tmp.dir, `${b.id}.db`), cfg: join(tmp.dir, b.id, 'beacon.yaml') }));
    const kids: ReturnType<typeof proc>[] = [];
    cleanup.push(() => Promise.all(kids.map((k) => stop(k.child, 'SIGINT'))));
    const scanners: ReturnType<typeof proc>[] = [];
    const reporters: ReturnType<typeof proc>[] = [];
    for (const b of beacons) {
      mkdirSync(b.state, { recursive: true });
      const bridge = await startPtyBridge(air.port, join(tmp.dir, `${b.id}.pty`));
      cleanup.push(() => bridge.close());
      writeFileSync(b.cfg, `watchdog:\n  power_on_timeout_s: 4\n  backoff_initial_ms: 200\n  backoff_max_ms: 1000\nlogbook:\n  receiver: ${b.id}\n  flush_ms: 100\n`);
      const s = proc([BIN, 'scan', '--config', b.cfg, '--state-dir', b.state, '--hci', `uart:${join(tmp.dir, `${b.id}.pty`)}`, '--db', b.db], env);
      scanners.push(s);
      kids.push(s);
    }
    await collector.start();
    cleanup.push(() => collector.stop());
    const url = await proxy.start();
    cleanup.push(() => proxy.stop());
    const store = collector.store;
    await store.addSite('HQ lobby', 'District 1');
    await store.addSite('Ward office', 'District 2');
    await store.addViewer('province', PW, null);
    for (const b of beacons) {
      writeFileSync(join(b.state, 'fleet-token'), (await store.enrol(b.id, b.site, fake())) + '\n', { mode: 0o600 });
      const r = proc([BIN, 'fleet', 'report', '--config', b.cfg, '--state-dir', b.state, '--db', b.db, '--url', url], env);
      reporters.push(r);
      kids.push(r);
    }
    const diag = () => [...scanners, ...reporters].map((k, i) => `--- process ${i} stderr:\n${k.err().slice(-2000)}`).join('\n');
    const rows = (db: string) => readDb(db, (d) => (d.prepare('SELECT count(*) AS n FROM trace_info').get() as { n: number }).n) ?? 0;

    const phones = await Promise.all([1, 2, 3].map((n) => phone(air.port, n)));
    cleanup.push(() => phones.forEach((p) => p.close()));
    phones.forEach((p) => p.next());
    // both logbooks hear the phones (noble up, scanning, rows flushed)
    await until('rows in both logbooks', () => beacons.every((b) => rows(b.db) > 0), 60_000, diag);
    // visitors: each phone shows a new ID every 2 s (3 min 20 s of test time)
    const visitors = setInterval(() => phones.forEach((p) => p.next()), 2000);
    cleanup.push(() => clearInterval(visitors));
    const slotOf = (ms: number) => Math.floor((ms - DAY) / SLOT_MS);
    const acked = async (b: (typeof beacons)[number], slot: number) =>
      (await collector.store.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM slot_counts WHERE beacon_id = $1 AND day = $2 AND slot = $3', [b.id, DATE, slot]))[0].n === 1;

    // 1. a completed slot reaches the collector from both beacons
    const s1 = slotOf(fake());
    await until('slot uploads from both beacons', async () => (await acked(beacons[0], s1)) && (await acked(beacons[1], s1)), 40_000, diag);

    // 2. collector restart: both reporters keep their rows queued, then deliver them
    await collector.stop();
    const downAt = fake();
    // the slot in progress completes while the collector is down: both reporters queue it (and retry)
    const outbox = (b: (typeof beacons)[number]) => readDb(b.db, (d) => (d.prepare("SELECT count(*) AS n FROM fleet_outbox WHERE kind = 'slot'").get() as { n: number }).n) ?? 0;
    await until('rows queued in both logbooks while the collector is down', () => beacons.every((b) => outbox(b) > 0), 40_000, diag);
    expect(fake()).toBeGreaterThan((slotOf(downAt) + 1) * SLOT_MS + DAY);
    // 3. and the first upload after the restart loses its reply: the collector commits, the beacon
    // never hears back, retries the same rows, and nothing is counted twice (checked below)
    proxy.killNextPresenceReply = true;
    await collector.start();
    const s2 = slotOf(downAt);
    await until('the queued slots after the restart', async () => (await acked(beacons[0], s2)) && (await acked(beacons[1], s2)), 40_000, diag);
    await until('the killed reply', () => proxy.killed === 1, 10_000, diag);

    // 4. the visitors leave; wait until the last slot with traffic is complete and acknowledged
    clearInterval(visitors);
    phones.forEach((p) => p.quiet());
    const last = slotOf(fake() + 6_000); // a row flushed a little after the last advert
    await until('the last slot uploaded by both', async () => (await acked(beacons[0], last)) && (await acked(beacons[1], last)), 40_000, diag);
    for (const s of scanners) await stop(s.child, 'SIGINT');
    for (const r of reporters) await stop(r.child, 'SIGTERM');
    for (const s of scanners) expect(s.child.exitCode, s.err().slice(-2000)).toBe(0);
    for (const r of reporters) expect(r.child.exitCode, r.err().slice(-2000)).toBe(0);
    expect(reporters.some((r) => /fleet: .*(ECONNREFUSED|socket hang up|ECONNRESET)/.test(r.err())), 'a reporter logged the outage').toBe(true);

    // What each beacon's own logbook says (`scan report`), over the slots its reporter completed.
    const own = beacons.map((b) => {
      const complete = Number(readDb(b.db, (d) => (d.prepare("SELECT value FROM fleet_state WHERE key = 'queued_up_to_ms'").get() as { value: string }).value));
      const rows = readDb(b.db, (d) => presenceReport(d as never, DAY))!.slice(0, Math.round((complete - DAY) / SLOT_MS));
      return { rows, est: presenceEstimate(rows) };
    });
    expect(own[0].est.visitors).toBeGreaterThan(5); // the traffic really happened (how many depends on the machine's pace)
    const get = async (path: string) => {
      const r = await fetch(url + path, { headers: { authorization: basic('province', PW) } });
      return r.headers.get('content-type')?.includes('json') ? r.json() : r.text();
    };
    const o = await get(`/api/v1/overview?date=${DATE}`);
    const site = (name: string) => o.sites.find((s: { site: string }) => s.site === name);
    for (const [i, name] of ['HQ lobby', 'Ward office'].entries()) {
      expect([site(name).estimate, site(name).low, site(name).high], name).toEqual([own[i].est.visitors, own[i].est.lower, own[i].est.upper]);
      const sd = await get(`/api/v1/sites/${site(name).site_id}?date=${DATE}`);
      expect(sd.slots.slice(0, own[i].rows.length).map((s: { android: number; ios: number }) => s.android + (s.ios ?? 0)), name).toEqual(own[i].rows.map((r) => r.distinctIds));
    }
    expect(o.total.estimate).toBe(own[0].est.visitors + own[1].est.visitors);
    const csv = (await get(`/reports/daily.csv?date=${DATE}`)) as string;
    expect(csv).toContain(`${DATE},,TOTAL,${own[0].est.visitors + own[1].est.visitors},`);

    if (browser) {
      const br = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-component-update'] });
      cleanup.push(() => br.close());
      const page = await (await br.newContext({ httpCredentials: { username: 'province', password: PW } })).newPage();
      const errors: string[] = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${url}/?date=${DATE}`);
      await page.waitForSelector('#sites tbody tr');
      const cell = (s: string, k: string) => page.locator(`#sites tr:has(a:text-is("${s}")) td[data-k="${k}"]`).innerText();
      expect(Number(await cell('HQ lobby', 'estimate'))).toBe(own[0].est.visitors);
      expect(Number(await cell('Ward office', 'estimate'))).toBe(own[1].est.visitors);
      expect(Number(await page.locator('#total').innerText())).toBe(own[0].est.visitors + own[1].est.visitors);
      await page.click('a:text-is("Ward office")');
      await page.waitForSelector('#slots rect.bar', { state: 'attached' });
      const bars = await page.locator('#slots rect.bar').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-v'))));
      expect(bars.slice(0, own[1].rows.length)).toEqual(own[1].rows.map((r) => r.distinctIds));
      expect(await page.locator('#week rect.bar').count()).toBe(7);
      expect(errors).toEqual([]);
    }
  } finally {
    for (const c of cleanup.reverse()) await c();
    tmp.remove();
  }
}

describe('fleet end to end on the virtual air (real scan and report processes)', () => {
  const haveChromium = existsSync(CHROMIUM);
  it('PGlite: two beacons through a restart and a lost reply; dashboard = sum of the beacons', async () => {
    if (!haveChromium && inCi) throw new Error(`CI=true but no chromium at ${CHROMIUM}; .ci/run installs it from Debian`);
    const dir = tempDir('bz-fleet-air-pglite-');
    try {
      await scenario(async () => dir.dir, haveChromium);
    } finally {
      dir.remove();
    }
  }, 240_000);

  const havePg = findPgBin() !== undefined;
  it.skipIf(!havePg && !inCi)('PostgreSQL server: the same', async () => {
    if (!havePg) throw new Error('CI=true but no PostgreSQL server binaries; .ci/run installs the postgresql package');
    await scenario(async () => {
      pg = await startPg();
      return pg!.url;
    }, false);
  }, 240_000);
});
