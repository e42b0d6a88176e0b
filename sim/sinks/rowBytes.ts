// observations.csv and truth.csv rows (docs/interfaces.md "Simulator") encoded straight into a reused byte
// buffer (issue 20): each device's quoted name and model are UTF-8 encoded once, numbers are written as
// ASCII digits, so a row builds no string and no object (the template strings and csvField() per row were
// a large part of a run's output cost and of its garbage collection). The bytes are those of
// records/rows.ts's formatters: test/sim/sinks/rowBytes.test.ts checks them against the string forms.
import { csvField } from '../../records/rows.ts';

/** Buffer per file; the writer copies each full buffer into its own (records/output.ts). */
const CHUNK = 1 << 16;
/** Longest row of numbers beside the names: digits of two integers, a distance and the separators. */
const NUM_ROOM = 96;

const COMMA = 0x2c;
const NL = 0x0a;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;

/** Where a RowBytes' full buffers go: the run's staged file (an OutputWriter), or its descriptor in the sinks worker. */
export interface ByteOut {
  write(b: Uint8Array): void;
}

/**
 * Every device's field bytes in one buffer (field d is bytes[start[d]..start[d + 1])): a Uint8Array per
 * device cost about 180 bytes of objects each, 36 MB for names and models at 10^5 phones (issue 20).
 */
export interface FieldTable {
  bytes: Uint8Array;
  start: Uint32Array;
}

/** The ASCII digits of a safe integer v >= 0 into d, least significant first; returns their count. */
function reversedDigits(v: number, d: Uint8Array): number {
  let k = 0;
  do {
    const q = Math.floor(v / 10);
    d[k++] = ZERO + (v - q * 10);
    v = q;
  } while (v > 0);
  return k;
}

const NO_FIELDS: FieldTable = { bytes: new Uint8Array(0), start: new Uint32Array(1) };

export class RowBytes {
  private buf = new Uint8Array(CHUNK);
  private pos = 0;
  private readonly digits = new Uint8Array(24);
  /** The digits of the last timestamp's whole seconds (tsMs / 1000), reused while the second lasts. */
  private readonly secDigits = new Uint8Array(24);
  private secLen = 0;
  private sec = -1;

  constructor(private readonly out: ByteOut, private readonly names: FieldTable, private readonly models: FieldTable = NO_FIELDS) {}

  /** Per device, the field as csvField() writes it, UTF-8. */
  static fields(xs: readonly string[]): FieldTable {
    const enc = new TextEncoder();
    const start = new Uint32Array(xs.length + 1);
    let bytes = new Uint8Array(Math.max(64, xs.length * 16));
    for (let d = 0; d < xs.length; d++) {
      const at = start[d];
      const f = csvField(xs[d]);
      let r = enc.encodeInto(f, bytes.subarray(at));
      // encodeInto stops short when the room runs out: grow and encode again
      while (r.read! < f.length) {
        const g = new Uint8Array(bytes.length * 2);
        g.set(bytes.subarray(0, at));
        bytes = g;
        r = enc.encodeInto(f, bytes.subarray(at));
      }
      start[d + 1] = at + r.written!;
    }
    return { bytes: bytes.slice(0, start[xs.length]), start };
  }

  /** An observations.csv row: `ts,rx,tx,rssi,,rx model,tx model` (no tx_power). */
  observation(tsMs: number, rx: number, tx: number, rssi: number): void {
    const n = this.names, m = this.models;
    this.room(n.start[rx + 1] - n.start[rx] + n.start[tx + 1] - n.start[tx] + m.start[rx + 1] - m.start[rx] + m.start[tx + 1] - m.start[tx] + NUM_ROOM);
    this.ts(tsMs);
    this.byte(COMMA);
    this.field(n, rx);
    this.byte(COMMA);
    this.field(n, tx);
    this.byte(COMMA);
    this.int(rssi);
    this.byte(COMMA);
    this.byte(COMMA);
    this.field(m, rx);
    this.byte(COMMA);
    this.field(m, tx);
    this.byte(NL);
  }

  /** A truth.csv row: `ts,rx,tx,distance` with the distance as toFixed(2) writes it. */
  truth(tsMs: number, rx: number, tx: number, distM: number): void {
    const n = this.names;
    this.room(n.start[rx + 1] - n.start[rx] + n.start[tx + 1] - n.start[tx] + NUM_ROOM);
    this.ts(tsMs);
    this.byte(COMMA);
    this.field(n, rx);
    this.byte(COMMA);
    this.field(n, tx);
    this.byte(COMMA);
    this.fixed2(distM);
    this.byte(NL);
  }

  /** Hands the buffered rows to the writer (before the run's set commits). */
  flush(): void {
    if (this.pos > 0) this.out.write(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = new Uint8Array(2 * n);
  }

  private byte(b: number): void {
    this.buf[this.pos++] = b;
  }

  /** Field d of t (a short name or model: a loop beats a subarray view per call). */
  private field(t: FieldTable, d: number): void {
    const src = t.bytes;
    const buf = this.buf;
    let p = this.pos;
    for (let i = t.start[d], end = t.start[d + 1]; i < end; i++) buf[p++] = src[i];
    this.pos = p;
  }

  /**
   * String(tsMs) for a timestamp: a tick's rows share their leading digits, so the whole seconds' digits
   * are kept and only the milliseconds written (13 float divisions per row were half of the encoding).
   */
  private ts(v: number): void {
    if (!(v >= 1000) || !Number.isSafeInteger(v)) {
      this.int(v);
      return;
    }
    const sec = Math.floor(v / 1000);
    const d = this.secDigits;
    if (sec !== this.sec) {
      const k = reversedDigits(sec, d);
      d.subarray(0, k).reverse();
      this.secLen = k;
      this.sec = sec;
    }
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < this.secLen; i++) buf[p++] = d[i];
    const ms = v - sec * 1000;
    buf[p++] = ZERO + Math.floor(ms / 100);
    buf[p++] = ZERO + (Math.floor(ms / 10) % 10);
    buf[p++] = ZERO + (ms % 10);
    this.pos = p;
  }

  /** String(v) for an integer v (a safe integer; anything else goes through String). */
  private int(v: number): void {
    if (!Number.isSafeInteger(v)) {
      this.ascii(String(v));
      return;
    }
    if (v < 0) {
      this.byte(MINUS);
      v = -v;
    }
    const d = this.digits;
    let k = reversedDigits(v, d);
    while (k > 0) this.buf[this.pos++] = d[--k];
  }

  /**
   * v.toFixed(2) for v >= 0 that is already a whole number of hundredths (outputs.ts rounds the distance
   * so): its cents are exact, and toFixed's decimal rounding cannot move them. Other values go through
   * toFixed.
   */
  private fixed2(v: number): void {
    const c = Math.round(v * 100);
    if (!(v >= 0) || !Number.isSafeInteger(c) || c / 100 !== v) {
      this.ascii(v.toFixed(2));
      return;
    }
    this.int(Math.floor(c / 100));
    this.byte(DOT);
    const f = c % 100;
    this.byte(ZERO + Math.floor(f / 10));
    this.byte(ZERO + (f % 10));
  }

  private ascii(s: string): void {
    for (let i = 0; i < s.length; i++) this.buf[this.pos++] = s.charCodeAt(i);
  }
}
