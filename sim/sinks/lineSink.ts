// Thin line and record writers over one output of the run's OutputSet (records/output.ts, docs/outputs.md):
// the set stages every file of `sim run` before the simulation starts and publishes them together, so an
// interrupted run leaves neither a half file nor a temp file. The buffering (1 MiB chunks) is the writer's.
import type { OutputWriter } from '../../records/output.ts';

export class LineSink {
  lines = 0;

  constructor(readonly out: OutputWriter, header?: string) {
    if (header !== undefined) this.line(header);
  }

  get path(): string {
    return this.out.path;
  }

  line(s: string): void {
    this.out.writeLine(s);
    this.lines++;
  }
}

/** Same for binary records (length-delimited protobuf). */
export class ByteSink {
  records = 0;

  constructor(readonly out: OutputWriter) {}

  get path(): string {
    return this.out.path;
  }

  write(b: Uint8Array): void {
    this.out.write(b);
    this.records++;
  }
}
