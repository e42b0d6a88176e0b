// Uniform grid for neighbour culling (radio-model.md 3.2: cell = cull radius, counting sort into SoA).
// Rebuilt once per tick; no allocation after construction unless the cell count grows.

export class UniformGrid {
  cellStart: Int32Array;
  items: Int32Array;
  cellOf: Int32Array;
  nx = 1;
  ny = 1;

  constructor(
    readonly cellM: number,
    readonly width: number,
    readonly height: number,
    capacity: number,
  ) {
    this.nx = Math.max(1, Math.ceil(width / cellM));
    this.ny = Math.max(1, Math.ceil(height / cellM));
    this.cellStart = new Int32Array(this.nx * this.ny + 1);
    this.items = new Int32Array(capacity);
    this.cellOf = new Int32Array(capacity);
  }

  cellX(x: number): number {
    const c = Math.floor(x / this.cellM);
    return c < 0 ? 0 : c >= this.nx ? this.nx - 1 : c;
  }

  cellY(y: number): number {
    const c = Math.floor(y / this.cellM);
    return c < 0 ? 0 : c >= this.ny ? this.ny - 1 : c;
  }

  /** Counting sort of the ids where active[id] != 0 by cell. */
  build(x: Float32Array, y: Float32Array, active: Uint8Array, n: number): void {
    const cs = this.cellStart;
    cs.fill(0);
    for (let i = 0; i < n; i++) {
      if (!active[i]) {
        this.cellOf[i] = -1;
        continue;
      }
      const c = this.cellY(y[i]) * this.nx + this.cellX(x[i]);
      this.cellOf[i] = c;
      cs[c + 1]++;
    }
    for (let c = 0; c < this.nx * this.ny; c++) cs[c + 1] += cs[c];
    // Fill using a moving cursor per cell (reuse cellOf afterwards unchanged).
    const cursor = this.cursor ?? (this.cursor = new Int32Array(this.nx * this.ny));
    cursor.set(cs.subarray(0, this.nx * this.ny));
    for (let i = 0; i < n; i++) {
      const c = this.cellOf[i];
      if (c >= 0) this.items[cursor[c]++] = i;
    }
  }

  private cursor?: Int32Array;
}
