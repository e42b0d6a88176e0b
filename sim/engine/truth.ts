// Contact ground truth from continuous positions: milliseconds within 2 m per unordered pair and UTC day
// (the 15-minute rule, bluezone-protocol.md 4.6), and each tick's close pairs for the report's timeline.
import { TRUTH_M } from './radio.ts';
import { UniformGrid } from './grid.ts';
import type { ReceptionEngine, TickState } from './types.ts';

export interface ContactDay {
  day: string;
  a: string;
  b: string;
  minutes: number;
  close: boolean;
}

/** Receives the close pairs of each tick (a < b). */
export interface TruthTap {
  onTruthPair(a: number, b: number, nDev: number, t0ms: number, t1ms: number): void;
}

export class ContactTruth {
  private readonly truthMs = new Map<number, Map<number, number>>();
  // up to 2048 devices the day's pair sums live in a dense array (a Map update per close pair and tick
  // dominated the truth pass); flushDay moves the touched ones into truthMs, same sums, same order
  private readonly dense: Float64Array | null;
  private readonly touched: number[] = [];
  private day = -1;
  private readonly grid: UniformGrid;

  constructor(
    private readonly nDev: number,
    private readonly startMs: number,
    dense: boolean,
    widthM: number,
    heightM: number,
    private readonly tap: TruthTap | null,
  ) {
    this.dense = dense ? new Float64Array(nDev * nDev) : null;
    this.grid = new UniformGrid(TRUTH_M, widthM, heightM, nDev);
  }

  private flushDay(): void {
    const dense = this.dense;
    if (!dense || this.day < 0) return;
    const m = this.truthMs.get(this.day)!;
    for (const key of this.touched) {
      m.set(key, dense[key]);
      dense[key] = 0;
    }
    this.touched.length = 0;
  }

  /** Adds the tick [t0Us, t1Us)'s close pairs: the engine's list if it makes one, else a grid scan here. */
  tick(t0ms: number, t0Us: number, t1Us: number, s: TickState, engine: ReceptionEngine): void {
    const t1ms = t1Us / 1000;
    const nDev = this.nDev;
    const dayIdx = Math.floor((this.startMs + t0ms) / 86_400_000);
    if (dayIdx !== this.day) {
      this.flushDay();
      this.day = dayIdx;
    }
    let dayMap = this.truthMs.get(dayIdx);
    if (!dayMap) this.truthMs.set(dayIdx, (dayMap = new Map()));
    const dt = (t1Us - t0Us) / 1000;
    const dense = this.dense;
    const tap = this.tap;
    const listed = engine.truthPairs();
    if (listed) {
      // the engine lists the pairs (same order as the scan below); the sums stay here
      const { n, a: A, b: B } = listed;
      for (let i = 0; i < n; i++) {
        const key = A[i] * nDev + B[i];
        if (dense![key] === 0) this.touched.push(key);
        dense![key] += dt;
        tap?.onTruthPair(A[i], B[i], nDev, t0ms, t1ms);
      }
      return;
    }
    const { x, y, active } = s;
    const tgrid = this.grid;
    tgrid.build(x, y, active, nDev);
    const tStart = tgrid.cellStart;
    const tItems = tgrid.items;
    for (let a = 0; a < nDev; a++) {
      if (!active[a]) continue;
      const cx = tgrid.cellX(x[a]);
      const cy = tgrid.cellY(y[a]);
      for (let gy = Math.max(0, cy - 1); gy <= Math.min(tgrid.ny - 1, cy + 1); gy++) {
        for (let gx = Math.max(0, cx - 1); gx <= Math.min(tgrid.nx - 1, cx + 1); gx++) {
          const c = gy * tgrid.nx + gx;
          // a cell's items ascend (counting sort by id): start at the first b > a
          let q = tStart[c];
          const qEnd = tStart[c + 1];
          for (let hi = qEnd; q < hi; ) {
            const mid = (q + hi) >> 1;
            if (tItems[mid] <= a) q = mid + 1;
            else hi = mid;
          }
          for (; q < qEnd; q++) {
            const b = tItems[q];
            const dx = x[b] - x[a];
            const dy = y[b] - y[a];
            if (dx * dx + dy * dy > TRUTH_M * TRUTH_M) continue;
            const key = a * nDev + b;
            if (dense) {
              if (dense[key] === 0) this.touched.push(key);
              dense[key] += dt;
            } else dayMap.set(key, (dayMap.get(key) ?? 0) + dt);
            tap?.onTruthPair(a, b, nDev, t0ms, t1ms);
          }
        }
      }
    }
  }

  /** Pairs with any time within 2 m, per UTC day, by day then pair key; close = at least 15 minutes. */
  contacts(names: string[]): ContactDay[] {
    this.flushDay();
    const nDev = this.nDev;
    const out: ContactDay[] = [];
    for (const [day, m] of [...this.truthMs].sort((p, q) => p[0] - q[0])) {
      const keys = [...m.keys()].sort((p, q) => p - q);
      for (const key of keys) {
        const a = Math.floor(key / nDev);
        const b = key % nDev;
        const minutes = m.get(key)! / 60_000;
        out.push({ day: new Date(day * 86_400_000).toISOString().slice(0, 10), a: names[a], b: names[b], minutes, close: minutes >= 15 });
      }
    }
    return out;
  }
}
