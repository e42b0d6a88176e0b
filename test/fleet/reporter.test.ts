// The beacon's reporter with a fake clock and a scripted collector: the durable queue, catch-up, back-off,
// acknowledgement races, and that only counts and health ever leave the beacon.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FleetReporter, type HttpReply } from '../../firmware/beacon/fleetReporter.ts';
import { Logbook, openLogbookDb, presenceEstimate, presenceReport, type Db } from '../../firmware/beacon/logbook.ts';
import { buildAndroidFrame } from '../../firmware/protocol/frames.ts';
import { DAY_MS, SLOT_MS } from '../../firmware/protocol/keys.ts';
import { FakeTime } from '../firmware/beacon/fakeTime.ts';
import { tempDir } from './harness.ts';

const DAY = Date.parse('2026-11-23T00:00:00Z');
const dirs: { remove: () => void }[] = [];
const dbs: Db[] = [];
afterEach(() => {
  dbs.splice(0).forEach((d) => d.open && d.close());
  dirs.splice(0).forEach((d) => d.remove());
});

interface Sent {
  url: string;
  body: unknown;
  at: number;
}

function setup(o: { fail?: () => boolean; onPost?: (s: Sent) => void } = {}) {
  const t = tempDir('bz-fleet-rep-');
  dirs.push(t);
  const path = join(t.dir, 'logbook.db');
  const db = openLogbookDb(path);
  dbs.push(db);
  const time = new FakeTime(DAY + 9 * 3600_000 + 10_000);
  const sent: Sent[] = [];
  const post = async (url: string, _token: string, body: unknown): Promise<HttpReply> => {
    const s = { url, body, at: time.now() };
    o.onPost?.(s);
    if (o.fail?.()) throw new Error('connect ECONNREFUSED 127.0.0.1:8080');
    sent.push(s);
    return { status: 200, body: JSON.stringify({ ok: true, server_time_ms: time.now() - 2000 }) };
  };
  const make = (d: Db) =>
    new FleetReporter({
      db: d,
      url: 'http://127.0.0.1:8080/',
      token: 'bzf_test',
      clock: time,
      post,
      rand: () => 1,
      version: 't',
      status: () => ({ state: 'advertising', slot: 36, id_prefix: 'A1B2C3***', restarts: 0, last_error: null }),
    });
  const logbook = new Logbook({ db, receiver: 'door', flushRows: 1 });
  let n = 0;
  const hear = (ms: number) => {
    n++;
    logbook.handleReport({ advData: buildAndroidFrame(Uint8Array.of(0xab, 0xcd, 0xef, 1, 2, 3, 4, 5, 6, 7, n >> 8, n & 255)), rssi: -60, timestampMs: ms, address: 'x' } as never);
  };
  return { db, path, time, sent, make, hear };
}

