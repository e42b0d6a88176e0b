// Files of a run (shared/docs/interfaces.md "Simulator"): observations.csv, truth.csv (same row order),
// windows.csv (the firmware classifier fed with the observations), contacts_truth.csv, ids.csv,
// devices.csv, summary.json, report.html. Observations stream through; only report samples are kept.
import { join } from 'node:path';
import { writeFileAtomic } from '../../records/atomicWrite.ts';
import { OBSERVATION_CSV_HEADER, TRUTH_CSV_HEADER, WINDOWS_CSV_HEADER, csvField, formatWindowRow, type Observation } from '../../records/rows.ts';
import { StreamingClassifier, type WindowResult } from '../../firmware/proximity/classifier.ts';
import { bluezoneIdAt, SLOT_MS } from '../../firmware/protocol/keys.ts';
import { toHex } from '../../firmware/protocol/hex.ts';
import type { ChannelParams } from '../channel/params.ts';
import type { Scenario } from '../scenario/schema.ts';
import { KIND_NAMES, simBaseDate, simBaseKey } from '../world/devices.ts';
import { ByteSink, LineSink } from './lineSink.ts';
import { PairTable } from '../engine/pairTable.ts';
import { encodeDelimited, loadSchema } from '../../records/proto/index.ts';
import type { RunStats } from '../types.ts';
import type { ContactTimeline, DeviceTrack, PairSeries, RocCurve, RunReportInput, ScatterSample } from '../../report/types.ts';

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
}

export interface FinishInput {
  stats: RunStats;
  summary: Record<string, unknown>;
  contacts: { day: string; a: string; b: string; minutes: number; close: boolean }[];
  firstSeenMs: Float64Array;
  lastSeenMs: Float64Array;
  params: ChannelParams;
  kernelName: string;
  pairsPerSecond: number;
}

/** Runs up to this many devices keep ids.csv, tracks and truth intervals (they cost per device). */
const DETAIL_MAX_DEVICES = 5000;
const SCATTER_MAX = 4000;
const TRACK_MAX = 40;
const TRACK_EVERY_MS = 30_000;
const PAIR_POINTS_MAX = 200_000;
const WINDOW_LABELS_MAX = 1_000_000;

export class RunOutputs {
  private obs?: LineSink;
  private obsPb?: ByteSink;
  private pbType?: ReturnType<typeof loadSchema>['Observation'];
  private truth?: LineSink;
  private windows?: LineSink;
  private classifier?: StreamingClassifier;
  private readonly detail: boolean;
  private scatter: ScatterSample[] = [];
  private scatterStride = 1;
  private scatterSeen = 0;
  private readonly tracks = new Map<number, DeviceTrack>();
  private readonly pairPts = new Map<number, PairSeries>();
  private pairPointCount = 0;
  private readonly truthOpen = new Map<number, number>();
  private readonly truthIntervals: { a: number; b: number; startMs: number; endMs: number }[] = [];
  /** (pair, window) -> observations * 2^21 + those within 2 m; typed, so no objects per observation. */
  private readonly windowLabels = new PairTable();
  private readonly nameIndex = new Map<string, number>();
  private readonly detected: WindowResult[] = [];
  private readonly o: Observation = { timestampMs: 0, receiver: '', transmitter: '', rssi: 0 };
  private lastTruthTick = -1;

  constructor(
    readonly dir: string,
    readonly scenario: Scenario,
    readonly init: OutputsInit,
  ) {
    this.detail = init.names.length <= DETAIL_MAX_DEVICES;
  }

  async open(): Promise<void> {
    if (this.init.format === 'pb') {
      // length-delimited bluezone.v1.Observation messages (records/proto/bluezone.proto)
      this.pbType = loadSchema().Observation;
      this.obsPb = new ByteSink(join(this.dir, 'observations.pb'));
    } else this.obs = new LineSink(join(this.dir, 'observations.csv'), OBSERVATION_CSV_HEADER);
    this.truth = new LineSink(join(this.dir, 'truth.csv'), TRUTH_CSV_HEADER);
    if (this.init.classify) {
      this.classifier = new StreamingClassifier({ method: 'ours' });
      this.windows = new LineSink(join(this.dir, 'windows.csv'), WINDOWS_CSV_HEADER);
    }
  }

  /** Positions at a tick start, for the report's tracks. */
  onTick(t0ms: number, x: Float32Array, y: Float32Array, active: Uint8Array, nDev: number): void {
    if (!this.detail || t0ms % TRACK_EVERY_MS !== 0) return;
    for (let d = 0; d < nDev; d++) {
      if (!active[d] || this.init.person[d] < 0) continue;
      let tr = this.tracks.get(d);
      if (!tr) {
        if (this.tracks.size >= TRACK_MAX) continue;
        tr = { device: this.init.names[d], kind: KIND_NAMES[this.init.kind[d]], points: [] };
        this.tracks.set(d, tr);
      }
      tr.points.push({ tMs: t0ms, x: Math.round(x[d] * 100) / 100, y: Math.round(y[d] * 100) / 100 });
    }
  }

