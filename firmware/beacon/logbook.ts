// The entrance logbook: a scanner hears Bluezone phones at the door and stores one row per ID per
// 5 s (bluezone-protocol.md 4.3) in SQLite, in the app's trace_info layout (4.4) plus `receiver` and
// `platform`. Durability: WAL + synchronous=FULL, inserts batched in one transaction committed at least
// every flush_ms or flush_rows, so a crash (even kill -9) loses at most the uncommitted batch and never
// anything acknowledged as committed.
import Database from 'better-sqlite3';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { classifyAdvert } from '../protocol/frames.ts';
import { parseAdvertisingData } from '../protocol/ad.ts';
import { formatTraceLine } from '../protocol/traceFormat.ts';
import { DAY_MS } from '../protocol/keys.ts';
import { formatObservationRow, OBSERVATION_CSV_HEADER } from '../../records/rows.ts';
import type { AdvertReport } from '../radio/types.ts';
import { BeaconInputError } from './errors.ts';
import { computePresence, type PresenceOptions, type SlotPresence } from './presence.ts';

export type Db = Database.Database;

// Android 8+ ScanResult.getTxPower() for legacy adverts without a TX Power AD: 127 = "not present" (4.4).
export const TX_POWER_NOT_PRESENT = 127;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS trace_info (
  _id INTEGER PRIMARY KEY AUTOINCREMENT,
  blid BLOB,
  blid_contact BLOB,
  macid TEXT,
  rssi INTEGER,
  tx_power INTEGER,
  state INTEGER DEFAULT 0,
  timestamp INTEGER,
  receiver TEXT NOT NULL DEFAULT '',
  platform TEXT NOT NULL DEFAULT 'Android'
);
CREATE INDEX IF NOT EXISTS trace_info_ts ON trace_info(timestamp);
CREATE INDEX IF NOT EXISTS trace_info_contact ON trace_info(blid_contact, timestamp);
CREATE TABLE IF NOT EXISTS logbook_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

export function openLogbookDb(path: string): Db {
  let db: Db;
  try {
    db = new Database(path);
  } catch (e) {
    throw new BeaconInputError(`${path}: cannot open the logbook database (${(e as Error).message})`);
  }
  db.pragma('journal_mode = WAL');
  // FULL: the WAL is fsynced at every commit, so a committed batch survives power loss too.
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  db.prepare("INSERT OR IGNORE INTO logbook_meta(key, value) VALUES ('format', 'bluezone-logbook/1')").run();
  return db;
}

const PROBE = 'SELECT _id, blid, blid_contact, rssi, tx_power, timestamp, receiver, platform FROM trace_info LIMIT 0';
const HINT = 'pass the file `bluezone scan --db FILE` writes';

/**
 * Opens an existing logbook for reading, with no write access needed to the file or its folder. A WAL
 * database normally needs its -shm file, which SQLite creates beside it (sqlite.org/wal.html "Read-Only
 * Databases"); in a folder this user cannot write, with no -wal left (the scanner is not running or shut
 * down cleanly), the file alone is the whole database, so it is read into memory instead. Missing,
 * unreadable and foreign files are input errors, each with its own message.
 */
export function openLogbookReadonly(path: string): Db {
  let db: Db;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (e) {
    let why = (e as Error).message;
    try {
      accessSync(path, constants.R_OK);
    } catch (a) {
      const c = (a as NodeJS.ErrnoException).code;
      if (c === 'EACCES') why = 'permission denied: this user cannot read the file or one of its folders';
      else if (c === 'ENOENT') why = 'no such file';
    }
    throw new BeaconInputError(`${path}: cannot open the logbook (${why})`, HINT);
  }
  try {
    db.prepare(PROBE).all();
    return db;
  } catch (e) {
    db.close();
    const code = (e as { code?: string }).code ?? '';
    if (code === 'SQLITE_READONLY_DIRECTORY' || code === 'SQLITE_CANTOPEN' || code.startsWith('SQLITE_READONLY')) return openLogbookSnapshot(path);
    if (code === 'SQLITE_NOTADB' || /no such (table|column)/.test((e as Error).message)) {
      throw new BeaconInputError(`${path}: not a Bluezone logbook (no trace_info table with receiver/platform columns)`, HINT);
    }
    throw new BeaconInputError(`${path}: cannot read the logbook (${code || (e as Error).message})`, HINT);
  }
}

