// The package as a user gets it: `npm pack` (prepack builds dist/) and `npm install -g --prefix P` of the
// tarball, offline from the npm cache. Used by bench/startup.ts and test/package/.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (no shell); never rejects. */
export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: 127, stdout, stderr: stderr + String(e) });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

/** `npm pack` of the checkout into dir; returns the tarball's path. Throws with npm's output on failure. */
export async function packTarball(dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const r = await run('npm', ['pack', '--pack-destination', dir, '--loglevel=error'], { cwd: ROOT });
  const tgz = readdirSync(dir).find((f) => /^bluezone-beacon-.*\.tgz$/.test(f));
  if (r.code !== 0 || !tgz) throw new Error(`npm pack failed (exit ${r.code}):\n${r.stderr.slice(-4000)}`);
  return join(dir, tgz);
}

/**
 * npm install flags that never touch the network: packages come from the npm cache (~/.npm, filled by
 * `npm ci` in the checkout). --ignore-scripts: no native build at install time (better-sqlite3 would
 * compile SQLite for minutes with its prebuilt download offline); the commands run here do not need it.
 */
export const OFFLINE_FLAGS = ['--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'];

/** The reason to skip when npm could not install offline because its cache lacks a package. */
export function cacheMiss(r: Ran): string | undefined {
  if (r.code === 0) return undefined;
  const m = /ENOTCACHED[^\n]*|request to \S+ failed[^\n]*/.exec(r.stderr);
  return m ? `the npm cache lacks a package the install needs (offline, no download): ${m[0]}` : undefined;
}

/** `npm install -g --prefix prefix tgz`, offline. */
export function installGlobal(tgz: string, prefix: string): Promise<Ran> {
  mkdirSync(prefix, { recursive: true });
  return run('npm', ['install', '-g', '--prefix', prefix, ...OFFLINE_FLAGS, tgz], { cwd: prefix });
}
