// The apps' logging rules on top of the receptions (docs/simulator.md "App profiles"). Bluezone
// (bluezone-protocol.md 4.3): a peer ID is logged at most once per 5 s within a 15-minute slot, iOS reports
// a peripheral once per scan window, background iOS <-> iOS does not work (3.1). GAEN
// (peers-and-radio-facts.md 1.5): every reading of a scan is kept (a ScanInstance averages all of them), on
// either platform, iPhone <-> iPhone included. The apps do not hear each other (Bluezone's scan filters and
// service UUIDs vs GAEN's 0xFD6F): a pair of different apps is dropped before scan_windows. Logged
// observations of a tick are sorted by (time, receiver, transmitter) and handed to the observation sink;
// every reception may also go to scan_windows.
import { APP_GAEN, KIND_IOS } from '../world/devices.ts';
import type { GattOut, GattStage } from './connections.ts';
import { PairTable } from './pairTable.ts';
import { grow } from './typed.ts';
import type { ReceptionOut } from './types.ts';

/** Bluezone logs a peer ID at most once per 5 s (bluezone-protocol.md 4.3, TIME_DELAY_INSERT). */
export const APP_DEDUP_US = 5_000_000;
const SLOT_US = 900_000_000;

/**
 * The per-device class the WASM engine's rule reads (sim/kernel/assembly/resolve.ts): the device kind for
 * Bluezone devices (0 Android, 1 iOS, 2 beacon), RULE_GAEN for GAEN phones. Without GAEN it is the kind.
 */
export const RULE_GAEN = 3;
export function ruleClass(kind: Uint8Array, app: Uint8Array | null): Uint8Array {
  if (!app || !app.includes(APP_GAEN)) return kind;
  return kind.map((k, d) => (app[d] === APP_GAEN ? RULE_GAEN : k));
}

/** Receives every reception before the logging rule (scan_windows.csv). */
export interface ReceptionTap {
  add(rx: number, tx: number, ws: number, we: number, tUs: number, rssi: number): void;
}

/** Receives the logged observations in order. */
export interface ObservationSink {
  observation(tsMs: number, rx: number, tx: number, rssi: number, distM: number): void;
}

export class AppLog implements ReceptionOut {
  readonly wantsReceptions: boolean;
  /** Observations logged so far (emitted or counted). */
  observations = 0;
  private oCap = 4096;
  private oT = new Float64Array(this.oCap);
  private oRx = new Int32Array(this.oCap);
  private oTx = new Int32Array(this.oCap);
  private oRssi = new Int16Array(this.oCap);
  private oDist = new Float32Array(this.oCap);
  private oIdx = new Uint32Array(this.oCap);
  private nObs = 0;
  private readonly lastLogged = new PairTable();
  // Up to 2048 devices (32 MB) the last-logged times sit in a dense rx * nDev + tx table. Entries are never
  // pruned there; an entry older than the prune horizon (65 s) passes both checks in heard() exactly as a
  // pruned (absent) one does.
  private readonly lastDense: Float64Array | null;

  constructor(
    private readonly kind: Uint8Array,
    private readonly logAll: boolean,
    dense: boolean,
    private readonly sink: ObservationSink | null,
    private readonly tap: ReceptionTap | null,
    /** iOS GATT reads (connections.ts): readers' receptions wait for the end of the tick there. */
    private readonly gatt: GattStage | null = null,
    /** World.app: APP_GAEN per device; null = every device runs Bluezone. */
    app: Uint8Array | null = null,
    /**
     * A receiver shard (sim/parallel): the rule's outcome of every reception and logged read goes there
     * (heardRuled / readLogged) for the main thread's AppLog, instead of to tap and sink.
     */
    private readonly forward: ReceptionOut | null = null,
  ) {
    this.app = app && app.includes(APP_GAEN) ? app : null;
    const n = kind.length;
    this.lastDense = dense ? new Float64Array(n * n).fill(NaN) : null;
    this.wantsReceptions = !!sink || !!tap || !!gatt || !!forward;
    this.gattOut = {
      reception: (rx, tx, tUs, p, ws, we, dist) => this.rule(rx, tx, tUs, p, ws, we, dist, true),
      read: (rx, tx, tUs, p, ws, dist) => this.rule(rx, tx, tUs, p, ws, ws, dist, false),
    };
  }

  private readonly gattOut: GattOut;
  private readonly app: Uint8Array | null;

  heard(rx: number, tx: number, tUs: number, p: number, ws: number, we: number, dist: number): void {
    const app = this.app;
    if (app) {
      // different apps: each app's scanner filters for its own service UUIDs, so the app never sees it
      if (app[rx] !== app[tx]) return;
      // GAEN keeps every reading of its scans (peers-and-radio-facts.md 1.5): no dedup, no coalescing,
      // iPhone <-> iPhone heard (the Exposure Notification framework scans in the background), no GATT
      if (app[rx] === APP_GAEN) {
        if (this.forward) return this.forward.heardRuled(rx, tx, tUs, p, ws, we, dist, 1);
        this.tap?.add(rx, tx, ws, we, tUs, Math.round(p));
        this.log(rx, tx, tUs, p, dist);
        return;
      }
    }
    if (this.gatt?.isReader(rx)) this.gatt.add(rx, tx, tUs, p, ws, we, dist);
    else this.rule(rx, tx, tUs, p, ws, we, dist, true);
  }

