// `bluezone fleet ...` through the real main(): admin commands on a PGlite folder, exit codes and
// messages for bad input, the simulator, and the reporter over TLS with the collector's certificate.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FleetReporter, httpPoster } from '../../firmware/beacon/fleetReporter.ts';
import { openLogbookDb } from '../../firmware/beacon/logbook.ts';
import { systemClock } from '../../firmware/clock.ts';
import { openFleetDb } from '../../fleet/db.ts';
import { createCollector, listenCollector } from '../../fleet/server.ts';
import { FleetStore } from '../../fleet/store.ts';
import { cli, tempDirs } from '../helpers/cli.ts';

const tmp = tempDirs('bz-fleet-cli-');

describe('bluezone fleet (admin)', () => {
  it('site add, enrol (token file 0600, hashed in the store), viewer add; bad input exits 2 naming it', async () => {
    const d = tmp();
    const db = join(d, 'fleet');
    expect((await cli('fleet', 'site', 'add', '--db', db, '--name', 'HQ lobby', '--district', 'District 1', '--json')).stdout).toContain('"site_id": 1');
    const tokenFile = join(d, 'fleet-token');
    const e = await cli('fleet', 'enrol', '--db', db, '--beacon', 'pi-hq-1', '--site', 'HQ lobby', '--token-out', tokenFile);
    expect(e.code).toBe(0);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(tokenFile, 'utf8')).toMatch(/^bzf_[A-Za-z0-9_-]{43}\n$/);
    const unknown = await cli('fleet', 'enrol', '--db', db, '--beacon', 'pi-x', '--site', 'Nowhere');
    expect([unknown.code, unknown.stderr.split('\n')[0]]).toEqual([2, 'error: no site named "Nowhere"; add it first with `bluezone fleet site add`']);
    const pw = join(d, 'pw');
    writeFileSync(pw, 'a-long-enough-password\n', { mode: 0o644 });
    chmodSync(pw, 0o644);
    const open = await cli('fleet', 'viewer', 'add', '--db', db, '--name', 'hq', '--site', 'HQ lobby', '--password-file', pw);
    expect(open.code).toBe(2);
    expect(open.stderr).toContain(`hint: chmod 600 ${pw}`);
    chmodSync(pw, 0o600);
    expect((await cli('fleet', 'viewer', 'add', '--db', db, '--name', 'hq', '--site', 'HQ lobby', '--password-file', pw)).code).toBe(0);
    expect((await cli('fleet', 'viewer', 'add', '--db', db, '--name', 'p', '--site', 'HQ lobby', '--province')).stderr).toContain('exactly one of --site NAME or --province');
    const sql = await openFleetDb(db);
    const rows = await sql.query<{ token_hash: string }>('SELECT token_hash FROM beacons');
    await sql.close();
    expect(rows[0].token_hash).not.toContain(readFileSync(tokenFile, 'utf8').trim().slice(4));
  }, 120_000);

  it('serve refuses plain HTTP off loopback; report refuses http:// to another host and a readable token file', async () => {
    const s = await cli('fleet', 'serve', '--db', join(tmp(), 'x'), '--host', '0.0.0.0');
    expect([s.code, s.stderr.split('\n')[0]]).toEqual([2, 'error: --host 0.0.0.0: plain HTTP is only allowed on loopback']);
    const d = tmp();
    const r = await cli('fleet', 'report', '--state-dir', d, '--url', 'http://collector.example:8080');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('expected https://, or http:// to a loopback address');
    writeFileSync(join(d, 'fleet-token'), 'bzf_x\n', { mode: 0o644 });
    chmodSync(join(d, 'fleet-token'), 0o644);
    const t = await cli('fleet', 'report', '--state-dir', d, '--url', 'https://collector.example');
    expect(t.code).toBe(2);
    expect(t.stderr).toContain('fleet token file is readable by group or others');
  });

  it('simulate: beacons report to an embedded collector, every request answered 200', async () => {
    const r = await cli('fleet', 'simulate', '--sites', '3', '--speed', '900', '--duration', '3', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.sites).toBe(3);
    expect(j.requests).toBeGreaterThan(6);
    expect(j.uploads).toBeGreaterThan(0);
    expect(Object.keys(j.status)).toEqual(['200']);
    expect(j.errors).toBe(0);
  }, 120_000);
});

const haveOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const inCi = process.env.CI === 'true';
if (!haveOpenssl && !inCi) console.warn('SKIPPED: no openssl to make a test certificate (apt-get install openssl)');

describe('TLS', () => {
  // Outside CI a missing openssl skips; with CI=true the test runs and fails, so the check is not lost.
  it.skipIf(!haveOpenssl && !inCi)('the reporter trusts the collector through fleet.ca_file, and refuses an unknown certificate', async () => {
    const d = tmp();
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(d, 'key.pem'), '-out', join(d, 'cert.pem')], { stdio: 'ignore' });
    const sql = await openFleetDb(join(d, 'db'));
    const store = new FleetStore(sql);
    await store.addSite('S', 'D');
    const token = await store.enrol('b', 'S', Date.now());
    const app = await createCollector({ sql, tls: { cert: readFileSync(join(d, 'cert.pem')), key: readFileSync(join(d, 'key.pem')) } });
    const url = await listenCollector(app, '0.0.0.0', 0, true);
    const port = new URL(url).port;
    const logbook = openLogbookDb(join(d, 'l.db'));
    const make = (ca?: Buffer) =>
      new FleetReporter({ db: logbook, url: `https://127.0.0.1:${port}`, token, clock: systemClock, version: 't', post: httpPoster({ ca }), status: () => ({ state: 'advertising', slot: 1, id_prefix: null, restarts: 0, last_error: null }) });
    try {
      expect(await make(readFileSync(join(d, 'cert.pem'))).sendHeartbeat()).toBe(true);
      const untrusting = make();
      expect(await untrusting.sendHeartbeat()).toBe(false);
      expect(untrusting.stats.lastError).toMatch(/self.signed|certificate/i);
    } finally {
      logbook.close();
      await app.close();
      await sql.close();
    }
    expect(existsSync(join(d, 'db'))).toBe(true);
  }, 60_000);
});
