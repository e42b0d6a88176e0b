// Option parsers and loaders shared by several commands (commands never import each other).
import { calibrationLookup, DEFAULT_CALIBRATION_CSV, loadCalibrationTable, type CalibrationLookup } from '../records/calibration.ts';
import { DataFileError } from '../records/errors.ts';
import { METHODS, type Method } from '../firmware/proximity/classifier.ts';
import { UsageError } from './errors.ts';
import { loadParamsFile } from '../eval/paramsFile.ts';
import { oursOf, ParamsError, type ParamsFile } from '../firmware/proximity/params.ts';

/** "15m", "900s", "1h", "60000ms" -> ms. */
export function parseDuration(s: string, what = '--window'): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|min|h)$/.exec(s.trim());
  if (!m) throw new UsageError(`${what} "${s}" is not a duration`, 'use e.g. 15m, 900s, 1h or 60000ms');
  const v = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 }[m[2] as 'ms']!;
  if (!Number.isInteger(v) || v < 1000 || v > 86_400_000)
    throw new UsageError(`${what} "${s}" must be a whole number of ms between 1 s and 24 h`);
  return v;
}

export interface LoadedCalibration {
  lookup?: CalibrationLookup;
  /** 'default' (the shipped table), 'none', or the file given. */
  source: string;
}

/** --calibration FILE | none; default: the GAEN table shipped with the package (records/data). */
export function loadCalibration(opt: string | undefined): LoadedCalibration {
  if (opt === 'none') return { source: 'none' };
  try {
    return { lookup: calibrationLookup(loadCalibrationTable(opt ?? DEFAULT_CALIBRATION_CSV)), source: opt ?? 'default' };
  } catch (e) {
    if (e instanceof DataFileError) throw new UsageError(`--calibration ${e.message}`);
    throw e;
  }
}

export function parseMethod(s: string): Method {
  if (!(METHODS as readonly string[]).includes(s)) throw new UsageError(`--method "${s}" is not one of ${METHODS.join(', ')}`);
  return s as Method;
}

/**
 * A parameter file for method ours, its `ours` completed from the code's base (params.ts oursOf), or a
 * usage error naming the file and field (exit 2).
 */
export function paramsOrUsage(path: string | undefined): ParamsFile | undefined {
  if (path === undefined) return undefined;
  try {
    const file = loadParamsFile(path);
    return { ...file, ours: oursOf(file.ours) };
  } catch (e) {
    if (e instanceof ParamsError) throw new UsageError(`--params ${e.message}`, 'the parameter file format is in docs/classifier.md');
    throw e;
  }
}
