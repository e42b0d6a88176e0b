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
  /** The iPhones heard in the slot: each once from this stage; merge() appends other shards' (summary() takes the union). */
  heard: number[];
  /** Pairs heard, counted by the marks or in pairsHeardSet, plus other shards' (their readers, so other keys). */
  pairsHeard: number;
  /** Overflow sets where the dense marks do not fit (above DENSE_PAIRS_MAX devices). */
  pairsHeardSet: Set<number> | null;
  read: Set<number>;
  pairsRead: Set<number>;
  /** Pairs other shards read in the slot (merge()). */
  otherPairsRead: number;
}

/**
 * One shard's share of the stats (`sim run --threads N`, sim/parallel): each reader lives in one shard, so
 * counts add and sets join; plain JSON (a giant run's shards send it through Redis).
 */
export interface GattPartial {
  /** reads_attempted, reads_ok, connect_failed, timeouts, cached_receptions, lost android / ios / beacon, connect_ind_air_us, data-channel air (us). */
  counts: number[];
  /** [reader, us the reader's scanner was blind] for readers that connected. */
  blind: [number, number][];
  /** [slot, iPhones heard, pairs heard, iPhones read, pairs read] per slot. */
  slots: [number, number[], number, number[], number][];
}

const PARTIAL_COUNTS = 10;

/**
 * What is wrong with x as a GattPartial of a run of nDev devices (null: nothing): a giant run's shard
 * sends it through Redis, and merge() must not index outside its tables.
 */
export function gattPartialError(x: unknown, nDev: number): string | null {
  const count = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  const dev = (v: unknown) => Number.isInteger(v) && (v as number) >= 0 && (v as number) < nDev;
  const devs = (v: unknown) => Array.isArray(v) && v.every(dev);
  if (!x || typeof x !== 'object') return 'is not an object';
  const o = x as Partial<GattPartial>;
  if (!Array.isArray(o.counts) || o.counts.length !== PARTIAL_COUNTS || !o.counts.every(count)) return `counts: not ${PARTIAL_COUNTS} counts`;
  if (!Array.isArray(o.blind)) return 'blind: not a list';
  for (const [i, e] of o.blind.entries()) if (!Array.isArray(e) || e.length !== 2 || !dev(e[0]) || !count(e[1])) return `blind[${i}]: not [device, us]`;
  if (!Array.isArray(o.slots)) return 'slots: not a list';
  for (const [i, e] of o.slots.entries()) {
    if (!Array.isArray(e) || e.length !== 5 || !Number.isInteger(e[0]) || !devs(e[1]) || !count(e[2]) || !devs(e[3]) || !count(e[4])) {
      return `slots[${i}]: not [slot, devices, count, devices, count]`;
    }
  }
  return null;
}

/** Up to this many devices, per-pair tables are dense typed arrays (2 x 2048^2 x 4 bytes = 32 MB at most). */
const DENSE_PAIRS_MAX = 2048;

