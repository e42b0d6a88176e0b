import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Logbook, openLogbookDb } from '../../../firmware/beacon/logbook.ts';
import { ScanService } from '../../../firmware/beacon/scanService.ts';
import { buildAndroidFrame } from '../../../firmware/protocol/frames.ts';
import { MockAir, type MockScanner } from '../../../firmware/radio/mockRadio.ts';
import { FakeTime } from './fakeTime.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'bz-scansvc-'));
  dirs.push(dir);
  const time = new FakeTime(Date.parse('2026-11-23T08:00:00Z'));
  const air = new MockAir({ now: time.now });
  const db = openLogbookDb(join(dir, 'l.db'));
  const logbook = new Logbook({ db, receiver: 'door', flushRows: 1 });
  const env = { present: true, failStart: 0 };
  const scanners: MockScanner[] = [];
  const logs: string[] = [];
  const service = new ScanService({
    logbook,
    timers: time,
    log: (l, m) => logs.push(`${l} ${m}`),
    powerOnTimeoutS: 5,
    backoffInitialMs: 500,
    backoffMaxMs: 2000,
    createScanner: () => {
      const s = air.createScanner({ present: env.present });
      for (; env.failStart > 0; env.failStart--) s.failNext('startScanning');
      scanners.push(s);
      return s;
    },
  });
  const phone = air.createPeer();
  const count = () => (db.prepare('SELECT count(*) AS n FROM trace_info').get() as { n: number }).n;
  const hear = (n: number) => phone.emitAdvert(buildAndroidFrame(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, n)), -70, time.now());
  return { time, air, service, env, scanners, logs, count, hear };
}

describe('ScanService', () => {
  it('scans with duplicates allowed and feeds the logbook', async () => {
    const t = setup();
    t.service.start();
    await t.time.advance(1);
    expect(t.service.scanning).toBe(true);
    expect(t.hear(1)).toBe(1);
    expect(t.count()).toBe(1);
    await t.service.stop();
    expect(t.hear(2)).toBe(0);
  });

  it('re-creates the scanner after a power-off and after a refused start, with back-off', async () => {
    const t = setup();
    t.env.failStart = 1;
    t.service.start();
    await t.time.advance(1);
    expect(t.service.scanning).toBe(false);
    expect(t.service.lastError).toMatch(/scan start failed: Command Disallowed/);
    await t.time.advance(500);
    expect(t.scanners).toHaveLength(2);
    expect(t.service.scanning).toBe(true);
    t.env.present = false;
    t.scanners[1].powerOff();
    await t.time.advance(1);
    expect(t.service.lastError).toMatch(/scanner went poweredOff/);
    // absent: power-on timeouts with growing back-off until the adapter is back
    await t.time.advance(500 + 5000 + 1000 + 5000);
    expect(t.scanners.length).toBeGreaterThanOrEqual(4);
    expect(t.service.lastError).toMatch(/did not reach poweredOn within 5 s/);
    t.env.present = true;
    await t.time.advance(2000 + 5000);
    expect(t.service.scanning).toBe(true);
    expect(t.hear(3)).toBe(1);
    expect(t.count()).toBe(1);
    expect(t.service.restarts).toBeGreaterThanOrEqual(3);
    await t.service.stop();
  });
});

describe('ScanService silent-stop watchdog', () => {
  it('re-creates the scanner when our own beacon has not been heard for own_beacon_silence_s', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bz-scansvc-'));
    dirs.push(dir);
    const time = new FakeTime(Date.parse('2026-11-23T08:00:00Z'));
    const air = new MockAir({ now: time.now });
    const own = Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9);
    const logbook = new Logbook({ db: openLogbookDb(join(dir, 'l.db')), receiver: 'door', ownIdAt: () => own, realNow: time.now });
    const scanners: MockScanner[] = [];
    const service = new ScanService({
      logbook, timers: time, realNow: time.now, ownSilenceMs: 60_000, backoffInitialMs: 1000,
      createScanner: () => {
        const s = air.createScanner();
        scanners.push(s);
        return s;
      },
    });
    const beacon = air.createPeer();
    service.start();
    await time.advance(1);
    for (let i = 0; i < 5; i++) {
      beacon.emitAdvert(buildAndroidFrame(own), -40, time.now());
      await time.advance(10_000);
    }
    expect(scanners).toHaveLength(1); // heard regularly: healthy
    // The scanner goes deaf without any event (a "silent stop"): nothing arrives any more.
    scanners[0].scanning = false;
    await time.advance(60_000);
    expect(service.lastError).toMatch(/own beacon not heard for \d+ s/);
    await time.advance(1000);
    expect(scanners).toHaveLength(2);
    expect(service.scanning).toBe(true);
    await service.stop();
  });
});
