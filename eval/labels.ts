// The one truth labelling of contact windows, used by `sim run`, `eval` and the tuning scripts: a window
// (receiver, transmitter, window start) is a true contact when the median true distance of its
// observations is within contactM (2 m: "within 2 m", bluezone-protocol.md 4.6; the pc-ng data set labels
// <= 2 m as contact too). Windows are aligned like the classifier's: multiples of windowMs since the epoch.
//
// The median test needs no list of distances: with n rows, w of them within contactM, the median is
// within contactM iff w > n/2, or w = n/2 and (largest within + smallest beyond) / 2 <= contactM. So each
// window keeps four numbers, and streams of any length label in O(1) memory per window.

export const CONTACT_M = 2;

export interface TruthLike {
  timestampMs: number;
  receiver: string;
  transmitter: string;
  distanceM: number;
}

/** Start of the window holding timestampMs (multiples of windowMs since the epoch). */
export function windowStartOf(timestampMs: number, windowMs: number): number {
  return timestampMs - (((timestampMs % windowMs) + windowMs) % windowMs);
}

export function windowKey(receiver: string, transmitter: string, windowStartMs: number): string {
  return receiver + '\u0000' + transmitter + '\u0000' + windowStartMs;
}

/** Truth labels per window key (a string from windowKey, or any number a caller derives). */
export class WindowTruth<K = string> {
  private readonly index = new Map<K, number>();
  private n = new Float64Array(256);
  private within = new Float64Array(256);
  private maxWithin = new Float64Array(256);
  private minBeyond = new Float64Array(256);

  constructor(readonly windowMs: number, readonly contactM = CONTACT_M) {}

  get size(): number {
    return this.index.size;
  }

  add(key: K, distanceM: number): void {
    this.addAt(this.slot(key), distanceM);
  }

  /** The window's slot (created empty when new): a caller that sees one window many times keeps it. */
  slot(key: K): number {
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.index.size;
      if (i === this.n.length) this.grow();
      this.index.set(key, i);
      this.n[i] = 0;
      this.within[i] = 0;
      this.maxWithin[i] = -Infinity;
      this.minBeyond[i] = Infinity;
    }
    return i;
  }

  /** add() to the window of slot(key). */
  addAt(i: number, distanceM: number): void {
    this.n[i]++;
    if (distanceM <= this.contactM) {
      this.within[i]++;
      if (distanceM > this.maxWithin[i]) this.maxWithin[i] = distanceM;
    } else if (distanceM < this.minBeyond[i]) this.minBeyond[i] = distanceM;
  }

  /** True contact (median within contactM); undefined when the window has no truth rows. */
  label(key: K): boolean | undefined {
    const i = this.index.get(key);
    if (i === undefined) return undefined;
    const n = this.n[i];
    const w = this.within[i];
    if (2 * w > n) return true;
    if (2 * w < n) return false;
    // even n, the two middle values straddle contactM: their mean decides, as median() computes it
    return (this.maxWithin[i] + this.minBeyond[i]) / 2 <= this.contactM;
  }

  private grow(): void {
    const g = (a: Float64Array) => {
      const b = new Float64Array(a.length * 2);
      b.set(a);
      return b;
    };
    this.n = g(this.n);
    this.within = g(this.within);
    this.maxWithin = g(this.maxWithin);
    this.minBeyond = g(this.minBeyond);
  }
}

/** Labels from truth rows keyed by windowKey (the eval command's and the scripts' path). */
export function truthLabels(truth: Iterable<TruthLike>, windowMs: number, contactM = CONTACT_M): WindowTruth<string> {
  const t = new WindowTruth<string>(windowMs, contactM);
  for (const r of truth) t.add(windowKey(r.receiver, r.transmitter, windowStartOf(r.timestampMs, windowMs)), r.distanceM);
  return t;
}
