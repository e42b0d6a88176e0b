// Samples of a run for report.html (report/): tracks, pair series, an RSSI-distance scatter, contact
// timelines (truth intervals and detected windows), then the page with the evaluation of every method.
import type { WindowResult } from '../../firmware/proximity/classifier.ts';
import { metricsTable, type EvalResult } from '../../eval/evaluate.ts';
import { thinCurve } from '../../eval/metrics.ts';
import { OutputError, type OutputSet, type OutputWriter } from '../../records/output.ts';
import type { ContactTimeline, DeviceTrack, ExtraSection, F1Curve, PairSeries, RunReportInput, ScatterSample } from '../../report/types.ts';
import { LIMITS, pairBinMs, scoreLabel } from '../../report/specs.ts';
import type { LabelledWindow } from './evaluation.ts';
import type { ChannelParams } from '../channel/params.ts';
import type { Scenario } from '../scenario/schema.ts';
import type { RunStats } from '../types.ts';
import { KIND_BEACON, KIND_NAMES } from '../world/devices.ts';

// The scatter keeps at most the plot's cap, so the page shows every sample kept (stride stated on it).
const SCATTER_MAX = LIMITS.scatterPoints;
const TRACK_MAX = 40;
const TRACK_EVERY_MS = 30_000;
/** Numbers kept for pair series over all pairs (3 per raw point, 6 per bin): about 100 MB at most. */
const PAIR_NUMBERS_MAX = 12_000_000;
const DETECTED_MAX = 100_000;
/** sim/sinks/outputs.ts DETAIL_MAX_DEVICES, for the page's note. */
const DETAIL_NOTE_MAX = '5,000';
/** Pairs picked per reason (closest true contacts, worst misses, false alarms). */
const PICK_PER_REASON = 2;
/** Closest true contacts with fewer receptions than this come after those with more. */
const FEW_RECEPTIONS = 5;

/** One (receiver, transmitter) pair's receptions: raw up to the plot's cap, then time bins (min/mean/max). */
class PairStore {
  t: number[] = [];
  r: number[] = [];
  d: number[] = [];
  /** bin index -> [n, sum rssi, sum dist, min rssi, max rssi] once the raw points passed the cap. */
  bins: Map<number, number[]> | null = null;
  n = 0;
  sumD = 0;
  minD = Infinity;
  constructor(readonly rx: number, readonly tx: number) {}

  /** Adds one reception; returns how many numbers it added to the store. */
  add(tMs: number, rssi: number, distM: number, binMs: number): number {
    this.n++;
    this.sumD += distM;
    if (distM < this.minD) this.minD = distM;
    if (!this.bins) {
      this.t.push(tMs);
      this.r.push(rssi);
      this.d.push(distM);
      if (this.t.length <= LIMITS.pairPoints) return 3;
      // past the cap: the raw points become bins (freed), and so do the next ones
      const before = this.t.length * 3;
      this.bins = new Map();
      for (let i = 0; i < this.t.length; i++) this.bin(this.t[i], this.r[i], this.d[i], binMs);
      this.t = [];
      this.r = [];
      this.d = [];
      return this.bins.size * 6 - before;
    }
    return this.bin(tMs, rssi, distM, binMs);
  }

  private bin(tMs: number, rssi: number, distM: number, binMs: number): number {
    const k = Math.floor(tMs / binMs);
    const b = this.bins!.get(k);
    if (!b) {
      this.bins!.set(k, [1, rssi, distM, rssi, rssi]);
      return 6;
    }
    b[0]++;
    b[1] += rssi;
    b[2] += distM;
    if (rssi < b[3]) b[3] = rssi;
    if (rssi > b[4]) b[4] = rssi;
    return 0;
  }

