// The layer order of docs/architecture.md, read from the imports: records <- firmware (protocol <
// proximity < hci < radio < beacon) <- eval, report <- sim (channel, kernel < scenario < world < engine
// < sinks, fit < run) <- fleet <- cli <- bin, scripts, bench. Also: no import cycles, no command importing
// another command, and no product code naming the developers' ../shared folder.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PRODUCT = ['records', 'firmware', 'eval', 'report', 'sim', 'fleet', 'cli', 'api', 'bin', 'scripts', 'bench'];

/** [layer rank, room]: an import must not go to a higher rank, nor across rooms of the same rank. */
function placeOf(rel: string): { rank: number; room: string; sub: number } | null {
  const [top, second, third] = rel.split('/');
  const subOf = (order: string[], name: string | undefined) => Math.max(0, order.indexOf(name ?? ''));
  switch (top) {
    case 'records': return { rank: 0, room: 'records', sub: 0 };
    case 'firmware': return { rank: 1, room: 'firmware', sub: subOf(['protocol', 'proximity', 'hci', 'radio', 'beacon'], second) };
    case 'eval': return { rank: 2, room: 'eval', sub: 0 };
    case 'report': return { rank: 2, room: 'report', sub: 0 };
    case 'sim': {
      // channel and kernel are one level (the kernel computes the channel model; devices draw with its rng);
      // types.ts holds the run's types, run.ts and bench.ts compose the rest
      const level: Record<string, number> = { channel: 0, kernel: 0, scenario: 1, world: 2, engine: 3, 'types.ts': 3, sinks: 4, fit: 4 };
      return { rank: 3, room: 'sim', sub: level[second] ?? 5 };
    }
    case 'fleet': return { rank: 4, room: 'fleet', sub: 0 };
    case 'cli': return { rank: 5, room: 'cli', sub: second === 'commands' ? 1 : second === 'main.ts' ? 2 : 0 };
    case 'bin': case 'scripts': case 'bench': return { rank: 6, room: top, sub: 0 };
    // the library entry points (package.json exports): index.ts re-exports api/*.ts, which re-export below
    case 'api': return { rank: 6, room: 'api', sub: 0 };
    case 'index.ts': return { rank: 6, room: 'api', sub: 1 };
    default: return null;
  }
}

const IMPORT_RE = /(?:^|[^\w.])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[^\w.])import\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm;

/** Relative import specifiers of a source text, comments removed. */
export function importsOf(src: string): string[] {
  const code = src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const out: string[] = [];
  for (const m of code.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec.startsWith('.')) out.push(spec);
  }
  return out;
}

/** The violations of one import, from file `from` to file `to` (repo-relative paths). */
export function checkImport(from: string, to: string): string | null {
  const a = placeOf(from);
  const b = placeOf(to);
  if (!a || !b) return `${from} -> ${to}: outside the layered folders`;
  if (b.rank > a.rank) return `${from} -> ${to}: ${a.room} may not import ${b.room} (higher layer)`;
  if (b.rank === a.rank && b.room !== a.room) return `${from} -> ${to}: ${a.room} and ${b.room} are separate rooms of one layer`;
  if (a.room === b.room && b.sub > a.sub) return `${from} -> ${to}: points up inside ${a.room}`;
  if (a.room === 'cli' && from.startsWith('cli/commands/') && to.startsWith('cli/commands/') && !from.endsWith('/index.ts'))
    return `${from} -> ${to}: a command imports another command`;
  return null;
}

function sources(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(join(ROOT, d))) {
      const rel = `${d}/${e}`;
      if (e === 'node_modules' || e.startsWith('.')) continue;
      if (statSync(join(ROOT, rel)).isDirectory()) walk(rel);
      else if (/\.(ts|js|mjs)$/.test(e) && !rel.includes('/assembly/')) out.push(rel);
    }
  };
  if (existsSync(join(ROOT, 'index.ts'))) out.push('index.ts');
  for (const d of PRODUCT) {
    try {
      walk(d);
    } catch {
      /* a folder not there yet (fleet) */
    }
  }
  return out;
}

function graph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of sources()) {
    const deps = importsOf(readFileSync(join(ROOT, f), 'utf8')).map((s) => relative(ROOT, resolve(ROOT, dirname(f), s)).split('\\').join('/'));
    g.set(f, deps);
  }
  return g;
}

describe('architecture (docs/architecture.md)', () => {
  it('imports only point down the layer order', () => {
    const bad: string[] = [];
    for (const [f, deps] of graph()) for (const d of deps) {
      const v = checkImport(f, d);
      if (v) bad.push(v);
    }
    expect(bad).toEqual([]);
  });

  it('the checker itself catches an import against the order, a cross-room import and a command importing a command', () => {
    expect(importsOf("import { a } from '../../sim/run.ts';\n// import x from './no.ts'\nconst m = await import('./y.ts');")).toEqual(['../../sim/run.ts', './y.ts']);
    expect(checkImport('firmware/beacon/logbook.ts', 'sim/run.ts')).toMatch(/firmware may not import sim/);
    expect(checkImport('records/csv.ts', 'firmware/proximity/classifier.ts')).toMatch(/higher layer/);
    expect(checkImport('eval/evaluate.ts', 'report/index.ts')).toMatch(/separate rooms/);
    expect(checkImport('firmware/protocol/contactLog.ts', 'firmware/proximity/csv.ts')).toMatch(/points up inside firmware/);
    expect(checkImport('sim/kernel/bench.ts', 'sim/run.ts')).toMatch(/points up inside sim/);
    expect(checkImport('cli/commands/eval.ts', 'cli/commands/classify.ts')).toMatch(/a command imports another command/);
    expect(checkImport('cli/commands/index.ts', 'cli/commands/eval.ts')).toBeNull();
    expect(checkImport('sim/run.ts', 'records/rows.ts')).toBeNull();
    expect(checkImport('index.ts', 'api/protocol.ts')).toBeNull();
    expect(checkImport('api/simulator.ts', 'sim/run.ts')).toBeNull();
    expect(checkImport('sim/run.ts', 'api/simulator.ts')).toMatch(/higher layer/);
  });

  it('has no import cycles', () => {
    const g = graph();
    const state = new Map<string, 1 | 2>();
    const cycles: string[] = [];
    const visit = (f: string, path: string[]) => {
      const s = state.get(f);
      if (s === 2) return;
      if (s === 1) {
        cycles.push([...path.slice(path.indexOf(f)), f].join(' -> '));
        return;
      }
      state.set(f, 1);
      for (const d of g.get(f) ?? []) visit(d, [...path, f]);
      state.set(f, 2);
    };
    for (const f of g.keys()) visit(f, []);
    expect(cycles).toEqual([]);
  });

  it('no product code names ../shared (users have no such folder)', () => {
    const bad: string[] = [];
    for (const f of sources()) {
      const code = readFileSync(join(ROOT, f), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
      if (/['"`][^'"`\n]*(\.\.\/shared|shared\/data|shared\/docs)/.test(code)) bad.push(f);
    }
    expect(bad).toEqual([]);
  });
});
