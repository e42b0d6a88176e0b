import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDirs } from '../helpers/cli.ts';
import { Logbook, openLogbookDb } from '../../firmware/beacon/logbook.ts';
import { loadOrCreateKey } from '../../firmware/beacon/state.ts';
import { buildAndroidFrame } from '../../firmware/protocol/frames.ts';
import { bluezoneIdAt } from '../../firmware/protocol/keys.ts';


const tmp = tempDirs('bz-cli-scan-');
const AT = (t: string) => Date.parse(`2026-11-23T${t}Z`);

/** A logbook at the door that heard an F0's phone (its own key) 09:05..09:40, plus someone else. */
function scene() {
  const dir = tmp();
  const f0Dir = join(dir, 'f0-phone');
  const { key } = loadOrCreateKey(f0Dir, AT('06:00:00') - 86_400_000 * 2);
  const dbPath = join(dir, 'logbook.db');
  const db = openLogbookDb(dbPath);
  const lb = new Logbook({ db, receiver: 'door' });
  for (let t = AT('09:05:00'); t <= AT('09:40:00'); t += 60_000) {
    const { id } = bluezoneIdAt(key.secret(), key.baseDateMs, t);
    lb.handleReport({ address: 'aa:bb:cc:dd:ee:ff', advData: buildAndroidFrame(id), rssi: -65, timestampMs: t });
  }
  lb.handleReport({ address: '11:11:11:11:11:11', advData: buildAndroidFrame(new Uint8Array(12).fill(7)), rssi: -80, timestampMs: AT('11:00:00') });
  lb.close();
  db.close();
  return { dir, f0Dir, dbPath };
}

describe('bluezone scan match', () => {
  it('finds when a published F0 was at the door and proposes the venue window', async () => {
    const s = scene();
    const pub = await cli('beacon', 'publish', '--state-dir', s.f0Dir, '--date', '2026-11-23', '--from', '00:00', '--to', '24:00');
    const pubFile = join(s.dir, 'f0.json');
    writeFileSync(pubFile, JSON.stringify({ data: [JSON.parse(pub.stdout)] }));
    const r = await cli('scan', 'match', '--db', s.dbPath, '--publication', pubFile, '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.contact).toBe(true);
    expect(j.matches.map((m: { slot_start: string }) => m.slot_start)).toEqual(['2026-11-23T09:00:00Z', '2026-11-23T09:15:00Z', '2026-11-23T09:30:00Z']);
    expect(j.matches[0]).toMatchObject({ first_seen: '2026-11-23T09:05:00Z', last_seen: '2026-11-23T09:14:00Z', sightings: 10 }); // one a minute; 5 s de-dup keeps each
    expect(j.venue_window).toEqual({ from: '2026-11-23T09:00:00Z', to: '2026-11-23T09:45:00Z' });
    const t = await cli('scan', 'match', '--db', s.dbPath, '--publication', pubFile);
    expect(t.stdout).toContain('publish it: bluezone beacon publish --state-dir DIR --date 2026-11-23 --from 09:00 --to 09:45');
  });

  it('says so when nobody matched, and rejects a broken publication with its JSON path', async () => {
    const s = scene();
    const other = join(s.dir, 'other.json');
    writeFileSync(other, JSON.stringify({ data: [{ daily_key: 'AB'.repeat(32), time_start: AT('00:00:00') / 1000, time_end: AT('23:59:59') / 1000, max: 96 }] }));
    const r = await cli('scan', 'match', '--db', s.dbPath, '--publication', other);
    expect(r).toMatchObject({ code: 0, stdout: 'no sightings of the published IDs (96 slot(s) checked)\n' });
    const bad = join(s.dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ data: [{ daily_key: 'XYZ', time_start: 0, time_end: 1, max: 96 }] }));
    const b = await cli('scan', 'match', '--db', s.dbPath, '--publication', bad);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/data\[0\]\.daily_key/);
  });
});

describe('bluezone scan export', () => {
  it('writes trace, observations and presence; presence defaults to the only day', async () => {
    const s = scene();
    const out = join(s.dir, 'data_trace.txt');
    expect((await cli('scan', 'export', '--db', s.dbPath, '--format', 'trace', '--out', out)).code).toBe(0);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(37);
    expect(lines[0]).toMatch(/^\t[0-9A-F]{24}\t-65\t1795424700000$/); // no beacon key here: own ID empty
    const obs = await cli('scan', 'export', '--db', s.dbPath, '--format', 'observations', '--date', '2026-11-23');
    expect(obs.stdout.split('\n')[0]).toBe('timestamp_ms,receiver,transmitter,rssi,tx_power,receiver_model,transmitter_model');
    const pj = await cli('scan', 'export', '--db', s.dbPath, '--format', 'presence', '--json');
    const p = JSON.parse(pj.stdout);
    expect(p.date).toBe('2026-11-23');
    expect(p.slots.filter((x: { distinctIds: number }) => x.distinctIds > 0).map((x: { slot: number }) => x.slot)).toEqual([36, 37, 38, 44]);
    expect(p.estimate).toMatchObject({ lower: 1, upper: 4 });
    const pc = await cli('scan', 'export', '--db', s.dbPath, '--format', 'presence');
    expect(pc.stdout.split('\n')).toHaveLength(98);
    expect(pc.stderr).toMatch(/estimated distinct visitors \d+ \(at least 1, at most 4\)/);
    const tj = await cli('scan', 'export', '--db', s.dbPath, '--format', 'trace', '--json');
    expect(JSON.parse(tj.stdout)[0]).toMatchObject({ own: '', rssi: -65, timestamp: AT('09:05:00') });
  });

  it('bad input: exit 2 with what was wrong', async () => {
    const s = scene();
    expect((await cli('scan', 'export', '--db', join(s.dir, 'nope.db'), '--format', 'trace')).stderr).toMatch(/cannot open the logbook/);
    expect((await cli('scan', 'export', '--db', s.dbPath, '--format', 'csv')).code).toBe(2);
    expect((await cli('scan', 'export', '--db', s.dbPath, '--format', 'trace', '--date', '23.11.2026')).stderr).toMatch(/--date: "23\.11\.2026" is not a date/);
  });
});

describe('bluezone scan report', () => {
  it('writes the presence page with its plot', async () => {
    const s = scene();
    const out = join(s.dir, 'presence');
    const r = await cli('scan', 'report', '--db', s.dbPath, '--site', 'HQ lobby', '--out', out, '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.files).toContain(join(out, 'presence.html'));
    expect(j.files).toContain(join(out, 'plots', 'presence.svg'));
    const html = readFileSync(join(out, 'presence.html'), 'utf8');
    expect(html).toContain('HQ lobby');
    expect(html).toContain('2026-11-23');
    expect(j.estimate.phones).toBeGreaterThanOrEqual(1);
  });
});
