// Online aggregates of every reception per (receiver, transmitter, scan window of the receiver), written
// to scan_windows.csv. Slots live in preallocated typed arrays and are reused once a window is written,
// so memory follows the windows still open, not the run length; no allocation per reception.
import { grow } from '../engine/typed.ts';
import { csvField } from '../../records/rows.ts';
import { PairTable } from '../engine/pairTable.ts';
import { OutputSet, type OutputWriter } from '../../records/output.ts';
import { LineSink } from './lineSink.ts';

export const SCAN_WINDOWS_CSV_HEADER =
  'receiver,transmitter,window_start_ms,window_end_ms,n_rx,rssi_min,rssi_max,rssi_mean,rssi_sd,first_ms,last_ms';

export class ScanWindowAggregates {
  private cap = 1024;
  private sRx = new Int32Array(this.cap);
  private sTx = new Int32Array(this.cap);
  private sN = new Int32Array(this.cap);
  private sWs = new Float64Array(this.cap);
  private sWe = new Float64Array(this.cap);
  private sMin = new Float64Array(this.cap);
  private sMax = new Float64Array(this.cap);
  private sSum = new Float64Array(this.cap);
  private sSq = new Float64Array(this.cap);
  private sFirst = new Float64Array(this.cap);
  private sLast = new Float64Array(this.cap);
  /** Next slot in the receiver's list, or in the free list. */
  private sNext = new Int32Array(this.cap);
  private free = -1;
  private used = 0;
  /** Per receiver: its open window and that window's slots. */
  private readonly curWs: Float64Array;
  private readonly curWe: Float64Array;
  private readonly head: Int32Array;
  /** Receivers with slots in their open window, each once (inLive). */
  private readonly liveRx: Int32Array;
  private readonly inLive: Uint8Array;
  private nLive = 0;
  /** Slots of windows the receiver has moved past, not yet written (their end may lie after the tick). */
  private pend = new Int32Array(1024);
  private nPend = 0;
  private ready = new Int32Array(1024);
  /** rx * nDev + tx -> slot of the open window (-1 once written). */
  private readonly index = new PairTable();
  private readonly sink: LineSink;
  /** Set of its own when given a path (published by finish); sim run passes a writer of the run's set. */
  private readonly own: OutputSet | undefined;
  rows = 0;

  constructor(
    target: string | OutputWriter,
    private readonly nDev: number,
    private readonly startMs: number,
    private readonly names: string[],
  ) {
    this.curWs = new Float64Array(nDev).fill(NaN);
    this.curWe = new Float64Array(nDev);
    this.head = new Int32Array(nDev).fill(-1);
    this.liveRx = new Int32Array(nDev);
    this.inLive = new Uint8Array(nDev);
    if (typeof target === 'string') {
      this.own = new OutputSet();
      target = this.own.add(target);
    }
    this.sink = new LineSink(target, SCAN_WINDOWS_CSV_HEADER);
  }

  /** One reception: receiver rx heard tx at tUs (sim us) with integer rssi in its window [ws, we). */
  add(rx: number, tx: number, ws: number, we: number, tUs: number, rssi: number): void {
    if (this.curWs[rx] !== ws) {
      // a scanner's windows come in time order (run.ts), so its previous window is complete
      for (let s = this.head[rx]; s >= 0; s = this.sNext[s]) {
        if (this.nPend === this.pend.length) this.pend = grow(this.pend, Int32Array);
        this.pend[this.nPend++] = s;
      }
      this.head[rx] = -1;
      this.curWs[rx] = ws;
      this.curWe[rx] = we;
    }
    const key = rx * this.nDev + tx;
    const v = this.index.get(key);
    if (v >= 0 && this.sWs[v] === ws && this.sRx[v] === rx && this.sTx[v] === tx) {
      this.sN[v]++;
      if (rssi < this.sMin[v]) this.sMin[v] = rssi;
      if (rssi > this.sMax[v]) this.sMax[v] = rssi;
      this.sSum[v] += rssi;
      this.sSq[v] += rssi * rssi;
      if (tUs < this.sFirst[v]) this.sFirst[v] = tUs;
      if (tUs > this.sLast[v]) this.sLast[v] = tUs;
      return;
    }
    const s = this.alloc();
    this.sRx[s] = rx;
    this.sTx[s] = tx;
    this.sN[s] = 1;
    this.sWs[s] = ws;
    this.sWe[s] = we;
    this.sMin[s] = this.sMax[s] = this.sSum[s] = rssi;
    this.sSq[s] = rssi * rssi;
    this.sFirst[s] = this.sLast[s] = tUs;
    if (!this.inLive[rx]) {
      this.inLive[rx] = 1;
      this.liveRx[this.nLive++] = rx;
    }
    this.sNext[s] = this.head[rx];
    this.head[rx] = s;
    this.index.set(key, s);
  }

