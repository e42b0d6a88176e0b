// Shared by the classify/eval CLI tests: run the CLI (in-process or as a real process) and small inputs.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main } from '../../../cli/main.ts';
import { OBSERVATION_CSV_HEADER } from '../../../records/rows.ts';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);

/** Runs `node bin/bluezone.js ...` as a child process (exit codes and stderr as users see them). */
export function spawnBluezone(args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/bluezone.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 90_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Runs the CLI in this process (same main() as bin/bluezone.js, captured streams). */
export async function runBluezone(args: string[]) {
  let out = '';
  let err = '';
  const sink = (f: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, cb) {
        f(String(chunk));
        cb();
      },
    });
  const code = await main(['node', 'bluezone', ...args], { out: sink((s) => (out += s)), err: sink((s) => (err += s)), isTTY: false });
  return { code, out, err };
}

/** Two pairs for 20 minutes, one reading every 20 s: a-b close (-60 dBm), a-c far (-97 dBm). */
export function writeObservations(dir: string): string {
  const lines = [OBSERVATION_CSV_HEADER];
  for (let t = T0; t < T0 + 20 * 60_000; t += 20_000) {
    lines.push(`${t},a,b,-60,,Pixel 3,Pixel 3`);
    lines.push(`${t},a,c,-97,,Pixel 3,Pixel 3`);
  }
  const p = join(dir, 'obs.csv');
  writeFileSync(p, lines.join('\n') + '\n');
  return p;
}
