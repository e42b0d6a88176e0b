// Strict streaming readers for the observation, truth and windows CSVs (docs/interfaces.md).
// Pure: text chunks in, typed rows out; file access lives in csvFiles.ts. Every fault is a CsvError naming
// the source, line and column; nothing else is thrown, whatever the input (property-tested).

import { OBSERVATION_CSV_HEADER, TRUTH_CSV_HEADER, WINDOWS_CSV_HEADER, type Observation, type WindowRow } from './rows.ts';

export class CsvError extends Error {
  constructor(
    readonly source: string,
    /** 1-based line of the fault (0 when the file could not be read at all). */
    readonly line: number,
    /** 1-based column (field number), when the fault is in one field. */
    readonly column: number | undefined,
    readonly detail: string,
    readonly columnName?: string,
  ) {
    super(
      `${source}:${line}${column !== undefined ? `: column ${column}${columnName ? ` (${columnName})` : ''}` : ''}: ${detail}`,
    );
    this.name = 'CsvError';
  }
}

/**
 * Splits text into CSV records (RFC 4180: quoted fields may hold commas, quotes and newlines; LF or CRLF
 * line ends). A record only counts once its newline arrives: a last line without one is reported as
 * truncated by end().
 */
export class CsvRecordSplitter {
  private buf = '';
  private line = 0;
  /** A quoted field spans lines: text, start line and quote count (odd) of the open record. */
  private open: { text: string; line: number; quotes: number } | undefined;

  constructor(readonly source: string) {}

  feed(chunk: string, onRecord: (fields: string[], line: number) => void): void {
    // Search only the new text for the first newline, so a long line fed in many chunks stays linear.
    let from = this.buf.length;
    this.buf += chunk;
    let pos = 0;
    for (;;) {
      const nl = this.buf.indexOf('\n', Math.max(pos, from));
      from = 0;
      if (nl < 0) break;
      let text = this.buf.slice(pos, nl);
      pos = nl + 1;
      this.line++;
      if (text.endsWith('\r')) text = text.slice(0, -1);
      let startLine = this.line;
      if (this.open) {
        // Count quotes in the new line only: rescanning the whole open record per line was quadratic
        // (a lone quote then 200 KB of newlines took 25 s, issue 18). The prefix was checked when it opened.
        const quotes = this.open.quotes + quoteCount(text);
        text = this.open.text + '\n' + text;
        if (quotes % 2 === 1) {
          this.open = { text, line: this.open.line, quotes };
          continue;
        }
        startLine = this.open.line;
        this.open = undefined;
        onRecord(this.splitQuoted(text, startLine), startLine);
        continue;
      }
      if (text.indexOf('"') < 0) {
        if (text.indexOf('\r') >= 0) throw new CsvError(this.source, startLine, undefined, 'stray carriage return inside a line');
        onRecord(text.split(','), startLine);
        continue;
      }
      const quotes = quoteCount(text);
      if (quotes % 2 === 1) {
        // Either a quoted field goes on to the next line, or the quote is misplaced: report the latter now.
        try {
          this.splitQuoted(text, startLine);
        } catch (e) {
          if (!(e instanceof CsvError) || e.detail !== UNTERMINATED) throw e;
        }
        this.open = { text, line: startLine, quotes };
        continue;
      }
      onRecord(this.splitQuoted(text, startLine), startLine);
    }
    this.buf = this.buf.slice(pos);
    if (this.open && this.open.text.length > 1 << 20)
      throw new CsvError(this.source, this.open.line, undefined, 'quoted field longer than 1 MiB (unterminated quote?)');
    if (this.buf.length > 1 << 24) throw new CsvError(this.source, this.line + 1, undefined, 'line longer than 16 MiB');
  }

  /** Call after the last chunk: a partial last line or an open quote is an error. */
  end(): void {
    if (this.open) throw new CsvError(this.source, this.open.line, undefined, 'unterminated quoted field at end of file');
    if (this.buf.length > 0) {
      const cols = this.buf.split(',').length;
      throw new CsvError(this.source, this.line + 1, cols, 'truncated last line (no newline at end of file)');
    }
  }

  get linesRead(): number {
    return this.line;
  }

