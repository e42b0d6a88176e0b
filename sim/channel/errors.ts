/** A problem in an input data file, located by file and line (the CLI turns it into exit code 2). */
export class DataFileError extends Error {
  constructor(readonly file: string, readonly line: number, readonly detail: string) {
    super(`${file}${line > 0 ? `:${line}` : ''}: ${detail}`);
    this.name = 'DataFileError';
  }
}