  /** Pairs (a < b) within 2 m during [t0ms, t1ms): merged into intervals for the contact timeline. */
  onTruthPair(a: number, b: number, nDev: number, t0ms: number, t1ms: number): void {
    if (!this.detail) return;
    const key = a * nDev + b;
    if (!this.truthOpen.has(key)) this.truthOpen.set(key, t0ms);
    this.lastSeenPair.set(key, t1ms);
  }
  private readonly lastSeenPair = new Map<number, number>();

  /** Closes truth intervals not extended in the tick ending at t1ms. */
  endTruthTick(t1ms: number, nDev: number): void {
    if (!this.detail) return;
    for (const [key, s] of this.truthOpen) {
      const last = this.lastSeenPair.get(key)!;
      if (last < t1ms) {
        this.truthIntervals.push({ a: Math.floor(key / nDev), b: key % nDev, startMs: s, endMs: last });
        this.truthOpen.delete(key);
        this.lastSeenPair.delete(key);
      }
    }
    this.lastTruthTick = t1ms;
  }

  observation(tsMs: number, rx: number, tx: number, rssi: number, distM: number): void {
    const { names, models } = this.init;
    const dist = Math.round(distM * 100) / 100;
    if (this.obs) this.obs.line(`${tsMs},${csvField(names[rx])},${csvField(names[tx])},${rssi},,${csvField(models[rx])},${csvField(models[tx])}`);
    else this.obsPb!.write(encodeDelimited(this.pbType!, { timestampMs: tsMs, receiver: names[rx], transmitter: names[tx], rssi, receiverModel: models[rx], transmitterModel: models[tx] }));
    this.truth!.line(`${tsMs},${csvField(names[rx])},${csvField(names[tx])},${dist.toFixed(2)}`);
    if (this.classifier) {
      const o = this.o;
      o.timestampMs = tsMs;
      o.receiver = names[rx];
      o.transmitter = names[tx];
      o.rssi = rssi;
      o.receiverModel = models[rx];
      o.transmitterModel = models[tx];
      // push() reads the fields and keeps no reference (firmware/proximity/classifier.ts), so one object is reused
      for (const w of this.classifier.push(o)) this.window(w);
      if (this.windowLabels.size < WINDOW_LABELS_MAX && names.length <= 100_000) {
        const k = this.labelKey(rx, tx, tsMs);
        const v = this.windowLabels.get(k);
        this.windowLabels.set(k, (v === v ? v : 0) + 2097152 + (distM <= 2 ? 1 : 0));
      }
    }
    // report samples (deterministic thinning)
    if (this.scatterSeen++ % this.scatterStride === 0) {
      this.scatter.push({ distanceM: dist, rssiDbm: rssi, group: KIND_NAMES[this.init.kind[rx]] });
      if (this.scatter.length >= SCATTER_MAX) {
        this.scatter = this.scatter.filter((_, i) => i % 2 === 0);
        this.scatterStride *= 2;
      }
    }
    if (this.detail && this.pairPointCount < PAIR_POINTS_MAX) {
      const key = rx * names.length + tx;
      let ps = this.pairPts.get(key);
      if (!ps) this.pairPts.set(key, (ps = { receiver: names[rx], transmitter: names[tx], points: [] }));
      ps.points.push({ tMs: tsMs - this.init.startMs, rssiDbm: rssi, distanceM: dist });
      this.pairPointCount++;
    }
  }

  private window(w: WindowResult): void {
    this.windows!.line(formatWindowRow(w));
    this.labelWindow(w);
    if (w.contact && this.detected.length < 100_000) this.detected.push(w);
  }

