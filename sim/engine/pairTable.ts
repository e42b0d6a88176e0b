// Open-addressing hash table from a pair key (rx * nDevices + tx, an integer below 2^53) to a number, in
// typed arrays: no allocation per lookup or update (a JS Map boxes non-small-integer values).

export class PairTable {
  private keys: Float64Array;
  private vals: Float64Array;
  private mask: number;
  size = 0;

  constructor(capacityPow2 = 1 << 12) {
    this.keys = new Float64Array(capacityPow2).fill(-1);
    this.vals = new Float64Array(capacityPow2);
    this.mask = capacityPow2 - 1;
  }

  private slot(key: number): number {
    // murmur3 fmix32 of the two 32-bit halves: every key bit reaches the low (index) bits
    const lo = key >>> 0;
    const hi = Math.floor(key / 4294967296) >>> 0;
    let h = lo ^ Math.imul(hi, 0x27d4eb2f);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    let i = (h >>> 0) & this.mask;
    while (this.keys[i] !== -1 && this.keys[i] !== key) i = (i + 1) & this.mask;
    return i;
  }

  /** The value for key, or NaN when absent. */
  get(key: number): number {
    const i = this.slot(key);
    return this.keys[i] === key ? this.vals[i] : NaN;
  }

  set(key: number, v: number): void {
    let i = this.slot(key);
    if (this.keys[i] !== key) {
      if ((this.size + 1) * 2 > this.mask + 1) {
        this.rehash((this.mask + 1) * 2, -Infinity);
        i = this.slot(key);
      }
      this.keys[i] = key;
      this.size++;
    }
    this.vals[i] = v;
  }

  /** Drops entries whose value is below `minValue` (rebuilds the table). */
  prune(minValue: number): void {
    this.rehash(this.mask + 1, minValue);
  }

  private rehash(cap: number, minValue: number): void {
    const ok = this.keys;
    const ov = this.vals;
    this.keys = new Float64Array(cap).fill(-1);
    this.vals = new Float64Array(cap);
    this.mask = cap - 1;
    this.size = 0;
    for (let j = 0; j < ok.length; j++) {
      if (ok[j] === -1 || ov[j] < minValue) continue;
      const i = this.slot(ok[j]);
      this.keys[i] = ok[j];
      this.vals[i] = ov[j];
      this.size++;
    }
  }
}
