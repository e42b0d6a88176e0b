// A sweep file (`sim sweep FILE.yaml`, docs/scaling.md): scenarios x seeds x a grid of parameters,
// expanded into jobs in a fixed order (scenario, then seed, then the grid with its last key varying
// fastest), so the same file always gives the same job list and ids.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseYamlText, YamlTextError, type YamlText } from '../../records/yamlText.ts';
import { ScenarioError, builtinNames, loadScenarioWithSource, validateScenario } from '../scenario/load.ts';
import type { Scenario } from '../scenario/schema.ts';
import { BUILTIN_SCENARIOS } from '../scenario/builtins.ts';
import { parseDuration } from '../scenario/units.ts';

/** Bad sweep file: the message names the file, line and field. */
export class SweepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SweepError';
  }
}

export type ParamValue = string | number | boolean;

export interface SweepSpec {
  name: string;
  file: string;
  /** As written (a built-in name or a path relative to the sweep file). */
  scenarios: string[];
  seeds: number[];
  /** Grid keys in file order, each with its values. */
  params: { key: string; values: ParamValue[] }[];
  /** sha256 of the file's bytes: names the queue's jobs, so two different files never share results. */
  hash: string;
}

export interface SweepJob {
  /** Position in the sweep (the table's order). */
  index: number;
  /** Stable id: sweep hash + index (the BullMQ job id, the key of its result). */
  id: string;
  scenario: string;
  /** The scenario file resolved against the sweep file ('' for a built-in). */
  scenarioPath: string;
  seed: number;
  params: Record<string, ParamValue>;
}

/** Run options a parameter may set; every other key is a scenario field path (environment, channel.exponent...). */
export const RUN_PARAMS = ['duration', 'devices', 'scale'] as const;
/** At most this many jobs per sweep (a typo in a grid should not queue millions). */
export const MAX_JOBS = 100_000;

const KEY_RE = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$/;

export function parseSweepText(text: string, file: string): SweepSpec {
  let y: YamlText;
  try {
    y = parseYamlText(text, file);
  } catch (e) {
    if (e instanceof YamlTextError) throw new SweepError(e.message);
    throw e;
  }
  const raw = y.raw;
  const at = (path: (string | number)[]) => {
    const line = y.lineOf(path);
    return line === undefined ? file : `${file}:${line}`;
  };
  const fail = (path: (string | number)[], msg: string): never => {
    throw new SweepError(`${at(path)}: ${path.join('.') || '(top level)'}: ${msg}`);
  };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail([], 'expected a mapping with scenarios, seeds and params');
  const top = raw as Record<string, unknown>;
  for (const k of Object.keys(top)) if (!['name', 'scenarios', 'seeds', 'params'].includes(k)) fail([k], 'unknown field (expected name, scenarios, seeds, params)');
  const name = top.name === undefined ? file.replace(/^.*[\\/]/, '').replace(/\.(ya?ml|json)$/i, '') : top.name;
  if (typeof name !== 'string' || !name) fail(['name'], 'expected a non-empty string');

  const scen = top.scenarios;
  if (!Array.isArray(scen) || scen.length === 0) fail(['scenarios'], 'expected a list of built-in names or scenario files');
  const scenarios = (scen as unknown[]).map((s, i) => (typeof s === 'string' && s ? s : fail(['scenarios', i], 'expected a scenario name or file')));

  let seeds: number[] = [1];
  const sd = top.seeds;
  if (sd !== undefined) {
    if (Array.isArray(sd)) seeds = sd.map((v, i) => (Number.isInteger(v) && v >= 0 && v <= 0xffffffff ? (v as number) : fail(['seeds', i], `expected an integer 0..4294967295, got ${JSON.stringify(v)}`)));
    else if (sd && typeof sd === 'object') {
      const { from, count, ...rest } = sd as Record<string, unknown>;
      if (Object.keys(rest).length) fail(['seeds', Object.keys(rest)[0]], 'unknown field (expected from, count)');
      if (!Number.isInteger(from) || (from as number) < 0) fail(['seeds', 'from'], 'expected an integer >= 0');
      if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > MAX_JOBS) fail(['seeds', 'count'], `expected an integer 1..${MAX_JOBS}`);
      seeds = Array.from({ length: count as number }, (_, i) => (from as number) + i);
    } else fail(['seeds'], 'expected a list of integers or {from, count}');
    if (seeds.length === 0) fail(['seeds'], 'expected at least one seed');
  }

  const params: SweepSpec['params'] = [];
  if (top.params !== undefined) {
    if (top.params === null || typeof top.params !== 'object' || Array.isArray(top.params)) fail(['params'], 'expected a mapping of parameter -> list of values');
    for (const [key, v] of Object.entries(top.params as Record<string, unknown>)) {
      if (!KEY_RE.test(key)) fail(['params', key], 'expected a field name or a dotted path like channel.exponent');
      if (key === 'seed' || key === 'name') fail(['params', key], `"${key}" cannot be swept here${key === 'seed' ? ' (use seeds)' : ''}`);
      const values = Array.isArray(v) ? v : [v];
      if (values.length === 0) fail(['params', key], 'expected at least one value');
      values.forEach((x, i) => {
        if (!['string', 'number', 'boolean'].includes(typeof x) || (typeof x === 'number' && !Number.isFinite(x))) fail(['params', key, i], 'expected a string, number or boolean');
        if (key === 'duration' && (parseDuration(x as string) ?? 0) <= 0) fail(['params', key, i], `expected a duration like "10m", got ${JSON.stringify(x)}`);
        if (key === 'devices' && !(Number.isInteger(x) && (x as number) >= 1 && (x as number) <= 1_000_000)) fail(['params', key, i], 'expected an integer 1..1000000');
        if (key === 'scale' && !(typeof x === 'number' && x > 0 && x <= 1000)) fail(['params', key, i], 'expected a number in (0, 1000]');
      });
      params.push({ key, values: values as ParamValue[] });
    }
  }
  const n = scenarios.length * seeds.length * params.reduce((a, p) => a * p.values.length, 1);
  if (n > MAX_JOBS) fail(['params'], `${n} jobs: more than ${MAX_JOBS}`);
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  return { name: name as string, file, scenarios, seeds, params, hash };
}