  async finish(f: FinishInput): Promise<string[]> {
    const files: string[] = [];
    const p = (n: string) => join(this.dir, n);
    if (this.classifier) for (const w of this.classifier.flush()) this.window(w);
    this.obs?.close();
    this.obsPb?.close();
    this.truth!.close();
    files.push(p(this.obs ? 'observations.csv' : 'observations.pb'), p('truth.csv'));
    if (this.windows) {
      this.windows.close();
      files.push(p('windows.csv'));
    }
    this.endTruthTick(Infinity, this.init.names.length);

    const ct = new LineSink(p('contacts_truth.csv'), 'day,device_a,device_b,minutes_within_2m,close_contact');
    for (const c of f.contacts) ct.line(`${c.day},${csvField(c.a)},${csvField(c.b)},${c.minutes.toFixed(2)},${c.close ? 1 : 0}`);
    ct.close();
    files.push(p('contacts_truth.csv'));

    const { names, kind, models, seed, startMs } = this.init;
    const dv = new LineSink(p('devices.csv'), 'device,kind,model,first_seen_ms,last_seen_ms');
    for (let d = 0; d < names.length; d++) {
      const first = f.firstSeenMs[d];
      dv.line(`${csvField(names[d])},${KIND_NAMES[kind[d]]},${csvField(models[d])},${first < 0 ? '' : startMs + first},${first < 0 ? '' : startMs + f.lastSeenMs[d]}`);
    }
    dv.close();
    files.push(p('devices.csv'));

    if (this.detail) {
      // BluezoneID per device and 15-min slot while present (iOS IDs travel over GATT, bluezone-protocol.md 3)
      const ids = new LineSink(p('ids.csv'), 'device,slot_start_ms,slot_end_ms,bluezone_id');
      for (let d = 0; d < names.length; d++) {
        if (f.firstSeenMs[d] < 0) continue;
        const key = simBaseKey(seed, names[d]);
        const base = simBaseDate(seed, d, startMs);
        const a = startMs + f.firstSeenMs[d];
        const b = startMs + f.lastSeenMs[d];
        for (let s = Math.floor(a / SLOT_MS) * SLOT_MS; s < b; s += SLOT_MS) {
          const id = bluezoneIdAt(key, base, s);
          ids.line(`${csvField(names[d])},${id.startMs},${id.endMs},${toHex(id.id)}`);
        }
      }
      ids.close();
      files.push(p('ids.csv'));
    }

    const roc = this.roc();
    (f.summary as Record<string, unknown>).classifier = this.classifier
      ? { method: 'ours', window_ms: this.classifier.windowMs, windows: this.windows!.lines - 1, auc_vs_truth: roc?.auc ?? null, label: 'window positive when most of its observations were within 2 m (truth.csv)' }
      : null;
    (f.summary as Record<string, unknown>).files = ['summary.json', 'timing.json', ...files.map((x) => x.slice(this.dir.length + 1)), ...(this.init.report ? ['report.html'] : [])];
    writeFileAtomic(p('summary.json'), JSON.stringify(f.summary, null, 2) + '\n');
    const st = f.stats;
    const timing = { wall_ms: st.wallMs, sim_ms: st.simMs, real_time_factor: st.realTimeFactor, pairs_per_s: st.pairsPerSecond, kernel: st.kernel, kernel_fallback: st.kernelFallback ?? null };
    writeFileAtomic(p('timing.json'), JSON.stringify(timing, null, 2) + '\n');
    files.unshift(p('summary.json'), p('timing.json'));

    if (this.init.report) files.push(...(await this.report(f, roc)));
    return files;
  }

  /** ROC of the classifier's window scores against the truth label of each window. */
  private roc(): RocCurve | null {
    if (!this.classifier || !this.scored.length) return null;
    return rocOf(this.scored, 'ours');
  }

  private scored: { score: number; label: boolean }[] = [];

  private async report(f: FinishInput, roc: RocCurve | null): Promise<string[]> {
    const { names } = this.init;
    const s = this.scenario;
    const pairs = [...this.pairPts.values()].sort((a, b) => b.points.length - a.points.length || (a.receiver < b.receiver ? -1 : 1)).slice(0, 4);
    const byPerson = new Map<string, ContactTimeline>();
    const tl = (n: string) => {
      let c = byPerson.get(n);
      if (!c) byPerson.set(n, (c = { person: n, truth: [], detected: [] }));
      return c;
    };
    for (const iv of this.truthIntervals) {
      tl(names[iv.a]).truth.push({ startMs: iv.startMs, endMs: iv.endMs, with: names[iv.b] });
      tl(names[iv.b]).truth.push({ startMs: iv.startMs, endMs: iv.endMs, with: names[iv.a] });
    }
    for (const w of this.detected) tl(w.receiver).detected.push({ startMs: w.windowStartMs - this.init.startMs, endMs: w.windowEndMs - this.init.startMs, with: w.transmitter });
    const contacts = [...byPerson.values()]
      .sort((a, b) => total(b) - total(a) || (a.person < b.person ? -1 : 1))
      .slice(0, 10);
    const input: RunReportInput = {
      title: `Simulated run: ${s.name}`,
      startMs: this.init.startMs,
      scenario: {
        name: s.name,
        seed: this.init.seed,
        durationMs: this.init.durationMs,
        devices: { android: f.stats.devices.android, ios: f.stats.devices.ios, beacons: f.stats.devices.beacon, people: f.stats.devices.people },
        environment: `${s.environment}, path-loss n=${f.params.exponent}, shadowing ${f.params.shadowSigmaDb} dB, Rician K=${f.params.ricianK}`,
        figures: [
          // no wall-clock figures (they are in timing.json): report.html is byte-identical for a seed
          { label: 'in-range pair evaluations', value: f.stats.pairEvaluations },
          { label: 'advertising events', value: f.stats.advEvents },
          { label: 'receptions', value: f.stats.receptions },
          { label: 'lost: below sensitivity', value: f.stats.lostBelowSensitivity },
          { label: 'lost: collision', value: f.stats.lostCollision },
          { label: 'lost: own transmission', value: f.stats.lostHalfDuplex },
          { label: 'observations logged', value: f.stats.observations },
          { label: 'kernel', value: f.kernelName },
        ],
      },
      floorPlan: {
        widthM: s.area.width,
        heightM: s.area.height,
        rooms: s.rooms.map((r) => ({ name: r.name, x: r.x, y: r.y, width: r.width, height: r.height })),
        beacons: s.beacons.map((b) => ({ name: b.name, x: b.x, y: b.y })),
      },
      tracks: [...this.tracks.values()],
      pairs,
      scatter: this.scatter,
      contacts,
      roc: roc ? [roc] : [],
      metrics: roc
        ? { columns: ['method', 'windows', 'auc', 'precision', 'recall', 'f1'], rows: [{ method: 'ours', ...this.prf() }] }
        : { columns: [], rows: [] },
    };
    try {
      const { renderRunReport, writeReport } = await import('../../report/index.ts');
      return writeReport(this.dir, await renderRunReport(input));
    } catch (e) {
      // the report is a view; the data files above are already complete
      writeFileAtomic(join(this.dir, 'report.html'), `<!doctype html><title>report unavailable</title><p>report rendering failed: ${String((e as Error).message).replace(/[<&]/g, '')}</p>\n`);
      return [join(this.dir, 'report.html')];
    }
  }

