// The fleet reporter sends the counts of computePresence (presence.ts): our own beacon never, a
// stationary transmitter as stationary_excluded, the day row equal to what `scan report` shows.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FleetReporter, type HttpReply } from '../../../firmware/beacon/fleetReporter.ts';
import type { DayCounts, PresenceBody, SlotCounts } from '../../../firmware/beacon/fleetProtocol.ts';
import { Logbook, openLogbookDb } from '../../../firmware/beacon/logbook.ts';
import { computePresence } from '../../../firmware/beacon/presence.ts';
import { buildAndroidFrame } from '../../../firmware/protocol/frames.ts';
import { SLOT_MS } from '../../../firmware/protocol/keys.ts';
import { FakeTime } from './fakeTime.ts';

const DAY = Date.parse('2026-11-23T00:00:00Z');
const H = 3_600_000;
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const idOf = (who: number, ms: number) => {
  const b = Buffer.alloc(12, 0x3c);
  b.writeUInt16BE(who, 0);
  b.writeUInt32BE(Math.floor(ms / SLOT_MS), 8);
  return new Uint8Array(b);
};

describe('FleetReporter presence counts', () => {
  it('leave out our own beacon and the stationary transmitter, and match computePresence', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bz-fleet-presence-'));
    dirs.push(dir);
    const db = openLogbookDb(join(dir, 'l.db'));
    db.pragma('synchronous = OFF');
    const lb = new Logbook({ db, receiver: 'door', flushRows: 100_000, ownIdAt: (ms) => idOf(1, ms) });
    const hear = (who: number, from: number, to: number, every = 10_000) => {
      for (let t = from; t < to; t += every) lb.handleReport({ address: 'x', advData: buildAndroidFrame(idOf(who, t)), rssi: -60, timestampMs: t });
    };
    hear(1, DAY, DAY + 12 * H); // our beacon
    hear(2, DAY + 6 * H, DAY + 12 * H); // a second beacon, stationary
    hear(3, DAY + 9 * H + 2 * 60_000, DAY + 9 * H + 5 * 60_000, 6000); // one visitor
    lb.flush();
    const time = new FakeTime(DAY + 12 * H + 10_000);
    const sent: PresenceBody[] = [];
    const r = new FleetReporter({
      db,
      url: 'http://127.0.0.1:1',
      token: 't',
      clock: time,
      version: 't',
      rand: () => 1,
      status: () => ({ state: 'advertising', slot: 48, id_prefix: null, restarts: 0, last_error: null }),
      post: async (url, _t, body): Promise<HttpReply> => {
        if (url.endsWith('/presence')) sent.push(body as PresenceBody);
        return { status: 200, body: '{}' };
      },
    });
    expect(r.enqueueCompleted()).toBe(48 + 1);
    expect(await r.flush()).toBe(true);
    const slots: SlotCounts[] = sent.flatMap((b) => b.slots);
    const day: DayCounts = sent.flatMap((b) => b.days)[0];
    expect(slots.reduce((a, s) => a + s.android, 0)).toBe(1); // only the visitor
    expect(slots.find((s) => s.slot === 36)).toMatchObject({ android: 1, ios: 0, stationary_excluded: 1 });
    expect(slots.filter((s) => s.stationary_excluded === 1)).toHaveLength(24);
    const p = computePresence(db, DAY, DAY + 12 * H);
    expect(day).toMatchObject({ date: '2026-11-23', estimate: p.estimate.visitors, low: p.estimate.lower, high: p.estimate.upper, stationary_excluded: 1, slots: 48 });
    expect(day.estimate).toBe(1);
    db.close();
  });
});
