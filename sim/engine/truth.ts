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

/**
 * The 2 m truth grid's size over an area, and whether it is too sparse to hold as cells: a grid of 2 m
 * cells costs 8 bytes and three passes per cell and tick, 800 MB and about 1.5 s a tick over 20 km x 20 km
 * (issue 20: 3 x 10^4 phones on 400 km^2). Over an area with many more cells than devices, ContactTruth
 * sorts the devices by cell instead (n log n a tick) and finds cells by binary search.
 */
export function truthGridSize(widthM: number, heightM: number, nDev: number): { nx: number; ny: number; sparse: boolean } {
  const nx = Math.max(1, Math.ceil(widthM / TRUTH_M));
  const ny = Math.max(1, Math.ceil(heightM / TRUTH_M));
  return { nx, ny, sparse: nx * ny > Math.max(1 << 20, 16 * nDev) };
}

/** The 2 m cell of coordinate v on an axis of n cells (UniformGrid.cellX with cellM = TRUTH_M). */
function cellOf(v: number, n: number): number {
  const c = Math.floor(v / TRUTH_M);
  return c < 0 ? 0 : c >= n ? n - 1 : c;
}

export class ContactTruth {
  private readonly truthMs = new Map<number, Map<number, number>>();
  // up to 2048 devices the day's pair sums live in a dense array (a Map update per close pair and tick
  // dominated the truth pass); flushDay moves the touched ones into truthMs, same sums, same order
  private readonly dense: Float64Array | null;
  private readonly touched: number[] = [];
  private day = -1;
  /** The 2 m cell grid, or null over a large area (sparse: cells sorted by key below). */
  private readonly grid: UniformGrid | null;
  private readonly nx: number;
  private readonly ny: number;
  /** Without a grid: the tick's active devices sorted by cell (sortByCell). */
  private readonly sorted: { keys: Float64Array; items: Int32Array; cell: Float64Array } | null;

  constructor(
    private readonly nDev: number,
    private readonly startMs: number,
    dense: boolean,
    widthM: number,
    heightM: number,
    private readonly tap: TruthTap | null,
  ) {
    this.dense = dense ? new Float64Array(nDev * nDev) : null;
    const { nx, ny, sparse } = truthGridSize(widthM, heightM, nDev);
    this.nx = nx;
    this.ny = ny;
    this.grid = sparse ? null : new UniformGrid(TRUTH_M, widthM, heightM, nDev);
    // cell * nDev + id stays exact in a double up to 2^53
    if (sparse && this.nx * this.ny * nDev > 2 ** 53) throw new RangeError(`area too large for the contact truth: ${widthM} x ${heightM} m with ${nDev} devices`);
    this.sorted = sparse ? { keys: new Float64Array(nDev), items: new Int32Array(nDev), cell: new Float64Array(nDev) } : null;
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
    // a cell's devices, ascending by id, at [cellStart(c), cellStart(c + 1)) of tItems: from the grid's
    // counting sort, or (no grid) from the devices sorted by cell, found by binary search
    let m = 0;
    if (tgrid) tgrid.build(x, y, active, nDev);
    else m = this.sortByCell(s);
    const tStart = tgrid ? tgrid.cellStart : null;
    const sortedCell = this.sorted?.cell;
    const tItems = tgrid ? tgrid.items : this.sorted!.items;
    const cellStart = (c: number): number => {
      if (tStart) return tStart[c];
      let lo = 0;
      let hi = m;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (sortedCell![mid] < c) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    const nx = this.nx;
    const ny = this.ny;
    for (let a = 0; a < nDev; a++) {
      if (!active[a]) continue;
      const cx = cellOf(x[a], nx);
      const cy = cellOf(y[a], ny);
      for (let gy = Math.max(0, cy - 1); gy <= Math.min(ny - 1, cy + 1); gy++) {
        for (let gx = Math.max(0, cx - 1); gx <= Math.min(nx - 1, cx + 1); gx++) {
          const c = gy * nx + gx;
          // a cell's items ascend by id: start at the first b > a
          let q = cellStart(c);
          const qEnd = cellStart(c + 1);
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

  /**
   * Over a large area (no grid): the active devices sorted by cell, then id, into sorted.items with each
   * one's cell in sorted.cell (the order a grid's counting sort gives); returns their count.
   */
  private sortByCell(s: TickState): number {
    const { x, y, active } = s;
    const nDev = this.nDev;
    const { keys, items, cell } = this.sorted!;
    let m = 0;
    // cell * nDev + id: exact in a double (checked in the constructor)
    for (let i = 0; i < nDev; i++) if (active[i]) keys[m++] = (cellOf(y[i], this.ny) * this.nx + cellOf(x[i], this.nx)) * nDev + i;
    keys.subarray(0, m).sort();
    for (let q = 0; q < m; q++) {
      const c = Math.floor(keys[q] / nDev);
      cell[q] = c;
      items[q] = keys[q] - c * nDev;
    }
    return m;
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