export function loadSweepFile(path: string): SweepSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SweepError(`cannot read sweep file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseSweepText(text, path);
}

/** Every job of the sweep, in table order. */
export function expandJobs(spec: SweepSpec): SweepJob[] {
  const jobs: SweepJob[] = [];
  const grid: Record<string, ParamValue>[] = [{}];
  for (const p of spec.params) {
    const next: Record<string, ParamValue>[] = [];
    for (const g of grid) for (const v of p.values) next.push({ ...g, [p.key]: v });
    grid.splice(0, grid.length, ...next);
  }
  for (const scenario of spec.scenarios) {
    const scenarioPath = BUILTIN_SCENARIOS[scenario] ? '' : isAbsolute(scenario) ? scenario : resolve(dirname(spec.file), scenario);
    for (const seed of spec.seeds) {
      for (const params of grid) {
        const index = jobs.length;
        jobs.push({ index, id: `${spec.hash}-${String(index).padStart(5, '0')}`, scenario, scenarioPath, seed, params });
      }
    }
  }
  return jobs;
}

/**
 * The job's scenario (its file or built-in, with the scenario-field parameters set and validated again)
 * and the run options its parameters set. Throws SweepError naming the job and the field.
 */
export function jobScenario(job: SweepJob): { scenario: Scenario; durationMs?: number; devices?: number; scale?: number } {
  // the scenario as written (validated once for its own errors, with lines), parameters set on it, and
  // validated again: the validated form cannot be re-validated (durations are ms there)
  let raw: Record<string, unknown>;
  try {
    raw = loadScenarioWithSource(job.scenarioPath || job.scenario).source;
  } catch (e) {
    if (e instanceof ScenarioError) throw new SweepError(`job ${job.index} (${job.scenario}): ${e.message}${job.scenarioPath ? '' : ` (built-ins: ${builtinNames().join(', ')})`}`);
    throw e;
  }
  const out: { durationMs?: number; devices?: number; scale?: number } = {};
  for (const [key, v] of Object.entries(job.params)) {
    if (key === 'duration') out.durationMs = parseDuration(v as string);
    else if (key === 'devices') out.devices = v as number;
    else if (key === 'scale') out.scale = v as number;
    else {
      const path = key.split('.');
      let o = raw;
      for (const k of path.slice(0, -1)) {
        if (o[k] === undefined) o[k] = {};
        if (o[k] === null || typeof o[k] !== 'object' || Array.isArray(o[k])) throw new SweepError(`job ${job.index}: params.${key}: ${k} is not a mapping in scenario ${job.scenario}`);
        o = o[k] as Record<string, unknown>;
      }
      o[path[path.length - 1]] = v;
    }
  }
  try {
    return { scenario: validateScenario(raw, `${job.scenario} with ${JSON.stringify(job.params)}`), ...out };
  } catch (e) {
    if (e instanceof ScenarioError) throw new SweepError(`job ${job.index}: ${e.message}`);
    throw e;
  }
}
