// Reading a contact log for F0 matching: Bluezone's data_trace.txt, or the generic observation CSV
// (shared/docs/interfaces.md) where `transmitter` is a 24-hex BluezoneID. Pure: text in.
import { OBSERVATION_CSV_HEADER } from '../proximity/observation.ts';
import { ContactLogBuilder, isHexId, parseTrace, type ContactLog, type LogParseResult } from './traceFormat.ts';

export type ContactLogFormat = 'data_trace' | 'observation_csv';

/** Splits one RFC 4180 record starting at `pos`; returns fields, the next position and lines consumed. */
function readCsvRecord(text: string, pos: number): { fields: string[]; next: number; newlines: number; badQuote: boolean } {
  const fields: string[] = [];
  let field = '';
  let i = pos;
  let newlines = 0;
  let inQuotes = false;
  let badQuote = false;
  for (; i < text.length; i++) {
    const c = text[i];
    if (inQuotes) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else {
        if (c === '\n') newlines++;
        field += c;
      }
    } else if (c === '"' && field === '') inQuotes = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\n') {
      newlines++;
      i++;
      break;
    } else if (c !== '\r' || text[i + 1] !== '\n') field += c;
  }
  if (inQuotes) badQuote = true;
  fields.push(field);
  return { fields, next: i, newlines, badQuote };
}

const INT_RE = /^[+-]?\d+$/;

/**
 * Parses the generic observation CSV. Rows whose transmitter is not a 24-hex BluezoneID cannot be
 * matched against published keys; they are skipped and counted.
 */
export function parseObservationLog(text: string): LogParseResult {
  const b = new ContactLogBuilder(false);
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const header = readCsvRecord(text, pos);
  if (header.fields.join(',') !== OBSERVATION_CSV_HEADER) {
    return { ok: false, error: { line: 1, field: '(header)', message: `line 1: expected the header ${OBSERVATION_CSV_HEADER}` } };
  }
  pos = header.next;
  let lineNo = header.newlines; // lines consumed so far
  while (pos < text.length) {
    const start = lineNo + 1;
    const r = readCsvRecord(text, pos);
    pos = r.next;
    lineNo += r.newlines || 1;
    const err = (field: string, message: string): LogParseResult => ({
      ok: false,
      error: { line: start, field, message: `line ${start}, field ${field}: ${message}` },
    });
    if (r.fields.length === 1 && r.fields[0].trim() === '') continue;
    if (r.badQuote) return err('(line)', 'unterminated quoted field');
    if (r.fields.length !== 7) return err('(line)', `expected 7 comma-separated fields, got ${r.fields.length}`);
    const [ts, , transmitter, rssi] = r.fields;
    if (!INT_RE.test(ts) || Number(ts) < 0) return err('timestamp_ms', `expected Unix milliseconds, got ${JSON.stringify(ts.slice(0, 40))}`);
    if (!INT_RE.test(rssi) || Math.abs(Number(rssi)) > 1000) return err('rssi', `expected an integer dBm, got ${JSON.stringify(rssi.slice(0, 40))}`);
    if (!isHexId(transmitter)) {
      b.skipped++;
      continue;
    }
    b.push(transmitter, Number(ts), Number(rssi), start);
  }
  return { ok: true, log: b.finish() };
}

/** Picks the reader by the first line: the observation CSV header, else data_trace.txt. */
export function parseContactLog(text: string): { format: ContactLogFormat; result: LogParseResult } {
  const first = text.slice(text.charCodeAt(0) === 0xfeff ? 1 : 0, text.indexOf('\n') < 0 ? undefined : text.indexOf('\n')).replace(/\r$/, '');
  if (first.startsWith('timestamp_ms,')) return { format: 'observation_csv', result: parseObservationLog(text) };
  return { format: 'data_trace', result: parseTrace(text) };
}

export type { ContactLog };
