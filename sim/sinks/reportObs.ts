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
import { grow } from '../engine/typed.ts';

// The scatter keeps at most the plot's cap, so the page shows every sample kept (stride stated on it).
const SCATTER_MAX = LIMITS.scatterPoints;
/** Numbers kept for pair series over all pairs (3 per raw point, 6 per bin): about 100 MB at most. */
const PAIR_NUMBERS_MAX = 12_000_000;
const DETECTED_MAX = 100_000;
/** Pairs picked per reason (closest true contacts, worst misses, false alarms). */
const PICK_PER_REASON = 2;
/** Closest true contacts with fewer receptions than this come after those with more. */
const FEW_RECEPTIONS = 5;

/**
 * Every (receiver, transmitter) pair's receptions: raw up to the plot's cap, then time bins (min/mean/max).
 * Pairs and raw points live in typed arrays (points in one arena, linked per pair; a pair's points go to a
 * free list when it turns to bins), not an object and three arrays per pair: at 10^5 phones most of a
 * million pairs are heard once or twice, and those objects were about 110 MB (issue 20).
 */
class PairStores {
  /** Per pair: devices, receptions, distance sum and minimum, raw points (count, first, last; -1: none). */
  rx = new Int32Array(1024);
  tx = new Int32Array(1024);
  n = new Int32Array(1024);
  sumD = new Float64Array(1024);
  minD = new Float64Array(1024);
  nRaw = new Int32Array(1024);
  head = new Int32Array(1024);
  tail = new Int32Array(1024);
  size = 0;
  /** Pair -> bin index -> [n, sum rssi, sum dist, min rssi, max rssi], once its raw points passed the cap. */
  readonly bins = new Map<number, Map<number, number[]>>();
  /** Raw points: time (ms from the start), RSSI, distance, next point of the pair or of the free list. */
  private pt = new Float64Array(3 * 1024);
  private next = new Int32Array(1024);
  private nPt = 0;
  private free = -1;

  /** A new pair. */
  add(rx: number, tx: number): number {
    const p = this.size++;
    if (p === this.rx.length) {
      this.rx = grow(this.rx, Int32Array);
      this.tx = grow(this.tx, Int32Array);
      this.n = grow(this.n, Int32Array);
      this.sumD = grow(this.sumD, Float64Array);
      this.minD = grow(this.minD, Float64Array);
      this.nRaw = grow(this.nRaw, Int32Array);
      this.head = grow(this.head, Int32Array);
      this.tail = grow(this.tail, Int32Array);
    }
    this.rx[p] = rx;
    this.tx[p] = tx;
    this.minD[p] = Infinity;
    this.head[p] = this.tail[p] = -1;
    return p;
  }

  /** Adds one reception to pair p; returns how many numbers it added to the store (3 per raw point, 6 per bin). */
  reception(p: number, tMs: number, rssi: number, distM: number, binMs: number): number {
    this.n[p]++;
    this.sumD[p] += distM;
    if (distM < this.minD[p]) this.minD[p] = distM;
    const bins = this.bins.get(p);
    if (bins) return bin(bins, tMs, rssi, distM, binMs);
    this.point(p, tMs, rssi, distM);
    if (++this.nRaw[p] <= LIMITS.pairPoints) return 3;
    // past the cap: the raw points become bins (their room goes to the free list), and so do the next ones
    const before = this.nRaw[p] * 3;
    const m = new Map<number, number[]>();
    const pt = this.pt;
    for (let i = this.head[p]; i >= 0; i = this.next[i]) bin(m, pt[3 * i], pt[3 * i + 1], pt[3 * i + 2], binMs);
    this.bins.set(p, m);
    this.next[this.tail[p]] = this.free;
    this.free = this.head[p];
    this.head[p] = this.tail[p] = -1;
    this.nRaw[p] = 0;
    return m.size * 6 - before;
  }

