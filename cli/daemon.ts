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
  ctx.err.write(`warning: BLUEZONE_TEST_CLOCK is set: TEST MODE, IDs follow a fake clock (${spec}); never use this on a real beacon\n`);
  return { clock, test: true };
}

export function makeLogger(ctx: CliContext, level: LogLevel): (l: LogLevel, m: string) => void {
  const max = LEVELS.indexOf(ctx.verbose ? 'debug' : level);
  return (l, m) => {
    if (LEVELS.indexOf(l) > max || (ctx.quiet && l !== 'error')) return;
    ctx.err.write(`${new Date().toISOString()} ${l} ${m}\n`);
  };
}

