import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Logbook, openLogbookDb, type Db } from '../../../firmware/beacon/logbook.ts';
import { computePresence, peakHour, STATIONARY_MIN_SLOTS } from '../../../firmware/beacon/presence.ts';
import { addDays, checkTimeZone, isoWeekLabel, isoWeekMonday, localDate, localDayRange, localHhmm, offsetLabel, tzOffsetMin } from '../../../firmware/beacon/tz.ts';
import { buildAndroidFrame } from '../../../firmware/protocol/frames.ts';
import { DAY_MS, SLOT_MS } from '../../../firmware/protocol/keys.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const DAY = Date.parse('2026-11-23T00:00:00Z');
const H = 3_600_000;
const MIN = 60_000;
/** A transmitter's ID in a UTC slot: one new ID per slot, like Bluezone (bluezone-protocol.md 1.2). */
const idOf = (who: number, ms: number) => {
  const b = Buffer.alloc(12, 0x5a);
  b.writeUInt16BE(who, 0);
  b.writeUInt32BE(Math.floor(ms / SLOT_MS), 8);
  return new Uint8Array(b);
};

function book(ownIdAt?: (ms: number) => Uint8Array | undefined): { db: Db; lb: Logbook; hear: (who: number, from: number, to: number, everyMs?: number, rssi?: number) => void } {
  const dir = mkdtempSync(join(tmpdir(), 'bz-presence-'));
  dirs.push(dir);
  const db = openLogbookDb(join(dir, 'l.db'));
  db.pragma('synchronous = OFF');
  const lb = new Logbook({ db, receiver: 'door', flushRows: 100_000, ownIdAt });
  const hear = (who: number, from: number, to: number, everyMs = 10_000, rssi = -60) => {
    for (let t = from; t < to; t += everyMs) lb.handleReport({ address: 'aa:aa:aa:aa:aa:aa', advData: buildAndroidFrame(idOf(who, t)), rssi, timestampMs: t });
  };
  return { db, lb, hear };
}

const counted = (p: ReturnType<typeof computePresence>) => p.slots.reduce((a, s) => a + s.distinctIds, 0);

describe('computePresence: our own beacon', () => {
  it('is never counted when the logbook knew its key (blid column), even its old ID heard just after a boundary', () => {
    const b = book((ms) => idOf(1, ms));
    b.hear(1, DAY, DAY + DAY_MS);
    // the scanner hears the beacon's previous ID 2 s after 10:00 (an advert in flight): blid is already the new one
    b.lb.handleReport({ address: 'x', advData: buildAndroidFrame(idOf(1, DAY + 10 * H - 1)), rssi: -50, timestampMs: DAY + 10 * H + 2000 });
    b.lb.flush();
    const p = computePresence(b.db, DAY, DAY + DAY_MS);
    expect(counted(p)).toBe(0);
    expect(p.stationary).toEqual([]);
    expect(p.slots.every((s) => s.own === 1 || s.own === 2)).toBe(true);
    expect(p.estimate).toMatchObject({ visitors: 0, lower: 0, upper: 0 });
  });

  it('logged without the key: the key passed to the report recognises it; without either it is still left out, as stationary', () => {
    const b = book();
    b.hear(1, DAY, DAY + DAY_MS);
    b.lb.flush();
    const withKey = computePresence(b.db, DAY, DAY + DAY_MS, { ownIdAt: (ms) => idOf(1, ms) });
    expect(counted(withKey)).toBe(0);
    expect(withKey.ownRows).toBe(DAY_MS / 10_000);
    const without = computePresence(b.db, DAY, DAY + DAY_MS);
    expect(counted(without)).toBe(0);
    expect(without.stationary).toHaveLength(1);
  });
});

