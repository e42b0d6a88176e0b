// Every sink of a run with outputs, fed from the world loop (sim/run.ts): the data files (files.ts),
// classification and evaluation (evaluation.ts) and the report's samples (reportSink.ts, reportObs.ts).
// The classifier and the report's observation samples (observers.ts) run in the sinks workers
// (parallel/sinkPipe.ts) for runs large enough to pay for their start, else here; same bytes either way.
// Every file goes into the run's one OutputSet (records/output.ts), staged by open() and published by the
// run's commit.
import { join } from 'node:path';
import { resultJson } from '../../eval/evaluate.ts';
import type { OutputSet, OutputWriter } from '../../records/output.ts';
import type { ChannelParams } from '../channel/params.ts';
import type { ContactDay } from '../engine/truth.ts';
import type { Scenario } from '../scenario/schema.ts';
import type { RunStats } from '../types.ts';
import { dailyRuleSection } from '../../report/dailyRule.ts';
import { mergeObservers, Observers, type ObservationConsumers, type ObserversInit } from './observers.ts';
import { METHODS } from '../../firmware/proximity/classifier.ts';
import { DataFiles, type RowFiles } from './files.ts';
import { ReportSamples } from './reportSink.ts';

export interface OutputsInit {
  seed: number;
  startMs: number;
  durationMs: number;
  names: string[];
  kind: Uint8Array;
  person: Int32Array;
  classify: boolean;
  report: boolean;
  models: string[];
  format: 'csv' | 'pb';
  /**
   * Where the classifier and the report's observation samples run: the sinks workers
   * (parallel/sinkPipe.ts, passed in by run.ts) or, by default, Observers in this thread.
   */
  consumers?: (init: ObserversInit, windows: OutputWriter | null, rows: RowFiles | null) => ObservationConsumers;
}

export interface FinishInput {
  stats: RunStats;
  summary: Record<string, unknown>;
  contacts: ContactDay[];
  firstSeenMs: Float64Array;
  lastSeenMs: Float64Array;
  params: ChannelParams;
}

/** Runs up to this many devices keep ids.csv, tracks and truth intervals (they cost per device). */
const DETAIL_MAX_DEVICES = 5000;

export class RunOutputs {
  private readonly files: DataFiles;
  private readonly samples: ReportSamples;
  private consumers: ObservationConsumers | null = null;
  private windowsFile?: string;
  private reportHtml?: OutputWriter;

  constructor(readonly dir: string, readonly scenario: Scenario, readonly init: OutputsInit, private readonly set: OutputSet) {
    const detail = init.names.length <= DETAIL_MAX_DEVICES;
    this.files = new DataFiles(dir, { seed: init.seed, startMs: init.startMs, names: init.names, kind: init.kind, models: init.models, format: init.format, ids: detail });
    this.samples = new ReportSamples(scenario, { seed: init.seed, startMs: init.startMs, durationMs: init.durationMs, names: init.names, kind: init.kind, person: init.person, detail });
  }

  /** Stages every file in the set (OutputError, exit 2, on a bad --out) before the simulation starts. */
  async open(): Promise<void> {
    this.files.open(this.set);
    const { classify, report } = this.init;
    const windows = classify ? this.set.add(join(this.dir, 'windows.csv')) : null;
    this.windowsFile = windows?.path;
    if (report) this.reportHtml = this.set.add(join(this.dir, 'report.html'));
    if (classify || report) {
      const { startMs, durationMs, names, models, kind } = this.init;
      const init = { startMs, durationMs, names, models, kind, methods: classify ? METHODS : [], report };
      const factory = this.init.consumers;
      if (factory) {
        // the sinks worker also writes observations.csv's and truth.csv's rows (off this thread)
        this.consumers = factory(init, windows, this.files.handRowsOff());
      } else this.consumers = new Observers(init, windows);
    }
  }

  onTick(t0ms: number, x: Float32Array, y: Float32Array, active: Uint8Array, nDev: number): void {
    this.samples.onTick(t0ms, x, y, active, nDev);
  }

  onTruthPair(a: number, b: number, nDev: number, t0ms: number, t1ms: number): void {
    this.samples.onTruthPair(a, b, nDev, t0ms, t1ms);
  }

  endTruthTick(t1ms: number, nDev: number): void {
    this.samples.endTruthTick(t1ms, nDev);
  }

  observation(tsMs: number, rx: number, tx: number, rssi: number, distM: number): void {
    // the distance as truth.csv holds it, for every consumer (eval reads truth.csv)
    const dist = Math.round(distM * 100) / 100;
    this.files.observation(tsMs, rx, tx, rssi, dist);
    this.consumers?.observation(tsMs, rx, tx, rssi, dist);
  }

  /** Stops the sinks worker (after finish, or when the run failed). */
  async close(): Promise<void> {
    await this.consumers?.close();
  }

  async finish(f: FinishInput): Promise<string[]> {
    // the sinks workers finish (flush, scoring) while this thread writes the tables
    const parts = this.consumers?.finish();
    const files = this.files.closeStreams();
    if (this.windowsFile) files.push(this.windowsFile);
    files.push(...this.files.writeTables(f.contacts, f.firstSeenMs, f.lastSeenMs));
    const r = parts ? mergeObservers(await parts, f.contacts) : null;
    const results = r?.results ?? [];
    const s = f.summary;
    const cl = r?.classifier;
    s.classifier = cl
      ? { method: 'ours', window_ms: cl.windowMs, windows: cl.windowRows, calibration: 'GAEN table 2020-06-13 (shipped, records/data)' }
      : null;
    s.evaluation = cl
      ? {
        label: 'a window is a true contact when the median true distance of its observations is within 2 m (eval/labels.ts, as `bluezone eval`)',
        contact_m: 2,
        results: results.map(resultJson),
      }
      : null;
    // the 15-minute rule per pair and UTC day against contacts_truth (eval/dailyRule.ts, issue 15)
    const daily = r?.daily ?? null;
    if (daily) (s.evaluation as Record<string, unknown>).daily_rule = { rule: 'at least 15 min within 2 m per pair and UTC day', results: daily.results.map(resultJson) };
    s.files = ['summary.json', 'timing.json', ...files.map((x) => x.slice(this.dir.length + 1)), ...(this.init.report ? ['report.html'] : [])];
    files.unshift(...this.files.writeSummary(s, f.stats));
    // r.report is set whenever the report is on (observers.ts keeps its samples then)
    if (this.reportHtml) files.push(...(await this.samples.render(this.dir, this.set, this.reportHtml, f.stats, f.params, results, r!.report!,
      daily ? [dailyRuleSection(daily.results, daily.rows, { truthSource: 'contacts_truth.csv (continuous positions)' })] : [])));
    return files;
  }
}