  private point(p: number, tMs: number, rssi: number, distM: number): void {
    let i = this.free;
    if (i >= 0) this.free = this.next[i];
    else {
      i = this.nPt++;
      if (i === this.next.length) {
        this.next = grow(this.next, Int32Array);
        this.pt = grow(this.pt, Float64Array);
      }
    }
    this.pt[3 * i] = tMs;
    this.pt[3 * i + 1] = rssi;
    this.pt[3 * i + 2] = distM;
    this.next[i] = -1;
    if (this.tail[p] >= 0) this.next[this.tail[p]] = i;
    else this.head[p] = i;
    this.tail[p] = i;
  }

  series(p: number, names: string[], binMs: number, reason: string): PairSeries {
    const base = { receiver: names[this.rx[p]], transmitter: names[this.tx[p]], total: this.n[p], reason };
    const bins = this.bins.get(p);
    if (!bins) {
      const points: PairSeries['points'] = [];
      const pt = this.pt;
      for (let i = this.head[p]; i >= 0; i = this.next[i]) points.push({ tMs: pt[3 * i], rssiDbm: pt[3 * i + 1], distanceM: pt[3 * i + 2] });
      return { ...base, points };
    }
    const points = [...bins.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([k, b]) => ({ tMs: k * binMs + binMs / 2, rssiDbm: b[1] / b[0], distanceM: b[2] / b[0], rssiMinDbm: b[3], rssiMaxDbm: b[4], n: b[0] }));
    return { ...base, binMs, points };
  }
}

