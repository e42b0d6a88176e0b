// bluezone classify: observation CSV -> contact windows CSV (+ optional daily CSV). Thin: the classifier
// lives in firmware/proximity. docs/interfaces.md "Contact windows CSV".

import { Option, type Command } from 'commander';
import type { CliContext } from '../context.ts';
import { info, printJson, stdoutSink } from '../context.ts';
import { UsageError } from '../errors.ts';
import { METHODS } from '../constants.ts';
import { withOutputSet } from '../../records/output.ts';
import type { Observation } from '../../records/rows.ts';
import type { WindowResult } from '../../firmware/proximity/classifier.ts';

// The classifier, the CSV reader and the option loaders (which read the calibration and parameter
// files) load when the action runs, not for --help (issue 16).
let { loadCalibration, paramsOrUsage, parseDuration, parseMethod } = {} as typeof import('../options.ts');
let { SHIPPED_PARAMS_VERSION, StreamingClassifier } = {} as typeof import('../../firmware/proximity/classifier.ts');
type StreamingClassifier = InstanceType<typeof StreamingClassifier>;
let { CsvError, observationReader } = {} as typeof import('../../records/csv.ts');
let { readCsvBatches } = {} as typeof import('../../records/csvFiles.ts');
let { DAILY_CSV_HEADER, WINDOWS_CSV_HEADER, formatDailyRow, formatWindowRow } = {} as typeof import('../../records/rows.ts');
async function loadModules(): Promise<void> {
  ({ loadCalibration, paramsOrUsage, parseDuration, parseMethod } = await import('../options.ts'));
  ({ SHIPPED_PARAMS_VERSION, StreamingClassifier } = await import('../../firmware/proximity/classifier.ts'));
  ({ CsvError, observationReader } = await import('../../records/csv.ts'));
  ({ readCsvBatches } = await import('../../records/csvFiles.ts'));
  ({ DAILY_CSV_HEADER, WINDOWS_CSV_HEADER, formatDailyRow, formatWindowRow } = await import('../../records/rows.ts'));
}

/** Streams an observation CSV through a classifier; CsvError becomes a usage error (exit 2). */
export function classifyFile(
  path: string,
  classifier: StreamingClassifier,
  onWindows: (w: WindowResult[]) => void,
  onObservation?: (o: Observation) => void,
): number {
  let n = 0;
  try {
    for (const batch of readCsvBatches(path, observationReader(path))) {
      for (const o of batch) {
        const closed = classifier.push(o);
        if (closed.length) onWindows(closed);
        onObservation?.(o);
      }
      n += batch.length;
    }
  } catch (e) {
    if (e instanceof CsvError) throw new UsageError(e.message, 'the observation CSV format is in docs/interfaces.md');
    throw e;
  }
  onWindows(classifier.flush());
  return n;
}

export const registerClassify = (program: Command, ctx: CliContext): void => {
  program
    .command('classify')
    .description('classify observations into 15-minute contact windows (within 2 m?) and daily close contacts')
    .requiredOption('--input <file>', 'observation CSV (timestamp_ms,receiver,transmitter,rssi,...), sorted by time')
    .requiredOption('--out <file>', 'contact windows CSV to write (written whole or not at all; "-" streams it to stdout)')
    .option('--window <duration>', 'window length, aligned to multiples since the epoch', '15m')
    .addOption(new Option('--method <method>', 'classifier').choices([...METHODS]).default('ours'))
    .option('--calibration <file|none>', 'GAEN calibration CSV, or none (default: the table shipped with the package, Google 2020-06-13)')
    .option('--daily <file>', 'also write per pair and UTC day: minutes within 2 m and the close-contact flag ("-": stdout)')
    .option('--params <file>', 'parameter file for method ours (default: the one shipped with the package; docs/classifier.md)')
    .option('--close-contact-minutes <n>', 'daily minutes within 2 m that make a close contact', '15')
    .option('--json', 'print a JSON summary on stdout')
    .addHelpText(
      'after',
      '\nExamples:\n  $ npx bluezone classify --input out/observations.csv --out out/windows.csv\n' +
        '  $ npx bluezone classify --input obs.csv --out gaen.csv --method gaen --daily daily.csv --json\n',
    )
    .action(async (o: { input: string; out: string; window: string; method: string; calibration?: string; params?: string; daily?: string; closeContactMinutes: string; json?: boolean }) => {
      await loadModules();
      const windowMs = parseDuration(o.window);
      const method = parseMethod(o.method);
      const minutes = Number(o.closeContactMinutes);
      if (!(minutes > 0)) throw new UsageError(`--close-contact-minutes "${o.closeContactMinutes}" must be a positive number`);
      const cal = loadCalibration(o.calibration);
      const params = paramsOrUsage(o.params);
      const classifier = new StreamingClassifier({ method, windowMs, calibration: cal.lookup, closeContactMinutes: minutes, ours: params?.ours });
      if (o.json && (o.out === '-' || o.daily === '-')) throw new UsageError('--json and an output "-" would both write to stdout', 'give the output a file name, or drop --json');
      let windows = 0;
      let contacts = 0;
      const pairs = new Set<string>();
      // both outputs are checked and staged before the input is read, and published together: a bad
      // --daily no longer leaves a fresh --out behind (issue 16; docs/outputs.md)
      const { n, daily } = withOutputSet(
        (set) => {
          const writer = set.add(o.out);
          const dw = o.daily !== undefined ? set.add(o.daily) : undefined;
          writer.writeLine(WINDOWS_CSV_HEADER);
          const n = classifyFile(o.input, classifier, (ws) => {
            for (const w of ws) {
              writer.writeLine(formatWindowRow(w));
              windows++;
              if (w.contact) contacts++;
              pairs.add(w.receiver + '\u0000' + w.transmitter);
            }
          });
          const daily = classifier.daily();
          if (dw) {
            dw.writeLine(DAILY_CSV_HEADER);
            for (const d of daily) dw.writeLine(formatDailyRow(d));
          }
          return { n, daily };
        },
        { stdout: stdoutSink(ctx) },
      );
      const summary = {
        input: o.input,
        out: o.out,
        daily: o.daily ?? null,
        method,
        window_ms: windowMs,
        calibration: cal.source,
        params: params?.version ?? SHIPPED_PARAMS_VERSION,
        observations: n,
        windows,
        contact_windows: contacts,
        pairs: pairs.size,
        close_contacts: daily.filter((d) => d.closeContact).length,
      };
      if (o.json) printJson(ctx, summary);
      else
        // a message, not data: stderr (issue 16), so that `--out -` leaves stdout a clean CSV
        info(
          ctx,
          `${n} observations -> ${windows} windows (${contacts} contact) for ${pairs.size} pairs, method ${method}; ` +
            `${summary.close_contacts} close contacts (>= ${minutes} min/day within 2 m); wrote ${o.out === '-' ? 'stdout' : o.out}${o.daily ? ` and ${o.daily === '-' ? 'stdout' : o.daily}` : ''}`,
        );
    });
};
