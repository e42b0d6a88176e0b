// Pseudo-terminal bridge to the air server, so bleno/noble can open a "serial port" with
// hciDriver 'uart' (ble-stack.md 2.5). Node has no pty API: the bridge is the shipped
// Python relay (default; python3 is everywhere) or socat when asked for.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, readlinkSync, unlinkSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
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
 * Both bridges behave alike: a TCP connection (= a fresh controller) is opened when a host opens
 * the pty and closed when it closes it, so the link survives host restarts; when the server drops
 * the connection the pty is closed (the host reads EIO) and the link re-pointed at a new pty.
 * python does this in one process; socat (`wait-slave`) handles one host session per process, so
 * it is restarted after each exit.
 */
export async function startPtyBridge(port: number, linkPath: string, opts: PtyBridgeOptions = {}): Promise<PtyBridge> {
  const host = opts.host ?? '127.0.0.1';
  const path = resolve(linkPath);
  checkLinkPath(path);
  const kind = chooseBridge(opts.bridge);
  if (kind === 'socat') checkSocatSafe(path, host);
  const readyMs = opts.readyTimeoutMs ?? 15000;
  let stderr = '';
  let stopping = false;
  let child!: ChildProcess;
  let resolveExited!: (code: number | null) => void;
  const exited = new Promise<number | null>((res) => (resolveExited = res));

  const launch = (): ChildProcess => {
    const c =
      kind === 'python'
        ? // Own process group, so a terminal's Ctrl-C reaches only us and we stop the relay in order;
          // --watch-stdin ends it if we die without doing so.
          spawn(pythonExecutable(), [PY_RELAY, '--host', host, '--port', String(port), '--link', path, '--watch-stdin'], { stdio: ['pipe', 'pipe', 'pipe'], detached: true })
        : spawn('socat', [`pty,raw,echo=0,link=${path},wait-slave`, `tcp:${host}:${port},nodelay`], { stdio: ['pipe', 'pipe', 'pipe'] });
    c.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    c.on('error', () => {}); // spawn failure shows up as an exit
    return c;
  };

  child = launch();
  const ready = new Promise<void>((res, rej) => {
    const fail = (why: string) => rej(new Error(`pty bridge (${kind}) ${why}${stderr ? `: ${stderr.trim()}` : ''}`));
    const timeout = setTimeout(() => fail(`did not create ${path} within ${readyMs} ms`), readyMs);
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
    child.once('exit', (code) => {
      clearTimeout(timeout);
      clearInterval(poll);
      fail(`exited with code ${code} before ${path} was ready`);
    });
  });
  try {
    await ready;
  } catch (e) {
    child.kill('SIGTERM');
    throw e;
  }

  const watch = (c: ChildProcess) =>
    c.once('exit', (code) => {
      if (stopping || kind === 'python') {
        resolveExited(code);
        return;
      }
      // socat ended a session (host closed, server dropped, or server not up): start the next one.
      setTimeout(() => {
        if (stopping) return resolveExited(code);
        child = launch();
        watch(child);
      }, 100);
    });
  watch(child);

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      stopping = true;
      const c = child;
      if (c.exitCode === null && c.signalCode === null) {
        c.stdin!.end();
        c.kill('SIGTERM');
        const t = setTimeout(() => c.kill('SIGKILL'), 2000);
        await exited;
        clearTimeout(t);
      } else {
        resolveExited(c.exitCode);
      }
      removeLinkIfDangling(path);
    })());
  return {
    path,
    kind,
    get child() {
      return child;
    },
    exited,
    close,
  };
}

/** Bad link paths, as errors a CLI can show: a missing directory, or a path that is not a symlink (never clobbered). */
export class LinkPathError extends Error {
  override name = 'LinkPathError';
}

/**
 * socat parses its address arguments: ":" separates the type, "," options, "!!" splits read and write
 * halves, and quotes, brackets and backslashes escape (socat(1) "ADDRESS SPECIFICATIONS"). A link path
 * like '/tmp/x!!exec:sleep 77' would inject an address, so only plain characters are let through.
 */
const SOCAT_PLAIN = /^[A-Za-z0-9._\/@+-]+$/;

export function checkSocatSafe(path: string, host: string): void {
  if (!SOCAT_PLAIN.test(path)) {
    throw new LinkPathError(`--link ${path}: with --bridge socat the path may hold only letters, digits and . _ / @ + - (socat would parse the others as address syntax)`);
  }
  if (!SOCAT_PLAIN.test(host) || host.includes('/')) throw new LinkPathError(`--host ${host}: with --bridge socat give a plain host name or IPv4 address`);
}

export function checkLinkPath(path: string): void {
  if (!existsSync(dirname(path))) throw new LinkPathError(`--link ${path}: directory ${dirname(path)} does not exist`);
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return; // free
  }
  if (!st.isSymbolicLink()) throw new LinkPathError(`--link ${path}: exists and is not a symlink; refusing to replace it`);
}

/** Removes `path` if it is a symlink whose target is gone (what a killed bridge leaves behind). */
export function removeLinkIfDangling(path: string): void {
  try {
    if (lstatSync(path).isSymbolicLink() && !existsSync(readlinkSync(path))) unlinkSync(path);
  } catch {
    // not there: nothing to do
  }
}
