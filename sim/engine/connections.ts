// The GATT reads iPhones cause (issue 19; docs/simulator.md "iOS GATT reads"). An iOS Bluezone advert
// carries no ID, so an Android phone (and a logbook beacon) that hears one without an ID cached for the
// current 15-min slot connects and reads the ID over GATT (bluezone-protocol.md 3.1, 4.1 rule 2, 10).
// A deterministic per-receiver stage between the reception engine and the app's logging rule:
// - one read at a time per reader; another iPhone heard meanwhile waits for its next advert;
// - CONNECT_IND goes out on the advertising channel after the iPhone's next advertising event
//   (advInterval + advDelay 0-10 ms, Core Spec Vol 6 Part B 4.4.2.2); it may fail to establish, which the
//   central learns after six connection events (Vol 6 Part B 4.5.2);
// - the connection's events run on data channels: no collision with adverts, but the reader's scanner is
//   blind from CONNECT_IND until the read ends (success) or Bluezone's 10 s timeout (a peer that accepts
//   and never answers);
// - the ID read is cached per (reader, iPhone) until the UTC slot changes; the read is logged at its end
//   with the triggering advert's RSSI, through the usual 5 s rule (bluezone-protocol.md 3.1, 4.3);
//   later adverts in the slot are logged from the cache; an uncached iPhone advert is not logged (no ID).
// Every draw is hash32(seed, salt, reader, read number, k), and a tick's receptions are taken per reader in
// (time, transmitter) order, so a run is identical whatever order the engine delivers them in.
import { hash32, uniform01 } from '../kernel/rng.ts';
import { SLOT_MS } from '../../firmware/protocol/keys.ts';
import { ADV_DELAY_MAX_US, APP_GAEN, KIND_ANDROID, KIND_BEACON, KIND_IOS } from '../world/devices.ts';
import { grow } from './typed.ts';

/** The scenario's ios.gatt block (sim/scenario/schema.ts), in the units the stage uses. */
export interface IosGattParams {
  enabled: boolean;
  /** Chance that a connection attempt is established (the iPhone receives CONNECT_IND and answers). */
  connectChance: number;
  /** Chance that an established connection delivers the ID; otherwise the reader waits out timeoutMs. */
  answerChance: number;
  /** Bluezone's ConnectTask timeout (bluezone-protocol.md 3.1): 10 s. */
  timeoutMs: number;
  /** A successful read (CONNECT_IND to disconnect), drawn uniformly in [min, max] ms. */
  readMs: [number, number];
  /** Connection interval (Core Spec Vol 6 Part B 4.5.1: 7.5 ms .. 4 s). */
  connIntervalMs: number;
}

/** Where the stage hands receptions and reads on: the app's logging rule (appLog.ts). */
export interface GattOut {
  /** A reception that survived (the scanner was not blind): scan_windows tap + logging rule. */
  reception(rx: number, tx: number, tUs: number, p: number, ws: number, we: number, dist: number): void;
  /** An ID read over GATT at tUs: the logging rule only (it is not a reception). */
  read(rx: number, tx: number, tUs: number, p: number, ws: number, dist: number): void;
}

export interface IosGattStats {
  readers: number;
  iphones: number;
  reads_attempted: number;
  reads_ok: number;
  connect_failed: number;
  timeouts: number;
  /** Adverts of iPhones logged from the cache (no connection needed). */
  cached_receptions: number;
  receptions_lost_while_connected: { android: number; ios: number; beacon: number };
  scanner_blind_ms: number;
  /** Blind time over the readers' time in the run (readers x duration). */
  scanner_blind_share: number;
  connect_ind_air_us: number;
  /** Lower bound: one empty PDU each way per connection event (80 us each on LE 1M, Vol 6 Part B 2.1). */
  data_channel_air_ms: number;
  slots: { slot_start: string; iphones_heard: number; iphones_read: number; pairs_heard: number; pairs_read: number }[];
}

const SALT_GATT = 0x67617474;
/** CONNECT_IND: preamble 1 + access address 4 + header 2 + payload 34 + CRC 3 = 44 bytes = 352 us on LE 1M (Vol 6 Part B 2.3.3.1). */
const CONNECT_IND_US = 352;
/** An empty data PDU: 10 bytes = 80 us on LE 1M (Vol 6 Part B 2.4). */
const EMPTY_PDU_US = 80;
/** The logbook leaves an address alone 1 min after a timeout and 5 s after a quick failure (docs/ios-gatt.md); Android Bluezone retries at once. */
const BEACON_PAUSE_TIMEOUT_US = 60_000_000;
const BEACON_PAUSE_FAIL_US = 5_000_000;
/** The BluezoneID slot (bluezone-protocol.md 1.2), in us. */
const SLOT_US = SLOT_MS * 1000;

