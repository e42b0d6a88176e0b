// Samples of a run for report.html (report/): tracks, contact timelines (truth intervals and detected
// windows), then the page with the evaluation of every method. The observation-fed samples (scatter, pair
// series, detected windows) are reportObs.ts's, which may run in the sinks worker.
import { metricsTable, type EvalResult } from '../../eval/evaluate.ts';
import { thinCurve } from '../../eval/metrics.ts';
import { OutputError, type OutputSet, type OutputWriter } from '../../records/output.ts';
import type { ContactTimeline, DeviceTrack, ExtraSection, F1Curve, RunReportInput } from '../../report/types.ts';
import { scoreLabel } from '../../report/specs.ts';
import type { ChannelParams } from '../channel/params.ts';
import type { Scenario } from '../scenario/schema.ts';
import type { RunStats } from '../types.ts';
import { KIND_NAMES } from '../world/devices.ts';
import type { ReportObsResult } from './reportObs.ts';
import { CURVE_POINTS } from './evaluation.ts';

const TRACK_MAX = 40;
const TRACK_EVERY_MS = 30_000;
/** sim/sinks/outputs.ts DETAIL_MAX_DEVICES, for the page's note. */
const DETAIL_NOTE_MAX = '5,000';

export interface ReportInit {
  seed: number;
  startMs: number;
  durationMs: number;
  names: string[];
  kind: Uint8Array;
  person: Int32Array;
  /** Keep per-device detail (tracks, pair series, truth intervals): runs up to DETAIL_MAX_DEVICES. */
  detail: boolean;
}

export class ReportSamples {
  private readonly tracks = new Map<number, DeviceTrack>();
  /** People (mobility index) present in at least one tick. */
  private readonly present = new Set<number>();
  private readonly truthOpen = new Map<number, number>();
  private readonly lastSeenPair = new Map<number, number>();
  private readonly truthIntervals: { a: number; b: number; startMs: number; endMs: number }[] = [];

  constructor(readonly scenario: Scenario, readonly init: ReportInit) {}

  /** Who is present (every tick), and positions every TRACK_EVERY_MS for the tracks (at most TRACK_MAX). */
  onTick(t0ms: number, x: Float32Array, y: Float32Array, active: Uint8Array, nDev: number): void {
    const person = this.init.person;
    for (let d = 0; d < nDev; d++) if (active[d] && person[d] >= 0) this.present.add(person[d]);
    // tracks cost TRACK_MAX devices at most, so large runs (no other detail) keep them too
    if (t0ms % TRACK_EVERY_MS !== 0) return;
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
    if (!this.init.detail) return;
    const key = a * nDev + b;
    if (!this.truthOpen.has(key)) this.truthOpen.set(key, t0ms);
    this.lastSeenPair.set(key, t1ms);
  }

  /** Closes truth intervals not extended in the tick ending at t1ms. */
  endTruthTick(t1ms: number, nDev: number): void {
    if (!this.init.detail) return;
    for (const [key, s] of this.truthOpen) {
      const last = this.lastSeenPair.get(key)!;
      if (last < t1ms) {
        this.truthIntervals.push({ a: Math.floor(key / nDev), b: key % nDev, startMs: s, endMs: last });
        this.truthOpen.delete(key);
        this.lastSeenPair.delete(key);
      }
    }
  }

  /** Renders report.html (and its plots); a rendering failure leaves a one-line page, not a failed run. */
  /** `html` is report.html, staged in the run's set before the simulation; the plots join the set here. */
  /** `obs`: the observation-fed samples with the pairs picked (reportObs.ts; in the sinks worker or the run's thread). */
  async render(dir: string, set: OutputSet, html: OutputWriter, stats: RunStats, params: ChannelParams, results: EvalResult[], obs: ReportObsResult, sections: ExtraSection[] = []): Promise<string[]> {
    this.endTruthTick(Infinity, this.init.names.length);
    const input = { ...this.input(stats, params, results, obs), sections };
    try {
      const { renderRunReport, writeReport } = await import('../../report/index.ts');
      return writeReport(dir, await renderRunReport(input), 'report.html', { set, html });
    } catch (e) {
      // a failed write has aborted the whole set: the run fails (exit 2)
      if (e instanceof OutputError) throw e;
      // the report is a view; the data files are complete
      html.write(`<!doctype html><title>report unavailable</title><p>report rendering failed: ${String((e as Error).message).replace(/[<&]/g, '')}</p>\n`);
      return [html.path];
    }
  }

