// Helpers shared by the tests that drive real processes and the virtual air.
import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Runs `node ...args` with env added, without the BLE stacks' device variables of this process, keeping the
 * tail of stdout and stderr; lines() parses stdout's JSON lines (others are skipped).
 */
export function proc(args: string[], env: Record<string, string>) {
  const e = { ...process.env, ...env };
  delete e.BLUETOOTH_HCI_SOCKET_UART_PORT;
  delete e.HCI_CHANNEL_USER;
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: e });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-200_000)));
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-20_000)));
  const lines = () => out.split('\n').flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
  return { child, out: () => out, err: () => err, lines };
}

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
