// bluezone eval: contact windows vs ground truth -> AUC, precision, recall, F1, cost; ours vs baselines in
// one run (--input runs every method on the observations; --windows adds windows files). Thin: scoring is
// eval/, plots are report/.

import { basename, dirname, extname, join } from 'node:path';
import { snakeKeys } from '../../records/json.ts';
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { info, printJson, stdoutSink } from '../context.ts';
import { ProblemError, UsageError } from '../errors.ts';
import { METHODS } from '../constants.ts';
import { OutputSet, type OutputWriter } from '../../records/output.ts';
import type { WindowResult } from '../../firmware/proximity/classifier.ts';
import type { WindowRow } from '../../records/csv.ts';
import type { EvalResult, Thresholds } from '../../eval/evaluate.ts';
import type { TruthLike, WindowTruth } from '../../eval/labels.ts';
import type { PairDayTruth } from '../../eval/dailyRule.ts';

// eval/, the classifier, the CSV reader and the option loaders load when the action runs, not for
// --help (issue 16).
let { StreamingClassifier } = {} as typeof import('../../firmware/proximity/classifier.ts');
type StreamingClassifier = InstanceType<typeof StreamingClassifier>;
let { CsvError, observationReader, truthReader, windowsReader } = {} as typeof import('../../records/csv.ts');
let { readCsvBatches, readCsvFile } = {} as typeof import('../../records/csvFiles.ts');
let { belowThresholds, evaluateWindows, formatResultsTable, metricsTable, resultJson } = {} as typeof import('../../eval/evaluate.ts');
let { truthLabels, windowKey } = {} as typeof import('../../eval/labels.ts');
let { thinCurve } = {} as typeof import('../../eval/metrics.ts');
let { loadCalibration, paramsOrUsage, parseDuration, parseMethod } = {} as typeof import('../options.ts');
let { contactsTruthReader, dailyRuleRows, evaluateDailyRule, TimeTruth } = {} as typeof import('../../eval/dailyRule.ts');
let { ScanThinner } = {} as typeof import('../../eval/thinning.ts');
async function loadModules(): Promise<void> {
  ({ StreamingClassifier } = await import('../../firmware/proximity/classifier.ts'));
  ({ CsvError, observationReader, truthReader, windowsReader } = await import('../../records/csv.ts'));
  ({ readCsvBatches, readCsvFile } = await import('../../records/csvFiles.ts'));
  ({ belowThresholds, evaluateWindows, formatResultsTable, metricsTable, resultJson } = await import('../../eval/evaluate.ts'));
  ({ truthLabels, windowKey } = await import('../../eval/labels.ts'));
  ({ thinCurve } = await import('../../eval/metrics.ts'));
  ({ loadCalibration, paramsOrUsage, parseDuration, parseMethod } = await import('../options.ts'));
  ({ contactsTruthReader, dailyRuleRows, evaluateDailyRule, TimeTruth } = await import('../../eval/dailyRule.ts'));
  ({ ScanThinner } = await import('../../eval/thinning.ts'));
}

interface Source {
  label: string;
  windows: Array<WindowRow | WindowResult>;
  windowMs: number;
  from: string;
}

function csvOrUsage<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof CsvError) throw new UsageError(e.message, 'the CSV formats are in docs/interfaces.md');
    throw e;
  }
}


/** "auc=0.8,f1=0.7" -> thresholds; metrics auc, precision, recall, f1 in [0, 1]. */
function parseThresholds(s: string): Thresholds {
  const t: Thresholds = {};
  for (const part of s.split(',')) {
    const m = /^\s*(auc|precision|recall|f1)\s*=\s*([0-9.]+)\s*$/.exec(part);
    const v = m ? Number(m[2]) : NaN;
    if (!m || !(v >= 0 && v <= 1)) throw new UsageError(`--fail-under "${part}" is not METRIC=VALUE`, 'e.g. --fail-under auc=0.8,f1=0.7 (metrics auc, precision, recall, f1; values 0..1)');
    t[m[1] as keyof Thresholds] = v;
  }
  return t;
}

interface EvalOptions {
  truth: string; windows?: string[]; input?: string; methods: string; window: string; calibration?: string;
  contactM: string; missCost: string; falseAlarmCost: string; roc?: string; rocCsv?: string; report?: string; failUnder?: string; json?: boolean;
  params?: string; thin?: string; contactsTruth?: string;
}

