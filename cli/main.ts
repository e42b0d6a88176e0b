import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registrars } from './commands/index.ts';
import type { CliContext } from './context.ts';
import { EXIT_OK, EXIT_USAGE, ProblemError, UsageError } from './errors.ts';
import { OutputError } from '../records/output.ts';
import { addGroupExamples, addUsageHints } from './ui.ts';
import { ExitStatus } from './daemon.ts';

export interface MainIo {
  out?: NodeJS.WritableStream & import('node:stream').Writable;
  err?: NodeJS.WritableStream & import('node:stream').Writable;
  isTTY?: boolean;
}

/**
 * The package's own version: package.json one folder up from cli/ in a clone, two in the compiled
 * package (dist/cli/main.js).
 */
function packageVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'bluezone-beacon') return pkg.version;
    } catch {
      // not there: try the next level
    }
  }
  return 'unknown';
}

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('bluezone')
    .description('Bluezone-compatible BLE beacon, entrance logbook, proximity classifier and radio simulator')
    .version(packageVersion(), '-V, --version', 'print the version of this package')
    .option('-q, --quiet', 'print only data and errors')
    .option('-v, --verbose', 'more detail, stack traces on errors')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => ctx.out.write(s),
      writeErr: (s) => ctx.err.write(s),
    })
    .exitOverride();
  program.hook('preAction', (cmd) => {
    const o = cmd.optsWithGlobals();
    ctx.quiet = Boolean(o.quiet);
    ctx.verbose = Boolean(o.verbose);
  });
  for (const register of registrars) register(program, ctx);
  program.addHelpText('after', '\nExample:\n  $ npx bluezone sim run            # simulate the default lobby and write out/report.html\n');
  addGroupExamples(program);
  addUsageHints(program);
  return program;
}

let stdoutGuarded = false;

/**
 * The reader of stdout went away (`| head`): that ends the command quietly with exit 0, as a program
 * killed by SIGPIPE would in a shell pipeline, instead of an unhandled 'error' event (a crash, exit 1).
 */
function onStdoutError(e: NodeJS.ErrnoException): void {
  if (e.code !== 'EPIPE') throw e;
  process.exit(EXIT_OK); // the exit hook of records/output.ts removes staged temp files
}

/** Runs the CLI and returns the exit code (docs/interfaces.md "Running it"). */
export async function main(argv: string[], io: MainIo = {}): Promise<number> {
  const ctx: CliContext = {
    out: io.out ?? process.stdout,
    err: io.err ?? process.stderr,
    isTTY: io.isTTY ?? Boolean(process.stdout.isTTY),
    quiet: false,
    verbose: argv.includes('--verbose') || argv.includes('-v'),
  };
  const program = buildProgram(ctx);
  if (ctx.out === process.stdout && !stdoutGuarded) {
    // once per process: the event may come after main() has returned (commander's help)
    stdoutGuarded = true;
    process.stdout.on('error', onStdoutError);
  }
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version arrive here with exit code 0; commander already printed the message.
      return e.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (e instanceof ExitStatus) return e.exitCode; // the command printed its result (beacon status)
    if (e instanceof OutputError) {
      // "-" or fd 1 with the reader gone: quiet, as above
      if (e.code === 'EPIPE' && (e.path === '-' || e.path === '/dev/stdout')) return EXIT_OK;
      // one line naming the path and the errno (docs/outputs.md "Errors")
      ctx.err.write(`error: ${e.message}\n`);
      if (ctx.verbose && e.stack) ctx.err.write(e.stack + '\n');
      return e.exitCode;
    }
    if (e instanceof UsageError || e instanceof ProblemError) {
      ctx.err.write(`error: ${e.message}\n`);
      if (e.hint) ctx.err.write(`hint: ${e.hint}\n`);
      if (ctx.verbose && e.stack) ctx.err.write(e.stack + '\n');
      return e.exitCode;
    }
    const err = e as Error;
    ctx.err.write(`error: ${err?.message ?? String(e)}\n`);
    if (ctx.verbose) ctx.err.write((err?.stack ?? '') + '\n');
    else ctx.err.write('hint: run again with --verbose for the stack trace\n');
    return 1;
  }
}
