// Reads a classifier parameter file (firmware/proximity/params.ts checks it) for the CLI and scripts.
import { readFileSync } from 'node:fs';
import { ParamsError, parseParams, type ParamsFile } from '../firmware/proximity/params.ts';

export function loadParamsFile(path: string): ParamsFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ParamsError(path, '(file)', `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseParams(text, path);
}
