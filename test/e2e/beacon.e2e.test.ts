// End to end with the REAL stack: `bluezone beacon start` (bleno in its supervised child process) and
// `bluezone scan` (noble) as separate processes, each on the UART transport through a pty bridge to the
// in-process virtual air (ble-stack.md 2.5-2.7). A shared, sped-up test clock
// (BLUEZONE_TEST_CLOCK, test mode only) brings a 15-minute slot boundary within seconds.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKey } from '../../firmware/beacon/state.ts';
import { startPtyBridge, startVirtualAir, type PtyBridge, type VirtualAir } from '../../firmware/hci/index.ts';
import { bluezoneIdAt, slotAt } from '../../firmware/protocol/keys.ts';
import { until, stop } from '../helpers/processes.ts';

const BIN = fileURLToPath(new URL('../../bin/bluezone.js', import.meta.url));
const RSSI = -63;
// 100x: a 15-minute slot lasts 9 s, so a boundary comes soon whatever the start-up time of the processes.
const SPEED = 100;

function cli(args: string[], env: Record<string, string>) {
  const e = { ...process.env, ...env };
  delete e.BLUETOOTH_HCI_SOCKET_UART_PORT;
  delete e.HCI_CHANNEL_USER;
  const child: ChildProcess = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: e });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-20_000)));
  return { child, out: () => out, err: () => err };
}