interface SlotCounts {
  heard: number;
  pairsHeard: number;
  /** Overflow sets where the dense marks do not fit (above DENSE_PAIRS_MAX devices). */
  pairsHeardSet: Set<number> | null;
  read: Set<number>;
  pairsRead: Set<number>;
}

/** Up to this many devices, per-pair tables are dense typed arrays (2 x 2048^2 x 4 bytes = 32 MB at most). */
const DENSE_PAIRS_MAX = 2048;

interface Read {
  tx: number;
  blindFrom: number;
  end: number;
  ok: boolean;
  p: number;
  ws: number;
  dist: number;
}

/**
 * Does this scenario run the stage: the model is on and there are Bluezone iPhones to read. A GAEN iPhone
 * carries its RPI in the advert's service data (peers-and-radio-facts.md 1.1): nobody connects to it, and
 * a GAEN phone never connects to read anyone (app: World.app, 1 = GAEN; null = all Bluezone).
 */
export function gattStageWanted(p: IosGattParams, kind: Uint8Array, app: Uint8Array | null = null): boolean {
  return p.enabled && kind.some((k, d) => k === KIND_IOS && !(app && app[d] === APP_GAEN));
}

export class GattStage {
  readonly stats: IosGattStats;
  private cap = 1024;
  private bRx = new Int32Array(this.cap);
  private bTx = new Int32Array(this.cap);
  private bT = new Float64Array(this.cap);
  private bP = new Float64Array(this.cap);
  private bWs = new Float64Array(this.cap);
  private bWe = new Float64Array(this.cap);
  private bD = new Float32Array(this.cap);
  private idx = new Uint32Array(this.cap);
  private n = 0;
  private readonly active = new Map<number, Read>();
  private readonly seq: Uint32Array;
  private readonly rxStart: Int32Array;
  /** (reader * nDev + iPhone) -> absolute slot number of the cached ID (+1 in the dense table; 0: none). */
  private readonly cache = new Map<number, number>();
  private readonly cacheDense: Int32Array | null;
  private readonly retryAt = new Map<number, number>();
  private readonly perSlot = new Map<number, SlotCounts>();
  /** The slot of the last reception and its counts (receptions come in tick order: one or two slots a tick). */
  private lastSlot = NaN;
  private lastCounts: SlotCounts | null = null;
  /**
   * "Already counted in slot s" marks for heard iPhones and heard pairs, one per slot parity: a tick holds
   * receptions of at most two consecutive slots, and a slot two on is past for good, so the parity copy
   * of slot s is free again by then. Counting replaces a Set per slot (4 hash operations per iPhone advert).
   */
  private readonly heardMark: Int32Array;
  private readonly pairMark: Int32Array | null;
  private readonly startUs: number;
  private readonly connUs: number;
  private readonly iosAdvUs: number;

  constructor(
    private readonly p: IosGattParams,
    private readonly kind: Uint8Array,
    private readonly seed: number,
    startMs: number,
    private readonly durationMs: number,
    iosAdvIntervalMs: number,
    /** World.app (1 = GAEN): GAEN phones neither read nor are read; AppLog hands the stage Bluezone pairs only. */
    private readonly app: Uint8Array | null = null,
  ) {
    this.seq = new Uint32Array(kind.length);
    this.rxStart = new Int32Array(kind.length + 1);
    const n = kind.length;
    this.heardMark = new Int32Array(2 * n);
    this.pairMark = n <= DENSE_PAIRS_MAX ? new Int32Array(2 * n * n) : null;
    this.cacheDense = n <= DENSE_PAIRS_MAX ? new Int32Array(n * n) : null;
    this.startUs = startMs * 1000;
    this.connUs = Math.round(p.connIntervalMs * 1000);
    this.iosAdvUs = Math.round(iosAdvIntervalMs * 1000);
    let readers = 0, iphones = 0;
    kind.forEach((k, d) => {
      if (app && app[d] === APP_GAEN) return;
      if (k === KIND_IOS) iphones++;
      else readers++;
    });
    this.stats = {
      readers, iphones, reads_attempted: 0, reads_ok: 0, connect_failed: 0, timeouts: 0, cached_receptions: 0,
      receptions_lost_while_connected: { android: 0, ios: 0, beacon: 0 }, scanner_blind_ms: 0, scanner_blind_share: 0,
      connect_ind_air_us: 0, data_channel_air_ms: 0, slots: [],
    };
  }

  /**
   * Bluezone Android phones and beacons read iPhones; iPhones do not (background iOS <-> iOS,
   * bluezone-protocol.md 3.1), nor does a GAEN phone.
   */
  isReader(rx: number): boolean {
    return this.kind[rx] !== KIND_IOS && !(this.app && this.app[rx] === APP_GAEN);
  }

