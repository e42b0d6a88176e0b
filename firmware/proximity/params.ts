// Parameter files of method "ours": versioned JSON (firmware/proximity/params/default.json ships in the
// package; `classify --params FILE` / `eval --params FILE` override it). Pure: the caller reads the file,
// this checks it field by field and names the field that is wrong.
import { OURS_BASE, OURS_DEFAULTS, type OursParams } from './classifier.ts';

/** The parameter file format this code reads. */
export const PARAMS_FORMAT_VERSION = 1;

export interface ParamsFile {
  format_version: number;
  /** Parameter set name and version, e.g. "ours-2026-12-07". */
  version: string;
  provenance: Record<string, unknown>;
  ours: Partial<OursParams>;
}

export class ParamsError extends Error {
  constructor(readonly source: string, readonly field: string, what: string) {
    super(`${source}: ${field}: ${what}`);
  }
}

/** Checks a parsed JSON value as a parameter file; unknown or non-finite fields are errors. */
export function checkParams(v: unknown, source: string): ParamsFile {
  const obj = (x: unknown, field: string): Record<string, unknown> => {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new ParamsError(source, field, 'must be a JSON object');
    return x as Record<string, unknown>;
  };
  const top = obj(v, '(top level)');
  if (top.format_version !== PARAMS_FORMAT_VERSION) throw new ParamsError(source, 'format_version', `must be ${PARAMS_FORMAT_VERSION}, got ${JSON.stringify(top.format_version)}`);
  if (typeof top.version !== 'string' || top.version === '') throw new ParamsError(source, 'version', 'must be a non-empty string');
  const provenance = obj(top.provenance, 'provenance');
  const ours = obj(top.ours, 'ours');
  const out: Partial<OursParams> = {};
  for (const [k, x] of Object.entries(ours)) {
    if (!(k in OURS_DEFAULTS)) throw new ParamsError(source, `ours.${k}`, `unknown parameter (known: ${Object.keys(OURS_DEFAULTS).join(', ')})`);
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new ParamsError(source, `ours.${k}`, `must be a finite number, got ${JSON.stringify(x)}`);
    (out as Record<string, number>)[k] = x;
  }
  for (const k of Object.keys(top)) if (!['format_version', 'version', 'provenance', 'ours'].includes(k)) throw new ParamsError(source, k, 'unknown field');
  return { format_version: PARAMS_FORMAT_VERSION, version: top.version, provenance, ours: out };
}

/**
 * The parameters a file's `ours` stands for: its values over the code's fixed base, not over the shipped
 * file (a file lists what differs from the base, so an older file keeps its meaning when a newer release
 * ships values for parameters it never set).
 */
export function oursOf(ours: Partial<OursParams>): OursParams {
  return { ...OURS_BASE, ...ours };
}

/** Parses parameter-file text (JSON errors become ParamsError naming the byte offset when JSON gives it). */
export function parseParams(text: string, source: string): ParamsFile {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ParamsError(source, '(JSON)', (e as Error).message);
  }
  return checkParams(v, source);
}