describe('FleetReporter', () => {
  it('first run queues today so far; the queue survives a restart of the process and empties on acknowledgement', async () => {
    const s = setup({ fail: () => true });
    for (let i = 0; i < 20; i++) s.hear(DAY + 8 * 3600_000 + i * 60_000);
    const r = s.make(s.db);
    expect(r.enqueueCompleted()).toBe(36 + 1); // slots 0..35 and the day row
    expect(await r.flush()).toBe(false);
    s.db.close();
    const db2 = openLogbookDb(s.path);
    dbs.push(db2);
    const r2 = s.make(db2);
    expect(r2.pending()).toBe(37);
    expect(r2.enqueueCompleted()).toBe(0); // nothing new: not queued twice
  });

  it('uploads what presenceReport says; after an outage of the reporter itself it catches up every slot', async () => {
    const s = setup();
    for (let i = 0; i < 30; i++) s.hear(DAY + 8 * 3600_000 + i * 50_000);
    const r = s.make(s.db);
    expect(await r.tick()).toBe(true);
    // The reporter is off from 09:00 to the next day 12:00; the logbook keeps logging.
    for (let i = 0; i < 40; i++) s.hear(DAY + 15 * 3600_000 + i * 70_000);
    for (let i = 0; i < 10; i++) s.hear(DAY + DAY_MS + 10 * 3600_000 + i * 70_000);
    s.time.jump(DAY + DAY_MS + 12 * 3600_000 + 10_000);
    expect(r.enqueueCompleted()).toBe(60 + 1 + 48 + 1);
    expect(await r.flush()).toBe(true);
    const bodies = s.sent.filter((x) => x.url.endsWith('/presence')).map((x) => x.body as { slots: { date: string; slot: number; android: number }[]; days: { date: string; estimate: number; low: number; high: number }[] });
    const slots = bodies.flatMap((b) => b.slots);
    const days = bodies.flatMap((b) => b.days);
    const want = presenceReport(s.db, DAY);
    for (let k = 0; k < 96; k++) expect(slots.filter((x) => x.date === '2026-11-23' && x.slot === k).at(-1)?.android).toBe(want[k].distinctIds);
    const e = presenceEstimate(want);
    expect(days.filter((d) => d.date === '2026-11-23').at(-1)).toMatchObject({ estimate: e.visitors, low: e.lower, high: e.upper });
    expect(slots.filter((x) => x.date === '2026-11-24')).toHaveLength(48);
  });

  it('retries with exponential back-off (1, 2, 4, 8 s ...) and resets after a success', async () => {
    let down = true;
    const s = setup({ fail: () => down });
    const attempts: number[] = [];
    const r = new FleetReporter({
      db: s.db,
      url: 'http://127.0.0.1:8080',
      token: 't',
      clock: s.time,
      rand: () => 1,
      version: 't',
      heartbeatMs: 60_000,
      status: () => ({ state: 'advertising', slot: 0, id_prefix: null, restarts: 0, last_error: null }),
      post: async (url) => {
        if (url.endsWith('/presence')) attempts.push(s.time.now());
        if (down) throw new Error('ECONNREFUSED');
        return { status: 200, body: '{}' };
      },
    });
    s.hear(DAY + 8 * 3600_000);
    r.start();
    await s.time.advance(16_000);
    const t0 = attempts[0];
    expect(attempts.map((a) => a - t0)).toEqual([0, 1000, 3000, 7000, 15000]);
    expect(r.pending()).toBeGreaterThan(0);
    down = false;
    await s.time.advance(16_000); // next retry at +31 s succeeds
    expect(r.pending()).toBe(0);
    expect(r.stats.lastError).toMatch(/ECONNREFUSED; kept in the queue/);
    await r.stop();
  });

  it('a row re-queued with newer counts during an upload is not lost by the acknowledgement', async () => {
    let r: FleetReporter | undefined;
    const s = setup({
      onPost: (x) => {
        // While the first upload is in flight, the day row is re-queued with newer counts.
        if (x.url.endsWith('/presence') && s.sent.filter((y) => y.url.endsWith('/presence')).length === 0) s.db.prepare("UPDATE fleet_outbox SET body = replace(body, '\"slots\":36', '\"slots\":37') WHERE kind = 'day'").run();
      },
    });
    s.hear(DAY + 8 * 3600_000);
    r = s.make(s.db);
    r.enqueueCompleted();
    await r.flush();
    // The first batch acknowledged everything but the changed day row, which went in the next batch.
    const uploads = s.sent.filter((x) => x.url.endsWith('/presence')).map((x) => x.body as { days: { slots: number }[] });
    expect(uploads).toHaveLength(2);
    expect(uploads[1].days[0].slots).toBe(37);
    expect(r.pending()).toBe(0);
  });

  it('measures its clock offset from the collector and sends only counts and health, never an ID', async () => {
    const s = setup();
    for (let i = 0; i < 10; i++) s.hear(DAY + 8 * 3600_000 + i * 60_000);
    const r = s.make(s.db);
    await r.tick();
    await r.sendHeartbeat();
    expect(r.clockOffsetMs).toBe(2000); // the scripted collector's clock is 2 s behind
    const hb = s.sent.filter((x) => x.url.endsWith('/heartbeat')).at(-1)!.body as Record<string, unknown>;
    expect(hb.clock_offset_ms).toBe(2000);
    const everything = JSON.stringify(s.sent.map((x) => x.body)).toUpperCase();
    expect(everything).not.toContain('ABCDEF0102'); // the contact IDs the logbook holds
    expect(Object.keys(hb).sort()).toEqual(['clock_offset_ms', 'clock_sync', 'id_prefix', 'last_error', 'restarts', 'sent_at_ms', 'slot', 'state', 'version']);
  });
});
