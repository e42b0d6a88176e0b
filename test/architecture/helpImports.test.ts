// `bluezone --help` loads only commander, cli/ and a few small modules of constants (issue 16: at most
// 0.2 s from the installed package): the static, non-type imports reachable from cli/main.ts must stay
// inside this list. Product modules are imported in the actions (`await import(...)`), which this
// ignores, as Node does until an action runs. `npm run bench:startup` measures the time itself.
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Product modules --help may load besides cli/: small, and no imports beyond node: and each other. */
const ALLOWED = new Set([
  'firmware/beacon/errors.ts', // cli/daemon.ts: ExitStatus, BeaconInputError
  'firmware/beacon/tz.ts',
  'firmware/clock.ts',
  'firmware/hci/constants.ts', // air --inject: the HCI command names
  'firmware/protocol/hex.ts',
  'firmware/protocol/keys.ts', // id: SLOTS_PER_DAY in the help text
  'records/json.ts',
  'records/output.ts', // main.ts: OutputError
  'sim/scenario/builtins.ts', // sim run: the built-in scenario names in the help text
  'sim/scenario/units.ts',
]);
/** cli/ helpers that load product modules: the commands import them in their actions. */
const LAZY_CLI = new Set(['cli/options.ts']);

/** Specifiers of the static value imports and re-exports of a source: not `import type`, not import(). */
export function staticImports(src: string): string[] {
  const code = src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out: string[] = [];
  for (const m of code.matchAll(/^\s*(import|export)\s+(type\s)?([^'";]*?)\bfrom\s*['"]([^'"]+)['"]/gm)) if (!m[2]) out.push(m[4]);
  for (const m of code.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) out.push(m[1]);
  return out;
}

/** Repository files and package names reachable from cli/main.ts through static imports. */
function helpGraph(): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = ['cli/main.ts'];
  while (todo.length) {
    const rel = todo.pop()!;
    if (files.has(rel)) continue;
    files.add(rel);
    for (const spec of staticImports(readFileSync(join(ROOT, rel), 'utf8'))) {
      if (spec.startsWith('.')) todo.push(relative(ROOT, resolve(ROOT, dirname(rel), spec)).split('\\').join('/'));
      else if (!spec.startsWith('node:')) packages.add(spec);
    }
  }
  return { files, packages };
}

describe('what bluezone --help loads (issue 16)', () => {
  it('finds static imports and skips type-only and dynamic ones', () => {
    const src = "import type { A } from './a.ts';\nimport { b, type C } from './b.ts';\nimport {\n  d,\n} from './d.ts';\nexport { e } from './e.ts';\nexport type { F } from './f.ts';\nconst g = await import('./g.ts');\n// import { h } from './h.ts';\nimport './i.ts';\n";
    expect(staticImports(src)).toEqual(['./b.ts', './d.ts', './e.ts', './i.ts']);
  });

  it('only commander, cli/ and the listed constant modules', () => {
    const { files, packages } = helpGraph();
    expect([...packages]).toEqual(['commander']);
    const extra = [...files].filter((f) => (!f.startsWith('cli/') || LAZY_CLI.has(f)) && !ALLOWED.has(f)).sort();
    expect(extra, 'import these in the action (await import) instead').toEqual([]);
  });
});
