import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDirs } from '../helpers/cli.ts';
import { loadOrCreateKey, writeStatus } from '../../firmware/beacon/state.ts';
import { dailyKey } from '../../firmware/protocol/keys.ts';


const tmp = tempDirs('bz-cli-beacon-');

describe('bluezone beacon config', () => {
  it('--print-defaults prints a file that --check accepts', async () => {
    const r = await cli('beacon', 'config', '--print-defaults');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('interval_ms: 100');
    const f = join(tmp(), 'b.yaml');
    writeFileSync(f, r.stdout);
    expect(await cli('beacon', 'config', '--check', f)).toMatchObject({ code: 0, stdout: `${f}: ok\n` });
    const j = await cli('beacon', 'config', '--check', f, '--json');
    expect(JSON.parse(j.stdout).advertising.interval_ms).toBe(100);
  });

  it('--check: exit 2 naming file, line, field and expectation', async () => {
    const f = join(tmp(), 'bad.yaml');
    writeFileSync(f, 'hci: native:0\nadvertising:\n  interval_ms: 15000\n');
    const r = await cli('beacon', 'config', '--check', f);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: ${f}:3: field advertising.interval_ms: expected at most 10240 ms`);
    expect(r.stderr).toMatch(/hint: see `bluezone beacon config --print-defaults`/);
  });
});

describe('bluezone beacon publish', () => {
  it('prints one push entry with the daily key of that date, never the base key', async () => {
    const dir = tmp();
    const { key } = loadOrCreateKey(dir, Date.parse('2026-11-20T10:00:00Z'));
    const r = await cli('beacon', 'publish', '--state-dir', dir, '--date', '2026-11-23', '--from', '08:00', '--to', '10:30');
    expect(r.code).toBe(0);
    const entry = JSON.parse(r.stdout);
    expect(Object.keys(entry)).toEqual(['daily_key', 'time_start', 'time_end', 'max']);
    // created 2026-11-20, base date 2026-11-19 (state.ts), so 2026-11-23 is day 4
    expect(entry.daily_key).toBe(Buffer.from(dailyKey(key.secret(), 4)).toString('hex').toUpperCase());
    expect(entry.time_start).toBe(Date.parse('2026-11-23T00:00:00Z') / 1000); // phones index slots from time_start (6.4)
    expect(entry.time_end).toBe(Date.parse('2026-11-23T10:30:00Z') / 1000 - 1);
    expect(entry.max).toBe(96);
    const base = Buffer.from(key.secret()).toString('hex');
    expect((r.stdout + r.stderr).toLowerCase()).not.toContain(base);
  });

  it('validates date and times (exit 2)', async () => {
    const dir = tmp();
    loadOrCreateKey(dir, Date.parse('2026-11-20T10:00:00Z'));
    const p = (a: string[]) => cli('beacon', 'publish', '--state-dir', dir, ...a);
    expect((await p(['--date', '2026-11-23', '--from', '10:00', '--to', '09:00'])).stderr).toMatch(/--from 10:00 must be before --to 09:00/);
    expect((await p(['--date', '2026-02-30', '--from', '10:00', '--to', '11:00'])).stderr).toMatch(/--date: "2026-02-30" is not a date/);
    expect((await p(['--date', '2026-11-23', '--from', '7:00', '--to', '11:00'])).stderr).toMatch(/--from: "7:00" is not a UTC time HH:MM/);
    const early = await p(['--date', '2026-11-18', '--from', '10:00', '--to', '11:00']);
    expect(early.code).toBe(2);
    expect(early.stderr).toMatch(/before this beacon's base date 2026-11-19/);
    const baseDay = await p(['--date', '2026-11-19', '--from', '10:00', '--to', '11:00']);
    expect(baseDay.code).toBe(2);
    expect(baseDay.stderr).toMatch(/base key itself, which is never published/);
    expect((await p(['--date', '2026-11-23', '--from', '23:00', '--to', '24:00'])).code).toBe(0);
  });

  it('refuses a key file readable by others, with the chmod hint', async () => {
    const dir = tmp();
    const { key } = loadOrCreateKey(dir, Date.now());
    chmodSync(key.file, 0o640);
    const r = await cli('beacon', 'publish', '--state-dir', dir, '--date', new Date().toISOString().slice(0, 10), '--from', '00:00', '--to', '01:00');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`hint: chmod 600 ${key.file}`);
  });
});

describe('bluezone beacon status', () => {
  it('prints the status file as text and JSON with the interfaces.md fields', async () => {
    const dir = tmp();
    writeStatus(dir, {
      state: 'advertising', slot: 33, id_prefix: 'ABCDEF***', started_at_ms: Date.now() - 90_000, updated_at_ms: Date.now(),
      last_error: '2026-11-23T08:00:00.000Z adapter went poweredOff', last_error_at_ms: 1, adapter: 'native:0', pid: process.pid,
      interval_ms: 100, restarts: 1, frame: 'bluezone', test_clock: false,
    });
    const j = await cli('beacon', 'status', '--state-dir', dir, '--json');
    const s = JSON.parse(j.stdout);
    expect(s).toMatchObject({ state: 'advertising', slot: 33, id_prefix: 'ABCDEF***', last_error: '2026-11-23T08:00:00.000Z adapter went poweredOff' });
    expect(s.uptime_s).toBeGreaterThanOrEqual(89);
    const t = await cli('beacon', 'status', '--state-dir', dir);
    expect(t.stdout).toMatch(/^state\s+advertising$/m);
    expect(t.stdout).toMatch(/^id_prefix\s+ABCDEF\*\*\*$/m);
    const none = await cli('beacon', 'status', '--state-dir', tmp());
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no status file/);
  });
});

describe('bluezone beacon install-service', () => {
  it('prints a hardened unit with capabilities, ordering and state dir', async () => {
    const r = await cli('beacon', 'install-service', '--user', 'bzbeacon');
    expect(r.code).toBe(0);
    for (const line of [
      'User=bzbeacon',
      'AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN',
      'CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN',
      'Restart=always',
      'RestartSec=5',
      'ExecStartPre=-/usr/bin/hciconfig hci0 up',
      'StateDirectory=bluezone',
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'ReadWritePaths=/var/lib/bluezone',
      'ExecStart=/usr/local/bin/bluezone beacon start --config /etc/bluezone/beacon.yaml --state-dir /var/lib/bluezone',
    ]) expect(r.stdout).toContain(line + '\n');
    expect(r.stdout).toMatch(/^After=bluetooth\.target sys-subsystem-bluetooth-devices-hci0\.device/m);
    expect(r.stdout).toMatch(/^Wants=bluetooth\.target sys-subsystem-bluetooth-devices-hci0\.device/m);
    const f = join(tmp(), 'bz.service');
    expect((await cli('beacon', 'install-service', '--write', f, '--adapter', 'hci1')).code).toBe(0);
    expect(readFileSync(f, 'utf8')).toContain('sys-subsystem-bluetooth-devices-hci1.device');
    expect((await cli('beacon', 'install-service', '--state-dir', '/srv/bz')).stderr).toMatch(/must be under \/var\/lib\//);
    expect((await cli('beacon', 'install-service', '--user', 'root; rm')).code).toBe(2);
  });
});

describe('bluezone beacon start: bad input', () => {
  it('exits 2 on a bad --hci or --interval-ms before touching the radio', async () => {
    const dir = tmp();
    expect((await cli('beacon', 'start', '--state-dir', dir, '--hci', 'hci0')).stderr).toMatch(/--hci: expected native:N/);
    const r = await cli('beacon', 'start', '--state-dir', dir, '--interval-ms', '10');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--interval-ms: expected at least 20 ms/);
  });

  it('refuses a second daemon on the same state dir', async () => {
    const dir = tmp();
    // a live process that is not us: our parent (the vitest runner)
    writeStatus(dir, {
      state: 'advertising', slot: 1, id_prefix: 'ABCDEF***', started_at_ms: Date.now(), updated_at_ms: Date.now(), last_error: null, last_error_at_ms: null,
      adapter: 'native:0', pid: process.ppid, interval_ms: 100, restarts: 0, frame: 'bluezone', test_clock: false,
    });
    const r = await cli('beacon', 'start', '--state-dir', dir, '--hci', 'native:0');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`a beacon is already running with this state dir (pid ${process.ppid})`);
  });
});