  private prf(): Record<string, number> {
    let tp = 0, fp = 0, fn = 0;
    for (const r of this.contactsScored) {
      if (r.pred && r.label) tp++;
      else if (r.pred) fp++;
      else if (r.label) fn++;
    }
    const precision = tp + fp ? tp / (tp + fp) : 0;
    const recall = tp + fn ? tp / (tp + fn) : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    const r3 = (v: number) => Math.round(v * 1000) / 1000;
    return { windows: this.contactsScored.length, auc: r3(rocOf(this.scored, 'ours').auc), precision: r3(precision), recall: r3(recall), f1: r3(f1) };
  }
  private contactsScored: { pred: boolean; label: boolean }[] = [];

  /** Labels a closed window against the truth of its observations. */
  private labelKey(rx: number, tx: number, tsMs: number): number {
    const w = Math.floor(tsMs / this.classifier!.windowMs) - Math.floor(this.init.startMs / this.classifier!.windowMs);
    return (rx * this.init.names.length + tx) * 65536 + (w & 0xffff);
  }

  labelWindow(w: WindowResult): void {
    if (!this.nameIndex.size) this.init.names.forEach((n, i) => this.nameIndex.set(n, i));
    const rx = this.nameIndex.get(w.receiver);
    const tx = this.nameIndex.get(w.transmitter);
    if (rx === undefined || tx === undefined) return;
    const v = this.windowLabels.get(this.labelKey(rx, tx, w.windowStartMs));
    if (v !== v) return;
    const n = Math.floor(v / 2097152);
    const within = v - n * 2097152;
    const label = within * 2 > n;
    this.scored.push({ score: w.score, label });
    this.contactsScored.push({ pred: w.contact, label });
  }
}

function total(c: ContactTimeline): number {
  return c.truth.reduce((a, i) => a + i.endMs - i.startMs, 0);
}

/** ROC points and AUC (trapezoid; ties handled by grouping equal scores). */
export function rocOf(rows: { score: number; label: boolean }[], method: string): RocCurve {
  const sorted = [...rows].sort((a, b) => b.score - a.score);
  const P = sorted.filter((r) => r.label).length;
  const N = sorted.length - P;
  const points = [{ fpr: 0, tpr: 0 }];
  let tp = 0, fp = 0, auc = 0, prevF = 0, prevT = 0;
  for (let i = 0; i < sorted.length; ) {
    const s = sorted[i].score;
    while (i < sorted.length && sorted[i].score === s) {
      if (sorted[i].label) tp++;
      else fp++;
      i++;
    }
    const fpr = N ? fp / N : 0;
    const tpr = P ? tp / P : 0;
    auc += ((fpr - prevF) * (tpr + prevT)) / 2;
    prevF = fpr;
    prevT = tpr;
    points.push({ fpr, tpr });
  }
  // thin to at most ~200 points for the plot
  const step = Math.max(1, Math.floor(points.length / 200));
  const thin = points.filter((_, i) => i % step === 0 || i === points.length - 1);
  return { method, points: thin, auc: P && N ? Math.round(auc * 10000) / 10000 : 0.5 };
}