interface Read {
  tx: number;
  /** Index in GattStage.activeList. */
  at: number;
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
  /** The read under way per reader, and the readers with one (end-of-tick walk). */
  private readonly active: (Read | undefined)[];
  private readonly activeList: number[] = [];
  /** Per reader, the last buffered reception's time and transmitter: is the tick already in order? */
  private readonly lastT: Float64Array;
  private readonly lastTx: Int32Array;
  private inOrder = true;
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
  /**
   * Per reader, us its scanner was blind, and the data-channel air time in whole us: summed per reader in
   * its own time order (and over readers in index order at the end), so the totals do not depend on how
   * readers are split over threads.
   */
  private readonly blindUs: Float64Array;
  private dataAirUs = 0;

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
    this.active = new Array<Read | undefined>(kind.length).fill(undefined);
    this.lastT = new Float64Array(kind.length).fill(-Infinity);
    this.lastTx = new Int32Array(kind.length);
    this.blindUs = new Float64Array(kind.length);
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
    if (tUs < this.lastT[rx] || (tUs === this.lastT[rx] && tx < this.lastTx[rx])) this.inOrder = false;
    this.lastT[rx] = tUs;
    this.lastTx[rx] = tx;
    this.bRx[n] = rx;
    this.bTx[n] = tx;
    this.bT[n] = tUs;
    this.bP[n] = p;
    this.bWs[n] = ws;
    this.bWe[n] = we;
    this.bD[n] = dist;
    this.n = n + 1;
  }

  /**
   * Runs the tick's buffered receptions and the reads ending before t1 (us), each reader's in (time,
   * transmitter) order. Readers do not share state that depends on order, so when every reader's
   * receptions arrived in order (the engines deliver a scanner's windows in time order) they run as they
   * came; otherwise reader by reader, sorted.
   */
  flush(t1: number, out: GattOut): void {
    const n = this.n;
    const { bRx, bTx, bT, bP, bWs, bWe, bD, active } = this;
    if (this.inOrder) {
      for (let i = 0; i < n; i++) {
        const rx = bRx[i];
        const r = active[rx];
        if (r !== undefined && r.end <= bT[i]) this.finish(rx, r, out);
        this.one(rx, bTx[i], bT[i], bP[i], bWs[i], bWe[i], bD[i], out);
      }
    } else this.flushSorted(out);
    this.n = 0;
    this.inOrder = true;
    // reads that end in this tick, after their reader's last reception (in any order: readers are independent)
    const list = this.activeList;
    for (let k = list.length - 1; k >= 0; k--) {
      const rx = list[k];
      const r = active[rx]!;
      if (r.end < t1) this.finish(rx, r, out);
    }
  }

  private flushSorted(out: GattOut): void {
    const n = this.n;
    const { bRx, bTx, bT } = this;
    const idx = this.idx.subarray(0, n);
    // by receiver (a counting sort, keeping arrival order), then by (time, transmitter) within each
    // receiver: an insertion sort
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
      const r = this.active[rx];
      if (r !== undefined && r.end <= t) this.finish(rx, r, out);
      this.one(rx, bTx[i], t, this.bP[i], this.bWs[i], this.bWe[i], this.bD[i], out);
    }
  }

  private one(rx: number, tx: number, t: number, p: number, ws: number, we: number, dist: number, out: GattOut): void {
    const r = this.active[rx];
    if (r !== undefined && t >= r.blindFrom) {
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
      s!.heard.push(tx);
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
    this.blindUs[rx] += blindUs;
    this.dataAirUs += Math.floor(blindUs / this.connUs) * 2 * EMPTY_PDU_US;
    this.active[rx] = { tx, blindFrom, end, ok, p, ws, dist, at: this.activeList.length };
    this.activeList.push(rx);
  }

  private finish(rx: number, r: Read, out: GattOut): void {
    this.active[rx] = undefined;
    // swap-remove from the list
    const list = this.activeList;
    const last = list.pop()!;
    if (last !== rx) {
      list[r.at] = last;
      this.active[last]!.at = r.at;
    }
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
    if (!s) this.perSlot.set(slot, (s = { heard: [], pairsHeard: 0, pairsHeardSet: null, read: new Set(), pairsRead: new Set(), otherPairsRead: 0 }));
    return s;
  }

  /** This stage's share of the stats, for the main thread's stage (merge()). */
  partial(): GattPartial {
    const st = this.stats;
    const lost = st.receptions_lost_while_connected;
    const blind: [number, number][] = [];
    this.blindUs.forEach((us, rx) => {
      if (us) blind.push([rx, us]);
    });
    return {
      counts: [st.reads_attempted, st.reads_ok, st.connect_failed, st.timeouts, st.cached_receptions, lost.android, lost.ios, lost.beacon, st.connect_ind_air_us, this.dataAirUs],
      blind,
      slots: [...this.perSlot].map(([slot, s]) => [slot, s.heard, (s.pairsHeardSet ? s.pairsHeardSet.size : 0) + s.pairsHeard, [...s.read], s.pairsRead.size + s.otherPairsRead]),
    };
  }

  /** Adds another shard's partial(): its readers are not this stage's. Call before summary(). */
  merge(o: GattPartial): void {
    const st = this.stats;
    const lost = st.receptions_lost_while_connected;
    const c = o.counts;
    st.reads_attempted += c[0];
    st.reads_ok += c[1];
    st.connect_failed += c[2];
    st.timeouts += c[3];
    st.cached_receptions += c[4];
    lost.android += c[5];
    lost.ios += c[6];
    lost.beacon += c[7];
    st.connect_ind_air_us += c[8];
    this.dataAirUs += c[9];
    for (const [rx, us] of o.blind) this.blindUs[rx] += us;
    for (const [slot, heard, pairsHeard, read, pairsRead] of o.slots) {
      const s = this.slot(slot);
      for (const tx of heard) s.heard.push(tx);
      s.pairsHeard += pairsHeard;
      for (const tx of read) s.read.add(tx);
      s.otherPairsRead += pairsRead;
    }
  }

  private done: Record<string, unknown> | undefined;

  /** The summary.json block (deterministic: no wall-clock figures); call once the run is over. */
  summary(): Record<string, unknown> {
    if (this.done) return this.done;
    const st = this.stats;
    const readerMs = st.readers * this.durationMs;
    st.scanner_blind_ms = this.blindUs.reduce((a, us) => a + us, 0) / 1000;
    st.data_channel_air_ms = this.dataAirUs / 1000;
    st.scanner_blind_share = readerMs ? Math.round((st.scanner_blind_ms / readerMs) * 1e6) / 1e6 : 0;
    st.scanner_blind_ms = Math.round(st.scanner_blind_ms);
    st.data_channel_air_ms = Math.round(st.data_channel_air_ms * 10) / 10;
    st.slots = [...this.perSlot.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([slot, s]) => ({
        slot_start: new Date((slot * SLOT_US) / 1000).toISOString(),
        iphones_heard: new Set(s.heard).size, iphones_read: s.read.size, pairs_heard: (s.pairsHeardSet ? s.pairsHeardSet.size : 0) + s.pairsHeard,
        pairs_read: s.pairsRead.size + s.otherPairsRead,
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