  /** Buffers one reception of a reader until the end of the tick. */
  add(rx: number, tx: number, tUs: number, p: number, ws: number, we: number, dist: number): void {
    const n = this.n;
    if (n === this.cap) {
      const cap = (this.cap *= 2);
      this.bRx = grow(this.bRx, Int32Array, cap);
      this.bTx = grow(this.bTx, Int32Array, cap);
      this.bT = grow(this.bT, Float64Array, cap);
      this.bP = grow(this.bP, Float64Array, cap);
      this.bWs = grow(this.bWs, Float64Array, cap);
      this.bWe = grow(this.bWe, Float64Array, cap);
      this.bD = grow(this.bD, Float32Array, cap);
      this.idx = new Uint32Array(cap);
    }
    this.bRx[n] = rx;
    this.bTx[n] = tx;
    this.bT[n] = tUs;
    this.bP[n] = p;
    this.bWs[n] = ws;
    this.bWe[n] = we;
    this.bD[n] = dist;
    this.n = n + 1;
  }

  /** Runs the tick's buffered receptions and the reads ending before t1 (us), reader by reader in time order. */
  flush(t1: number, out: GattOut): void {
    const n = this.n;
    const { bRx, bTx, bT } = this;
    const idx = this.idx.subarray(0, n);
    // by receiver (a counting sort, keeping arrival order), then by (time, transmitter) within each
    // receiver: an insertion sort, cheap because the engines deliver a scanner's windows in time order
    const start = this.rxStart;
    for (let i = 0; i < n; i++) start[bRx[i] + 1]++;
    for (let r = 0; r < this.kind.length; r++) start[r + 1] += start[r];
    for (let i = 0; i < n; i++) idx[start[bRx[i]]++] = i;
    start.fill(0);
    for (let k = 1; k < n; k++) {
      const i = idx[k];
      let j = k - 1;
      while (j >= 0 && bRx[idx[j]] === bRx[i] && (bT[idx[j]] > bT[i] || (bT[idx[j]] === bT[i] && bTx[idx[j]] > bTx[i]))) {
        idx[j + 1] = idx[j];
        j--;
      }
      idx[j + 1] = i;
    }
    for (let k = 0; k < n; k++) {
      const i = idx[k];
      const rx = bRx[i];
      const t = bT[i];
      const r = this.active.get(rx);
      if (r && r.end <= t) this.finish(rx, r, out);
      this.one(rx, bTx[i], t, this.bP[i], this.bWs[i], this.bWe[i], this.bD[i], out);
    }
    this.n = 0;
    // reads that end in this tick, after their reader's last reception (Map order: by start, deterministic)
    for (const [rx, r] of this.active) if (r.end < t1) this.finish(rx, r, out);
  }

  private one(rx: number, tx: number, t: number, p: number, ws: number, we: number, dist: number, out: GattOut): void {
    const r = this.active.get(rx);
    if (r && t >= r.blindFrom) {
      // the scanner is blind while connected
      const lost = this.stats.receptions_lost_while_connected;
      const k = this.kind[tx];
      if (k === KIND_ANDROID) lost.android++;
      else if (k === KIND_IOS) lost.ios++;
      else lost.beacon++;
      return;
    }
    if (this.kind[tx] !== KIND_IOS) {
      out.reception(rx, tx, t, p, ws, we, dist);
      return;
    }
    const key = rx * this.kind.length + tx;
    const slot = Math.floor((this.startUs + t) / SLOT_US);
    let s = this.lastCounts;
    if (slot !== this.lastSlot) {
      s = this.lastCounts = this.slot(slot);
      this.lastSlot = slot;
    }
    // marks hold slot + 1 (0: never); the parity picks the copy
    const mark = slot + 1;
    const par = slot & 1;
    const hm = 2 * tx + par;
    if (this.heardMark[hm] !== mark) {
      this.heardMark[hm] = mark;
      s!.heard++;
    }
    const pm = this.pairMark;
    if (pm) {
      if (pm[2 * key + par] !== mark) {
        pm[2 * key + par] = mark;
        s!.pairsHeard++;
      }
    } else (s!.pairsHeardSet ??= new Set()).add(key);
    const cd = this.cacheDense;
    if (cd ? cd[key] === mark : this.cache.get(key) === slot) {
      this.stats.cached_receptions++;
      out.reception(rx, tx, t, p, ws, we, dist);
      return;
    }
    // no ID for this slot: nothing to log; start a read unless one is under way or the address waits
    if (r || (this.retryAt.get(key) ?? -1) > t) return;
    this.start(rx, tx, t, p, ws, dist);
  }

