// Bluezone's own contact-log formats (bluezone-protocol.md 4.4, 6.2). Pure: text in, text out.
import { toHex } from './hex.ts';
import { ID_BYTES } from './keys.ts';

/** SQLite file and table of the phone's contact log (bluezone-protocol.md 4.4). */
export const TRACE_DB_FILE = 'app_db_2.db';
export const TRACE_INFO_TABLE = 'trace_info';
/** trace_info column names (bluezone-protocol.md 4.4 table). */
export const TRACE_INFO_COLUMNS = {
  /** INTEGER PRIMARY KEY AUTOINCREMENT */
  id: '_id',
  /** BLOB: own BluezoneID at the time of the sighting */
  blid: 'blid',
  /** BLOB: the peer's 12-byte BluezoneID; NULL for Classic-BT rows */
  blidContact: 'blid_contact',
  /** TEXT: Android MAC (Classic-BT rows only); iOS "Android"/"iOS" */
  macid: 'macid',
  /** INTEGER dBm */
  rssi: 'rssi',
  /** INTEGER: 127 "not present" on Android 8+, else 0 */
  txPower: 'tx_power',
  /** INTEGER, always 0 */
  state: 'state',
  /** INTEGER: Unix ms on Android, Unix s on iOS */
  timestamp: 'timestamp',
} as const;
/** The upload's history file name (bluezone-protocol.md 6.2). */
export const TRACE_EXPORT_FILE = 'data_trace.txt';

/** One data_trace.txt line. `timestamp` is as written: ms (Android) or s (iOS). */
export interface TraceRow {
  own: Uint8Array;
  contact: Uint8Array;
  rssi: number;
  timestamp: number;
}

/** `HEX(own) TAB HEX(contact) TAB rssi TAB timestamp LF` (BluezoneIdTrace.exportTraceData; SQL hex() is upper case). */
export function formatTraceLine(r: TraceRow): string {
  return `${toHex(r.own)}\t${toHex(r.contact)}\t${r.rssi}\t${r.timestamp}\n`;
}

export function formatTrace(rows: Iterable<TraceRow>): string {
  let s = '';
  for (const r of rows) s += formatTraceLine(r);
  return s;
}

/**
 * Contact log in columns, so a million rows stay compact. Timestamps are as in the source (unit not
 * yet decided); `lines` gives each row's 1-based source line for messages.
 */
export interface ContactLog {
  length: number;
  /** length * 12 bytes. */
  contactIds: Uint8Array;
  timestamps: Float64Array;
  rssi: Int32Array;
  /** length * 12 bytes; absent when the source has no own ID (observation CSV). */
  ownIds?: Uint8Array;
  lines: Uint32Array;
  /** Rows left out (Classic-BT rows without a contact ID, observation rows whose transmitter is not a BluezoneID). */
  skipped: number;
}

export interface LogFormatError {
  line: number;
  field: string;
  message: string;
}

export type LogParseResult = { ok: true; log: ContactLog } | { ok: false; error: LogFormatError };

/** Growable columns; exported for the other log readers. */
export class ContactLogBuilder {
  private n = 0;
  private cap = 1024;
  private ids = new Uint8Array(this.cap * ID_BYTES);
  private own: Uint8Array | undefined;
  private ts = new Float64Array(this.cap);
  private rs = new Int32Array(this.cap);
  private ln = new Uint32Array(this.cap);
  skipped = 0;

  constructor(withOwn: boolean) {
    if (withOwn) this.own = new Uint8Array(this.cap * ID_BYTES);
  }

  /** Appends a row; `contactHex`/`ownHex` are already validated 24-hex strings at `col`. */
  push(contactHex: string, timestamp: number, rssi: number, line: number, ownHex?: string): void {
    if (this.n === this.cap) this.grow();
    writeHexId(this.ids, this.n * ID_BYTES, contactHex);
    if (this.own && ownHex !== undefined) writeHexId(this.own, this.n * ID_BYTES, ownHex);
    this.ts[this.n] = timestamp;
    this.rs[this.n] = rssi;
    this.ln[this.n] = line;
    this.n++;
  }

  /** Appends a row whose contact (and own) ID are the 24 hex digits at those string offsets, already checked. */
  pushRaw(text: string, contactAt: number, timestamp: number, rssi: number, line: number, ownAt?: number): void {
    if (this.n === this.cap) this.grow();
    writeHexIdAt(this.ids, this.n * ID_BYTES, text, contactAt);
    if (this.own && ownAt !== undefined) writeHexIdAt(this.own, this.n * ID_BYTES, text, ownAt);
    this.ts[this.n] = timestamp;
    this.rs[this.n] = rssi;
    this.ln[this.n] = line;
    this.n++;
  }

  private grow(): void {
    this.cap *= 2;
    const g = <T extends Uint8Array | Float64Array | Int32Array | Uint32Array>(a: T, k: number): T => {
      const b = new (a.constructor as new (n: number) => T)(this.cap * k);
      b.set(a);
      return b;
    };
    this.ids = g(this.ids, ID_BYTES);
    if (this.own) this.own = g(this.own, ID_BYTES);
    this.ts = g(this.ts, 1);
    this.rs = g(this.rs, 1);
    this.ln = g(this.ln, 1);
  }

