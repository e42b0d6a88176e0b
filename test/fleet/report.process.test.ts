// `bluezone fleet report` as the real process a beacon runs (systemd's ExecStart): config, token file,
// logbook and status.json wiring, reporting to a collector, and a clean stop on SIGTERM.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Logbook, openLogbookDb, presenceEstimate, presenceReport } from '../../firmware/beacon/logbook.ts';
import { buildAndroidFrame } from '../../firmware/protocol/frames.ts';
import { openFleetDb } from '../../fleet/db.ts';
import { createCollector, listenCollector } from '../../fleet/server.ts';
import { FleetStore } from '../../fleet/store.ts';
import { ROOT, tempDirs } from '../helpers/cli.ts';
import { basic } from './harness.ts';

const tmp = tempDirs('bz-fleet-proc-');
const DAY = Date.parse('2026-11-23T00:00:00Z');

describe('bluezone fleet report (process)', () => {
  it('sends the logbook counts and a heartbeat, then stops on SIGTERM with a final JSON line', async () => {
    const d = tmp();
    const sql = await openFleetDb(join(d, 'collector'));
    const store = new FleetStore(sql);
    await store.addSite('HQ lobby', 'District 1');
    writeFileSync(join(d, 'fleet-token'), (await store.enrol('pi-1', 'HQ lobby', Date.now())) + '\n', { mode: 0o600 });
    await store.addViewer('p', 'province-password', null);
    const app = await createCollector({ sql });
    const url = await listenCollector(app, '127.0.0.1', 0, false);
    const db = openLogbookDb(join(d, 'logbook.db'));
    const logbook = new Logbook({ db, receiver: 'door', flushRows: 1 });
    for (let i = 0; i < 25; i++) logbook.handleReport({ advData: buildAndroidFrame(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, i)), rssi: -60, timestampMs: DAY + 8 * 3600_000 + i * 90_000 } as never);
    const want = presenceEstimate(presenceReport(db, DAY).slice(0, 36));
    db.close();
    const child = spawn(process.execPath, ['bin/bluezone.js', 'fleet', 'report', '--state-dir', d, '--url', url, '--json'], {
      cwd: ROOT,
      env: { ...process.env, BLUEZONE_TEST_CLOCK: 'start=2026-11-23T09:00:10Z,speed=1' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    try {
      let site: { estimate: number } | undefined;
      let beacon: { state: string } | undefined;
      for (let i = 0; i < 240 && !(site?.estimate && beacon); i++) {
        await new Promise((r) => setTimeout(r, 500));
        const o = (await app.inject({ method: 'GET', url: '/api/v1/overview?date=2026-11-23', headers: { authorization: basic('p', 'province-password') } })).json();
        site = o.sites[0];
        beacon = o.beacons.find((b: { state: string | null }) => b.state !== null);
      }
      expect(site?.estimate, err).toBe(want.visitors);
      // No status.json in this state dir: the heartbeat says so instead of inventing a state.
      expect(beacon).toMatchObject({ beacon_id: 'pi-1', state: 'unknown', last_error: expect.stringContaining('no status.json') });
      child.kill('SIGTERM');
      const code = await new Promise((r) => child.on('exit', r));
      expect(code).toBe(0);
      const last = JSON.parse(out.trim().split('\n').at(-1)!);
      expect(last).toMatchObject({ event: 'stopped', signal: 'SIGTERM', pending: 0 });
      expect(err).toContain('TEST MODE');
    } finally {
      child.kill('SIGKILL');
      await app.close();
      await sql.close();
    }
  }, 240_000);
});