  private start(rx: number, tx: number, t: number, p: number, ws: number, dist: number): void {
    const q = this.seq[rx]++;
    const h = (k: number) => hash32(this.seed, SALT_GATT, rx, q, k);
    const st = this.stats;
    st.reads_attempted++;
    // CONNECT_IND follows the iPhone's next advertising event
    const blindFrom = t + this.iosAdvUs + (h(0) % ADV_DELAY_MAX_US);
    let end: number;
    let ok = false;
    const key = rx * this.kind.length + tx;
    const beacon = this.kind[rx] === KIND_BEACON;
    if (uniform01(h(1)) >= this.p.connectChance) {
      // not established: the central gives up after six connection events (Vol 6 Part B 4.5.2)
      end = blindFrom + 6 * this.connUs;
      st.connect_failed++;
      if (beacon) this.retryAt.set(key, end + BEACON_PAUSE_FAIL_US);
    } else if (uniform01(h(2)) >= this.p.answerChance) {
      // accepted and never answered: Bluezone's timeout runs from the start of the task
      end = Math.max(t + this.p.timeoutMs * 1000, blindFrom + this.connUs);
      st.timeouts++;
      if (beacon) this.retryAt.set(key, end + BEACON_PAUSE_TIMEOUT_US);
    } else {
      const [lo, hi] = this.p.readMs;
      end = blindFrom + Math.round((lo + uniform01(h(3)) * (hi - lo)) * 1000);
      ok = true;
    }
    st.connect_ind_air_us += CONNECT_IND_US;
    const blindUs = end - blindFrom;
    st.scanner_blind_ms += blindUs / 1000;
    st.data_channel_air_ms += (Math.floor(blindUs / this.connUs) * 2 * EMPTY_PDU_US) / 1000;
    this.active.set(rx, { tx, blindFrom, end, ok, p, ws, dist });
  }

  private finish(rx: number, r: Read, out: GattOut): void {
    this.active.delete(rx);
    if (!r.ok) return;
    this.stats.reads_ok++;
    const key = rx * this.kind.length + r.tx;
    // the iPhone answers with the ID of the slot the read ends in (bluezone-protocol.md 3: computed at read time)
    const slot = Math.floor((this.startUs + r.end) / SLOT_US);
    if (this.cacheDense) this.cacheDense[key] = slot + 1;
    else this.cache.set(key, slot);
    const s = this.slot(slot);
    s.read.add(r.tx);
    s.pairsRead.add(key);
    out.read(rx, r.tx, r.end, r.p, r.ws, r.dist);
  }

  private slot(slot: number): SlotCounts {
    let s = this.perSlot.get(slot);
    if (!s) this.perSlot.set(slot, (s = { heard: 0, pairsHeard: 0, pairsHeardSet: null, read: new Set(), pairsRead: new Set() }));
    return s;
  }

  private done: Record<string, unknown> | undefined;

  /** The summary.json block (deterministic: no wall-clock figures); call once the run is over. */
  summary(): Record<string, unknown> {
    if (this.done) return this.done;
    const st = this.stats;
    const readerMs = st.readers * this.durationMs;
    st.scanner_blind_share = readerMs ? Math.round((st.scanner_blind_ms / readerMs) * 1e6) / 1e6 : 0;
    st.scanner_blind_ms = Math.round(st.scanner_blind_ms);
    st.data_channel_air_ms = Math.round(st.data_channel_air_ms * 10) / 10;
    st.slots = [...this.perSlot.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([slot, s]) => ({
        slot_start: new Date((slot * SLOT_US) / 1000).toISOString(),
        iphones_heard: s.heard, iphones_read: s.read.size, pairs_heard: s.pairsHeardSet ? s.pairsHeardSet.size : s.pairsHeard, pairs_read: s.pairsRead.size,
      }));
    const p = this.p;
    return (this.done = {
      model: 'Android phones and beacons read iPhones over GATT, one at a time, cached per slot; the scanner is blind while connected (docs/simulator.md "iOS GATT reads")',
      params: { connect_chance: p.connectChance, answer_chance: p.answerChance, timeout_ms: p.timeoutMs, read_ms: p.readMs, conn_interval_ms: p.connIntervalMs },
      ...st,
    });
  }

}

/** One line for the run's message on stderr, from summary.json's ios_gatt block. */
export function iosGattLine(block: unknown): string {
  const st = block as IosGattStats;
  const lost = st.receptions_lost_while_connected;
  const heard = st.slots.reduce((a, s) => a + s.pairs_heard, 0);
  const read = st.slots.reduce((a, s) => a + s.pairs_read, 0);
  return `iOS GATT reads: ${st.reads_ok} of ${st.reads_attempted} ok (${st.connect_failed} not connected, ${st.timeouts} timed out); ` +
    `${read} of ${heard} (reader, iPhone, slot) IDs obtained; ${lost.android + lost.beacon} Android/beacon and ${lost.ios} iOS receptions lost while connected ` +
    `(scanners blind ${(st.scanner_blind_share * 100).toFixed(2)}% of the time)`;
}
