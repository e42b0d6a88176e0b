// Waiting helpers shared by the tests that drive real processes and the virtual air.
import type { ChildProcess } from 'node:child_process';

/** Polls probe until it returns a truthy value (sync or async) or ms pass; the timeout names what and prints diag(). */
export async function until<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 20_000,
  diag: () => string = () => '',
  pollMs = 50,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}\n${diag()}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Sends signal and waits for the child to exit, with SIGKILL after killAfterMs. */
export async function stop(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM', killAfterMs = 5000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  const t = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  await exited;
  clearTimeout(t);
}