  finish(): ContactLog {
    const n = this.n;
    return {
      length: n,
      contactIds: this.ids.slice(0, n * ID_BYTES),
      timestamps: this.ts.slice(0, n),
      rssi: this.rs.slice(0, n),
      ownIds: this.own?.slice(0, n * ID_BYTES),
      lines: this.ln.slice(0, n),
      skipped: this.skipped,
    };
  }
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** True when `s` is exactly 24 hex digits (a BluezoneID). */
export function isHexId(s: string): boolean {
  if (s.length !== ID_BYTES * 2) return false;
  for (let i = 0; i < s.length; i++) if (hexVal(s.charCodeAt(i)) < 0) return false;
  return true;
}

function writeHexId(out: Uint8Array, at: number, s: string): void {
  writeHexIdAt(out, at, s, 0);
}

function writeHexIdAt(out: Uint8Array, at: number, s: string, from: number): void {
  for (let i = 0; i < ID_BYTES; i++) out[at + i] = (hexVal(s.charCodeAt(from + 2 * i)) << 4) | hexVal(s.charCodeAt(from + 2 * i + 1));
}

const INT_RE = /^[+-]?\d+$/;
const NUM_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Plain decimal integer in s[from, to) (optional '-'), or NaN; the fast path for rssi and ms/s times. */
function parseIntFast(s: string, from: number, to: number): number {
  let i = from;
  let neg = false;
  if (i < to && s.charCodeAt(i) === 45) {
    neg = true;
    i++;
  }
  if (i >= to || to - i > 15) return NaN;
  let v = 0;
  for (; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  return neg ? -v : v;
}

function isHexIdAt(s: string, from: number, to: number): boolean {
  if (to - from !== ID_BYTES * 2) return false;
  for (let i = from; i < to; i++) if (hexVal(s.charCodeAt(i)) < 0) return false;
  return true;
}

/** Index of the first tab in text[from, to), or -1; never looks past `to`. */
function tabIn(text: string, from: number, to: number): number {
  for (let i = from; i < to; i++) if (text.charCodeAt(i) === 9) return i;
  return -1;
}

function lineError(line: number, field: string, message: string): LogParseResult {
  return { ok: false, error: { line, field, message: `line ${line}, field ${field}: ${message}` } };
}

/**
 * Parses data_trace.txt. Blank lines and CR before LF are tolerated; a row with an empty contact
 * (Classic-BT, SQL hex(NULL)) is skipped and counted. Any other fault names the line and field.
 * Scans with indexOf/charCodeAt rather than split/regex: a 14-day log can hold millions of lines.
 */
export function parseTrace(text: string): LogParseResult {
  const b = new ContactLogBuilder(true);
  let lineNo = 0;
  let pos = 0;
  const n = text.length;
  while (pos < n) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = n;
    lineNo++;
    const start = pos;
    pos = end + 1;
    let stop = end;
    if (stop > start && text.charCodeAt(stop - 1) === 13) stop--; // CRLF
    // Tabs are searched within the line only: indexOf past `stop` would rescan the rest of the text
    // for every blank or short line (quadratic: 1 MB of newlines took 29.5 s, issue 18).
    const t1 = tabIn(text, start, stop);
    const t2 = t1 < 0 ? -1 : tabIn(text, t1 + 1, stop);
    const t3 = t2 < 0 ? -1 : tabIn(text, t2 + 1, stop);
    const t4 = t3 < 0 ? -1 : tabIn(text, t3 + 1, stop);
    if (t3 < 0 || t4 >= 0) {
      const line = text.slice(start, stop);
      if (line.trim() === '') continue;
      return lineError(lineNo, '(line)', `expected 4 tab-separated fields (own, contact, rssi, timestamp), got ${line.split('\t').length}`);
    }
    if (!isHexIdAt(text, start, t1)) {
      return lineError(lineNo, 'own', `expected 24 hex digits (12-byte BluezoneID), got ${JSON.stringify(text.slice(start, Math.min(t1, start + 40)))}`);
    }
    if (t2 === t1 + 1) {
      b.skipped++;
      continue;
    }
    if (!isHexIdAt(text, t1 + 1, t2)) {
      return lineError(lineNo, 'contact', `expected 24 hex digits (12-byte BluezoneID), got ${JSON.stringify(text.slice(t1 + 1, Math.min(t2, t1 + 41)))}`);
    }
    let rssi = parseIntFast(text, t2 + 1, t3);
    if (Number.isNaN(rssi)) {
      const f = text.slice(t2 + 1, t3);
      rssi = INT_RE.test(f) ? Number(f) : NaN;
    }
    if (!(Math.abs(rssi) <= 1000)) return lineError(lineNo, 'rssi', `expected an integer dBm, got ${JSON.stringify(text.slice(t2 + 1, Math.min(t3, t2 + 41)))}`);
    let ts = parseIntFast(text, t3 + 1, stop);
    if (Number.isNaN(ts)) {
      // iOS may write TimeInterval doubles (bluezone-protocol.md 6.2).
      const f = text.slice(t3 + 1, stop);
      ts = NUM_RE.test(f) ? Number(f) : NaN;
    }
    if (!Number.isFinite(ts) || ts < 0) {
      return lineError(lineNo, 'timestamp', `expected a Unix time in ms or s, got ${JSON.stringify(text.slice(t3 + 1, Math.min(stop, t3 + 41)))}`);
    }
    b.pushRaw(text, t1 + 1, ts, rssi, lineNo, start);
  }
  return { ok: true, log: b.finish() };
}
