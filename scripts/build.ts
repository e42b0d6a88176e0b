// npm run build: the product sources to dist/ as JavaScript + .d.ts (tsconfig.build.json), then every
// file the code reads at run time through import.meta.url (the WASM kernel, records/data/**, the .proto
// schema, the HCI helper tools) copied to the same relative path under dist/, so `new URL('./x',
// import.meta.url)` finds it in the compiled package as it does in the sources.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
/** The folders tsconfig.build.json compiles; their non-TypeScript files are the run-time assets. */
export const SOURCE_DIRS = ['records', 'firmware', 'eval', 'report', 'sim', 'fleet', 'cli'];
/** AssemblyScript sources of the kernel: compiled to kernel.wasm by npm run build:wasm, not shipped. */
const SKIP = [join('sim', 'kernel', 'assembly')];

function* assets(dir: string): Generator<string> {
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const rel = join(dir, e.name);
    if (SKIP.includes(rel)) continue;
    if (e.isDirectory()) yield* assets(rel);
    else if (e.isFile() && !e.name.endsWith('.ts')) yield rel;
  }
}

export function build(): number {
  rmSync(DIST, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`build: tsc failed (exit ${r.status ?? r.signal})\n`);
    return 1;
  }
  if (!existsSync(join(ROOT, 'sim', 'kernel', 'kernel.wasm'))) {
    process.stderr.write('build: sim/kernel/kernel.wasm is missing: run npm run build:wasm first\n');
    return 1;
  }
  let n = 0;
  for (const dir of SOURCE_DIRS) {
    for (const rel of assets(dir)) {
      mkdirSync(dirname(join(DIST, rel)), { recursive: true });
      copyFileSync(join(ROOT, rel), join(DIST, rel));
      n++;
    }
  }
  process.stderr.write(`build: dist/ written (${n} assets copied, ${relative(ROOT, DIST)}/index.js is the library entry)\n`);
  return 0;
}

process.exitCode = build();
