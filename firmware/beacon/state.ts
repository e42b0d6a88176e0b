// The beacon's state directory: the base key (created once with the CSPRNG, mode 0600, never
// printed or exported: only daily keys are ever published, bluezone-protocol.md 9 item 2) and
// status.json for `bluezone beacon status`. Both are written atomically (temp + fsync + rename).
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { DAY_MS, generateBaseKey, utcMidnight } from '../protocol/keys.ts';
import { writeFileAtomic } from '../../records/output.ts';
import { BeaconInputError } from './errors.ts';

export const KEY_FILE = 'beacon-key.json';
export const STATUS_FILE = 'status.json';
const KEY_FORMAT = 'bluezone-beacon-key/1';

/** The base key and its base date. The key bytes are hidden from JSON.stringify and util.inspect. */
export class BeaconKey {
  readonly #baseKey: Uint8Array;
  constructor(
    baseKey: Uint8Array,
    /** UTC midnight of the day the key was made (bluezone-protocol.md 1.2 "Base date"). */
    readonly baseDateMs: number,
    readonly file: string,
  ) {
    this.#baseKey = baseKey.slice();
  }
  /** The raw base key, for ID derivation inside this process only. */
  secret(): Uint8Array {
    return this.#baseKey.slice();
  }
  toJSON(): Record<string, unknown> {
    return { base_date: new Date(this.baseDateMs).toISOString().slice(0, 10), base_key: '<redacted>' };
  }
  [inspect.custom](): string {
    return `BeaconKey { base_date: ${new Date(this.baseDateMs).toISOString().slice(0, 10)}, base_key: <redacted> }`;
  }
}

export function ensureStateDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new BeaconInputError(`state dir ${dir}: cannot create it (${(e as NodeJS.ErrnoException).code})`, 'create it as root and chown it to the beacon user, or use --state-dir');
  }
}

function checkKeyFileMode(path: string): void {
  const st = statSync(path);
  if ((st.mode & 0o077) !== 0) {
    throw new BeaconInputError(
      `${path}: the base key file is readable or writable by group/others (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}); refusing to start`,
      `chmod 600 ${path}   (and check who could have copied it: anyone with this key can compute every ID of this beacon)`,
    );
  }
}

/** Reads the base key; the file must be mode 0600 (or stricter). */
export function loadKey(dir: string): BeaconKey {
  const path = join(dir, KEY_FILE);
  if (!existsSync(path)) throw new BeaconInputError(`${path}: no base key yet`, 'start the beacon once (bluezone beacon start) to create it');
  checkKeyFileMode(path);
  let obj: { format?: unknown; base_key?: unknown; base_date?: unknown };
  try {
    obj = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new BeaconInputError(`${path}: not valid JSON (${(e as Error).message}); the key file is damaged`, 'restore it from a backup; a new key gives the beacon new IDs');
  }
  if (obj.format !== KEY_FORMAT) throw new BeaconInputError(`${path}: field format: expected "${KEY_FORMAT}"`);
  if (typeof obj.base_key !== 'string' || !/^[0-9A-Fa-f]{64}$/.test(obj.base_key)) {
    throw new BeaconInputError(`${path}: field base_key: expected 64 hex digits (32 bytes)`);
  }
  if (typeof obj.base_date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(obj.base_date) || Number.isNaN(Date.parse(obj.base_date + 'T00:00:00Z'))) {
    throw new BeaconInputError(`${path}: field base_date: expected a UTC date YYYY-MM-DD`);
  }
  return new BeaconKey(new Uint8Array(Buffer.from(obj.base_key, 'hex')), Date.parse(obj.base_date + 'T00:00:00Z'), path);
}

/** First start: makes the 32-byte base key with the CSPRNG; later starts: loads it. */
export function loadOrCreateKey(dir: string, nowMs: number): { key: BeaconKey; created: boolean } {
  ensureStateDir(dir);
  const path = join(dir, KEY_FILE);
  if (existsSync(path)) return { key: loadKey(dir), created: false };
  const baseKey = generateBaseKey();
  // Base date one day before creation, so every day the beacon runs has a daily key at least one
  // SHA-256 step from the stored key: a published daily key (6.3) is never the base key (9.2). Phones
  // see only IDs, so the choice of base date does not affect compatibility.
  const baseDateMs = utcMidnight(nowMs) - DAY_MS;
  const body = JSON.stringify({
    format: KEY_FORMAT,
    base_key: Buffer.from(baseKey).toString('hex').toUpperCase(),
    base_date: new Date(baseDateMs).toISOString().slice(0, 10),
    created_at: new Date(nowMs).toISOString(),
  });
  writeFileAtomic(path, body + '\n', 0o600);
  chmodSync(path, 0o600); // the umask cannot widen it, but make the intent explicit
  return { key: new BeaconKey(baseKey, baseDateMs, path), created: true };
}

export type DaemonState = 'starting' | 'waiting-for-adapter' | 'advertising' | 'recovering' | 'stopping' | 'stopped';

/** What the daemon writes to status.json (interfaces.md "beacon status"). */
export interface StatusFile {
  state: DaemonState;
  slot: number | null;
  /** First 6 hex of the current ID + "***" (bluezone-protocol.md 1.1). */
  id_prefix: string | null;
  started_at_ms: number;
  updated_at_ms: number;
  last_error: string | null;
  last_error_at_ms: number | null;
  adapter: string;
  pid: number;
  interval_ms: number;
  restarts: number;
  frame: 'bluezone' | 'ibeacon' | null;
  test_clock: boolean;
}

export interface StatusReport extends StatusFile {
  uptime_s: number;
  running: boolean;
}

export function idPrefix(id: Uint8Array): string {
  return Buffer.from(id.subarray(0, 3)).toString('hex').toUpperCase() + '***';
}

export function writeStatus(dir: string, s: StatusFile): void {
  writeFileAtomic(join(dir, STATUS_FILE), JSON.stringify(s, null, 2) + '\n', 0o644);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Reads status.json; a daemon that is gone (pid not alive) is reported as stopped. */
export function readStatus(dir: string, nowMs = Date.now()): StatusReport {
  const path = join(dir, STATUS_FILE);
  let s: StatusFile;
  try {
    s = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BeaconInputError(
      code === 'ENOENT' ? `${path}: no status file; the beacon has never run with this state dir` : `${path}: unreadable status file (${code ?? (e as Error).message})`,
      'start it with `bluezone beacon start --state-dir DIR`, or pass the state dir it uses',
    );
  }
  const running = s.state !== 'stopped' && pidAlive(s.pid);
  const state: DaemonState = running ? s.state : 'stopped';
  return { ...s, state, running, uptime_s: running ? Math.max(0, Math.round((nowMs - s.started_at_ms) / 1000)) : 0 };
}
