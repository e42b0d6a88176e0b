// Pseudo-terminal bridge to the air server, so bleno/noble can open a "serial port" with
// hciDriver 'uart' (ble-stack-and-hci.md 2.5). Node has no pty API: the bridge is the shipped
// Python relay (default; python3 is everywhere) or socat when asked for.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, readlinkSync, unlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type BridgeKind = 'python' | 'socat';

export interface PtyBridgeOptions {
  host?: string;
  /** 'auto' (default) = python3 if present, else socat. */
  bridge?: BridgeKind | 'auto';
  /** Give up waiting for the link after this long. */
  readyTimeoutMs?: number;
}

export interface PtyBridge {
  /** Absolute path of the link (what to pass as bindParams.uart.port). */
  path: string;
  kind: BridgeKind;
  child: ChildProcess;
  /** Resolves when the bridge has exited (after close() or on its own). */
  exited: Promise<number | null>;
  /** Stops the bridge and removes the link. */
  close(): Promise<void>;
}

export const PY_RELAY = fileURLToPath(new URL('./tools/pty_relay.py', import.meta.url));

export function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

let python: string | undefined;
/**
 * The python3 interpreter, resolved once: a pyenv-style shim costs seconds per start on a busy
 * machine and would sit between us and the relay when we signal it.
 */
export function pythonExecutable(): string {
  if (python === undefined) {
    const r = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' });
    python = r.status === 0 && r.stdout.trim() ? r.stdout.trim() : 'python3';
  }
  return python;
}

export function chooseBridge(want: BridgeKind | 'auto' = 'auto'): BridgeKind {
  if (want !== 'auto') {
    const bin = want === 'python' ? 'python3' : 'socat';
    if (!onPath(bin)) throw new Error(`--bridge ${want}: ${bin} is not on PATH`);
    return want;
  }
  if (onPath('python3')) return 'python';
  if (onPath('socat')) return 'socat';
  throw new Error('no pty bridge available: install python3 or socat');
}

/**
 * Creates a pty at `linkPath` bridged to the air server on `port`; resolves once the link exists.
 * python: one TCP connection (= one fresh controller) per host open, survives host restarts, and
 * re-creates the pty when the server drops the connection. socat: one connection for the bridge's
 * life (`wait-slave` delays it until the host opens the pty); when either side closes, the bridge
 * exits and removes the link.
 */
export async function startPtyBridge(port: number, linkPath: string, opts: PtyBridgeOptions = {}): Promise<PtyBridge> {
  const host = opts.host ?? '127.0.0.1';
  const path = resolve(linkPath);
  const kind = chooseBridge(opts.bridge);
  const child =
    kind === 'python'
      ? spawn(pythonExecutable(), [PY_RELAY, '--host', host, '--port', String(port), '--link', path, '--watch-stdin'], { stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn('socat', [`pty,raw,echo=0,link=${path},wait-slave`, `tcp:${host}:${port}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));

  const ready = new Promise<void>((res, rej) => {
    const timeout = setTimeout(() => rej(new Error(`pty bridge (${kind}) did not create ${path} within ${opts.readyTimeoutMs ?? 15000} ms${stderr ? `: ${stderr.trim()}` : ''}`)), opts.readyTimeoutMs ?? 15000);
    const done = () => {
      clearTimeout(timeout);
      clearInterval(poll);
      res();
    };
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (kind === 'python' && out.includes('ready ')) done();
    });
    // socat prints nothing: watch for the link.
    const poll = setInterval(() => {
      if (kind === 'socat' && existsSync(path)) done();
    }, 20);
    exited.then((code) => {
      clearTimeout(timeout);
      clearInterval(poll);
      rej(new Error(`pty bridge (${kind}) exited with code ${code} before ${path} was ready${stderr ? `: ${stderr.trim()}` : ''}`));
    });
  });
  try {
    await ready;
  } catch (e) {
    child.kill('SIGTERM');
    throw e;
  }

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.stdin!.end();
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 2000);
        await exited;
        clearTimeout(t);
      }
      removeLinkIfDangling(path);
    })());
  return { path, kind, child, exited, close };
}

/** Removes `path` if it is a symlink whose target is gone (what a killed bridge leaves behind). */
export function removeLinkIfDangling(path: string): void {
  try {
    if (lstatSync(path).isSymbolicLink() && !existsSync(readlinkSync(path))) unlinkSync(path);
  } catch {
    // not there: nothing to do
  }
}
