// File side of the CSV readers and writers (Node fs; the classifier and csv.ts stay pure).
// Reading streams the file in 1 MiB chunks. Writing is records/output.ts (OutputSet), the one output writer.

import { closeSync, openSync, readSync } from 'node:fs';
import { CsvError, type TypedCsvReader } from './csv.ts';

const CHUNK = 1 << 20;

/** Yields batches of typed rows from a CSV file; throws CsvError (also for a missing/unreadable file). */
export function* readCsvBatches<T>(path: string, reader: TypedCsvReader<T>): Generator<T[]> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new CsvError(path, 0, undefined, `cannot open: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const decoder = new TextDecoder('utf-8');
  const buf = Buffer.allocUnsafe(CHUNK);
  try {
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, CHUNK, null);
      } catch (e) {
        throw new CsvError(path, 0, undefined, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      if (n === 0) break;
      const rows = reader.feed(decoder.decode(buf.subarray(0, n), { stream: true }));
      if (rows.length > 0) yield rows;
    }
    const rest = reader.feed(decoder.decode());
    if (rest.length > 0) yield rest;
    reader.end();
  } finally {
    closeSync(fd);
  }
}

/** Reads a whole CSV file into memory (truth and windows files, which are small). */
export function readCsvFile<T>(path: string, reader: TypedCsvReader<T>): T[] {
  const all: T[] = [];
  for (const batch of readCsvBatches(path, reader)) for (const r of batch) all.push(r);
  return all;
}
