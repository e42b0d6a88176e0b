// The one error for bad data files: located by file, line (0 = the whole file) and optionally field, so
// the CLI can print "file:line: field 'x' ..." and exit 2 (docs/interfaces.md "Running it").
export class DataFileError extends Error {
  constructor(readonly file: string, readonly line: number, readonly detail: string) {
    super(`${file}${line > 0 ? `:${line}` : ''}: ${detail}`);
    this.name = 'DataFileError';
  }
}
