// The observation-fed part of a run's report samples (reportSink.ts): the RSSI-distance scatter, every
// pair's receptions (raw, then binned) and the windows ours called contact, reduced at the end to what the
// page shows (the picked pairs and why). It sees only the observation stream and ours' windows, so it
// runs wherever the classifier runs: in the simulation thread, or beside the classifier in the sinks
// worker (sim/parallel/sinkPipe.ts), with the same result.
import type { WindowResult } from '../../firmware/proximity/classifier.ts';
import type { PairSeries, ScatterSample } from '../../report/types.ts';
import { LIMITS, pairBinMs } from '../../report/specs.ts';
import type { LabelledWindow } from './evaluation.ts';
import { KIND_BEACON, KIND_NAMES } from '../world/devices.ts';

// The scatter keeps at most the plot's cap, so the page shows every sample kept (stride stated on it).
const SCATTER_MAX = LIMITS.scatterPoints;
/** Numbers kept for pair series over all pairs (3 per raw point, 6 per bin): about 100 MB at most. */
const PAIR_NUMBERS_MAX = 12_000_000;
const DETECTED_MAX = 100_000;
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

export interface ReportObsInit {
  startMs: number;
  durationMs: number;
  names: string[];
  kind: Uint8Array;
}

/** What the page takes from the observation stream (structured-cloneable: it crosses from the sinks worker). */
export interface ReportObsResult {
  scatter: ScatterSample[];
  scatterTotal: number;
  scatterStride: number;
  pairs: PairSeries[];
  pairsNote: string;
  detected: WindowResult[];
}

export class ReportObservations {
  private scatter: ScatterSample[] = [];
  private scatterStride = 1;
  private scatterSeen = 0;
  private readonly pairPts = new Map<number, PairStore>();
  private pairNumbers = 0;
  /** Receptions of pairs first heard after PAIR_NUMBERS_MAX was reached (not kept; the page says so). */
  private receptionsNotKept = 0;
  private readonly binMs: number;
  private readonly detected: WindowResult[] = [];

  constructor(readonly init: ReportObsInit) {
    this.binMs = pairBinMs(init.durationMs);
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

  /** The page's share: picks pairs with `labelled` (every window of ours with its truth label). */
  result(labelled: Iterable<LabelledWindow>): ReportObsResult {
    const picked = this.pickPairs(labelled);
    return { scatter: this.scatter, scatterTotal: this.scatterSeen, scatterStride: this.scatterStride, pairs: picked.pairs, pairsNote: picked.note, detected: this.detected };
  }

  /**
   * The pairs a user wants to see, phone to phone: the closest true contacts, the worst misses (truly
   * within 2 m, ours said no) and the false alarms (ours said contact, truth no), each with why. Beacon
   * pairs only when no phone pair was heard.
   */
  private pickPairs(labelled: Iterable<LabelledWindow>): { pairs: PairSeries[]; note: string } {
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
}
