// File side of the CSV readers and writers (Node fs; the classifier and csv.ts stay pure).
// Reading streams the file in 1 MiB chunks; writing goes to a temporary sibling that is fsynced and
// renamed only on commit, so a failed run never leaves a partial file under the final name.

import { closeSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
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

/** Line-oriented writer to `path` through a temporary file; commit() renames, abort() removes. */
export class AtomicLineWriter {
  private readonly tmp: string;
  private fd: number | undefined;
  private pending: string[] = [];
  private pendingLen = 0;
  lines = 0;

  constructor(
    readonly path: string,
    header?: string,
    mode = 0o644,
  ) {
    this.tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
    this.fd = openSync(this.tmp, 'w', mode);
    if (header !== undefined) this.write(header);
  }

  write(line: string): void {
    this.pending.push(line);
    this.pendingLen += line.length;
    this.lines++;
    if (this.pendingLen > 1 << 18) this.drain();
  }

  commit(): void {
    if (this.fd === undefined) throw new Error(`${this.path}: writer already closed`);
    this.drain();
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = undefined;
    renameSync(this.tmp, this.path);
  }

  abort(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } finally {
      this.fd = undefined;
      rmSync(this.tmp, { force: true });
    }
  }

  private drain(): void {
    if (this.pending.length === 0 || this.fd === undefined) return;
    writeSync(this.fd, this.pending.join('\n') + '\n');
    this.pending = [];
    this.pendingLen = 0;
  }
}