describe('computePresence: stationary transmitters', () => {
  it('a second beacon 07:05-18:10 is stationary, with its partial first and last slots; visitors around it are counted', () => {
    const b = book((ms) => idOf(1, ms));
    b.hear(1, DAY, DAY + DAY_MS);
    b.hear(2, DAY + 7 * H + 5 * MIN, DAY + 18 * H + 10 * MIN, 10_000, -70);
    b.hear(3, DAY + 9 * H + 3 * MIN, DAY + 9 * H + 6 * MIN, 7000, -66); // a visitor, 3 min
    b.hear(4, DAY + 9 * H + 13 * MIN, DAY + 9 * H + 17 * MIN, 7000, -75); // a visitor across 09:15
    b.lb.flush();
    const p = computePresence(b.db, DAY, DAY + DAY_MS);
    expect(p.stationary).toHaveLength(1);
    expect(p.stationary[0]).toMatchObject({ fromMs: DAY + 7 * H + 5 * MIN, medianRssi: -70, platform: 'Android' });
    expect(p.stationary[0].toMs).toBeGreaterThan(DAY + 18 * H + 9 * MIN);
    expect(counted(p)).toBe(3); // visitor 3 once, visitor 4 in two slots
    expect(p.slots.filter((s) => s.stationary === 1).map((s) => s.slot)).toEqual(Array.from({ length: 18 * 4 + 1 - 7 * 4 }, (_, i) => 28 + i));
    expect(p.estimate.lower).toBe(2);
    expect(p.estimate.upper).toBe(3);
  });

  it('a visitor who waits 40 minutes in range is resident in a slot or two, not stationary: counted', () => {
    const b = book();
    b.hear(5, DAY + 10 * H + 2 * MIN, DAY + 10 * H + 42 * MIN, 8000);
    b.lb.flush();
    const p = computePresence(b.db, DAY, DAY + DAY_MS);
    expect(p.stationary).toEqual([]);
    expect(counted(p)).toBe(3);
  });

  it(`the rule's edge: resident ${STATIONARY_MIN_SLOTS - 1} slots is a visitor, ${STATIONARY_MIN_SLOTS} slots is stationary`, () => {
    const b = book();
    b.hear(6, DAY + 8 * H, DAY + 8 * H + (STATIONARY_MIN_SLOTS - 1) * SLOT_MS);
    b.hear(7, DAY + 12 * H, DAY + 12 * H + STATIONARY_MIN_SLOTS * SLOT_MS);
    b.lb.flush();
    const p = computePresence(b.db, DAY, DAY + DAY_MS);
    expect(p.stationary.map((s) => s.fromMs)).toEqual([DAY + 12 * H]);
    expect(counted(p)).toBe(STATIONARY_MIN_SLOTS - 1);
  });

  it('a phone on a desk (15 s on / 15 s off, its ID lagging the boundary by up to 30 s) is stationary and its lagging IDs not counted', () => {
    const b = book();
    let id = idOf(8, DAY + 8 * H);
    for (let t = DAY + 8 * H; t < DAY + 12 * H; t += 5000) {
      if ((t - DAY) % 30_000 === 0) id = idOf(8, t); // the ID is sampled when advertising restarts (1.3)
      if ((t - DAY) % 30_000 < 15_000) b.lb.handleReport({ address: 'd', advData: buildAndroidFrame(id), rssi: -61, timestampMs: t + 250 });
    }
    b.lb.flush();
    const p = computePresence(b.db, DAY, DAY + DAY_MS);
    expect(p.stationary).toHaveLength(1);
    expect(counted(p)).toBe(0);
  });

  it('two transmitters on at once are two stationary transmitters (runs linked by RSSI)', () => {
    const b = book();
    b.hear(9, DAY + 6 * H, DAY + 14 * H, 10_000, -50);
    b.hear(10, DAY + 10 * H, DAY + 20 * H, 10_000, -80);
    b.lb.flush();
    const p = computePresence(b.db, DAY, DAY + DAY_MS);
    expect(p.stationary.map((s) => [s.fromMs, s.medianRssi])).toEqual([[DAY + 6 * H, -50], [DAY + 10 * H, -80]]);
    expect(counted(p)).toBe(0);
  });
});