  private splitQuoted(text: string, line: number): string[] {
    const out: string[] = [];
    let i = 0;
    for (;;) {
      const col = out.length + 1;
      if (text[i] === '"') {
        let field = '';
        i++;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) throw new CsvError(this.source, line, col, UNTERMINATED);
          field += text.slice(i, q);
          if (text[q + 1] === '"') {
            field += '"';
            i = q + 2;
            continue;
          }
          i = q + 1;
          break;
        }
        out.push(field);
        if (i === text.length) return out;
        if (text[i] !== ',') throw new CsvError(this.source, line, col, 'unexpected character after a closing quote');
        i++;
      } else {
        const c = text.indexOf(',', i);
        const field = c < 0 ? text.slice(i) : text.slice(i, c);
        if (field.indexOf('"') >= 0) throw new CsvError(this.source, line, col, 'quote inside an unquoted field');
        if (field.indexOf('\r') >= 0) throw new CsvError(this.source, line, col, 'stray carriage return in a field');
        out.push(field);
        if (c < 0) return out;
        i = c + 1;
      }
    }
  }
}

const UNTERMINATED = 'unterminated quoted field';

function quoteCount(s: string): number {
  let n = 0;
  for (let i = s.indexOf('"'); i >= 0; i = s.indexOf('"', i + 1)) n++;
  return n;
}

const INT_RE = /^-?\d{1,16}$/;
const NUM_RE = /^-?\d{1,20}(\.\d{1,20})?([eE][-+]?\d{1,3})?$/;

/** Reads a typed table: checks the exact header and column count, then converts each row. */
export class TypedCsvReader<T> {
  private readonly splitter: CsvRecordSplitter;
  private headerSeen = false;
  private readonly names: string[];

  constructor(
    readonly source: string,
    readonly header: string,
    private readonly convert: (f: string[], line: number, err: (col: number, msg: string) => CsvError) => T,
  ) {
    this.splitter = new CsvRecordSplitter(source);
    this.names = header.split(',');
  }

  /** Rows completed by this chunk. */
  feed(chunk: string): T[] {
    const rows: T[] = [];
    this.splitter.feed(chunk, (f, line) => {
      if (!this.headerSeen) {
        this.checkHeader(f, line);
        this.headerSeen = true;
        return;
      }
      if (f.length !== this.names.length)
        throw new CsvError(this.source, line, Math.min(f.length, this.names.length + 1), `${f.length} columns, expected ${this.names.length}`);
      rows.push(this.convert(f, line, (col, msg) => new CsvError(this.source, line, col, msg, this.names[col - 1])));
    });
    return rows;
  }

  end(): void {
    this.splitter.end();
    if (!this.headerSeen) throw new CsvError(this.source, 1, undefined, `empty file: expected header "${this.header}"`);
  }

  private checkHeader(f: string[], line: number): void {
    for (let i = 0; i < Math.max(f.length, this.names.length); i++) {
      if (f[i] !== this.names[i]) {
        const what = f[i] === undefined ? 'missing' : `"${f[i].slice(0, 40)}"`;
        throw new CsvError(this.source, line, i + 1, `bad header: column ${i + 1} is ${what}, expected header "${this.header}"`);
      }
    }
  }
}

type ErrFn = (col: number, msg: string) => CsvError;

function intField(s: string, col: number, err: ErrFn, min: number, max: number, what: string): number {
  if (!INT_RE.test(s)) throw err(col, `${what} "${s.slice(0, 40)}" is not an integer`);
  const v = Number(s);
  if (v < min || v > max) throw err(col, `${what} ${v} is out of range ${min}..${max}`);
  return v;
}

function numField(s: string, col: number, err: ErrFn, what: string): number {
  if (!NUM_RE.test(s)) throw err(col, `${what} "${s.slice(0, 40)}" is not a number`);
  const v = Number(s);
  if (!Number.isFinite(v)) throw err(col, `${what} "${s.slice(0, 40)}" is not finite`);
  return v;
}

function nonEmpty(s: string, col: number, err: ErrFn, what: string): string {
  if (s === '') throw err(col, `${what} is empty`);
  return s;
}

/** Timestamps must not go backwards (interfaces.md: rows are sorted by timestamp). */
function sortedCheck() {
  let last = -Infinity;
  return (t: number, err: ErrFn): void => {
    if (t < last) throw err(1, `timestamp ${t} is before the previous row's ${last}: rows must be sorted by time`);
    last = t;
  };
}

