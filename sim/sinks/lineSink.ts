// Buffered, synchronous line writer: streams large CSVs without holding them in memory, and writes to a
// temporary name first so an interrupted run never leaves a half file under the final name.
import { closeSync, openSync, renameSync, writeSync, unlinkSync } from 'node:fs';

export class LineSink {
  private fd: number;
  private chunk: string[] = [];
  private size = 0;
  private readonly tmp: string;
  lines = 0;

  constructor(readonly path: string, header?: string) {
    this.tmp = `${path}.partial`;
    this.fd = openSync(this.tmp, 'w');
    if (header !== undefined) this.line(header);
  }

  line(s: string): void {
    this.chunk.push(s);
    this.size += s.length + 1;
    this.lines++;
    if (this.size > 1 << 20) this.flush();
  }

  private flush(): void {
    if (!this.chunk.length) return;
    writeSync(this.fd, this.chunk.join('\n') + '\n');
    this.chunk = [];
    this.size = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
    renameSync(this.tmp, this.path);
  }

  abort(): void {
    try {
      closeSync(this.fd);
      unlinkSync(this.tmp);
    } catch {
      /* already gone */
    }
  }
}

/** Same for binary records (length-delimited protobuf). */
export class ByteSink {
  private fd: number;
  private buf = Buffer.alloc(1 << 20);
  private pos = 0;
  private readonly tmp: string;
  records = 0;

  constructor(readonly path: string) {
    this.tmp = `${path}.partial`;
    this.fd = openSync(this.tmp, 'w');
  }

  write(b: Uint8Array): void {
    if (this.pos + b.length > this.buf.length) this.flush();
    if (b.length > this.buf.length) writeSync(this.fd, b);
    else {
      this.buf.set(b, this.pos);
      this.pos += b.length;
    }
    this.records++;
  }

  private flush(): void {
    if (this.pos) writeSync(this.fd, this.buf, 0, this.pos);
    this.pos = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
    renameSync(this.tmp, this.path);
  }
}