describe('computePresence: slots not yet begun', () => {
  it('are future with no counts, and the estimate covers only the slots so far', () => {
    const b = book();
    b.hear(11, DAY + 9 * H, DAY + 9 * H + 3 * MIN);
    b.hear(12, DAY + 15 * H, DAY + 15 * H + 3 * MIN); // logged "after now" (a clock step): not counted
    b.lb.flush();
    const p = computePresence(b.db, DAY, DAY + DAY_MS, { nowMs: DAY + 12 * H + 7 * MIN });
    expect(p.slots.filter((s) => !s.future)).toHaveLength(49); // 00:00 .. the 12:00 slot in progress
    expect(p.slots.filter((s) => s.future).every((s) => s.distinctIds === 0 && s.sightings === 0)).toBe(true);
    expect(p.estimate).toMatchObject({ lower: 1, upper: 1, visitors: 1 });
  });

  it('peak hour: the local clock hour with the most phone-slots', () => {
    const b = book();
    for (let i = 0; i < 3; i++) b.hear(20 + i, DAY + 2 * H + i * 15 * MIN, DAY + 2 * H + i * 15 * MIN + 2 * MIN);
    b.hear(30, DAY + 5 * H, DAY + 5 * H + 2 * MIN);
    b.lb.flush();
    const p = computePresence(b.db, DAY, DAY + DAY_MS);
    // UTC 02:00-03:00 is 09:00-10:00 in Asia/Ho_Chi_Minh
    const peak = peakHour(p.slots, (ms) => tzOffsetMin(ms, 'Asia/Ho_Chi_Minh'));
    expect(peak).toEqual({ startMs: DAY + 2 * H, phones: 3 });
    expect(localHhmm(peak!.startMs, 'Asia/Ho_Chi_Minh')).toBe('09:00');
    // in a zone half an hour off, the clock hour starts at :30 UTC
    expect(peakHour(p.slots, (ms) => tzOffsetMin(ms, 'Asia/Kolkata'))!.startMs).toBe(DAY + 1.5 * H);
  });
});

describe('computePresence: invariants on arbitrary logbooks', () => {
  it('counted + stationary = distinct IDs per slot; lower <= estimate <= upper; never throws', () => {
    const b = book((ms) => idOf(1, ms));
    fc.assert(
      fc.property(
        fc.array(fc.record({ who: fc.integer({ min: 1, max: 12 }), at: fc.integer({ min: 0, max: 12 * H }), len: fc.integer({ min: 0, max: 3 * H }), every: fc.integer({ min: 3000, max: 90_000 }) }), { maxLength: 8 }),
        (visits) => {
          b.db.exec('DELETE FROM trace_info');
          for (const v of visits) b.hear(v.who, DAY + v.at, DAY + v.at + v.len, v.every);
          b.lb.flush();
          const p = computePresence(b.db, DAY, DAY + DAY_MS);
          for (const s of p.slots) {
            const ids = b.db.prepare('SELECT COUNT(DISTINCT blid_contact) AS n FROM trace_info WHERE timestamp >= ? AND timestamp < ? AND blid_contact != blid').get(s.startMs, s.endMs) as { n: number };
            expect(s.distinctIds + s.stationary + s.carriedOver).toBe(ids.n);
          }
          expect(p.estimate.lower).toBeLessThanOrEqual(p.estimate.visitors);
          expect(p.estimate.visitors).toBeLessThanOrEqual(p.estimate.upper);
          expect(p.estimate.android + p.estimate.ios).toBe(p.estimate.visitors);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('time zones (tz.ts)', () => {
  it('local days are whole slots: Asia/Ho_Chi_Minh +07:00, and a DST day of 23 h in Europe/Berlin', () => {
    expect(localDayRange('2026-11-23', 'Asia/Ho_Chi_Minh')).toEqual([Date.parse('2026-11-22T17:00:00Z'), Date.parse('2026-11-23T17:00:00Z')]);
    const [a, z] = localDayRange('2026-03-29', 'Europe/Berlin');
    expect([a, z]).toEqual([Date.parse('2026-03-28T23:00:00Z'), Date.parse('2026-03-29T22:00:00Z')]);
    expect((z - a) / SLOT_MS).toBe(92);
    expect(localDate(Date.parse('2026-11-23T17:00:00Z'), 'Asia/Ho_Chi_Minh')).toBe('2026-11-24');
    expect(offsetLabel(DAY, 'Asia/Kolkata')).toBe('UTC+05:30');
    expect(offsetLabel(DAY, 'America/New_York')).toBe('UTC-05:00');
  });

  it('ISO weeks and unknown zones', () => {
    expect(isoWeekMonday('2026-11-29')).toBe('2026-11-23');
    expect(isoWeekLabel('2026-11-23')).toBe('2026-W48');
    expect(isoWeekLabel('2027-01-01')).toBe('2026-W53');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(checkTimeZone('Asia/Ho_Chi_Minh')).toBe('Asia/Ho_Chi_Minh');
    expect(() => checkTimeZone('Mars/Olympus')).toThrow(/unknown time zone "Mars\/Olympus"/);
  });
});
