// bluezone eval: contact windows vs ground truth -> AUC, precision, recall, F1, cost; ours vs baselines in
// one run (--input runs every method on the observations; --windows adds windows files). Thin: scoring is
// eval/, plots are report/.

import { mkdirSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { info, printJson } from '../context.ts';
import { UsageError } from '../errors.ts';
import { METHODS, StreamingClassifier, type WindowResult } from '../../firmware/proximity/classifier.ts';
import { CsvError, observationReader, truthReader, windowsReader, type WindowRow } from '../../records/csv.ts';
import { readCsvBatches, readCsvFile } from '../../records/csvFiles.ts';
import { evaluateWindows, truthMedians, type EvalResult, type TruthLike } from '../../eval/evaluate.ts';
import { writeFileAtomic } from '../../records/atomicWrite.ts';
import { loadCalibration, parseDuration, parseMethod } from '../options.ts';

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
    if (e instanceof CsvError) throw new UsageError(e.message, 'the CSV formats are in shared/docs/interfaces.md');
    throw e;
  }
}

/** Thins an ROC curve for plotting (keeps the ends). */
function thin<T>(pts: T[], max = 300): T[] {
  if (pts.length <= max) return pts;
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(pts[Math.round((i * (pts.length - 1)) / (max - 1))]);
  return out;
}

const fmt = (x: number | null, d = 3) => (x === null ? 'n/a' : x.toFixed(d));

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
    .option('--roc <file.svg>', 'write the ROC curves as SVG (and a PNG beside it)')
    .option('--roc-csv <file>', 'write the ROC points as CSV (method,fpr,tpr)')
    .option('--report <dir>', 'write dir/report.html with the metrics table and ROC plot')
    .option('--json', 'print the results as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ npx bluezone eval --truth out/truth.csv --input out/observations.csv --roc roc.svg\n' +
        '  $ npx bluezone eval --truth truth.csv --windows ours=windows.csv gaen=gaen.csv --json\n',
    )
    .action(async (o: {
      truth: string; windows?: string[]; input?: string; methods: string; window: string; calibration?: string;
      contactM: string; missCost: string; falseAlarmCost: string; roc?: string; rocCsv?: string; report?: string; json?: boolean;
    }) => {
      if (!o.windows?.length && !o.input) throw new UsageError('give --windows FILE and/or --input OBSERVATIONS', 'see bluezone eval --help');
      const num = (s: string, what: string, min = 0) => {
        const v = Number(s);
        if (!Number.isFinite(v) || v < min) throw new UsageError(`${what} "${s}" must be a number >= ${min}`);
        return v;
      };
      const contactM = num(o.contactM, '--contact-m');
      const costs = { miss: num(o.missCost, '--miss-cost'), falseAlarm: num(o.falseAlarmCost, '--false-alarm-cost') };
      const sources: Source[] = [];
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
        const classifiers = methods.map((method) => new StreamingClassifier({ method, windowMs, calibration: cal.lookup }));
        const outs: WindowResult[][] = methods.map(() => []);
        // One pass over the file feeds every method.
        csvOrUsage(() => {
          for (const batch of readCsvBatches(o.input!, observationReader(o.input!)))
            for (const ob of batch)
              for (let i = 0; i < classifiers.length; i++) {
                const closed = classifiers[i].push(ob);
                for (const w of closed) outs[i].push(w);
              }
        });
        methods.forEach((m, i) => {
          for (const w of classifiers[i].flush()) outs[i].push(w);
          sources.push({ label: m, windows: outs[i], windowMs, from: o.input! });
        });
      }
      const truth: TruthLike[] = csvOrUsage(() => readCsvFile(o.truth, truthReader(o.truth)));
      const mediansBy = new Map<number, Map<string, number>>();
      const results: Array<EvalResult & { source: string }> = [];
      for (const s of sources) {
        let med = mediansBy.get(s.windowMs);
        if (!med) mediansBy.set(s.windowMs, (med = truthMedians(truth, s.windowMs)));
        results.push({ ...evaluateWindows(s.label, s.windows, med, { contactM, costs }), source: s.from });
      }
      for (const r of results)
        if (r.unmatched > 0) info(ctx, `note: ${r.method}: ${r.unmatched} windows have no truth rows and were skipped`);

      const rocCurves = results
        .filter((r) => r.auc !== null)
        .map((r) => ({ method: r.method, auc: r.auc as number, points: thin(r.roc) }));
      if (o.rocCsv) {
        const lines = ['method,fpr,tpr'];
        for (const r of results) for (const p of r.roc) lines.push(`${r.method},${p.fpr},${p.tpr}`);
        writeFileAtomic(o.rocCsv, lines.join('\n') + '\n');
      }
      if (o.roc || o.report) {
        const { renderEvalReport, writeReport } = await import('../../report/index.ts');
        const rendered = await renderEvalReport({
          title: `Proximity classifier evaluation: ${basename(o.truth)}`,
          metrics: {
            columns: ['method', 'windows', 'positives', 'auc', 'precision', 'recall', 'f1', 'misses', 'false_alarms', 'cost'],
            rows: results.map((r) => ({
              method: r.method, windows: r.windows, positives: r.positives, auc: fmt(r.auc), precision: fmt(r.precision),
              recall: fmt(r.recall), f1: fmt(r.f1), misses: r.fn, false_alarms: r.fp, cost: r.cost,
            })),
          },
          roc: rocCurves,
          notes: [
            `truth: ${o.truth}`,
            ...sources.map((s) => `${s.label}: ${s.from} (${s.windowMs / 60_000} min windows)`),
            `true contact: median true distance in the window <= ${contactM} m; cost = ${costs.miss} x misses + ${costs.falseAlarm} x false alarms`,
          ],
        });
        if (o.roc && rendered.svgs.roc) {
          const { svgToPng } = await import('../../report/index.ts');
          mkdirSync(dirname(o.roc), { recursive: true });
          writeFileAtomic(o.roc, rendered.svgs.roc);
          writeFileAtomic(join(dirname(o.roc), basename(o.roc, extname(o.roc)) + '.png'), svgToPng(rendered.svgs.roc));
        } else if (o.roc) info(ctx, 'note: no ROC curve to draw (one class only: AUC undefined)');
        if (o.report) writeReport(o.report, rendered);
      }
      if (o.json) {
        printJson(ctx, {
          truth: o.truth,
          contact_m: contactM,
          costs,
          results: results.map((r) => ({
            method: r.method, source: r.source, windows: r.windows, unmatched: r.unmatched, positives: r.positives,
            negatives: r.negatives, auc: r.auc, precision: r.precision, recall: r.recall, f1: r.f1, tp: r.tp, fp: r.fp,
            fn: r.fn, tn: r.tn, called_contact: r.calledContact, cost: r.cost,
          })),
        });
        return;
      }
      const head = ['method', 'windows', 'pos', 'AUC', 'precision', 'recall', 'F1', 'misses', 'false alarms', 'cost'];
      const rows = results.map((r) => [
        r.method, String(r.windows), String(r.positives), fmt(r.auc), fmt(r.precision), fmt(r.recall), fmt(r.f1),
        String(r.fn), String(r.fp), String(r.cost),
      ]);
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
      const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
      ctx.out.write(line(head) + '\n' + rows.map(line).join('\n') + '\n');
      if (results.some((r) => r.auc === null))
        ctx.out.write(`AUC n/a: the truth has one class only; "called contact" share: ${results.map((r) => `${r.method} ${(100 * r.calledContact).toFixed(1)}%`).join(', ')}\n`);
    });
};
