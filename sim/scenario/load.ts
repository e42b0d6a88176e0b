// Reads a scenario from a file (YAML or JSON) or a built-in name; errors name the file, line, field path
// and what was expected.
import { readFileSync } from 'node:fs';
import { parseYamlText, YamlTextError, type YamlText } from '../../records/yamlText.ts';
import type { ZodIssue } from 'zod';
import { ScenarioSchema, type Scenario } from './schema.ts';
import { BUILTIN_SCENARIOS } from './builtins.ts';

export class ScenarioError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly issues: string[] = [],
  ) {
    super(message);
    this.name = 'ScenarioError';
  }
}

function fieldPath(path: (string | number)[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${p}` : p;
  return s || '(top level)';
}

/** Validates an already parsed object; `file` and `lineOf` only shape the messages. */
export function validateScenario(raw: unknown, file: string, lineOf?: (path: (string | number)[]) => number | undefined): Scenario {
  const r = ScenarioSchema.safeParse(raw);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i: ZodIssue) => {
    const line = lineOf?.(i.path);
    const where = `${file}${line ? `:${line}` : ''}: ${fieldPath(i.path)}`;
    let msg = i.message;
    if (i.code === 'invalid_type') msg = `expected ${i.expected}, got ${i.received}`;
    if (i.code === 'unrecognized_keys') msg = `unknown field(s) ${i.keys.map((k) => `"${k}"`).join(', ')}`;
    if (i.code === 'invalid_union') msg = unionMessage(i);
    return `${where}: ${msg}`;
  });
  throw new ScenarioError(`invalid scenario ${file}:\n  ${issues.join('\n  ')}`, file, issues);
}

/** For a failed union, the issue of the branch that got furthest says most. */
function unionMessage(i: Extract<ZodIssue, { code: 'invalid_union' }>): string {
  const branches = i.unionErrors.map((e) => e.issues);
  const best = branches.filter((b) => !b.some((x) => x.code === 'unrecognized_keys' && x.path.length === i.path.length));
  const pick = (best.length ? best : branches).sort((a, b) => a.length - b.length)[0];
  if (!pick?.length) return 'value does not match any allowed form';
  const x = pick[0];
  const sub = x.path.slice(i.path.length).join('.');
  const m = x.code === 'invalid_type' ? `expected ${x.expected}, got ${x.received}` : x.code === 'invalid_union' ? unionMessage(x) : x.message;
  return sub ? `${sub}: ${m}` : m;
}

/** Parses YAML or JSON text (JSON is YAML) and validates it. */
export function parseScenarioText(text: string, file: string): Scenario {
  return fromYaml(yamlOrError(text, file), file);
}

function fromYaml({ raw, lineOf }: YamlText, file: string): Scenario {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ScenarioError(`${file}: expected a mapping of scenario fields at the top level`, file);
  }
  return validateScenario(raw, file, lineOf);
}

function yamlOrError(text: string, file: string): YamlText {
  try {
    return parseYamlText(text, file);
  } catch (e) {
    if (e instanceof YamlTextError) throw new ScenarioError(e.message, file);
    throw e;
  }
}

function readScenarioText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new ScenarioError(`cannot read scenario file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, path);
  }
}

export function loadScenarioFile(path: string): Scenario {
  return parseScenarioText(readScenarioText(path), path);
}

export function builtinNames(): string[] {
  return Object.keys(BUILTIN_SCENARIOS);
}

/** A built-in name ("lobby") or a path to a .yaml/.yml/.json file. */
export function loadScenario(nameOrPath: string): Scenario {
  return loadScenarioWithSource(nameOrPath).scenario;
}

/**
 * loadScenario, plus the scenario as written (a fresh plain object: the validated form has durations in ms
 * and cannot be validated again), for callers that change fields and validate the result (sim sweep).
 */
export function loadScenarioWithSource(nameOrPath: string): { scenario: Scenario; source: Record<string, unknown> } {
  const b = BUILTIN_SCENARIOS[nameOrPath];
  if (b) return { scenario: validateScenario(b.scenario, `built-in:${nameOrPath}`), source: structuredClone(b.scenario as Record<string, unknown>) };
  if (!/[./\\]/.test(nameOrPath)) {
    throw new ScenarioError(`unknown built-in scenario "${nameOrPath}" (built-ins: ${builtinNames().join(', ')})`, nameOrPath);
  }
  // zod leaves its input as it was: the parsed document is the source as written
  const y = yamlOrError(readScenarioText(nameOrPath), nameOrPath);
  return { scenario: fromYaml(y, nameOrPath), source: y.raw as Record<string, unknown> };
}