  private input(stats: RunStats, params: ChannelParams, results: EvalResult[], picked: ReportObsResult): RunReportInput {
    const { names } = this.init;
    const s = this.scenario;
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
    for (const w of picked.detected) tl(w.receiver).detected.push({ startMs: w.windowStartMs - this.init.startMs, endMs: w.windowEndMs - this.init.startMs, with: w.transmitter });
    const contacts = [...byPerson.values()].sort((a, b) => total(b) - total(a) || (a.person < b.person ? -1 : 1)).slice(0, 10);
    const scored = results.filter((r) => r.auc !== null);
    return {
      title: `Simulated run: ${s.name}`,
      startMs: this.init.startMs,
      scenario: {
        name: s.name,
        seed: this.init.seed,
        durationMs: this.init.durationMs,
        devices: { android: stats.devices.android, ios: stats.devices.ios, beacons: stats.devices.beacon },
        people: { scheduled: stats.devices.people, present: this.present.size },
        environment: `${s.environment}, path-loss n=${params.exponent}, shadowing ${params.shadowSigmaDb} dB, Rician K=${params.ricianK}`,
        figures: [
          // no wall-clock figures (they are in timing.json): report.html is byte-identical for a seed
          { label: 'in-range pair evaluations', value: stats.pairEvaluations },
          { label: 'advertising events', value: stats.advEvents },
          { label: 'receptions', value: stats.receptions },
          { label: 'lost: below sensitivity', value: stats.lostBelowSensitivity },
          { label: 'lost: collision', value: stats.lostCollision },
          { label: 'lost: own transmission', value: stats.lostHalfDuplex },
          { label: 'observations logged', value: stats.observations },
          { label: 'kernel', value: stats.kernel },
        ],
      },
      floorPlan: {
        widthM: s.area.width,
        heightM: s.area.height,
        rooms: s.rooms.map((r) => ({ name: r.name, x: r.x, y: r.y, width: r.width, height: r.height })),
        beacons: s.beacons.map((b) => ({ name: b.name, x: b.x, y: b.y })),
      },
      tracks: [...this.tracks.values()],
      pairs: picked.pairs,
      pairsNote: picked.pairsNote,
      scatter: picked.scatter,
      scatterTotal: picked.scatterTotal,
      scatterStride: picked.scatterStride,
      contacts,
      contactsNote: this.init.detail
        ? undefined
        : `True contact intervals are kept for runs of up to ${DETAIL_NOTE_MAX} devices; this run has ${names.length.toLocaleString('en-US')}, so only detected contacts are shown.`,
      roc: scored.map((r) => ({ method: r.method, auc: Math.round(r.auc! * 10000) / 10000, points: thinCurve(r.roc, CURVE_POINTS.roc) })),
      f1: results
        .filter((r) => r.positives > 0 && r.f1Curve?.length)
        .map((r): F1Curve => ({ method: r.method, score: scoreLabel(r.method), decisionF1: r.f1, points: thinCurve(r.f1Curve!, CURVE_POINTS.f1).filter((p) => p.f1 !== null).map((p) => ({ threshold: p.threshold, f1: p.f1! })) })),
      metrics: results.length ? metricsTable(results) : { columns: [], rows: [] },
    };
  }
}

function total(c: ContactTimeline): number {
  return c.truth.reduce((a, i) => a + i.endMs - i.startMs, 0);
}