  series(names: string[], binMs: number, reason: string): PairSeries {
    const base = { receiver: names[this.rx], transmitter: names[this.tx], total: this.n, reason };
    if (!this.bins) return { ...base, points: this.t.map((t, i) => ({ tMs: t, rssiDbm: this.r[i], distanceM: this.d[i] })) };
    const points = [...this.bins.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([k, b]) => ({ tMs: k * binMs + binMs / 2, rssiDbm: b[1] / b[0], distanceM: b[2] / b[0], rssiMinDbm: b[3], rssiMaxDbm: b[4], n: b[0] }));
    return { ...base, binMs, points };
  }
}

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
  private scatter: ScatterSample[] = [];
  private scatterStride = 1;
  private scatterSeen = 0;
  private readonly tracks = new Map<number, DeviceTrack>();
  private readonly pairPts = new Map<number, PairStore>();
  private pairNumbers = 0;
  /** Receptions of pairs first heard after PAIR_NUMBERS_MAX was reached (not kept; the page says so). */
  private receptionsNotKept = 0;
  private readonly binMs: number;
  /** People (mobility index) present in at least one tick. */
  private readonly present = new Set<number>();
  private readonly truthOpen = new Map<number, number>();
  private readonly lastSeenPair = new Map<number, number>();
  private readonly truthIntervals: { a: number; b: number; startMs: number; endMs: number }[] = [];
  private readonly detected: WindowResult[] = [];

  constructor(readonly scenario: Scenario, readonly init: ReportInit) {
    this.binMs = pairBinMs(init.durationMs);
  }

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

  /** distM rounded to 0.01 m as truth.csv holds it. */
  observation(tsMs: number, rx: number, tx: number, rssi: number, distM: number): void {
    // deterministic thinning
    if (this.scatterSeen++ % this.scatterStride === 0) {
      this.scatter.push({ distanceM: distM, rssiDbm: rssi, group: KIND_NAMES[this.init.kind[rx]] });
      if (this.scatter.length >= SCATTER_MAX) {
        this.scatter = this.scatter.filter((_, i) => i % 2 === 0);
        this.scatterStride *= 2;
      }
    }
    // Every pair is kept (large runs too: the pair plots do not need per-device detail) until the store
    // is full; then pairs heard for the first time are counted, not kept, and the page says so.
    const key = rx * this.init.names.length + tx;
    let ps = this.pairPts.get(key);
    if (!ps) {
      if (this.pairNumbers >= PAIR_NUMBERS_MAX) {
        this.receptionsNotKept++;
        return;
      }
      this.pairPts.set(key, (ps = new PairStore(rx, tx)));
    }
    this.pairNumbers += ps.add(tsMs - this.init.startMs, rssi, distM, this.binMs);
  }

  /** A window method ours called contact goes on the timeline. */
  onWindow(w: WindowResult): void {
    if (w.contact && this.detected.length < DETECTED_MAX) this.detected.push(w);
  }

  /** Renders report.html (and its plots); a rendering failure leaves a one-line page, not a failed run. */
  /** `html` is report.html, staged in the run's set before the simulation; the plots join the set here. */
  /** `labelled`: every window of method ours with its truth label (the pair picks). */
  async render(dir: string, set: OutputSet, html: OutputWriter, stats: RunStats, params: ChannelParams, results: EvalResult[], labelled: LabelledWindow[] = [], sections: ExtraSection[] = []): Promise<string[]> {
    this.endTruthTick(Infinity, this.init.names.length);
    const input = { ...this.input(stats, params, results, labelled), sections };
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

  /**
   * The pairs a user wants to see, phone to phone: the closest true contacts, the worst misses (truly
   * within 2 m, ours said no) and the false alarms (ours said contact, truth no), each with why. Beacon
   * pairs only when no phone pair was heard.
   */
  private pickPairs(labelled: LabelledWindow[]): { pairs: PairSeries[]; note: string } {
    const { names, kind } = this.init;
    const n = names.length;
    const index = new Map<string, number>();
    names.forEach((nm, i) => index.set(nm, i));
    const per = new Map<number, { trueW: number; tp: number; fn: number; fp: number }>();
    for (const w of labelled) {
      const rx = index.get(w.receiver);
      const tx = index.get(w.transmitter);
      if (rx === undefined || tx === undefined) continue;
      const key = rx * n + tx;
      let c = per.get(key);
      if (!c) per.set(key, (c = { trueW: 0, tp: 0, fn: 0, fp: 0 }));
      if (w.truth) {
        c.trueW++;
        w.contact ? c.tp++ : c.fn++;
      } else if (w.contact) c.fp++;
    }
    const phonePair = (p: PairStore) => kind[p.rx] !== KIND_BEACON && kind[p.tx] !== KIND_BEACON;
    const stores = [...this.pairPts.entries()].filter(([, p]) => phonePair(p));
    const byName = (a: PairStore, b: PairStore) => a.rx - b.rx || a.tx - b.tx;
    const mean = (p: PairStore) => p.sumD / p.n;
    const m = (v: number) => `${v.toFixed(1)} m`;
    const win = (k: number) => `${k} window${k === 1 ? '' : 's'}`;
    const chosen: { p: PairStore; reason: string }[] = [];
    const taken = new Set<string>();
    type Counts = { trueW: number; tp: number; fn: number; fp: number };
    const take = (score: (c: Counts) => number, cmp: (a: PairStore, b: PairStore) => number, why: (p: PairStore, c: Counts) => string) => {
      const cand = stores
        .map(([key, p]) => ({ p, c: per.get(key) }))
        .filter((x) => x.c && score(x.c) > 0)
        .sort((a, b) => score(b.c!) - score(a.c!) || cmp(a.p, b.p) || byName(a.p, b.p));
      const out: { p: PairStore; reason: string }[] = [];
      for (const x of cand) {
        if (out.length >= PICK_PER_REASON) break;
        // one direction of a pair is enough
        const u = x.p.rx < x.p.tx ? `${x.p.rx}:${x.p.tx}` : `${x.p.tx}:${x.p.rx}`;
        if (taken.has(u)) continue;
        taken.add(u);
        out.push({ p: x.p, reason: why(x.p, x.c!) });
      }
      return out;
    };
    // misses and false alarms are picked first (a missed pair is also a true contact), shown after
    const misses = take((c) => c.fn, (a, b) => b.n - a.n || mean(a) - mean(b), (p, c) =>
      `worst miss: ${win(c.fn)} truly within 2 m that ours called no contact; mean distance ${m(mean(p))}`);
    const falseAlarms = take((c) => c.fp, (a, b) => b.n - a.n || mean(b) - mean(a), (p, c) =>
      `false alarm: ours called ${win(c.fp)} contact, truth not within 2 m; closest ${m(p.minD)}, mean ${m(mean(p))}`);
    // pairs with a few receptions first: one reading at 0.5 m shows little
    const few = (p: PairStore) => (p.n < FEW_RECEPTIONS ? 1 : 0);
    const closest = take((c) => c.trueW, (a, b) => few(a) - few(b) || mean(a) - mean(b) || b.n - a.n, (p, c) =>
      `closest true contact: ${win(c.trueW)} within 2 m, ours detected ${c.tp} of ${c.trueW}; closest ${m(p.minD)}, mean ${m(mean(p))}`);
    chosen.push(...closest, ...misses, ...falseAlarms);
    const [nClose, nMiss, nFalse] = [closest.length, misses.length, falseAlarms.length];
    const notes: string[] = [];
    const anyTrue = stores.some(([key]) => (per.get(key)?.trueW ?? 0) > 0);
    const none = [
      nClose ? '' : anyTrue ? 'closest true contacts (every phone pair with one is shown as a miss)' : 'closest true contacts (no phone pair had a true contact window)',
      nMiss ? '' : 'misses (ours missed no true contact window)',
      nFalse ? '' : 'false alarms (ours raised none)',
    ].filter(Boolean);
    if (chosen.length === 0) {
      // nothing classified (short run, --no-classify): the phone pairs heard most, else beacon pairs
      const all = [...this.pairPts.values()];
      const pool = all.some(phonePair) ? all.filter(phonePair) : all;
      const isPhones = pool.length > 0 && phonePair(pool[0]);
      for (const p of pool.sort((a, b) => b.n - a.n || byName(a, b)).slice(0, 4))
        chosen.push({ p, reason: `${isPhones ? 'phone pair' : 'no phone pair was heard: beacon pair'} with the most receptions (${p.n.toLocaleString('en-US')}); no contact window to pick by` });
    }
    notes.push('Pairs picked from the phone-to-phone pairs: the closest true contacts, the worst misses (truly within 2 m, ours said no) and the false alarms (ours said contact, truth no); the reason is above each chart.');
    if (none.length) notes.push(`None to show for: ${none.join('; ')}.`);
    if (this.receptionsNotKept) notes.push(`The report keeps ${this.pairPts.size.toLocaleString('en-US')} pairs; ${this.receptionsNotKept.toLocaleString('en-US')} receptions of pairs first heard after its store was full are not among the candidates.`);
    return { pairs: chosen.map((c) => c.p.series(names, this.binMs, c.reason)), note: notes.join(' ') };
  }

  private input(stats: RunStats, params: ChannelParams, results: EvalResult[], labelled: LabelledWindow[]): RunReportInput {
    const { names } = this.init;
    const s = this.scenario;
    const picked = this.pickPairs(labelled);
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
      pairsNote: picked.note,
      scatter: this.scatter,
      scatterTotal: this.scatterSeen,
      scatterStride: this.scatterStride,
      contacts,
      contactsNote: this.init.detail
        ? undefined
        : `True contact intervals are kept for runs of up to ${DETAIL_NOTE_MAX} devices; this run has ${names.length.toLocaleString('en-US')}, so only detected contacts are shown.`,
      roc: scored.map((r) => ({ method: r.method, auc: Math.round(r.auc! * 10000) / 10000, points: thinCurve(r.roc, 200) })),
      f1: results
        .filter((r) => r.positives > 0 && r.f1Curve?.length)
        .map((r): F1Curve => ({ method: r.method, score: scoreLabel(r.method), decisionF1: r.f1, points: thinCurve(r.f1Curve!, 300).filter((p) => p.f1 !== null).map((p) => ({ threshold: p.threshold, f1: p.f1! })) })),
      metrics: results.length ? metricsTable(results) : { columns: [], rows: [] },
    };
  }
}

function total(c: ContactTimeline): number {
  return c.truth.reduce((a, i) => a + i.endMs - i.startMs, 0);
}