/** "gaen" or "gaen:SEED" -> the thinning seed. */
function parseThin(s: string): number {
  const m = /^gaen(?::(\d{1,9}))?$/.exec(s.trim());
  if (!m) throw new UsageError(`--thin "${s}" is not gaen or gaen:SEED`, 'e.g. --thin gaen:1 keeps only readings inside GAEN-like 4 s scans every 3.5-5 min');
  return m[1] === undefined ? 1 : Number(m[1]);
}



export const registerEval = (program: Command, ctx: CliContext): void => {
  program
    .command('eval')
    .description('score contact windows against ground truth: AUC, precision, recall, F1, cost (ours vs baselines)')
    .requiredOption('--truth <file>', 'truth CSV (timestamp_ms,receiver,transmitter,distance_m)')
    .option('--windows <file...>', 'contact windows CSV(s) to score; "label=FILE" names a row (default: file name)')
    .option('--input <file>', 'observation CSV: run the methods on it and score each (ours vs baselines in one run)')
    .option('--methods <list>', 'methods to run with --input', METHODS.join(','))
    .option('--window <duration>', 'window length for --input runs', '15m')
    .option('--calibration <file|none>', 'GAEN calibration CSV for --input runs (see classify)')
    .option('--contact-m <m>', 'a window is a true contact when the median true distance is <= this', '2')
    .option('--miss-cost <x>', 'cost of one missed contact window', '5')
    .option('--false-alarm-cost <x>', 'cost of one false alarm', '1')
    .option('--roc <file.svg>', 'write the ROC curves as SVG (and a PNG beside it; "-": the SVG to stdout, no PNG)')
    .option('--roc-csv <file>', 'write the ROC points as CSV (method,fpr,tpr; "-": stdout, the table then goes to stderr)')
    .option('--report <dir>', 'write dir/report.html with the metrics table and ROC plot')
    .option('--fail-under <list>', 'exit 1 when method ours (else the first scored) is below any of these, e.g. auc=0.8,f1=0.7 (for CI)')
    .option('--params <file>', 'parameter file for method ours in --input runs (default: the shipped one)')
    .option('--thin <gaen[:seed]>', 'thin --input to GAEN\'s scan schedule (4 s every 3.5-5 min per receiver, seeded) before classifying')
    .option('--contacts-truth <file>', 'true minutes within 2 m per pair and day (sim contacts_truth.csv) for the 15-minute rule; default: from --truth times')
    .option('--json', 'print the results as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ npx bluezone eval --truth out/truth.csv --input out/observations.csv --roc roc.svg\n' +
        '  $ npx bluezone eval --truth out/truth.csv --input out/observations.csv --thin gaen:1 --contacts-truth out/contacts_truth.csv\n' +
        '  $ npx bluezone eval --truth truth.csv --windows ours=windows.csv gaen=gaen.csv --json\n',
    )
    .action(async (o: EvalOptions) => {
      await loadModules();
      if (!o.windows?.length && !o.input) throw new UsageError('give --windows FILE and/or --input OBSERVATIONS', 'see bluezone eval --help');
      const num = (s: string, what: string, min = 0) => {
        const v = Number(s);
        if (!Number.isFinite(v) || v < min) throw new UsageError(`${what} "${s}" must be a number >= ${min}`);
        return v;
      };
      const contactM = num(o.contactM, '--contact-m');
      const costs = { miss: num(o.missCost, '--miss-cost'), falseAlarm: num(o.falseAlarmCost, '--false-alarm-cost') };
      const failUnder = o.failUnder === undefined ? undefined : parseThresholds(o.failUnder);
      const toStdout = [o.rocCsv, o.roc].filter((p) => p === '-').length;
      if (toStdout && o.json) throw new UsageError('--json and an output "-" would both write to stdout', 'give the output a file name, or drop --json');
      // every output is checked and staged before any input is read; all are published together at the
      // end or none (docs/outputs.md). --roc and --report create their folders, --roc-csv does not.
      const set = new OutputSet({ stdout: stdoutSink(ctx) });
      let results: EvalResult[];
      try {
        results = await evaluate(o, set, { contactM, costs, tableOut: toStdout ? ctx.err : ctx.out });
        set.commit();
      } catch (e) {
        set.abort();
        throw e;
      }
      // after the commit: a CI run below the thresholds still gets its report
      if (failUnder) {
        const r = results.find((x) => x.method === 'ours') ?? results[0];
        const below = belowThresholds(r, failUnder);
        if (below.length) throw new ProblemError(`${r.method}: ${below.join(', ')}`, 'the classifier is below the --fail-under thresholds');
        info(ctx, `${r.method}: meets --fail-under ${o.failUnder}`);
      }
    });

  async function evaluate(
    o: EvalOptions,
    set: OutputSet,
    a: { contactM: number; costs: { miss: number; falseAlarm: number }; tableOut: CliContext['out'] },
  ): Promise<Array<EvalResult & { source: string }>> {
    const { contactM, costs } = a;
    const rocCsvOut = o.rocCsv !== undefined ? set.add(o.rocCsv) : undefined;
    let rocOut: OutputWriter | undefined;
    let rocPngOut: OutputWriter | undefined;
    if (o.roc !== undefined) {
      rocOut = set.add(o.roc, { mkdir: true });
      // the PNG goes beside a file; for "-" and descriptors there is no beside
      if (rocOut.kind === 'atomic') rocPngOut = set.add(join(dirname(o.roc), basename(o.roc, extname(o.roc)) + '.png'));
    }
    const reportHtml = o.report !== undefined ? set.add(join(o.report, 'report.html'), { mkdir: true }) : undefined;
    const sources: Source[] = [];
    let daily: { methods: Array<{ method: string; daily: ReturnType<StreamingClassifier['daily']> }>; observed: WindowResult[]; windowMs: number } | undefined;
    if (o.contactsTruth !== undefined && !o.input) throw new UsageError('--contacts-truth needs --input (the daily minutes come from running the methods)');
    for (const spec of o.windows ?? []) {
      const eq = spec.indexOf('=');
      const path = eq > 0 ? spec.slice(eq + 1) : spec;
      const label = eq > 0 ? spec.slice(0, eq) : basename(path, extname(path));
      const rows = csvOrUsage(() => readCsvFile(path, windowsReader(path)));
      const lengths = new Set(rows.map((r) => r.windowEndMs - r.windowStartMs));
      if (lengths.size > 1) throw new UsageError(`${path}: windows of different lengths (${[...lengths].join(', ')} ms)`);
      sources.push({ label, windows: rows, windowMs: rows.length ? rows[0].windowEndMs - rows[0].windowStartMs : 900_000, from: path });
    }
    if (o.input) {
      const windowMs = parseDuration(o.window);
      const methods = o.methods.split(',').map((m) => parseMethod(m.trim()));
      const cal = loadCalibration(o.calibration);
      const params = paramsOrUsage(o.params);
      const classifiers = methods.map((method) => new StreamingClassifier({ method, windowMs, calibration: cal.lookup, ours: params?.ours }));
      const outs: WindowResult[][] = methods.map(() => []);
      const thinner = o.thin !== undefined ? new ScanThinner(parseThin(o.thin)) : undefined;
      // One pass over the file feeds every method.
      csvOrUsage(() => {
        for (const batch of readCsvBatches(o.input!, observationReader(o.input!)))
          for (const ob of batch) {
            if (thinner && !thinner.keep(ob)) continue;
            for (let i = 0; i < classifiers.length; i++) {
              const closed = classifiers[i].push(ob);
              for (const w of closed) outs[i].push(w);
            }
          }
      });
      methods.forEach((m, i) => {
        for (const w of classifiers[i].flush()) outs[i].push(w);
        sources.push({ label: m, windows: outs[i], windowMs, from: o.input! });
      });
      if (thinner) info(ctx, `thinned to GAEN's scan schedule (seed ${thinner.seed}): kept ${thinner.kept} of ${thinner.seen} observations`);
      daily = { methods: methods.map((m, i) => ({ method: m, daily: classifiers[i].daily() })), observed: outs[0], windowMs };
    }
    const truth: TruthLike[] = csvOrUsage(() => readCsvFile(o.truth, truthReader(o.truth)));
    const labelsBy = new Map<number, WindowTruth<string>>();
    const results: Array<EvalResult & { source: string }> = [];
    for (const s of sources) {
      let labels = labelsBy.get(s.windowMs);
      if (!labels) labelsBy.set(s.windowMs, (labels = truthLabels(truth, s.windowMs, contactM)));
      const l = labels;
      results.push({ ...evaluateWindows(s.label, s.windows, (w) => l.label(windowKey(w.receiver, w.transmitter, w.windowStartMs)), { costs }), source: s.from });
    }
    for (const r of results)
      if (r.unmatched > 0) info(ctx, `note: ${r.method}: ${r.unmatched} windows have no truth rows and were skipped`);
    // The 15-minute rule per pair and UTC day (eval/dailyRule.ts): --input runs only (it needs daily minutes).
    let dailyResults: EvalResult[] = [];
    let dailyRows: ReturnType<typeof dailyRuleRows> = [];
    if (daily) {
      let dayTruth: PairDayTruth[];
      if (o.contactsTruth !== undefined) {
        const path = o.contactsTruth;
        dayTruth = csvOrUsage(() => readCsvFile(path, contactsTruthReader(path)));
      } else {
        const tt = new TimeTruth(daily.windowMs, contactM);
        for (const r of truth) tt.add(r);
        dayTruth = tt.daily();
      }
      const rows = (dailyRows = dailyRuleRows(dayTruth, daily.methods, daily.observed.map((w) => ({ receiver: w.receiver, transmitter: w.transmitter, dayStartMs: w.windowStartMs }))));
      dailyResults = daily.methods.map((m) => evaluateDailyRule(m.method, rows, { costs }));
    }

    const rocCurves = results
      .filter((r) => r.auc !== null)
      .map((r) => ({ method: r.method, auc: r.auc as number, points: thinCurve(r.roc) }));
    if (o.rocCsv) {
      const lines = ['method,fpr,tpr'];
      for (const r of results) for (const p of r.roc) lines.push(`${r.method},${p.fpr},${p.tpr}`);
      rocCsvOut!.write(lines.join('\n') + '\n');
    }
    if (o.roc || o.report) {
      const { renderEvalReport, writeReport } = await import('../../report/index.ts');
      const { scoreLabel } = await import('../../report/specs.ts');
      const { dailyRuleSection } = await import('../../report/dailyRule.ts');
      const rendered = await renderEvalReport({
        title: `Proximity classifier evaluation: ${basename(o.truth)}`,
        metrics: metricsTable(results),
        roc: rocCurves,
        // every method scored, ours and the baselines, each against its own score's thresholds
        f1: results
          .filter((r) => r.positives > 0 && r.f1Curve?.length)
          .map((r) => ({ method: r.method, score: scoreLabel(r.method), decisionF1: r.f1, points: thinCurve(r.f1Curve!).filter((p) => p.f1 !== null).map((p) => ({ threshold: p.threshold, f1: p.f1! })) })),
        notes: [
          `truth: ${o.truth}`,
          ...sources.map((s) => `${s.label}: ${s.from} (${s.windowMs / 60_000} min windows)`),
          `true contact: median true distance in the window <= ${contactM} m; cost = ${costs.miss} x misses + ${costs.falseAlarm} x false alarms`,
        ],
        sections: daily ? [dailyRuleSection(dailyResults, dailyRows, { truthSource: o.contactsTruth ?? 'seconds within 2 m from the per-reception distances' })] : undefined,
      });
      if (o.roc && rendered.svgs.roc) {
        const { pngUnavailable, svgToPng } = await import('../../report/index.ts');
        rocOut!.write(rendered.svgs.roc);
        if (rocPngOut && pngUnavailable()) set.discard(rocPngOut); // SVG only where resvg does not load
        else rocPngOut?.write(svgToPng(rendered.svgs.roc));
      } else if (o.roc) {
        // nothing to draw: the old files stay as they were
        set.discard(rocOut!);
        if (rocPngOut) set.discard(rocPngOut);
        info(ctx, 'note: no ROC curve to draw (one class only: AUC undefined)');
      }
      if (o.report) writeReport(o.report, rendered, 'report.html', { set, html: reportHtml });
    }
    if (o.json) {
      printJson(ctx, {
        truth: o.truth,
        contact_m: contactM,
        costs: snakeKeys(costs),
        results: results.map((r) => ({ ...resultJson(r), source: r.source })),
        ...(daily ? { daily_rule: { close_contact_minutes: 15, truth: o.contactsTruth ?? o.truth, results: dailyResults.map((r) => resultJson(r)) } } : {}),
        ...(o.thin !== undefined ? { thin: o.thin } : {}),
        ...(o.params !== undefined ? { params: o.params } : {}),
      });
    } else {
      a.tableOut.write(formatResultsTable(results)); // stderr when an output streams to stdout
      if (daily)
        a.tableOut.write(`\n15-minute rule per pair and UTC day (true minutes within 2 m from ${o.contactsTruth ?? o.truth}; "windows" = pair-days):\n` + formatResultsTable(dailyResults));
    }
    if (!o.json && results.some((r) => r.auc === null))
      info(ctx, `AUC n/a: the truth has one class only; "called contact" share: ${results.map((r) => `${r.method} ${(100 * r.calledContact).toFixed(1)}%`).join(', ')}`);
    return results;
  }
};
