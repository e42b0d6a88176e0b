// bluezone classify: observation CSV -> contact windows CSV (+ optional daily CSV). Thin: the classifier
// lives in firmware/proximity. docs/interfaces.md "Contact windows CSV".

import { Option, type Command } from 'commander';
import type { CliContext } from '../context.ts';
import { printJson } from '../context.ts';
import { UsageError } from '../errors.ts';
import { loadCalibration, parseDuration, parseMethod } from '../options.ts';
import { METHODS, StreamingClassifier, type WindowResult } from '../../firmware/proximity/classifier.ts';
import { CsvError, observationReader } from '../../records/csv.ts';
import { AtomicLineWriter, readCsvBatches } from '../../records/csvFiles.ts';
import { DAILY_CSV_HEADER, WINDOWS_CSV_HEADER, formatDailyRow, formatWindowRow, type Observation } from '../../records/rows.ts';

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
    .requiredOption('--out <file>', 'contact windows CSV to write (written whole or not at all)')
    .option('--window <duration>', 'window length, aligned to multiples since the epoch', '15m')
    .addOption(new Option('--method <method>', 'classifier').choices([...METHODS]).default('ours'))
    .option('--calibration <file|none>', 'GAEN calibration CSV, or none (default: the table shipped with the package, Google 2020-06-13)')
    .option('--daily <file>', 'also write per pair and UTC day: minutes within 2 m and the close-contact flag')
    .option('--close-contact-minutes <n>', 'daily minutes within 2 m that make a close contact', '15')
    .option('--json', 'print a JSON summary on stdout')
    .addHelpText(
      'after',
      '\nExamples:\n  $ npx bluezone classify --input out/observations.csv --out out/windows.csv\n' +
        '  $ npx bluezone classify --input obs.csv --out gaen.csv --method gaen --daily daily.csv --json\n',
    )
    .action((o: { input: string; out: string; window: string; method: string; calibration?: string; daily?: string; closeContactMinutes: string; json?: boolean }) => {
      const windowMs = parseDuration(o.window);
      const method = parseMethod(o.method);
      const minutes = Number(o.closeContactMinutes);
      if (!(minutes > 0)) throw new UsageError(`--close-contact-minutes "${o.closeContactMinutes}" must be a positive number`);
      const cal = loadCalibration(o.calibration);
      const classifier = new StreamingClassifier({ method, windowMs, calibration: cal.lookup, closeContactMinutes: minutes });
      let writer: AtomicLineWriter;
      try {
        writer = new AtomicLineWriter(o.out, WINDOWS_CSV_HEADER);
      } catch (e) {
        throw new UsageError(`--out ${o.out}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      let windows = 0;
      let contacts = 0;
      const pairs = new Set<string>();
      let n: number;
      try {
        n = classifyFile(o.input, classifier, (ws) => {
          for (const w of ws) {
            writer.write(formatWindowRow(w));
            windows++;
            if (w.contact) contacts++;
            pairs.add(w.receiver + '\u0000' + w.transmitter);
          }
        });
        writer.commit();
      } catch (e) {
        writer.abort();
        throw e;
      }
      const daily = classifier.daily();
      if (o.daily) {
        const dw = new AtomicLineWriter(o.daily, DAILY_CSV_HEADER);
        try {
          for (const d of daily) dw.write(formatDailyRow(d));
          dw.commit();
        } catch (e) {
          dw.abort();
          throw e;
        }
      }
      const summary = {
        input: o.input,
        out: o.out,
        daily: o.daily ?? null,
        method,
        window_ms: windowMs,
        calibration: cal.source,
        observations: n,
        windows,
        contact_windows: contacts,
        pairs: pairs.size,
        close_contacts: daily.filter((d) => d.closeContact).length,
      };
      if (o.json) printJson(ctx, summary);
      else
        ctx.out.write(
          `${n} observations -> ${windows} windows (${contacts} contact) for ${pairs.size} pairs, method ${method}; ` +
            `${summary.close_contacts} close contacts (>= ${minutes} min/day within 2 m); wrote ${o.out}${o.daily ? ` and ${o.daily}` : ''}\n`,
        );
    });
};