/** The logbook file read into memory (read-only): for a folder this user cannot write (see openLogbookReadonly). */
export function openLogbookSnapshot(path: string): Db {
  let wal = 0;
  try {
    wal = statSync(path + '-wal').size;
  } catch {
    /* no write-ahead log: the file is the whole database */
  }
  if (wal > 0) {
    throw new BeaconInputError(
      `${path}: the logbook has unmerged changes in ${path}-wal and this user cannot write in ${dirname(path)} to read them`,
      'run the report as the user the scanner runs as, or copy the logbook with its -wal file to a folder you can write',
    );
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new BeaconInputError(`${path}: cannot read the logbook (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'the file must be readable by this user');
  }
  // Header bytes 18-19 are the write/read format versions, 2 = WAL (sqlite.org/fileformat.html 1.3.4);
  // an in-memory copy cannot be in WAL mode, so the copy says "rollback journal" (1). The file is untouched.
  if (bytes.length >= 100 && bytes.subarray(0, 16).toString('latin1') === 'SQLite format 3\0') {
    bytes[18] = bytes[18] === 2 ? 1 : bytes[18];
    bytes[19] = bytes[19] === 2 ? 1 : bytes[19];
  }
  let db: Db | undefined;
  try {
    db = new Database(bytes, { readonly: true });
    db.prepare(PROBE).all();
  } catch {
    db?.close();
    throw new BeaconInputError(`${path}: not a Bluezone logbook (no trace_info table with receiver/platform columns)`, HINT);
  }
  return db;
}

export interface LogbookOptions {
  db: Db;
  receiver: string;
  dedupMs?: number;
  flushMs?: number;
  flushRows?: number;
  /** Our own BluezoneID at a time (the `blid` column), when the beacon's key is on this device. */
  ownIdAt?: (ms: number) => Uint8Array | undefined;
  /** Called after each commit with the number of rows committed so far (the acknowledgement). */
  onCommit?: (committedTotal: number) => void;
  /** Real time, for `lastOwnHeardMs` (the scanner watchdog runs on real time). */
  realNow?: () => number;
  /** Gets iOS Bluezone adverts (no ID in them) to read the ID over GATT; see iosReader.ts. */
  onIosAdvert?: (r: AdvertReport) => void;
}

export interface LogbookStats {
  reports: number;
  stored: number;
  committed: number;
  duplicates: number;
  otherFrames: number;
  iosSeen: number;
  /** Rows stored for iPhones (IDs read over GATT or from the per-slot cache). */
  iosStored: number;
}

interface PendingRow {
  blid: Buffer | null;
  contact: Buffer;
  rssi: number;
  txPower: number;
  ts: number;
  platform: string;
}

function txPowerOf(advData: Uint8Array): number {
  const r = parseAdvertisingData(advData);
  if (!r.ok) return TX_POWER_NOT_PRESENT;
  const t = r.structures.find((s) => s.type === 'txPower');
  return t && t.type === 'txPower' ? t.dbm : TX_POWER_NOT_PRESENT;
}

export class Logbook {
  readonly stats: LogbookStats = { reports: 0, stored: 0, committed: 0, duplicates: 0, otherFrames: 0, iosSeen: 0, iosStored: 0 };
  /** Real time our own beacon (same key, `ownIdAt`) was last heard; undefined if never. */
  lastOwnHeardMs: number | undefined;
  /** Receives iOS Bluezone adverts (ScanService plugs its IosReader in here). */
  onIosAdvert: ((r: AdvertReport) => void) | undefined;
  private readonly db: Db;
  private readonly lastStored = new Map<string, number>();
  private pending: PendingRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly insert: Database.Statement;
  private readonly insertMany: (rows: PendingRow[]) => void;
  private readonly dedupMs: number;
  private readonly flushMs: number;
  private readonly flushRows: number;

  constructor(private readonly opts: LogbookOptions) {
    this.db = opts.db;
    this.onIosAdvert = opts.onIosAdvert;
    this.dedupMs = opts.dedupMs ?? 5000;
    this.flushMs = opts.flushMs ?? 1000;
    this.flushRows = opts.flushRows ?? 256;
    this.insert = this.db.prepare(
      'INSERT INTO trace_info (blid, blid_contact, macid, rssi, tx_power, state, timestamp, receiver, platform) VALUES (?, ?, NULL, ?, ?, 0, ?, ?, ?)',
    );
    this.insertMany = this.db.transaction((rows: PendingRow[]) => {
      for (const r of rows) this.insert.run(r.blid, r.contact, r.rssi, r.txPower, r.ts, this.opts.receiver, r.platform);
    });
  }

  /** Handles one received advert; returns what happened to it. */
  handleReport(r: AdvertReport): 'stored' | 'duplicate' | 'ignored' {
    this.stats.reports++;
    const c = classifyAdvert(r.advData);
    if (c.kind === 'bluezone-ios' || c.kind === 'bluezone-ios-overflow') {
      // iOS phones carry no ID in the advert (3.1): the GATT reader, when there is one, fetches it and
      // comes back through storeIos().
      this.stats.iosSeen++;
      this.onIosAdvert?.(r);
      return 'ignored';
    }
    if (c.kind !== 'bluezone-android' || !c.id) {
      this.stats.otherFrames++;
      return 'ignored';
    }
    const own = this.opts.ownIdAt?.(r.timestampMs);
    if (own && Buffer.from(own).equals(Buffer.from(c.id))) this.lastOwnHeardMs = (this.opts.realNow ?? Date.now)();
    return this.store(c.id, r.rssi, txPowerOf(r.advData), r.timestampMs, 'Android');
  }

  /** An iPhone's ID (read over GATT, 12 bytes) with the RSSI of the advert that led to it; platform iOS. */
  storeIos(id: Uint8Array, rssi: number, timestampMs: number): 'stored' | 'duplicate' {
    const res = this.store(id, rssi, TX_POWER_NOT_PRESENT, timestampMs, 'iOS');
    if (res === 'stored') this.stats.iosStored++;
    return res;
  }

  private store(id: Uint8Array, rssi: number, txPower: number, ts: number, platform: string): 'stored' | 'duplicate' {
    const key = Buffer.from(id).toString('hex');
    const last = this.lastStored.get(key);
    // Same ID at most once per 5 s (Android AppDatabaseHelper.isInsert, TIME_DELAY_INSERT, 4.3).
    if (last !== undefined && ts - last < this.dedupMs && ts >= last) {
      this.stats.duplicates++;
      return 'duplicate';
    }
    this.lastStored.set(key, ts);
    const own = this.opts.ownIdAt?.(ts);
    this.pending.push({ blid: own ? Buffer.from(own) : null, contact: Buffer.from(id), rssi, txPower, ts, platform });
    this.stats.stored++;
    if (this.pending.length >= this.flushRows) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.flushMs);
    if (this.lastStored.size > 10_000) this.prune(ts);
    return 'stored';
  }

  private prune(nowMs: number): void {
    for (const [k, t] of this.lastStored) if (nowMs - t >= this.dedupMs) this.lastStored.delete(k);
  }

  /** Commits the pending batch in one transaction; returns the number of rows written. */
  flush(): number {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const rows = this.pending;
    if (rows.length === 0) return 0;
    this.pending = [];
    this.insertMany(rows);
    this.stats.committed += rows.length;
    this.opts.onCommit?.(this.stats.committed);
    return rows.length;
  }

  close(): void {
    this.flush();
  }
}

// ---- exports ---------------------------------------------------------------------------------

interface Row {
  blid: Buffer | null;
  blid_contact: Buffer;
  rssi: number;
  tx_power: number | null;
  timestamp: number;
  receiver: string;
  platform: string;
}

function rowsBetween(db: Db, fromMs: number, toMs: number): IterableIterator<Row> {
  return db
    .prepare('SELECT blid, blid_contact, rssi, tx_power, timestamp, receiver, platform FROM trace_info WHERE blid_contact IS NOT NULL AND timestamp >= ? AND timestamp < ? ORDER BY timestamp, _id')
    .iterate(fromMs, toMs) as IterableIterator<Row>;
}

export function dayRange(dateMs: number | undefined): [number, number] {
  return dateMs === undefined ? [-8.64e15, 8.64e15] : [dateMs, dateMs + DAY_MS];
}

/** data_trace.txt (bluezone-protocol.md 6.2): HEX(own) TAB HEX(contact) TAB rssi TAB timestamp_ms. */
export function* exportTrace(db: Db, dateMs?: number): Generator<string> {
  const [a, b] = dayRange(dateMs);
  for (const r of rowsBetween(db, a, b)) {
    yield formatTraceLine({ own: new Uint8Array(r.blid ?? []), contact: new Uint8Array(r.blid_contact), rssi: r.rssi, timestamp: r.timestamp });
  }
}

/** The generic observation CSV (interfaces.md): transmitter = the BluezoneID, receiver = this logbook. */
export function* exportObservations(db: Db, dateMs?: number): Generator<string> {
  yield OBSERVATION_CSV_HEADER + '\n';
  const [a, b] = dayRange(dateMs);
  for (const r of rowsBetween(db, a, b)) {
    yield formatObservationRow({
      timestampMs: r.timestamp,
      receiver: r.receiver,
      transmitter: r.blid_contact.toString('hex').toUpperCase(),
      rssi: r.rssi,
      txPower: r.tx_power === null || r.tx_power === TX_POWER_NOT_PRESENT ? undefined : r.tx_power,
      receiverModel: '',
      transmitterModel: `bluezone-${r.platform.toLowerCase()}`,
    }) + '\n';
  }
}

// ---- presence (computed in presence.ts) ----------------------------------------------------------

export { BOUNDARY_LAG_MS, presenceEstimate, type PresenceEstimate } from './presence.ts';

/** One UTC quarter hour at the door: presence.ts's SlotPresence (rows of `scan export --format presence`). */
export type PresenceRow = SlotPresence;

/** Bluezone phones per 15-minute slot on one UTC day, our own beacon and stationary transmitters left out. */
export function presenceReport(db: Db, dateMs: number, opts: PresenceOptions = {}): PresenceRow[] {
  return computePresence(db, dateMs, dateMs + DAY_MS, opts).slots;
}

export const PRESENCE_CSV_HEADER = 'date,slot,start_utc,end_utc,distinct_ids,carried_over,sightings,strongest_rssi';

export function* exportPresence(db: Db, dateMs: number, opts: PresenceOptions = {}): Generator<string> {
  const rows = presenceReport(db, dateMs, opts);
  const date = new Date(dateMs).toISOString().slice(0, 10);
  yield PRESENCE_CSV_HEADER + '\n';
  for (const r of rows) {
    const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
    yield [date, r.slot, hhmm(r.startMs), r.endMs - dateMs === DAY_MS ? '24:00' : hhmm(r.endMs), r.distinctIds, r.carriedOver, r.sightings, r.strongestRssi ?? ''].join(',') + '\n';
  }
}

/** Days (UTC midnights) that have rows, for picking a default export date. */
export function logbookDays(db: Db): number[] {
  const r = db.prepare('SELECT DISTINCT (timestamp / 86400000) * 86400000 AS d FROM trace_info WHERE timestamp IS NOT NULL ORDER BY d').all() as { d: number }[];
  return r.map((x) => x.d);
}