/** Adds a reception to its time bin; returns the numbers added (6 for a new bin). */
function bin(bins: Map<number, number[]>, tMs: number, rssi: number, distM: number, binMs: number): number {
  const k = Math.floor(tMs / binMs);
  const b = bins.get(k);
  if (!b) {
    bins.set(k, [1, rssi, distM, rssi, rssi]);
    return 6;
  }
  b[0]++;
  b[1] += rssi;
  b[2] += distM;
  if (rssi < b[3]) b[3] = rssi;
  if (rssi > b[4]) b[4] = rssi;
  return 0;
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
  /** (rx * devices + tx) -> pair index in `stores`. */
  private readonly pairPts = new Map<number, number>();
  private readonly stores = new PairStores();
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
    if (ps === undefined) {
      if (this.pairNumbers >= PAIR_NUMBERS_MAX) {
        this.receptionsNotKept++;
        return;
      }
      this.pairPts.set(key, (ps = this.stores.add(rx, tx)));
    }
    this.pairNumbers += this.stores.reception(ps, tsMs - this.init.startMs, rssi, distM, this.binMs);
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
    const st = this.stores;
    const index = new Map<string, number>();
    names.forEach((nm, i) => index.set(nm, i));
    // per kept pair: true windows, hits, misses, false alarms of ours
    const per = new Int32Array(4 * st.size);
    for (const w of labelled) {
      const rx = index.get(w.receiver);
      const tx = index.get(w.transmitter);
      if (rx === undefined || tx === undefined) continue;
      const p = this.pairPts.get(rx * n + tx);
      if (p === undefined) continue;
      if (w.truth) {
        per[4 * p]++;
        per[4 * p + (w.contact ? 1 : 2)]++;
      } else if (w.contact) per[4 * p + 3]++;
    }
    const counts = (p: number): Counts => ({ trueW: per[4 * p], tp: per[4 * p + 1], fn: per[4 * p + 2], fp: per[4 * p + 3] });
    const phonePair = (p: number) => kind[st.rx[p]] !== KIND_BEACON && kind[st.tx[p]] !== KIND_BEACON;
    const byName = (a: number, b: number) => st.rx[a] - st.rx[b] || st.tx[a] - st.tx[b];
    const mean = (p: number) => st.sumD[p] / st.n[p];
    const m = (v: number) => `${v.toFixed(1)} m`;
    const win = (k: number) => `${k} window${k === 1 ? '' : 's'}`;
    const chosen: { p: number; reason: string }[] = [];
    const taken = new Set<string>();
    type Counts = { trueW: number; tp: number; fn: number; fp: number };
    const take = (score: (c: Counts) => number, cmp: (a: number, b: number) => number, why: (p: number, c: Counts) => string) => {
      const cand: { p: number; c: Counts }[] = [];
      for (let p = 0; p < st.size; p++) {
        if (!phonePair(p)) continue;
        const c = counts(p);
        if (score(c) > 0) cand.push({ p, c });
      }
      cand.sort((a, b) => score(b.c) - score(a.c) || cmp(a.p, b.p) || byName(a.p, b.p));
      const out: { p: number; reason: string }[] = [];
      for (const x of cand) {
        if (out.length >= PICK_PER_REASON) break;
        // one direction of a pair is enough
        const [rx, tx] = [st.rx[x.p], st.tx[x.p]];
        const u = rx < tx ? `${rx}:${tx}` : `${tx}:${rx}`;
        if (taken.has(u)) continue;
        taken.add(u);
        out.push({ p: x.p, reason: why(x.p, x.c) });
      }
      return out;
    };
    // misses and false alarms are picked first (a missed pair is also a true contact), shown after
    const misses = take((c) => c.fn, (a, b) => st.n[b] - st.n[a] || mean(a) - mean(b), (p, c) =>
      `worst miss: ${win(c.fn)} truly within 2 m that ours called no contact; mean distance ${m(mean(p))}`);
    const falseAlarms = take((c) => c.fp, (a, b) => st.n[b] - st.n[a] || mean(b) - mean(a), (p, c) =>
      `false alarm: ours called ${win(c.fp)} contact, truth not within 2 m; closest ${m(st.minD[p])}, mean ${m(mean(p))}`);
    // pairs with a few receptions first: one reading at 0.5 m shows little
    const few = (p: number) => (st.n[p] < FEW_RECEPTIONS ? 1 : 0);
    const closest = take((c) => c.trueW, (a, b) => few(a) - few(b) || mean(a) - mean(b) || st.n[b] - st.n[a], (p, c) =>
      `closest true contact: ${win(c.trueW)} within 2 m, ours detected ${c.tp} of ${c.trueW}; closest ${m(st.minD[p])}, mean ${m(mean(p))}`);
    chosen.push(...closest, ...misses, ...falseAlarms);
    const [nClose, nMiss, nFalse] = [closest.length, misses.length, falseAlarms.length];
    const notes: string[] = [];
    let anyTrue = false;
    for (let p = 0; p < st.size && !anyTrue; p++) anyTrue = phonePair(p) && per[4 * p] > 0;
    const none = [
      nClose ? '' : anyTrue ? 'closest true contacts (every phone pair with one is shown as a miss)' : 'closest true contacts (no phone pair had a true contact window)',
      nMiss ? '' : 'misses (ours missed no true contact window)',
      nFalse ? '' : 'false alarms (ours raised none)',
    ].filter(Boolean);
    if (chosen.length === 0) {
      // nothing classified (short run, --no-classify): the phone pairs heard most, else beacon pairs
      const all = Array.from({ length: st.size }, (_, p) => p);
      const pool = all.some(phonePair) ? all.filter(phonePair) : all;
      const isPhones = pool.length > 0 && phonePair(pool[0]);
      for (const p of pool.sort((a, b) => st.n[b] - st.n[a] || byName(a, b)).slice(0, 4))
        chosen.push({ p, reason: `${isPhones ? 'phone pair' : 'no phone pair was heard: beacon pair'} with the most receptions (${st.n[p].toLocaleString('en-US')}); no contact window to pick by` });
    }
    notes.push('Pairs picked from the phone-to-phone pairs: the closest true contacts, the worst misses (truly within 2 m, ours said no) and the false alarms (ours said contact, truth no); the reason is above each chart.');
    if (none.length) notes.push(`None to show for: ${none.join('; ')}.`);
    if (this.receptionsNotKept) notes.push(`The report keeps ${this.pairPts.size.toLocaleString('en-US')} pairs; ${this.receptionsNotKept.toLocaleString('en-US')} receptions of pairs first heard after its store was full are not among the candidates.`);
    return { pairs: chosen.map((c) => st.series(c.p, names, this.binMs, c.reason)), note: notes.join(' ') };
  }

}
