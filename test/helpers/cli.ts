import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { main } from '../../cli/main.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export type CliResult = { code: number; stdout: string; stderr: string };

/** main() in-process: most CLI tests use this, because each spawn costs seconds of tsx start-up. */
export async function cli(...args: string[]): Promise<CliResult> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c) => (stdout += String(c)));
  err.on('data', (c) => (stderr += String(c)));
  const code = await main(['node', 'bluezone', ...args], { out, err, isTTY: false });
  return { code, stdout, stderr };
}

/** The real binary (node bin/bluezone.js, cwd = repo root), for documented outputs and exit codes. */
export function spawnCli(...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/bluezone.js', ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Temporary directories removed after each test of the calling file. */
export function tempDirs(prefix: string): () => string {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
  return () => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
}
