// A run's output folder as bytes per relative path, without timing.json (wall-clock figures): what the
// byte-identity tests compare (--threads, the sinks workers, a giant run on Redis).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export function runFiles(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f !== 'timing.json') out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}
