// What the long-running commands (beacon start, scan) share: configuration, the clock, signals, logging.
import type { BeaconConfig } from '../firmware/beacon/config.ts';
import type { LogLevel } from '../firmware/beacon/daemon.ts';
import { parseTestClock, systemClock, type Clock } from '../firmware/clock.ts';
import { BeaconInputError } from '../firmware/beacon/errors.ts';
import type { CliContext } from './context.ts';
import { UsageError } from './errors.ts';

const LEVELS: LogLevel[] = ['error', 'warn', 'info', 'debug'];

/** Runs fn and turns our firmware input errors into exit-2 usage errors. */
export function asUsage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof BeaconInputError) throw new UsageError(e.message, e.hint);
    throw e;
  }
}

/** The effective config; the config module (yaml, zod) loads here, not at start-up (bluezone --help). */
export async function resolveConfig(o: { config?: string; stateDir?: string; hci?: string; intervalMs?: string }): Promise<BeaconConfig> {
  const { applyOverrides, defaultConfig, loadBeaconConfig } = await import('../firmware/beacon/config.ts');
  return asUsage(() => applyOverrides(o.config ? loadBeaconConfig(o.config) : defaultConfig(), o));
}

export function untilSignal(): Promise<string> {
  return new Promise((res) => {
    const onInt = () => done('SIGINT');
    const onTerm = () => done('SIGTERM');
    const done = (sig: string) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      res(sig);
    };
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
}

/**
 * After a daemon has cleaned up, make sure the process really ends: closed bleno/noble instances can
 * leave reconnection pollers behind (the UART driver retries SerialPort.list() for ~10 s). The timer
 * is unref'd, so a clean event loop still exits at once.
 */
export function exitSoonAfterShutdown(): void {
  setTimeout(() => process.exit(process.exitCode ?? 0), 1000).unref();
}

/** BLUEZONE_TEST_CLOCK (test mode only, README): a shifted, sped-up clock for end-to-end tests. */
export function clockFromEnv(ctx: CliContext): { clock: Clock; test: boolean } {
  const spec = process.env.BLUEZONE_TEST_CLOCK;
  if (!spec) return { clock: systemClock, test: false };
  let clock: Clock;
  try {
    clock = parseTestClock(spec);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  ctx.err.write(`${underSystemd() ? '<4>' : ''}warning: BLUEZONE_TEST_CLOCK is set: TEST MODE, IDs follow a fake clock (${spec}); never use this on a real beacon\n`);
  return { clock, test: true };
}

/** Syslog priorities (RFC 5424 6.2.1) that journald reads from a `<N>` line prefix (sd-daemon(3)). */
const PRIORITY: Record<LogLevel, number> = { error: 3, warn: 4, info: 6, debug: 7 };

/** Running under systemd: it sets INVOCATION_ID for every unit, JOURNAL_STREAM when stderr goes to the journal. */
export function underSystemd(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.JOURNAL_STREAM || env.INVOCATION_ID);
}

/**
 * Log lines on stderr. Under systemd: `<4>warn message` (journald stamps the time and files the priority,
 * so `journalctl -p warning` works); elsewhere: `2026-11-23T08:00:00.000Z warn message`.
 */
export function makeLogger(ctx: CliContext, level: LogLevel, env: NodeJS.ProcessEnv = process.env): (l: LogLevel, m: string) => void {
  const max = LEVELS.indexOf(ctx.verbose ? 'debug' : level);
  const journal = underSystemd(env);
  return (l, m) => {
    if (LEVELS.indexOf(l) > max || (ctx.quiet && l !== 'error')) return;
    ctx.err.write(journal ? `<${PRIORITY[l]}>${l} ${m}\n` : `${new Date().toISOString()} ${l} ${m}\n`);
  };
}

/** LSB init-script status codes (LSB 3.0 "Init Script Actions"): `status` of a stopped service is 3. */
export const LSB_NOT_RUNNING = 3;

/** Ends a command with this exit code after it has printed its result: no error message (cli/main.ts). */
export class ExitStatus extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = 'ExitStatus';
  }
}

