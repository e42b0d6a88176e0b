import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { idPrefix, KEY_FILE, loadKey, loadOrCreateKey, readStatus, writeStatus, type StatusFile } from '../../../firmware/beacon/state.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'bz-state-'));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('beacon state dir', () => {
  it('creates a random 32-byte key once, mode 0600, with its UTC base date', () => {
    const dir = join(tmp(), 'state');
    const now = Date.parse('2026-11-23T18:00:00Z');
    const a = loadOrCreateKey(dir, now);
    expect(a.created).toBe(true);
    expect(a.key.secret()).toHaveLength(32);
    // one day before creation: the daily key of every running day differs from the stored key (9.2)
    expect(a.key.baseDateMs).toBe(Date.parse('2026-11-22T00:00:00Z'));
    const path = join(dir, KEY_FILE);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const b = loadOrCreateKey(dir, now + 86_400_000 * 3);
    expect(b.created).toBe(false);
    expect(Buffer.from(b.key.secret())).toEqual(Buffer.from(a.key.secret()));
    expect(b.key.baseDateMs).toBe(a.key.baseDateMs);
    // a second beacon gets a different key (CSPRNG, not a constant)
    const c = loadOrCreateKey(join(tmp(), 'other'), now);
    expect(Buffer.from(c.key.secret())).not.toEqual(Buffer.from(a.key.secret()));
  });

  it('never writes the key through a link planted at the old predictable temp name (.NAME.PID.tmp)', () => {
    const dir = join(tmp(), 'state');
    mkdirSync(dir, { mode: 0o700 });
    const bait = join(tmp(), 'readable-by-all');
    writeFileSync(bait, 'bait\n', { mode: 0o644 });
    // records/atomicWrite.ts opened this name with flags 'w', following the link: the secret went to `bait`
    symlinkSync(bait, join(dir, `.${KEY_FILE}.${process.pid}.tmp`));
    symlinkSync(bait, join(dir, `.status.json.${process.pid}.tmp`));
    const { key } = loadOrCreateKey(dir, Date.parse('2026-11-23T18:00:00Z'));
    writeStatus(dir, { state: 'stopped' } as StatusFile);
    expect(readFileSync(bait, 'utf8')).toBe('bait\n');
    const st = lstatSync(join(dir, KEY_FILE));
    expect(st.isFile()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(loadKey(dir).secret()).toEqual(key.secret());
    expect(lstatSync(join(dir, 'status.json')).isFile()).toBe(true);
  });

  it('never shows the key through JSON or inspect', () => {
    const { key } = loadOrCreateKey(tmp(), Date.now());
    const secretHex = Buffer.from(key.secret()).toString('hex');
    expect(JSON.stringify(key).toLowerCase()).not.toContain(secretHex);
    expect(inspect(key).toLowerCase()).not.toContain(secretHex);
    expect(JSON.stringify({ key })).toContain('<redacted>');
  });

  it('refuses a key file readable by group or others, with the chmod fix as hint', () => {
    const dir = tmp();
    loadOrCreateKey(dir, Date.now());
    const path = join(dir, KEY_FILE);
    chmodSync(path, 0o644);
    try {
      loadKey(dir);
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toMatch(/readable or writable by group\/others \(mode 0644\); refusing to start/);
      expect((e as { hint?: string }).hint).toBe(`chmod 600 ${path}   (and check who could have copied it: anyone with this key can compute every ID of this beacon)`);
    }
    chmodSync(path, 0o600);
    expect(() => loadKey(dir)).not.toThrow();
  });

  it('reports a damaged key file by field', () => {
    const dir = tmp();
    const path = join(dir, KEY_FILE);
    writeFileSync(path, JSON.stringify({ format: 'bluezone-beacon-key/1', base_key: 'abc', base_date: '2026-11-23' }), { mode: 0o600 });
    expect(() => loadKey(dir)).toThrow(/field base_key: expected 64 hex digits/);
    writeFileSync(path, '{not json', { mode: 0o600 });
    expect(() => loadKey(dir)).toThrow(/not valid JSON/);
  });

  it('status: written atomically, uptime computed, dead daemon reported as stopped', () => {
    const dir = tmp();
    const s: StatusFile = {
      state: 'advertising', slot: 24, id_prefix: idPrefix(Buffer.from('3AA8DFC0A15682B27216FC31', 'hex')), started_at_ms: 1000, updated_at_ms: 2000,
      last_error: null, last_error_at_ms: null, adapter: 'native:0', pid: process.pid, interval_ms: 100, restarts: 0, frame: 'bluezone', test_clock: false,
    };
    writeStatus(dir, s);
    expect(JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')).id_prefix).toBe('3AA8DF***');
    expect(readStatus(dir, 61_000)).toMatchObject({ state: 'advertising', running: true, uptime_s: 60 });
    writeStatus(dir, { ...s, pid: 2 ** 22 + 12345 }); // above pid_max: not alive
    expect(readStatus(dir, 61_000)).toMatchObject({ state: 'stopped', running: false, uptime_s: 0 });
    expect(() => readStatus(tmp())).toThrow(/no status file/);
  });
});