/** HCI RSSI range -127..+20 dBm (Core Spec Vol 4 Part E 7.7.65.2); 127 means "not available". */
export const RSSI_RANGE: readonly [number, number] = [-127, 20];
/** TX Power Level AD type range -127..+127 dBm (Core Spec Supplement Part A 1.5). */
export const TX_POWER_RANGE: readonly [number, number] = [-127, 127];

export function observationReader(source: string): TypedCsvReader<Observation> {
  const sorted = sortedCheck();
  return new TypedCsvReader(source, OBSERVATION_CSV_HEADER, (f, _line, err) => {
    const t = intField(f[0], 1, err, 0, Number.MAX_SAFE_INTEGER, 'timestamp_ms');
    sorted(t, err);
    const o: Observation = {
      timestampMs: t,
      receiver: nonEmpty(f[1], 2, err, 'receiver'),
      transmitter: nonEmpty(f[2], 3, err, 'transmitter'),
      rssi: intField(f[3], 4, err, RSSI_RANGE[0], RSSI_RANGE[1], 'rssi'),
    };
    if (f[4] !== '') o.txPower = intField(f[4], 5, err, TX_POWER_RANGE[0], TX_POWER_RANGE[1], 'tx_power');
    if (f[5] !== '') o.receiverModel = f[5];
    if (f[6] !== '') o.transmitterModel = f[6];
    return o;
  });
}

export interface TruthRow {
  timestampMs: number;
  receiver: string;
  transmitter: string;
  distanceM: number;
}

export function truthReader(source: string): TypedCsvReader<TruthRow> {
  const sorted = sortedCheck();
  return new TypedCsvReader(source, TRUTH_CSV_HEADER, (f, _line, err) => {
    const t = intField(f[0], 1, err, 0, Number.MAX_SAFE_INTEGER, 'timestamp_ms');
    sorted(t, err);
    const d = numField(f[3], 4, err, 'distance_m');
    if (d < 0) throw err(4, `distance_m ${d} is negative`);
    return {
      timestampMs: t,
      receiver: nonEmpty(f[1], 2, err, 'receiver'),
      transmitter: nonEmpty(f[2], 3, err, 'transmitter'),
      distanceM: d,
    };
  });
}

/** One row of the contact windows CSV: the classifier's window without its duration credit. */
export type { WindowRow };

export function windowsReader(source: string): TypedCsvReader<WindowRow> {
  return new TypedCsvReader(source, WINDOWS_CSV_HEADER, (f, _line, err) => {
    const start = intField(f[2], 3, err, 0, Number.MAX_SAFE_INTEGER, 'window_start_ms');
    const end = intField(f[3], 4, err, 0, Number.MAX_SAFE_INTEGER, 'window_end_ms');
    if (end <= start) throw err(4, `window_end_ms ${end} is not after window_start_ms ${start}`);
    if (f[7] !== '0' && f[7] !== '1') throw err(8, `contact "${f[7].slice(0, 40)}" must be 0 or 1`);
    return {
      receiver: nonEmpty(f[0], 1, err, 'receiver'),
      transmitter: nonEmpty(f[1], 2, err, 'transmitter'),
      windowStartMs: start,
      windowEndMs: end,
      nObs: intField(f[4], 5, err, 0, Number.MAX_SAFE_INTEGER, 'n_obs'),
      score: numField(f[5], 6, err, 'score'),
      estDistanceM: numField(f[6], 7, err, 'est_distance_m'),
      contact: f[7] === '1',
    };
  });
}

/** Parses a whole string (tests, small inputs). Throws CsvError. */
export function parseAll<T>(reader: TypedCsvReader<T>, text: string): T[] {
  const rows = reader.feed(text);
  reader.end();
  return rows;
}

/** Splits one CSV record (RFC 4180 quoting, "" is a literal quote). */
export function splitCsvRecord(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    if (line[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new Error('unterminated quoted field');
        v += line.slice(i, q);
        if (line[q + 1] === '"') {
          v += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      out.push(v);
      if (i >= n) return out;
      if (line[i] !== ',') throw new Error(`expected ',' after quoted field at column ${i + 1}`);
      i++;
    } else {
      const c = line.indexOf(',', i);
      if (c < 0) {
        out.push(line.slice(i));
        return out;
      }
      out.push(line.slice(i, c));
      i = c + 1;
    }
  }
}