  /** Writes every window ending at or before tUs, sorted by end, receiver, transmitter. */
  closeUntil(tUs: number): void {
    let nr = 0;
    const take = (s: number) => {
      if (nr === this.ready.length) this.ready = grow(this.ready, Int32Array);
      this.ready[nr++] = s;
    };
    let k = 0;
    for (let i = 0; i < this.nPend; i++) {
      const s = this.pend[i];
      if (this.sWe[s] <= tUs) take(s);
      else this.pend[k++] = s;
    }
    this.nPend = k;
    k = 0;
    for (let i = 0; i < this.nLive; i++) {
      const rx = this.liveRx[i];
      if (this.curWe[rx] <= tUs) {
        for (let s = this.head[rx]; s >= 0; s = this.sNext[s]) take(s);
        this.head[rx] = -1;
        this.curWs[rx] = NaN;
        this.inLive[rx] = 0;
      } else if (this.head[rx] < 0) this.inLive[rx] = 0; // its slots went to pend, no new one since
      else this.liveRx[k++] = rx;
    }
    this.nLive = k;
    if (nr === 0) return;
    const r = this.ready.subarray(0, nr);
    r.sort((a, b) => this.sWe[a] - this.sWe[b] || this.sRx[a] - this.sRx[b] || this.sTx[a] - this.sTx[b] || this.sWs[a] - this.sWs[b]);
    const { names, startMs } = this;
    for (let i = 0; i < nr; i++) {
      const s = r[i];
      const n = this.sN[s];
      const mean = this.sSum[s] / n;
      // integer RSSI: the sums are exact, so the figures do not depend on reception order
      const sd = Math.sqrt(Math.max(0, this.sSq[s] / n - mean * mean));
      this.sink.line(
        `${csvField(names[this.sRx[s]])},${csvField(names[this.sTx[s]])},${startMs + Math.floor(this.sWs[s] / 1000)},${startMs + Math.floor(this.sWe[s] / 1000)},` +
          `${n},${this.sMin[s]},${this.sMax[s]},${mean.toFixed(2)},${sd.toFixed(2)},${startMs + Math.floor(this.sFirst[s] / 1000)},${startMs + Math.floor(this.sLast[s] / 1000)}`,
      );
      const key = this.sRx[s] * this.nDev + this.sTx[s];
      if (this.index.get(key) === s) this.index.set(key, -1);
      this.sNext[s] = this.free;
      this.free = s;
      this.used--;
    }
    this.rows += nr;
    // drop written pairs from the index so it follows the open windows too
    if (this.index.size > 4 * this.used + 4096) this.index.prune(0);
  }

  /** Writes the windows still open and closes the file. */
  finish(): void {
    try {
      this.closeUntil(Infinity);
      this.own?.commit();
    } finally {
      this.own?.abort(); // no-op after commit
    }
  }

  /** Drops the file when given a path; a writer of the caller's set goes with that set's abort. */
  abort(): void {
    this.own?.abort();
  }

  private alloc(): number {
    this.used++;
    if (this.free >= 0) {
      const s = this.free;
      this.free = this.sNext[s];
      return s;
    }
    if (this.used > this.cap) {
      // grows by doubling (rare): the pool settles at the most slots open at once
      this.cap *= 2;
      this.sRx = grow(this.sRx, Int32Array, this.cap);
      this.sTx = grow(this.sTx, Int32Array, this.cap);
      this.sN = grow(this.sN, Int32Array, this.cap);
      this.sNext = grow(this.sNext, Int32Array, this.cap);
      this.sWs = grow(this.sWs, Float64Array, this.cap);
      this.sWe = grow(this.sWe, Float64Array, this.cap);
      this.sMin = grow(this.sMin, Float64Array, this.cap);
      this.sMax = grow(this.sMax, Float64Array, this.cap);
      this.sSum = grow(this.sSum, Float64Array, this.cap);
      this.sSq = grow(this.sSq, Float64Array, this.cap);
      this.sFirst = grow(this.sFirst, Float64Array, this.cap);
      this.sLast = grow(this.sLast, Float64Array, this.cap);
    }
    return this.used - 1;
  }
}