  /** Bluezone's logging rule; `reception` = false for an ID read over GATT, which scan_windows.csv does not list. */
  private rule(rx: number, tx: number, tUs: number, p: number, ws: number, we: number, dist: number, reception: boolean): void {
    const kind = this.kind;
    if (kind[rx] === KIND_IOS && kind[tx] === KIND_IOS) return; // background iOS <-> iOS does not work (bluezone-protocol.md 3.1)
    const logged = this.logs(rx, tx, tUs, ws);
    const fw = this.forward;
    if (fw) {
      if (reception) fw.heardRuled(rx, tx, tUs, p, ws, we, dist, logged ? 1 : 0);
      else if (logged) fw.readLogged!(rx, tx, tUs, p, dist);
      return;
    }
    // every reception, before the app's logging rule (scan_windows.csv)
    if (reception) this.tap?.add(rx, tx, ws, we, tUs, Math.round(p));
    if (logged) this.log(rx, tx, tUs, p, dist);
  }

  /** Whether the app logs rx's reading of tx at tUs (scan window from ws); records it when it does. */
  private logs(rx: number, tx: number, tUs: number, ws: number): boolean {
    const kind = this.kind;
    const key = rx * kind.length + tx;
    const lastDense = this.lastDense;
    const last = lastDense ? lastDense[key] : this.lastLogged.get(key);
    if (last === last) {
      if (kind[rx] === KIND_IOS && last >= ws) return false; // coalesced: one report per peripheral per scan
      if (!this.logAll && tUs - last < APP_DEDUP_US && Math.floor(tUs / SLOT_US) === Math.floor(last / SLOT_US)) return false;
    }
    if (lastDense) lastDense[key] = tUs;
    else this.lastLogged.set(key, tUs);
    return true;
  }

  heardRuled(rx: number, tx: number, tUs: number, p: number, ws: number, we: number, dist: number, logged: number): void {
    this.tap?.add(rx, tx, ws, we, tUs, Math.round(p));
    if (logged) this.log(rx, tx, tUs, p, dist);
  }

  countLogged(n: number): void {
    this.nObs += n;
  }

  readLogged(rx: number, tx: number, tUs: number, p: number, dist: number): void {
    this.log(rx, tx, tUs, p, dist);
  }

  private log(rx: number, tx: number, tUs: number, p: number, dist: number): void {
    const n = this.nObs;
    if (n === this.oCap) {
      const cap = (this.oCap *= 2);
      this.oT = grow(this.oT, Float64Array, cap);
      this.oRx = grow(this.oRx, Int32Array, cap);
      this.oTx = grow(this.oTx, Int32Array, cap);
      this.oRssi = grow(this.oRssi, Int16Array, cap);
      this.oDist = grow(this.oDist, Float32Array, cap);
      this.oIdx = new Uint32Array(cap);
    }
    this.oT[n] = tUs;
    this.oRx[n] = rx;
    this.oTx[n] = tx;
    this.oRssi[n] = Math.round(p);
    this.oDist[n] = dist;
    this.nObs = n + 1;
  }

  /** Hands the tick's observations to the sink in (time, receiver, transmitter) order; t1: the tick's end (us). */
  emitTick(startMs: number, t1 = Infinity): void {
    this.gatt?.flush(t1, this.gattOut);
    const nObs = this.nObs;
    if (!nObs) return;
    const sink = this.sink;
    if (sink) {
      const { oT, oRx, oTx, oRssi, oDist } = this;
      const idx = this.order(nObs);
      for (let k = 0; k < nObs; k++) {
        const i = idx[k];
        sink.observation(startMs + Math.floor(oT[i] / 1000), oRx[i], oTx[i], oRssi[i], oDist[i]);
      }
    }
    this.observations += nObs;
    this.nObs = 0;
  }

  /**
   * The tick's observations in (time, receiver, transmitter) order, equal ones in the order they were
   * logged. When the times are whole microseconds and (time, receiver, transmitter, arrival) packs into 53
   * bits (a lobby's tick: 20 + 2 x 9 + 14), one native sort of those keys; otherwise a comparator sort,
   * which took about a tenth of a lobby run's simulation thread.
   */
  private order(nObs: number): Uint32Array {
    const { oT, oRx, oTx } = this;
    const idx = this.oIdx.subarray(0, nObs);
    const nDev = this.kind.length;
    let t0 = Infinity, t1 = -Infinity, whole = true;
    for (let i = 0; i < nObs; i++) {
      const t = oT[i];
      if (t < t0) t0 = t;
      if (t > t1) t1 = t;
      whole &&= Number.isInteger(t);
    }
    const slots = 2 ** Math.ceil(Math.log2(nObs + 1));
    if (whole && (t1 - t0 + 1) * nDev * nDev * slots <= Number.MAX_SAFE_INTEGER) {
      if (this.keys.length < nObs) this.keys = new Float64Array(this.oCap);
      const keys = this.keys.subarray(0, nObs);
      for (let i = 0; i < nObs; i++) keys[i] = (((oT[i] - t0) * nDev + oRx[i]) * nDev + oTx[i]) * slots + i;
      keys.sort();
      for (let k = 0; k < nObs; k++) idx[k] = keys[k] % slots;
      return idx;
    }
    for (let i = 0; i < nObs; i++) idx[i] = i;
    return idx.sort((a, b) => oT[a] - oT[b] || oRx[a] - oRx[b] || oTx[a] - oTx[b]);
  }

  private keys = new Float64Array(0);

  /** Drops last-logged times that can no longer suppress anything (the sparse table only). */
  prune(nowUs: number): void {
    if (!this.lastDense) this.lastLogged.prune(nowUs - APP_DEDUP_US - 60_000_000);
  }
}
