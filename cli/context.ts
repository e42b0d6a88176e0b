import type { Writable } from 'node:stream';

/** What a command needs from its surroundings; tests pass their own streams. */
export interface CliContext {
  out: Writable;
  err: Writable;
  /** stdout is a terminal: progress bars and colours are allowed. */
  isTTY: boolean;
  quiet: boolean;
  verbose: boolean;
}

export function printJson(ctx: CliContext, value: unknown): void {
  ctx.out.write(JSON.stringify(value, null, 2) + '\n');
}

/** Informational line on stderr; suppressed by --quiet so stdout stays clean for data. */
export function info(ctx: CliContext, line: string): void {
  if (!ctx.quiet) ctx.err.write(line + '\n');
}

/**
 * Where an output named "-" goes (records/output.ts OutputSet `stdout`): fd 1 itself when ctx.out is the
 * process's stdout, so that a closed pipe is an EPIPE at the write that met it (the command stops there,
 * cli/main.ts exits 0 quietly) rather than an 'error' event after the work; else the stream (tests).
 */
export function stdoutSink(ctx: CliContext): number | Writable {
  return ctx.out === process.stdout ? 1 : ctx.out;
}
