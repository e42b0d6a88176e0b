// Reading a contact log for F0 matching: Bluezone's data_trace.txt, or the generic observation CSV
// (docs/interfaces.md) where `transmitter` is a 24-hex BluezoneID. Pure: text in.
import { CsvError, observationReader } from '../../records/csv.ts';
import { ContactLogBuilder, isHexId, parseTrace, type ContactLog, type LogParseResult } from './traceFormat.ts';

export type ContactLogFormat = 'data_trace' | 'observation_csv';

/**
 * Parses the generic observation CSV with the classifier's strict reader (records/csv.ts).
 * Rows whose transmitter is not a 24-hex BluezoneID cannot be matched against published keys; they
 * are skipped and counted.
 */
export function parseObservationLog(text: string, source = 'observations'): LogParseResult {
  const b = new ContactLogBuilder(false);
  const reader = observationReader(source);
  let line = 1;
  try {
    // Feed line by line so each row keeps its line number (quoted newlines are rare in this format).
    let pos = 0;
    while (pos < text.length) {
      let end = text.indexOf('\n', pos);
      end = end < 0 ? text.length : end + 1;
      const rows = reader.feed(text.slice(pos, end));
      for (const o of rows) {
        if (isHexId(o.transmitter)) b.push(o.transmitter, o.timestampMs, o.rssi, line);
        else b.skipped++;
      }
      line++;
      pos = end;
    }
    reader.end();
  } catch (e) {
    if (e instanceof CsvError) {
      return { ok: false, error: { line: e.line, field: e.columnName ?? (e.column ? `column ${e.column}` : '(line)'), message: e.message } };
    }
    throw e;
  }
  return { ok: true, log: b.finish() };
}

/** Picks the reader by the first line: the observation CSV header, else data_trace.txt. */
export function parseContactLog(text: string, source?: string): { format: ContactLogFormat; result: LogParseResult } {
  const nl = text.indexOf('\n');
  const first = text.slice(text.charCodeAt(0) === 0xfeff ? 1 : 0, nl < 0 ? undefined : nl);
  if (first.startsWith('timestamp_ms,')) return { format: 'observation_csv', result: parseObservationLog(text, source) };
  return { format: 'data_trace', result: parseTrace(text) };
}

export type { ContactLog };
