// Option-value parsers shared by several commands. Light (errors.ts only), so the commands import it at
// registration, which --help runs (test/architecture/helpImports.test.ts); cli/options.ts, which loads
// product modules, is imported in the actions.
import { UsageError } from './errors.ts';

/** An option parser for a whole number in [min, max]: a UsageError naming the option otherwise. */
export function intArg(name: string, min: number, max: number) {
  return (v: string) => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new UsageError(`${name}: expected an integer ${min}..${max}, got "${v}"`);
    }
    return n;
  };
}
