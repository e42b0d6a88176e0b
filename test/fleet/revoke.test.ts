// `bluezone fleet revoke` through the real main() on a PGlite collector: the revoked beacon's requests get
// 401, its reporter logs an error that says what to do and keeps every report queued; after `fleet enrol`
// gives it a new token, the queue drains and the collector holds exactly the beacon's own counts.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FleetReporter } from '../../firmware/beacon/fleetReporter.ts';
import { presenceReport } from '../../firmware/beacon/logbook.ts';
import { FakeTime } from '../firmware/beacon/fakeTime.ts';
import { cli, tempDirs } from '../helpers/cli.ts';
import { CollectorUnderTest, makeBeacon } from './harness.ts';

const DAY = Date.parse('2026-11-23T00:00:00Z');
const tmp = tempDirs('bz-fleet-revoke-');

describe('bluezone fleet revoke', () => {
  it('unknown beacon: exit 2 naming it; nothing changes', async () => {
    const db = join(tmp(), 'fleet');
    await cli('fleet', 'site', 'add', '--db', db, '--name', 'HQ lobby', '--district', 'D1');
    const r = await cli('fleet', 'revoke', '--db', db, '--beacon', 'pi-nope');
    expect([r.code, r.stdout, r.stderr.split('\n')[0]]).toEqual([2, '', `error: no beacon "pi-nope" enrolled in ${db}`]);
  }, 60_000);

  it('a revoked beacon gets 401, logs a clear error, loses nothing; re-enrolled it catches up exactly', async () => {
    const d = tmp();
    const db = join(d, 'fleet');
    const time = new FakeTime(DAY + 8 * 3600_000);
    expect((await cli('fleet', 'site', 'add', '--db', db, '--name', 'HQ lobby', '--district', 'D1')).code).toBe(0);
    const token = (await cli('fleet', 'enrol', '--db', db, '--beacon', 'pi-hq-1', '--site', 'HQ lobby')).stdout.trim();
    const collector = new CollectorUnderTest(db, time.now);
    const url = await collector.start();
    const b = await makeBeacon({ id: 'pi-hq-1', time, url, token, seed: 7, dir: d });
    const logs: [string, string][] = [];
    const reporter = (tok: string) =>
      new FleetReporter({ db: b.db, url, token: tok, clock: time, version: 't', log: (l, m) => logs.push([l, m]), rand: () => 1, status: () => ({ state: 'advertising', slot: 0, id_prefix: null, restarts: 0, last_error: null }) });
    try {
      b.visitors(DAY, 32, 36);
      time.jump(DAY + 9 * 3600_000 + 10_000);
      const r1 = reporter(token);
      expect(await r1.tick()).toBe(true);
      expect(r1.pending()).toBe(0);

      // PGlite holds its folder in one process: revoke while the collector is stopped, as docs/fleet.md says.
      await collector.stop();
      const rv = await cli('fleet', 'revoke', '--db', db, '--beacon', 'pi-hq-1', '--json');
      expect([rv.code, JSON.parse(rv.stdout)]).toEqual([0, { beacon_id: 'pi-hq-1', revoked: true }]);
      await collector.start();

      b.visitors(DAY, 36, 40);
      time.jump(DAY + 10 * 3600_000 + 10_000);
      expect(await r1.tick()).toBe(false);
      const queued = r1.pending();
      expect(queued).toBe(4 + 1); // slots 36..39 and the day row, none lost
      const errs = logs.filter(([l]) => l === 'error').map(([, m]) => m);
      expect(errs).toHaveLength(2); // the heartbeat and the upload, each refused
      expect(errs[1]).toMatch(/^fleet: upload of 5 row\(s\): collector answered 401 .*unknown or revoked beacon token.*revoked or replaced.*enrol it again.*fleet-token.*kept in the queue$/);
      // More slots while revoked: still queued, still refused.
      time.jump(DAY + 11 * 3600_000 + 10_000);
      expect(await r1.tick()).toBe(false);
      expect(r1.pending()).toBe(queued + 4);
      expect(r1.stats.rowsAcked).toBe(36 + 1);
      const before = await collector.store.sql.query<{ n: number }>("SELECT count(*)::int AS n FROM slot_counts WHERE beacon_id = 'pi-hq-1'");
      expect(before[0].n).toBe(36); // nothing accepted while revoked

      // Enrol again: a new token; the old one stays refused; the queue drains.
      await collector.stop();
      const token2 = (await cli('fleet', 'enrol', '--db', db, '--beacon', 'pi-hq-1', '--site', 'HQ lobby')).stdout.trim();
      await collector.start();
      expect(token2).not.toBe(token);
      expect(await reporter(token).sendHeartbeat()).toBe(false);
      const r2 = reporter(token2);
      expect(await r2.tick()).toBe(true);
      expect(r2.pending()).toBe(0);
      const own = presenceReport(b.db, DAY).slice(0, 44).map((r) => r.distinctIds);
      expect(own.slice(32).some((n) => n > 0)).toBe(true);
      const stored = await collector.store.sql.query<{ slot: number; android: number; ios: number }>("SELECT slot, android, ios FROM slot_counts WHERE beacon_id = 'pi-hq-1' ORDER BY slot");
      expect(stored.map((s) => s.android + s.ios)).toEqual(own);
    } finally {
      await b.close();
      await collector.stop();
    }
  }, 120_000);
});