describe('lobby beacon + entrance logbook over the virtual air (real bleno/noble)', () => {
  let air: VirtualAir;
  let dir: string;
  const bridges: PtyBridge[] = [];
  let beacon: ReturnType<typeof cli> | undefined;
  let scanner: ReturnType<typeof cli> | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bz-e2e-'));
    air = await startVirtualAir({ port: 0, rssiModel: `fixed:${RSSI}` });
    bridges.push(await startPtyBridge(air.port, join(dir, 'beacon.pty')));
    bridges.push(await startPtyBridge(air.port, join(dir, 'scan.pty')));
  });

  afterAll(async () => {
    await Promise.all([stop(beacon?.child), stop(scanner?.child)]);
    await Promise.all(bridges.map((b) => b.close()));
    await air?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('advertises, is logged with the air RSSI, rotates at the slot boundary and recovers from a dropped controller', async () => {
    // Fake clock shared by both processes (same start and anchor), 100x real time.
    const anchor = Date.now();
    const start = Date.parse('2026-11-23T08:00:00Z');
    const env = { BLUEZONE_TEST_CLOCK: `start=${new Date(start).toISOString()},speed=${SPEED},anchor=${anchor}` };
    const fake = () => start + (Date.now() - anchor) * SPEED;
    const cfg = join(dir, 'beacon.yaml');
    writeFileSync(cfg, 'watchdog:\n  power_on_timeout_s: 4\n  backoff_initial_ms: 200\n  backoff_max_ms: 1000\nlogbook:\n  receiver: door-e2e\n  flush_ms: 100\n');
    const state = join(dir, 'state');
    const db = join(dir, 'logbook.db');

    beacon = cli(['-v', 'beacon', 'start', '--config', cfg, '--state-dir', state, '--hci', `uart:${join(dir, 'beacon.pty')}`], env);
    scanner = cli(['-v', 'scan', '--config', cfg, '--state-dir', join(dir, 'scan-state'), '--hci', `uart:${join(dir, 'scan.pty')}`, '--db', db, '--json'], env);
    const diag = () => `--- beacon stderr:\n${beacon!.err()}\n--- scanner stderr:\n${scanner!.err()}`;

    // 1. The beacon comes up and advertises the ID of the current (fake) slot.
    const status = () => {
      try {
        return JSON.parse(readFileSync(join(state, 'status.json'), 'utf8'));
      } catch {
        return undefined;
      }
    };
    await until('beacon advertising', () => status()?.state === 'advertising', 30_000, diag);
    const key = loadKey(state);
    const idAt = (ms: number) => Buffer.from(bluezoneIdAt(key.secret(), key.baseDateMs, ms).id);
    expect(status()).toMatchObject({ test_clock: true, interval_ms: 100, frame: 'bluezone' });

    // 2. The logbook stores it with the RSSI the air chose.
    const rows = () => {
      try {
        const d = new Database(db, { readonly: true, fileMustExist: true });
        try {
          return d.prepare('SELECT blid_contact AS id, rssi, timestamp, receiver FROM trace_info ORDER BY _id').all() as { id: Buffer; rssi: number; timestamp: number; receiver: string }[];
        } finally {
          d.close();
        }
      } catch {
        return [];
      }
    };
    const firstRow = await until('a first logbook row', () => rows()[0], 15_000, diag);
    const before = idAt(firstRow.timestamp);
    expect(firstRow.id.equals(before), 'the logged ID is the beacon\'s ID for that time').toBe(true);
    expect(firstRow).toMatchObject({ rssi: RSSI, receiver: 'door-e2e' });

    // 3. At the next boundary the ID changes; the old one is not heard after the new one.
    const boundary = slotAt(firstRow.timestamp).endMs;
    const after = idAt(boundary);
    await until("a logbook row of the next slot's ID", () => rows().some((r) => r.id.equals(after)), 15_000, diag);
    const all = rows().filter((r) => r.timestamp < boundary + 60_000);
    // In arrival order (rows by _id), every row of the old ID comes before the first of the new one.
    // Their timestamps may be equal: the test clock runs 100x, so two reports the scanner handles in
    // the same real millisecond share a fake timestamp (a CI run had both at the boundary + 3.2 s).
    const lastOldRow = all.findLastIndex((r) => r.id.equals(before));
    const firstNewRow = all.findIndex((r) => r.id.equals(after));
    expect(lastOldRow).toBeLessThan(firstNewRow);
    const lastOld = all[lastOldRow].timestamp;
    const firstNew = all[firstNewRow].timestamp;
    expect(lastOld).toBeLessThanOrEqual(firstNew);
    expect(firstNew).toBeGreaterThanOrEqual(boundary); // never early: the beacon switches at its boundary, reports arrive after it
    expect(all.every((r) => r.rssi === RSSI && (r.id.equals(before) || r.id.equals(after)))).toBe(true); // only our beacon is on the air
    // De-dup: at most one row per ID per 5 s of (fake) time.
    const ts = all.filter((r) => r.id.equals(before)).map((r) => r.timestamp);
    for (let i = 1; i < ts.length; i++) expect(ts[i] - ts[i - 1]).toBeGreaterThanOrEqual(5000);
    expect(beacon.err()).toMatch(/slot boundary: advertising ID [0-9A-F]{6}\*\*\*/);

    // 4. Drop the beacon's controller connection: the radio child loses its port, the daemon restarts it,
    //    the bridge opens a fresh controller, and the ID is on the air again by itself.
    const adv = air.controllers.find((c) => c.advertising && Buffer.from(c.advData).includes(Buffer.from([0xb5, 0x22])));
    expect(adv, 'the controller advertising our frame').toBeDefined();
    const droppedAt = fake();
    expect(air.drop(adv!.address)).toBe(1);
    await until('beacon recovery', () => {
      const s = status();
      return s?.state === 'advertising' && s.restarts >= 1 && s.last_error ? s : undefined;
    }, 20_000, diag);
    expect(status().last_error).toMatch(/poweredOff|radio process exited|did not reach poweredOn/);
    await until('a logbook row after the recovery', () => rows().some((r) => r.timestamp > droppedAt + 2000 * SPEED && r.id.equals(idAt(r.timestamp))), 20_000, diag);
    expect(beacon.err()).toMatch(/radio problem: .*restarting the radio in \d+ ms/);

    // 5. Same for the logbook's scanner: drop its controller, it re-creates its noble bindings and logs again.
    const scanCtl = air.controllers.find((c) => c.scanning);
    expect(scanCtl, 'the scanning controller').toBeDefined();
    const scanDroppedAt = fake();
    expect(air.drop(scanCtl!.address)).toBe(1);
    await until('logbook rows after the scanner recovered', () => rows().some((r) => r.timestamp > scanDroppedAt + 1000 * SPEED), 20_000, diag);
    expect(scanner.err()).toMatch(/scanner problem: .*restarting it in \d+ ms/);

    // 6. Both stop cleanly (Ctrl-C for the scanner: noble's own SIGINT handler must not kill it before
    //    it commits); the scanner reports its totals as JSON.
    await stop(scanner.child, 'SIGINT');
    await stop(beacon.child);
    expect(beacon.child.exitCode).toBe(0);
    expect(scanner.child.exitCode).toBe(0);
    const events = scanner.out().trim().split('\n').map((l) => JSON.parse(l));
    expect(events.at(-1)).toMatchObject({ event: 'stopped', signal: 'SIGINT' });
    expect(events.at(-1).committed).toBe(rows().length);
    expect(status().state).toBe('stopped');
  }, 90_000);
});
