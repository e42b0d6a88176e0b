// Issue 17 "done when": the real beacon daemon and the real scanner + logbook on one air (the in-memory
// MockAir of firmware/radio/mockRadio.ts) under the fake test clock, a whole day at a time, then the
// presence computation the page and the fleet reporter share. (The HCI virtual air runs in real time, so
// a day on it would take a day; MockAir runs the same daemon, ScanService and Logbook code.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../firmware/beacon/config.ts';
import { BeaconDaemon } from '../../firmware/beacon/daemon.ts';
import { Logbook, openLogbookDb, openLogbookReadonly } from '../../firmware/beacon/logbook.ts';
import { computePresence } from '../../firmware/beacon/presence.ts';
import { ScanService } from '../../firmware/beacon/scanService.ts';
import { BeaconKey } from '../../firmware/beacon/state.ts';
import { mulberry32 } from '../../firmware/hci/airModel.ts';
import { buildAndroidFrame } from '../../firmware/protocol/frames.ts';
import { bluezoneIdAt, DAY_MS, SLOT_MS } from '../../firmware/protocol/keys.ts';
import { MockAir } from '../../firmware/radio/mockRadio.ts';
import { FakeTime } from '../firmware/beacon/fakeTime.ts';
import { cachedIdAt, keyOf } from './presenceFixture.ts';

const DAY = Date.parse('2026-11-23T00:00:00Z');
const BASE_DATE = Date.parse('2026-11-20T00:00:00Z');
const idAt = (key: Uint8Array, ms: number) => cachedIdAt(key, BASE_DATE, ms);

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Our beacon (BeaconDaemon, its own key) and the door's scanner (ScanService + Logbook knowing that key) on one air. */
async function door(startMs = DAY - 60_000) {
  const dir = mkdtempSync(join(tmpdir(), 'bz-presence-air-'));
  dirs.push(dir);
  const time = new FakeTime(startMs);
  const air = new MockAir({ now: time.now });
  const cfg = defaultConfig();
  const key = new BeaconKey(keyOf(1), BASE_DATE, join(dir, 'beacon-key.json'));
  const beacon = new BeaconDaemon({ config: cfg, key, adapterLabel: 'mock:0', clock: time, timers: time, realNow: time.now, createAdvertiser: () => air.createAdvertiser({ name: 'beacon' }) });
  const dbPath = join(dir, 'logbook.db');
  const db = openLogbookDb(dbPath);
  db.pragma('synchronous = OFF'); // a day of rows in a test; durability is tested in logbook.test.ts
  const logbook = new Logbook({ db, receiver: 'door', flushRows: 100_000, ownIdAt: (ms) => bluezoneIdAt(key.secret(), key.baseDateMs, ms).id, realNow: time.now });
  const scan = new ScanService({ createScanner: () => air.createScanner({ name: 'door' }), logbook, timers: time, clock: time.now, realNow: time.now, iosRead: false });
  beacon.start();
  scan.start();
  await time.advance(10);
  return { dir, dbPath, db, time, air, beacon, scan, logbook, key };
}

/** Runs the air to `endMs`: every `step` ms one advertising event of each advertiser, plus the scripted peers. */
async function runAir(t: Awaited<ReturnType<typeof door>>, endMs: number, step: number, each?: (ms: number) => void) {
  while (t.time.now() < endMs) {
    await t.time.advance(step);
    t.air.broadcast(t.time.now());
    each?.(t.time.now());
  }
}

async function finish(t: Awaited<ReturnType<typeof door>>) {
  await t.scan.stop();
  await t.beacon.stop();
  t.logbook.close();
  t.db.close();
  return openLogbookReadonly(t.dbPath);
}

describe('presence on the air: our beacon, a stationary phone, visitors', () => {
  it('a day with only our own beacon on the air: 0 visitors', async () => {
    const t = await door();
    await runAir(t, DAY + DAY_MS + 60_000, 10_000); // heard every 10 s: in every minute of every slot
    const db = await finish(t);
    const p = computePresence(db, DAY, DAY + DAY_MS);
    // the beacon was heard all day, in every slot, and none of it counts
    expect(p.ownRows).toBeGreaterThan(8000); // one row per 10 s broadcast
    expect(p.slots.every((s) => s.own >= 1)).toBe(true);
    expect(p.slots.reduce((a, s) => a + s.distinctIds, 0)).toBe(0);
    expect(p.estimate).toMatchObject({ visitors: 0, lower: 0, upper: 0 });
    expect(p.stationary).toEqual([]);
    db.close();
  }, 120_000);

  it('our beacon, a phone left on a desk 07:02-18:40 and N visitors: the estimate bounds hold N, and only visitors are counted', async () => {
    const t = await door(DAY + 6 * 3_600_000);
    const rand = mulberry32(17);
    // The phone on the desk: Android, advertising 15 s on / 15 s off (bluezone-protocol.md 1.3), its ID
    // sampled when advertising restarts, so it lags the quarter-hour boundary by up to 30 s.
    const desk = t.air.createPeer();
    const deskKey = keyOf(2);
    let deskId: Uint8Array = new Uint8Array(12);
    const deskFrom = DAY + 7 * 3_600_000 + 120_000;
    const deskTo = DAY + 18 * 3_600_000 + 40 * 60_000;
    // N visitors, 2-10 minutes each between 07:30 and 17:30, heard every 4-12 s while there.
    const N = 40;
    const visitors = Array.from({ length: N }, (_, i) => {
      const start = DAY + 7.5 * 3_600_000 + Math.floor(rand() * 10 * 3_600_000);
      return { n: i, key: keyOf(100 + i), start, end: start + 120_000 + Math.floor(rand() * 480_000), next: start, peer: t.air.createPeer(), rssi: -55 - Math.floor(rand() * 30) };
    });
    const heardSlots = new Set<string>();
    await runAir(t, DAY + 20 * 3_600_000, 4000, (ms) => {
      if (ms >= deskFrom && ms < deskTo) {
        const phase = (ms - deskFrom) % 30_000;
        if (phase < 4000) deskId = idAt(deskKey, ms); // advertising restarts
        if (phase < 15_000) desk.emitAdvert(buildAndroidFrame(deskId), -58, ms);
      }
      for (const v of visitors) {
        if (ms < v.next || ms >= v.end) continue;
        v.peer.emitAdvert(buildAndroidFrame(idAt(v.key, ms)), v.rssi, ms);
        heardSlots.add(`${v.n}:${Math.floor(ms / SLOT_MS)}`);
        v.next = ms + 4000 + Math.floor(rand() * 8000);
      }
    });
    const db = await finish(t);
    const p = computePresence(db, DAY, DAY + DAY_MS);
    // exactly the visitors' (phone, slot) pairs are counted: nothing of our beacon or the desk phone
    expect(p.estimate.upper).toBe(heardSlots.size);
    expect(p.estimate.lower).toBeLessThanOrEqual(N);
    expect(p.estimate.upper).toBeGreaterThanOrEqual(N);
    expect(Math.abs(p.estimate.visitors - N)).toBeLessThanOrEqual(Math.ceil(N * 0.25));
    expect(p.stationary).toHaveLength(1);
    expect(Math.abs(p.stationary[0].fromMs - deskFrom)).toBeLessThan(60_000);
    expect(Math.abs(p.stationary[0].toMs - deskTo)).toBeLessThan(60_000);
    expect(p.slots.filter((s) => s.stationary > 0)).toHaveLength(Math.ceil((deskTo - DAY) / SLOT_MS) - Math.floor((deskFrom - DAY) / SLOT_MS));
    db.close();
  }, 180_000);
});
