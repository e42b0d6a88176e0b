// Issue 19 end to end with the REAL stacks: `bluezone scan` (noble, GATT client) and simulated iPhones
// (firmware/radio/iphoneSim.ts: bleno GATT server) as separate processes, each on the UART transport
// through a pty bridge to the in-process virtual air. A shared, sped-up test clock (BLUEZONE_TEST_CLOCK)
// brings a 15-minute slot boundary within seconds. The logbook must store the iPhone's current ID with
// platform iOS, refresh it after the boundary, keep logging Android adverts while a mute iPhone holds
// a connection open, and `scan match` must find the iPhone from its published daily key.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLENO_ADVERTISE_TOOL, startPtyBridge, startVirtualAir, type PtyBridge, type VirtualAir } from '../../firmware/hci/index.ts';
import { buildAndroidFrame } from '../../firmware/protocol/frames.ts';
import { publication } from '../../firmware/protocol/match.ts';
import { bluezoneIdAt, slotAt } from '../../firmware/protocol/keys.ts';
import { proc, until, stop } from '../helpers/processes.ts';

const BIN = fileURLToPath(new URL('../../bin/bluezone.js', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const SIM = fileURLToPath(new URL('../../firmware/radio/iphoneSim.ts', import.meta.url));
const SPEED = 100; // a 15-minute slot lasts 9 s
const RSSI = -64;
const PHONE_KEY = '5a'.repeat(32);
const MUTE_KEY = 'c3'.repeat(32);
const BASE_DATE = '2026-11-20';
const ANDROID_ID = Uint8Array.from([0xa0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);

interface Row {
  id: Buffer;
  rssi: number;
  timestamp: number;
  platform: string;
}

describe('iPhones in the entrance logbook over the virtual air (real noble GATT client, bleno GATT server)', () => {
  let air: VirtualAir;
  let dir: string;
  const bridges: PtyBridge[] = [];
  const kids: ReturnType<typeof proc>[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bz-ios-e2e-'));
    air = await startVirtualAir({ port: 0, rssiModel: `fixed:${RSSI}` });
    for (const n of ['phone', 'mute', 'android', 'scan']) bridges.push(await startPtyBridge(air.port, join(dir, `${n}.pty`)));
  });

  afterAll(async () => {
    await Promise.all(kids.map((k) => stop(k.child)));
    await Promise.all(bridges.map((b) => b.close()));
    await air?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores the iPhone\'s current ID (platform iOS), refreshes it after a slot boundary, survives a mute iPhone, and scan match finds it', async () => {
    const anchor = Date.now();
    const start = Date.parse('2026-11-23T08:05:00Z');
    const env = { BLUEZONE_TEST_CLOCK: `start=${new Date(start).toISOString()},speed=${SPEED},anchor=${anchor}` };
    const fake = (real: number) => start + (real - anchor) * SPEED;
    const baseDateMs = Date.parse(`${BASE_DATE}T00:00:00Z`);
    const phoneId = (ms: number) => Buffer.from(bluezoneIdAt(Buffer.from(PHONE_KEY, 'hex'), baseDateMs, ms).id);
    const muteId = (ms: number) => Buffer.from(bluezoneIdAt(Buffer.from(MUTE_KEY, 'hex'), baseDateMs, ms).id);

    const phone = proc(['--import', TSX, SIM, '--hci', `uart:${join(dir, 'phone.pty')}`, '--base-key', PHONE_KEY, '--base-date', BASE_DATE, '--layout', 'background'], env);
    const mute = proc(['--import', TSX, SIM, '--hci', `uart:${join(dir, 'mute.pty')}`, '--base-key', MUTE_KEY, '--base-date', BASE_DATE, '--mute'], env);
    const android = proc([BLENO_ADVERTISE_TOOL, join(dir, 'android.pty'), Buffer.from(buildAndroidFrame(ANDROID_ID)).toString('hex')], {});
    kids.push(phone, mute, android);
    const cfg = join(dir, 'scan.yaml');
    writeFileSync(cfg, 'watchdog:\n  power_on_timeout_s: 4\n  backoff_initial_ms: 200\n  backoff_max_ms: 1000\nlogbook:\n  receiver: door-ios\n  flush_ms: 100\n');
    const db = join(dir, 'logbook.db');
    const scanner = proc([BIN, '-v', 'scan', '--config', cfg, '--state-dir', join(dir, 'scan-state'), '--hci', `uart:${join(dir, 'scan.pty')}`, '--db', db, '--json'], env);
    kids.push(scanner);
    const diag = () => [
      `--- scanner stderr:\n${scanner.err().slice(-3000)}`,
      `--- phone: ${JSON.stringify(phone.lines().slice(-5))}\n${phone.err().slice(-1000)}`,
      `--- mute: ${JSON.stringify(mute.lines().slice(-5))}\n${mute.err().slice(-1000)}`,
    ].join('\n');

    const rows = (): Row[] => {
      try {
        const d = new Database(db, { readonly: true, fileMustExist: true });
        try {
          return d.prepare('SELECT blid_contact AS id, rssi, timestamp, platform FROM trace_info ORDER BY _id').all() as Row[];
        } finally {
          d.close();
        }
      } catch {
        return [];
      }
    };
    const iosRows = () => rows().filter((r) => r.platform === 'iOS');

    // 1. The iPhone's ID of the (fake) moment of the read, stored as iOS with the air's RSSI.
    const first = await until('an iOS row', () => iosRows()[0], 40_000, diag);
    expect(first.id.equals(phoneId(first.timestamp)), "the stored ID is the iPhone's ID for that time").toBe(true);
    expect(first.rssi).toBe(RSSI);
    expect(phone.lines().some((l) => l.event === 'read' && l.answered === true)).toBe(true);

    // 2. After the slot boundary the logbook reads again and stores the new ID (the cache ends with the slot).
    // (At 100x a slot lasts 9 s, less than the mute phone's 10 s timeout, so the refresh may land in a
    // later slot than the next one: any later slot's ID counts.)
    const boundary = slotAt(first.timestamp).endMs;
    const refreshed = await until("the iPhone's ID of a later slot", () => iosRows().find((r) => r.timestamp >= boundary), 30_000, diag);
    const next = refreshed.id;
    expect(next.equals(first.id)).toBe(false);
    expect(next.equals(phoneId(refreshed.timestamp))).toBe(true);
    // Within a slot every iOS row of the phone carries that slot's ID (no stale cache across the boundary).
    for (const r of iosRows()) expect(r.id.equals(phoneId(r.timestamp))).toBe(true);

    // 3. The mute iPhone: it accepted a connection and never answered; the scan went on meanwhile.
    const muteRead = await until('the mute phone read attempt', () => mute.lines().find((l) => l.event === 'read' && l.answered === false), 30_000, diag);
    const t = fake(muteRead.t as number);
    await until('Android rows during the mute read', () => rows().filter((r) => r.platform === 'Android' && r.timestamp > t && r.timestamp < t + 8000 * SPEED).length >= 3, 20_000, diag);
    await until('the mute phone disconnected after the timeout', () => mute.lines().find((l) => l.event === 'disconnect'), 20_000, diag);
    expect(iosRows().some((r) => r.id.equals(muteId(r.timestamp)))).toBe(false);
    const afterMute = fake(Date.now());
    await until('iOS rows after the mute read', () => iosRows().some((r) => r.timestamp > afterMute), 30_000, diag);
    expect(scanner.child.exitCode).toBeNull();

    await stop(scanner.child, 'SIGINT');
    expect(scanner.child.exitCode).toBe(0);
    const final = scanner.lines().at(-1)!;
    expect(final).toMatchObject({ event: 'stopped' });
    expect(final.ios_read_ok as number).toBeGreaterThanOrEqual(2);
    expect(final.ios_read_timeouts as number).toBeGreaterThanOrEqual(1);
    expect(final.ios_stored).toBe(iosRows().length);

    // 4. scan match: the iPhone's daily key for that day finds it at the door.
    const day = Date.parse('2026-11-23T00:00:00Z');
    const pub = join(dir, 'f0.json');
    writeFileSync(pub, JSON.stringify({ data: publication(Buffer.from(PHONE_KEY, 'hex'), baseDateMs, day, day + 86_400_000) }));
    const m = proc([BIN, 'scan', 'match', '--db', db, '--publication', pub, '--json'], {});
    await new Promise((r) => m.child.once('exit', r));
    expect(m.child.exitCode, m.err()).toBe(0);
    const res = JSON.parse(m.out());
    expect(res.contact).toBe(true);
    expect(res.matches.map((x: { id: string }) => x.id)).toContain(first.id.toString('hex').toUpperCase());
    expect(res.matches.map((x: { id: string }) => x.id)).toContain(next.toString('hex').toUpperCase());
    // The mute iPhone's key finds nothing: no ID was ever read from it.
    writeFileSync(pub, JSON.stringify({ data: publication(Buffer.from(MUTE_KEY, 'hex'), baseDateMs, day, day + 86_400_000) }));
    const m2 = proc([BIN, 'scan', 'match', '--db', db, '--publication', pub, '--json'], {});
    await new Promise((r) => m2.child.once('exit', r));
    expect(JSON.parse(m2.out()).contact).toBe(false);
  }, 150_000);
});
