// Streaming proximity classifier: "within 2 m for 15 minutes a day" from RSSI observations.
// Pure (no I/O, no clock): runs on the beacon and inside the simulator. Observations arrive sorted by time;
// windows are aligned to multiples of windowMs since the Unix epoch (UTC quarter hours for 15 min).
// Memory per live pair is constant (a fixed RSSI histogram and fixed per-window arrays); every pair's
// state is recycled when its window closes. Method and parameters: docs/classifier.md.

import type { DailyRow, Observation, WindowRow } from '../../records/rows.ts';
import { type CalibrationLookup, DEFAULT_CALIBRATION, platformOf } from '../../records/calibration.ts';
// The shipped parameter set (scripts/fit-classifier.ts writes it; params.ts checks the format). Imported,
// not read from disk, so the beacon and the simulator need no file at run time.
import SHIPPED_PARAMS from './params/default.json' with { type: 'json' };

export type Method = 'ours' | 'gaen' | 'bluezone';
export const METHODS: readonly Method[] = ['ours', 'gaen', 'bluezone'];

/** A closed window: the CSV row plus the minutes it credits to the daily rule. */
export interface WindowResult extends WindowRow {
  /** Minutes of this window credited as within 2 m (ScanInstance-style duration accounting). */
  minutesWithin2m: number;
}

export type DailyContact = DailyRow;

/** Parameters of method "ours" (chosen on the training split, docs/classifier.md). */
export interface OursParams {
  /** Reference TX power (dBm, iPhone scale): calibrated RSSI = rssi + correction(rx) + (txRef - tx(tx)). */
  txRefDbm: number;
  /** Upper quantile blended with the median: robust to body blocking and multipath nulls. */
  upperQuantile: number;
  /** Weight of the upper quantile in the window level (0 = median only). */
  upperWeight: number;
  /** Weight of the trimmed maximum blended into the upper quantile (0 = quantile only, 1 = trimmed max). */
  maxWeight: number;
  /** Strongest readings discarded before taking the window maximum (robust to single outliers). */
  maxTrim: number;
  /**
   * dB added per doubling of the window's reading count over countRefReadings (dwell evidence: a closer
   * or longer-staying peer is heard more often; distant packets fall below sensitivity). 0 disables it.
   */
  countDbPerDoubling: number;
  /** Reading count at which the dwell term is 0 (it also anchors the level the offsets learn from). */
  countRefReadings: number;
  /** Calibrated window level (dBm) at which the pair is taken to be 2 m apart. */
  thresholdDbm: number;
  /** Log-distance exponent used only to turn the level into an estimated distance. */
  pathLossExponent: number;
  /** Weight of a scan instance's own median against the window level when crediting its minutes. */
  instanceWeight: number;
  /**
   * Learned device offsets (self-calibration): each device has a receive offset and a transmit offset;
   * a pair's offset is receiver's rx offset + transmitter's tx offset, subtracted from its level. After
   * each window both move by half the residual (level - pairRefDbm - pair offset) times 1/(n + 1 +
   * offsetPriorWindows), n = windows the device had in that role: so with one partner the pair's offset
   * is n/(n + prior) x (its mean level - pairRefDbm), and with many partners the offsets separate per
   * device while any one pair's usual distance averages out. 0 disables it. Causal: earlier windows only.
   */
  offsetPriorWindows: number;
  /** Level (dBm) a pair averages over its encounters when its devices are typical. */
  pairRefDbm: number;
  /** The learning rate never drops below 1/offsetMemoryWindows (an exponential average after that). */
  offsetMemoryWindows: number;
  /**
   * dB added per doubling of the pair's reading RATE over rateRefPerS: readings per second of the
   * receiver's own scanning time between the pair's first and last reading in the window (duty-cycle
   * invariant: a phone that scans 4 s in 5 min and one that scans all the time give the same rate for
   * the same peer). 0 disables it.
   */
  rateDbPerDoubling: number;
  /** Readings per second of scanning at which the rate term is 0. */
  rateRefPerS: number;
  /** Scale (dB) of the logistic credit of a scan instance around the threshold; 0 = all or nothing. */
  instanceSoftDb: number;
  /**
   * dB added to a scan instance's level before it is judged for minutes (not for the window's own
   * decision): the threshold is set for a window's upper quantile, while an instance's median of a few
   * readings sits lower for the same distance, so without it close instances go uncredited.
   */
  instanceShiftDb: number;
  /**
   * A scan instance's level for minutes: its median (0) blended towards its loudest reading (1), as the
   * window score leans on an upper quantile (body blocking and fading nulls pull readings down, never up).
   */
  instanceUpper: number;
  /**
   * Daily minutes corrected for the instance decisions' errors (the Rogan-Gladen estimator, Rogan &
   * Gladen 1978, Am J Epidemiol 107(1):71-76): of the time within 2 m a share dailySensitivity (Se) is
   * credited, of the time beyond it a share 1 - dailySpecificity (Sp), so a pair-day credited M of T
   * observed minutes was within 2 m for about (M - (1 - Sp) T) / (Se + Sp - 1), clipped to [0, T].
   * Without it a pair 2-4 m apart all day (desk neighbours) collects minutes from every instance that
   * shadowing lifts over the threshold. T counts the encounters that credited minutes (endRun). 1 and 1:
   * minutes as credited. Daily totals only; a window's minutes stay as credited.
   */
  dailySensitivity: number;
  dailySpecificity: number;
}

/** Values for every parameter a parameter file does not set (fixed beforehand, docs/classifier.md). */
export const OURS_BASE: Readonly<OursParams> = Object.freeze({
  txRefDbm: -24,
  upperQuantile: 0.9,
  upperWeight: 1,
  maxWeight: 0,
  maxTrim: 1,
  countDbPerDoubling: 2,
  countRefReadings: 1,
  thresholdDbm: -73,
  pathLossExponent: 2,
  instanceWeight: 0.5,
  offsetPriorWindows: 8,
  pairRefDbm: -75,
  offsetMemoryWindows: 96,
  rateDbPerDoubling: 0,
  rateRefPerS: 1,
  instanceSoftDb: 0,
  instanceShiftDb: 0,
  instanceUpper: 0,
  dailySensitivity: 1,
  dailySpecificity: 1,
});

/** The parameters `ours` runs with: OURS_BASE overridden by the shipped parameter file. */
export const OURS_DEFAULTS: Readonly<OursParams> = Object.freeze({ ...OURS_BASE, ...(SHIPPED_PARAMS.ours as Partial<OursParams>) });
/** The shipped parameter set's version (printed by classify --json and eval). */
export const SHIPPED_PARAMS_VERSION: string = SHIPPED_PARAMS.version;

/**
 * A receiver's scanning time is read off its own readings (of any peer): readings closer than SCAN_GAP_MS
 * belong to one scan and the gap between them counts as scanning; a longer gap ends the scan, which then
 * counts its own extent but at least SCAN_MIN_MS (GAEN's scan length, about 4 s: peers-and-radio-facts.md).
 * (Before parameter set ours-2026-12-07b a new scan counted 4 s on top of its extent: a 4 s GAEN scan counted about 8 s, so
 * thinned pairs got half their rate, about 2 dB less than the same air scanned continuously.)
 * Bluezone Android's 40 s on / 260 s off (bluezone-protocol.md 4.1) and GAEN's 4 s every 3.5-5 min both
 * leave gaps far above 30 s; continuous scanners hear some peer every second or two.
 */
const SCAN_GAP_MS = 30_000;
const SCAN_MIN_MS = 4_000;

/** A receiver's live pairs (by transmitter) and its scanning time in the open window (ms). */
class ReceiverScan {
  readonly byTx = new Map<string, PairState>();
  lastT = -Infinity;
  /** Scanning time of the receiver's finished scans in this window, and the open scan's first reading. */
  doneMs = 0;
  scanStart = NaN;
}

/** Device offsets kept per role at most (least recently used dropped first): bounds memory in a crowd. */
export const MAX_DEVICE_PROFILES = 65_536;

/** Devices' worth of prior weight on the population's mean offset being 0 (OffsetTable.mean). */
export const POPULATION_PRIOR = 16;

interface DeviceOffset {
  n: number;
  offset: number;
}

/** GAEN v2 daily-summary style: attenuation buckets and weights (peer-protocols.md 1.4-1.5). */
export interface GaenParams {
  /** Attenuation thresholds (dB): <= t0 weight w0, <= t1 weight w1, else 0. CWA 55/63 (1.4). */
  thresholdsDb: [number, number];
  weights: [number, number];
}
export const GAEN_DEFAULTS: Readonly<GaenParams> = Object.freeze({ thresholdsDb: [55, 63] as [number, number], weights: [1.0, 0.5] as [number, number] });

/** Bluezone app "near" thresholds, receiver_sender (bluezone-protocol.md 4.5, WatchScanScreen). */
export const BLUEZONE_THRESHOLDS: Readonly<Record<string, number>> = Object.freeze({
  Android_Android: -86,
  Android_iOS: -69,
  iOS_Android: -88,
  iOS_iOS: -74,
});

export interface ClassifierOptions {
  method?: Method;
  /**
   * Several methods on one per-pair state (pushEach / flushEach give each one's windows, in this order): the
   * state a pair keeps does not depend on the method, so the simulator runs all three for the memory and
   * the pushes of one (issue 20). The first is `method`; each method's windows equal a one-method classifier's.
   */
  methods?: readonly Method[];
  /** Window length in ms (default 15 min); windows start at multiples of it since the epoch. */
  windowMs?: number;
  /** Model -> calibration; models it does not know get DEFAULT_CALIBRATION. */
  calibration?: CalibrationLookup;
  /** Daily minutes within 2 m that make a close contact (default 15, bluezone-protocol.md 4.6). */
  closeContactMinutes?: number;
  ours?: Partial<OursParams>;
  gaen?: Partial<GaenParams>;
}

export const DEFAULT_WINDOW_MS = 15 * 60_000;
/** Sub-slots ("scan instances") per window. */
const N_SUB = 15;
/** Longest gap credited to one instance: GAEN maxMinutesSinceLastScan = 5 (1.5). */
const CREDIT_CAP_MS = 5 * 60_000;
/** HCI RSSI range -127..+20 dBm (Core Spec Vol 4 Part E 7.7.65.2): one histogram bin per dBm. */
const RSSI_MIN = -127;
const RSSI_MAX = 20;
const N_BINS = RSSI_MAX - RSSI_MIN + 1;
/** Instances a window can hold (N_SUB, plus one for a sub-slot rounding past the end). */
const N_INST = N_SUB + 1;
/** Readings kept per scan instance for its median (reservoir beyond that). */
const RESERVOIR = 32;
/**
 * A window's first readings are kept as a list; its histogram is taken only from the next reading on. In a
 * crowd most pairs are heard a few times a window, and the 148-bin histogram (592 bytes) was most of a
 * pair's state (issue 20: memory at 10^5 phones). Quantiles from the sorted list equal the histogram's.
 */
const FEW = 8;
/**
 * Maximum of no reading yet: below every clamped reading, and a small integer, so a pair's max fields stay
 * small-integer fields (-Infinity made V8 box them as heap numbers: 2 x 16 bytes per pair state).
 */
const NO_READING = RSSI_MIN - 1;
const DAY_MS = 86_400_000;
/** Start of the UTC day holding ms (negative times too). */
const utcDayStart = (ms: number): number => ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);

/**
 * Histograms, first readings and instance reservoirs of every pair state, in flat arrays indexed by the
 * state's slot (and the open window's finished instances in an arena beside them): a push touches one
 * histogram cache line instead of chasing a typed-array object to its own buffer (the histogram increment
 * was the hottest line of the profile, bench/classify.ts). Grows by doubling.
 */
class SlotStore {
  /** Histograms, one per state that has had more than FEW readings in a window (allocHist). */
  hist = new Uint32Array(64 * N_BINS);
  private nHist = 0;
  /** A window's first FEW readings per slot. */
  few = new Int8Array(64 * FEW);
  /** Each slot's reservoir of its open instance's readings (whole dBm, -127..20: Int8). */
  buf = new Int8Array(64 * RESERVOIR);
  n = 0;
  /**
   * Finished instances of the open window, all pairs in one arena (emptied when the window closes): sub-slot,
   * median / mean / max RSSI, and the next instance of the same pair (-1: none). A crowd's pair has one or
   * two instances a window, so a fixed N_INST per slot was mostly empty (issue 20: memory at 10^5 phones).
   */
  iSub = new Uint8Array(1024);
  iVal = new Float32Array(3 * 1024);
  iNext = new Int32Array(1024);
  nI = 0;

  /** A new slot (slots are never freed: pair states are pooled and keep theirs). */
  alloc(): number {
    const slot = this.n++;
    if (slot * FEW >= this.few.length) {
      this.few = grow(this.few, new Int8Array(this.few.length * 2));
      this.buf = grow(this.buf, new Int8Array(this.buf.length * 2));
    }
    return slot;
  }

  /** A new instance in the arena. */
  allocInst(): number {
    const i = this.nI++;
    if (i === this.iSub.length) {
      this.iSub = grow(this.iSub, new Uint8Array(this.iSub.length * 2));
      this.iVal = grow(this.iVal, new Float32Array(this.iVal.length * 2));
      this.iNext = grow(this.iNext, new Int32Array(this.iNext.length * 2));
    }
    return i;
  }

  /** A histogram's offset in hist (never freed: a pooled state keeps its own). */
  allocHist(): number {
    const at = this.nHist++ * N_BINS;
    if (at >= this.hist.length) this.hist = grow(this.hist, new Uint32Array(this.hist.length * 2));
    return at;
  }
}

function grow<T extends Uint32Array | Int8Array | Uint8Array | Int32Array | Float32Array>(from: T, to: T): T {
  to.set(from as never);
  return to;
}

const FEW_SCRATCH = new Int8Array(FEW);

class PairState {
  /** Offsets of this state's histogram (-1: none yet), first readings and reservoir in its SlotStore's arrays. */
  histAt = -1;
  readonly fewAt: number;
  readonly bufAt: number;
  /** This window's finished instances in the store's arena: first and last (-1: none). */
  instHead = -1;
  instTail = -1;
  constructor(
    slot: number,
    private readonly store: SlotStore,
  ) {
    this.fewAt = slot * FEW;
    this.bufAt = slot * RESERVOIR;
  }
  receiver = '';
  transmitter = '';
  rxModel: string | undefined;
  txModel: string | undefined;
  txPowerObs: number | undefined;
  /** The receiver's scanning time (ReceiverScan: doneMs + time into the open scan) at this pair's first and last reading. */
  onAtFirst = 0;
  onAtLast = 0;
  n = 0;
  sum = 0;
  max = NO_READING;
  // current scan instance (sub-slot)
  sub = -1;
  subN = 0;
  subSum = 0;
  subMax = NO_READING;
  // finished instances of this window
  nInst = 0;

  reset(receiver: string, transmitter: string): void {
    this.receiver = receiver;
    this.transmitter = transmitter;
    this.rxModel = this.txModel = this.txPowerObs = undefined;
    if (this.n > 0 && this.histAt >= 0) this.store.hist.fill(0, this.histAt, this.histAt + N_BINS);
    this.n = 0;
    this.sum = 0;
    this.max = NO_READING;
    this.sub = -1;
    this.subN = 0;
    this.subSum = 0;
    this.subMax = NO_READING;
    this.nInst = 0;
    this.instHead = this.instTail = -1;
  }

  /** The window's readings (n <= FEW, no histogram yet), ascending, in a shared scratch array. */
  private sortedFew(): Int8Array {
    const v = FEW_SCRATCH;
    const f = this.store.few;
    const n = this.n;
    // insertion sort of at most FEW values
    for (let i = 0; i < n; i++) {
      const x = f[this.fewAt + i];
      let j = i - 1;
      while (j >= 0 && v[j] > x) {
        v[j + 1] = v[j];
        j--;
      }
      v[j + 1] = x;
    }
    return v;
  }

  /** The k-th strongest reading (k = 0: the maximum); the weakest when the window has k or fewer. */
  fromTop(k: number): number {
    if (this.histAt < 0) {
      if (this.n === 0) return RSSI_MAX; // as the empty histogram's walk ends
      const v = this.sortedFew();
      return v[this.n - (Math.min(k, this.n - 1) + 1)];
    }
    let seen = 0;
    const h = this.store.hist;
    const at = this.histAt;
    const need = Math.min(k, this.n - 1) + 1;
    for (let b = N_BINS - 1; b >= 0; b--) {
      seen += h[at + b];
      if (seen >= need) return b + RSSI_MIN;
    }
    return RSSI_MIN;
  }

  /** Bin index q-quantile (0..1) of the window's raw RSSI, from the histogram (exact for integer dBm). */
  quantile(q: number): number {
    const target = q * (this.n - 1);
    if (this.histAt < 0) {
      if (this.n === 0) return NaN;
      const v = this.sortedFew();
      const k = Math.floor(target);
      const frac = target - k;
      const lo = v[k];
      if (frac === 0 || v[k + 1] === lo) return lo;
      return lo + frac * (v[k + 1] - lo);
    }
    let seen = 0;
    const h = this.store.hist;
    const at = this.histAt;
    // Linear interpolation between order statistics k and k+1.
    const k = Math.floor(target);
    const frac = target - k;
    let lo = NaN;
    for (let b = 0; b < N_BINS; b++) {
      const c = h[at + b];
      if (c === 0) continue;
      if (Number.isNaN(lo)) {
        if (seen + c > k) {
          lo = b + RSSI_MIN;
          if (frac === 0 || seen + c > k + 1) return lo;
        }
      } else return lo + frac * (b + RSSI_MIN - lo);
      seen += c;
    }
    return lo;
  }
}

/**
 * The receiver's scanning time that a pair's n readings stand for: the span from its first to its last
 * reading holds n - 1 reading intervals, so it is scaled by n / (n - 1); at least one scan (SCAN_MIN_MS),
 * so a burst of readings in one 4 s scan counts that scan, and a single reading one scan.
 */
function pairScanMs(s: PairState): number {
  const span = s.onAtLast - s.onAtFirst;
  return s.n > 1 ? Math.max((span * s.n) / (s.n - 1), SCAN_MIN_MS) : SCAN_MIN_MS;
}

/** What a pair carries from one window to the next. */
interface PairMemory {
  /** Start of its last scan instance (credits are the time since it, up to CREDIT_CAP_MS). */
  lastInstance: number;
  /** Per method, its daily row of the day it was last credited (saves the day key's lookup). */
  day: (DayTotal | undefined)[];
  /**
   * Minutes observed (every instance's credit) on day pendDay that no daily row of "ours" holds yet: this
   * encounter's far instances before its first close one (only with the daily correction).
   */
  pendDay: number;
  pendMin: number;
}

/** A daily row as the classifier accumulates it: with the minutes of every instance (observed). */
interface DayTotal extends DailyContact {
  observed: number;
}

const NO_RESULTS: WindowResult[] = Object.freeze([]) as unknown as WindowResult[];

export class StreamingClassifier {
  /** The first of `methods`: push() and flush() return its windows. */
  readonly method: Method;
  readonly methods: readonly Method[];
  readonly windowMs: number;
  readonly subMs: number;
  readonly closeContactMinutes: number;
  readonly ours: OursParams;
  readonly gaen: GaenParams;
  private readonly calibration: CalibrationLookup;
  /** receiver -> its scanning time and transmitter -> live state (only pairs seen in the current window). */
  private readonly live = new Map<string, ReceiverScan>();
  private nLive = 0;
  private readonly pool: PairState[] = [];
  private readonly store = new SlotStore();
  /** receiver -> transmitter -> what the pair carries across windows, kept only while its last instance
   * can still shorten a credit (CREDIT_CAP_MS). Nested maps: no key string built per pair and window. */
  private readonly memory = new Map<string, Map<string, PairMemory>>();
  /** Per method: daily rows by receiver, transmitter and day. */
  private readonly days: Map<string, DayTotal>[];
  /** Index of "ours" in methods when its daily minutes are corrected (dailySensitivity / Specificity), else -1. */
  private readonly corrected: number;
  /** Learned receive / transmit offsets per device (method "ours"); bounded LRUs of 2 numbers each. */
  private readonly rxOffsets = new OffsetTable();
  private readonly txOffsets = new OffsetTable();
  private pendingOffsets: Array<{ r: DeviceOffset; t: DeviceOffset; residual: number }> = [];
  private windowStart = NaN;
  private windowEnd = NaN;
  private lastT = -Infinity;
  private rng = 0x9e3779b9;
  private readonly scratch = new Int16Array(RESERVOIR);
  // Per-window scratch (closePair runs once per pair and window: no allocation per call).
  private readonly credit = new Float64Array(N_SUB + 1);
  private readonly close = new Uint8Array(N_SUB + 1);
  private readonly closeWeight = new Float64Array(N_SUB + 1);
  /** The closing pair's instances, copied from the arena: start times, and median / mean / max at [0 / N_INST / 2 N_INST + k]. */
  private readonly instStart = new Float64Array(N_INST);
  private readonly inst = new Float32Array(3 * N_INST);
  /** The receiver of the previous push and its state: a crowd's log comes in runs of one receiver. */
  private lastRx: string | undefined;
  private lastSc: ReceiverScan | undefined;

  constructor(opts: ClassifierOptions = {}) {
    this.methods = Object.freeze([...(opts.methods ?? [opts.method ?? 'ours'])]);
    if (this.methods.length === 0) throw new RangeError('no method');
    if (opts.method !== undefined && opts.methods && opts.method !== opts.methods[0]) throw new RangeError(`method "${opts.method}" is not the first of methods`);
    for (const m of this.methods) if (!(METHODS as readonly string[]).includes(m)) throw new RangeError(`unknown method "${m}"`);
    if (new Set(this.methods).size !== this.methods.length) throw new RangeError('a method is named twice');
    this.method = this.methods[0];
    this.days = this.methods.map(() => new Map());
    this.windowMs = opts.windowMs ?? DEFAULT_WINDOW_MS;
    if (!Number.isInteger(this.windowMs) || this.windowMs < 1000 || this.windowMs > DAY_MS)
      throw new RangeError(`window must be a whole number of ms between 1 s and 1 day, got ${this.windowMs}`);
    this.subMs = Math.ceil(this.windowMs / N_SUB);
    this.closeContactMinutes = opts.closeContactMinutes ?? 15;
    this.ours = { ...OURS_DEFAULTS, ...opts.ours };
    const { dailySensitivity: se, dailySpecificity: sp } = this.ours;
    if (!(se > 0 && se <= 1 && sp > 0 && sp <= 1 && se + sp > 1))
      throw new RangeError(`dailySensitivity and dailySpecificity must be in (0, 1] with a sum above 1, got ${se} and ${sp}`);
    this.corrected = se === 1 && sp === 1 ? -1 : this.methods.indexOf('ours');
    this.gaen = { ...GAEN_DEFAULTS, ...opts.gaen } as GaenParams;
    this.calibration = opts.calibration ?? (() => undefined);
  }

  /** Pairs holding state now (the memory bound: only pairs seen in the open window). */
  get livePairs(): number {
    return this.nLive;
  }

  /** Adds one observation; returns the windows (of the first method) this observation closed (often none). */
  push(o: Observation): WindowResult[] {
    const r = this.pushEach(o);
    return r === null ? NO_RESULTS : r[0];
  }

  /** Adds one observation; returns null, or the windows it closed per method (in `methods` order). */
  pushEach(o: Observation): WindowResult[][] | null {
    const t = o.timestampMs;
    if (!(t >= this.lastT)) throw new RangeError(`observation at ${t} ms comes before ${this.lastT} ms: input must be sorted by time`);
    this.lastT = t;
    let out: WindowResult[][] | null = null;
    if (!(t < this.windowEnd)) {
      // Time is sorted, so only crossing the open window's end starts a new one (also the first push).
      if (this.nLive > 0) out = this.closeAll();
      this.windowStart = t - (((t % this.windowMs) + this.windowMs) % this.windowMs);
      this.windowEnd = this.windowStart + this.windowMs;
    }
    const w = this.windowStart;
    let sc = o.receiver === this.lastRx ? this.lastSc : this.live.get(o.receiver);
    if (sc === undefined) this.live.set(o.receiver, (sc = new ReceiverScan()));
    this.lastRx = o.receiver;
    this.lastSc = sc;
    const byTx = sc.byTx;
    if (t - sc.lastT > SCAN_GAP_MS) {
      if (!Number.isNaN(sc.scanStart)) sc.doneMs += Math.max(sc.lastT - sc.scanStart, SCAN_MIN_MS);
      sc.scanStart = t;
    }
    sc.lastT = t;
    const on = sc.doneMs + (t - sc.scanStart);
    let s = byTx.get(o.transmitter);
    if (s === undefined) {
      s = this.pool.pop() ?? new PairState(this.store.alloc(), this.store);
      s.reset(o.receiver, o.transmitter);
      byTx.set(o.transmitter, s);
      this.nLive++;
      s.onAtFirst = on;
    }
    s.onAtLast = on;
    if (o.receiverModel) s.rxModel = o.receiverModel;
    if (o.transmitterModel) s.txModel = o.transmitterModel;
    if (o.txPower !== undefined) s.txPowerObs = o.txPower;
    const r = o.rssi < RSSI_MIN ? RSSI_MIN : o.rssi > RSSI_MAX ? RSSI_MAX : Math.round(o.rssi);
    const st = this.store;
    if (s.histAt >= 0) st.hist[s.histAt + r - RSSI_MIN]++;
    else if (s.n < FEW) st.few[s.fewAt + s.n] = r;
    else {
      // the (FEW + 1)-th reading: the histogram takes over
      s.histAt = st.allocHist();
      const h = st.hist;
      for (let i = 0; i < FEW; i++) h[s.histAt + st.few[s.fewAt + i] - RSSI_MIN]++;
      h[s.histAt + r - RSSI_MIN]++;
    }
    s.n++;
    s.sum += r;
    if (r > s.max) s.max = r;
    const sub = Math.floor((t - w) / this.subMs);
    if (sub !== s.sub) {
      if (s.sub >= 0) this.finishInstance(s);
      s.sub = sub;
    }
    // Reservoir sampling keeps the instance median's memory fixed (deterministic xorshift32).
    if (s.subN < RESERVOIR) this.store.buf[s.bufAt + s.subN] = r;
    else {
      let x = this.rng;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      this.rng = x >>> 0;
      const j = this.rng % (s.subN + 1);
      if (j < RESERVOIR) this.store.buf[s.bufAt + j] = r;
    }
    s.subN++;
    s.subSum += r;
    if (r > s.subMax) s.subMax = r;
    return out;
  }

  /** Adds minutes to a pair's daily row of method mi; the pair's memory keeps its current day's row at hand. */
  private addDaily(s: PairState, mem: PairMemory, mi: number, day: number, m: number): DayTotal {
    let d = mem.day[mi];
    if (d === undefined || d.dayStartMs !== day) {
      const dk = s.receiver + '\u0000' + s.transmitter + '\u0000' + day;
      const days = this.days[mi];
      d = days.get(dk);
      if (d === undefined) days.set(dk, (d = { receiver: s.receiver, transmitter: s.transmitter, dayStartMs: day, minutesWithin2m: 0, closeContact: false, observed: 0 }));
      mem.day[mi] = d;
    }
    d.minutesWithin2m += m;
    return d;
  }

  /**
   * The end of a run of one pair's instances on one day: m credited of all observed minutes. With the
   * daily correction, "ours" keeps the observed minutes of each encounter (instances at most 5 min apart:
   * the pair's memory) that credited minutes that day: held in the memory until its first close instance,
   * then added to the daily row. An encounter with nothing credited adds nothing to M and so nothing to T
   * (keeping it would need state for every pair heard, not only those credited).
   */
  private endRun(s: PairState, mem: PairMemory, mi: number, day: number, m: number, all: number): void {
    if (mi !== this.corrected) {
      this.addDaily(s, mem, mi, day, m);
      return;
    }
    if (m > 0 || mem.day[mi]?.dayStartMs === day) {
      const d = this.addDaily(s, mem, mi, day, m);
      d.observed += all;
      if (mem.pendDay === day) d.observed += mem.pendMin;
      mem.pendDay = NaN;
      mem.pendMin = 0;
    } else {
      if (mem.pendDay !== day) {
        mem.pendDay = day;
        mem.pendMin = 0;
      }
      mem.pendMin += all;
    }
  }

  /** A daily row's minutes within 2 m: as credited, or corrected (OursParams.dailySensitivity). */
  private dayMinutes(mi: number, d: DayTotal): number {
    if (mi !== this.corrected) return d.minutesWithin2m;
    const { dailySensitivity: se, dailySpecificity: sp } = this.ours;
    // clipped to [0, T] as Rogan-Gladen estimates are to [0, 1]: never more minutes than were observed
    return Math.min(d.observed, Math.max(0, (d.minutesWithin2m - (1 - sp) * d.observed) / (se + sp - 1)));
  }

  /** Closes every open window (end of input); returns the first method's. */
  flush(): WindowResult[] {
    return this.flushEach()[0];
  }

  /** Closes every open window (end of input); returns them per method. */
  flushEach(): WindowResult[][] {
    return this.nLive > 0 ? this.closeAll() : this.methods.map(() => []);
  }

  /** Per pair and UTC day, for the first method or `methods[mi]`: minutes credited within 2 m and the close-contact flag. */
  daily(mi = 0): DailyContact[] {
    return [...this.days[mi].values()]
      .map((d) => {
        const m = this.dayMinutes(mi, d);
        return { receiver: d.receiver, transmitter: d.transmitter, dayStartMs: d.dayStartMs, minutesWithin2m: round(m, 2), closeContact: m >= this.closeContactMinutes };
      })
      .sort((a, b) => a.dayStartMs - b.dayStartMs || cmp(a.receiver, b.receiver) || cmp(a.transmitter, b.transmitter));
  }

  /** Forgets daily totals of days before dayStartMs (long-running devices call it after reporting). */
  dropDailyBefore(dayStartMs: number): void {
    for (const days of this.days) for (const [k, d] of days) if (d.dayStartMs < dayStartMs) days.delete(k);
    for (const byTx of this.memory.values())
      for (const m of byTx.values()) for (let i = 0; i < m.day.length; i++) if (m.day[i] !== undefined && m.day[i]!.dayStartMs < dayStartMs) m.day[i] = undefined;
  }

  private finishInstance(s: PairState): void {
    s.nInst++;
    const m = Math.min(s.subN, RESERVOIR);
    // Insertion sort: at most RESERVOIR (32) values, usually a handful; no subarray view allocated.
    const v = this.scratch;
    const b = this.store.buf;
    const at = s.bufAt;
    for (let i = 0; i < m; i++) {
      const x = b[at + i];
      let j = i - 1;
      while (j >= 0 && v[j] > x) {
        v[j + 1] = v[j];
        j--;
      }
      v[j + 1] = x;
    }
    const st = this.store;
    const a = st.allocInst();
    st.iVal[3 * a] = m % 2 === 1 ? v[(m - 1) >> 1] : (v[m / 2 - 1] + v[m / 2]) / 2;
    st.iVal[3 * a + 1] = s.subSum / s.subN;
    st.iVal[3 * a + 2] = s.subMax;
    st.iSub[a] = s.sub;
    st.iNext[a] = -1;
    if (s.instTail >= 0) st.iNext[s.instTail] = a;
    else s.instHead = a;
    s.instTail = a;
    s.subN = 0;
    s.subSum = 0;
    s.subMax = NO_READING;
  }

  private closeAll(): WindowResult[][] {
    const out: WindowResult[][] = this.methods.map(() => []);
    for (const rx of this.live.values()) {
      for (const s of rx.byTx.values()) {
        this.closePair(s, out);
        this.pool.push(s);
      }
    }
    this.live.clear();
    this.store.nI = 0;
    this.lastRx = this.lastSc = undefined;
    this.nLive = 0;
    const p = this.ours;
    for (const { r, t, residual } of this.pendingOffsets) {
      this.rxOffsets.add(r, residual / 2 / Math.min(r.n + 1 + p.offsetPriorWindows, p.offsetMemoryWindows));
      this.txOffsets.add(t, residual / 2 / Math.min(t.n + 1 + p.offsetPriorWindows, p.offsetMemoryWindows));
    }
    this.pendingOffsets = [];
    // Evict credit carry-overs that can no longer matter (the next instance would be a new encounter).
    const horizon = this.windowStart + this.windowMs - CREDIT_CAP_MS;
    for (const [rx, byTx] of this.memory) {
      for (const [tx, m] of byTx) if (!(m.lastInstance >= horizon)) byTx.delete(tx);
      if (byTx.size === 0) this.memory.delete(rx);
    }
    return out;
  }

  /** Closes a pair's window: one row per method into out[method index]. */
  private closePair(s: PairState, out: WindowResult[][]): void {
    if (s.subN > 0) this.finishInstance(s);
    const rx = this.calibration(s.rxModel) ?? DEFAULT_CALIBRATION;
    const txCal = this.calibration(s.txModel);
    const txPower = txCal?.txPower ?? s.txPowerObs ?? DEFAULT_CALIBRATION.txPower;
    // Credits per instance, like ScanInstance.secondsSinceLastScan: the time since the pair's previous
    // instance when that is at most 5 min; otherwise (first sighting, or back after a longer gap: a new
    // encounter) one sub-slot.
    let memRx = this.memory.get(s.receiver);
    if (memRx === undefined) this.memory.set(s.receiver, (memRx = new Map()));
    let mem = memRx.get(s.transmitter);
    let prev = mem === undefined ? NaN : mem.lastInstance;
    const credit = this.credit;
    const cap = Math.max(CREDIT_CAP_MS, this.subMs);
    const starts = this.instStart;
    const inst = this.inst;
    const store = this.store;
    for (let i = 0, a = s.instHead; i < s.nInst; i++, a = store.iNext[a]) {
      starts[i] = this.windowStart + store.iSub[a] * this.subMs;
      inst[i] = store.iVal[3 * a];
      inst[N_INST + i] = store.iVal[3 * a + 1];
      inst[2 * N_INST + i] = store.iVal[3 * a + 2];
    }
    for (let i = 0; i < s.nInst; i++) {
      const st = starts[i];
      credit[i] = !(st - prev <= cap) ? this.subMs : st - prev;
      prev = st;
    }
    if (mem === undefined) memRx.set(s.transmitter, (mem = { lastInstance: prev, day: this.methods.map(() => undefined), pendDay: NaN, pendMin: 0 }));
    else mem.lastInstance = prev;
    for (let mi = 0; mi < this.methods.length; mi++) out[mi].push(this.closeMethod(s, mem, mi, rx, txPower));
  }

  /** Method methods[mi]'s window row for a pair whose instances and credits closePair has set. */
  private closeMethod(s: PairState, mem: PairMemory, mi: number, rx: { rssiCorrection: number }, txPower: number): WindowResult {
    const credit = this.credit;
    const starts = this.instStart;
    const inst = this.inst;
    const method = this.methods[mi];

    let score: number;
    let est: number;
    let contact: boolean;
    const close = this.close;
    let closeWeight: Float64Array | undefined;
    if (method === 'ours') {
      const p = this.ours;
      const offset = rx.rssiCorrection + (p.txRefDbm - txPower);
      const upper = p.maxWeight > 0 ? (1 - p.maxWeight) * s.quantile(p.upperQuantile) + p.maxWeight * s.fromTop(p.maxTrim) : s.quantile(p.upperQuantile);
      const med = p.upperWeight < 1 ? s.quantile(0.5) : 0;
      let dwell = p.countDbPerDoubling === 0 ? 0 : p.countDbPerDoubling * Math.log2(s.n / p.countRefReadings);
      // Readings per second of the receiver's own scanning, from the pair's first reading to its last
      // (plus one scan's worth): a partial window is judged on the time the pair was observed.
      if (p.rateDbPerDoubling !== 0) dwell += p.rateDbPerDoubling * Math.log2(s.n / (pairScanMs(s) / 1000) / p.rateRefPerS);
      const level = (1 - p.upperWeight) * med + p.upperWeight * upper + dwell + offset;
      let pairOffset = 0;
      if (p.offsetPriorWindows > 0) {
        const r = this.rxOffsets.take(s.receiver);
        const t = this.txOffsets.take(s.transmitter);
        // Offsets are applied relative to the population's mean, so a crowd whose pairs are mostly far
        // apart is not lifted as a whole: only devices louder or quieter than their peers are corrected.
        pairOffset = r.offset - this.rxOffsets.mean() + (t.offset - this.txOffsets.mean());
        // Learned from once every window closing now is scored (no window sees its own or a peer's data).
        this.pendingOffsets.push({ r, t, residual: level - p.pairRefDbm - (r.offset + t.offset) });
      }
      // No shrinkage by count: duty-cycled phones give few readings even when close (simulated lobby).
      score = level - pairOffset;
      contact = score >= p.thresholdDbm;
      est = 2 * Math.pow(10, (p.thresholdDbm - score) / (10 * p.pathLossExponent));
      if (p.instanceSoftDb > 0) closeWeight = this.closeWeight;
      for (let i = 0; i < s.nInst; i++) {
        const lvl = (1 - p.instanceUpper) * inst[i] + p.instanceUpper * inst[2 * N_INST + i] + offset - pairOffset;
        const x = p.instanceWeight * lvl + (1 - p.instanceWeight) * score + p.instanceShiftDb - p.thresholdDbm;
        // Soft credit: an instance a few dB either side of the threshold counts in part, so daily minutes
        // rank pairs smoothly (as GAEN's weighted minutes do) instead of jumping at the threshold.
        if (closeWeight) closeWeight[i] = 1 / (1 + Math.exp(-x / p.instanceSoftDb));
        else close[i] = x >= 0 ? 1 : 0;
      }
    } else if (method === 'gaen') {
      // typicalAttenuation = rounded mean attenuation of the instance (peer-protocols.md 1.5).
      const g = this.gaen;
      closeWeight = this.closeWeight;
      let weighted = 0;
      let total = 0;
      let attSum = 0;
      for (let i = 0; i < s.nInst; i++) {
        const att = Math.max(Math.round(txPower - (inst[N_INST + i] + rx.rssiCorrection)), 0);
        const wgt = att <= g.thresholdsDb[0] ? g.weights[0] : att <= g.thresholdsDb[1] ? g.weights[1] : 0;
        closeWeight[i] = wgt;
        weighted += credit[i] * wgt;
        total += credit[i];
        attSum += att;
      }
      score = weighted / 60_000;
      // The window counts as a contact when its mean weight is at least 0.5 (e.g. all of it <= 63 dB).
      contact = total > 0 && weighted >= 0.5 * total;
      est = 2 * Math.pow(10, (attSum / s.nInst - g.thresholdsDb[0]) / 20);
    } else {
      const thr = BLUEZONE_THRESHOLDS[`${platformOf(s.rxModel)}_${platformOf(s.txModel)}`];
      score = s.max;
      contact = s.max >= thr;
      est = 2 * Math.pow(10, (thr - s.max) / 20);
      for (let i = 0; i < s.nInst; i++) close[i] = inst[2 * N_INST + i] >= thr ? 1 : 0;
    }

    // Minutes per UTC day: instances come in time order, so the daily total is looked up once per run of
    // instances on one day (once per window unless it spans midnight), not once per instance.
    // With the daily correction every instance counts towards the observed minutes, close or not.
    const all = mi === this.corrected;
    let minutes = 0;
    // the window's day once when it lies in one UTC day (always when its length divides a day)
    const w0 = this.windowStart;
    const day0 = utcDayStart(w0);
    const oneDay = w0 + this.windowMs <= day0 + DAY_MS;
    let runDay = NaN;
    let runMin = 0;
    let runAll = 0;
    for (let i = 0; i < s.nInst; i++) {
      const wgt = closeWeight ? closeWeight[i] : close[i];
      if (wgt === 0 && !all) continue;
      const m = (credit[i] * wgt) / 60_000;
      minutes += m;
      const day = oneDay ? day0 : utcDayStart(starts[i]);
      if (day !== runDay) {
        if (!Number.isNaN(runDay)) this.endRun(s, mem, mi, runDay, runMin, runAll);
        runDay = day;
        runMin = 0;
        runAll = 0;
      }
      runMin += m;
      if (all) runAll += credit[i] / 60_000;
    }
    if (!Number.isNaN(runDay)) this.endRun(s, mem, mi, runDay, runMin, runAll);
    return {
      receiver: s.receiver,
      transmitter: s.transmitter,
      windowStartMs: this.windowStart,
      windowEndMs: this.windowStart + this.windowMs,
      nObs: s.n,
      score: round(score, 4),
      estDistanceM: round(Math.min(Math.max(est, 0.01), 1000), 3),
      contact,
      minutesWithin2m: round(minutes, 3),
    };
  }
}

/** Learned offsets of one role (receive or transmit) per device: a bounded LRU with a running mean. */
class OffsetTable {
  private readonly m = new Map<string, DeviceOffset>();
  private sum = 0;
  private learned = 0;

  /** Gets (or creates) a device's entry and marks it most recently used; drops the oldest beyond the cap. */
  take(device: string): DeviceOffset {
    let v = this.m.get(device);
    if (v) this.m.delete(device);
    else v = { n: 0, offset: 0 };
    this.m.set(device, v);
    if (this.m.size > MAX_DEVICE_PROFILES) {
      const [k, old] = this.m.entries().next().value!;
      this.m.delete(k);
      if (old.n > 0) {
        this.sum -= old.offset;
        this.learned--;
      }
    }
    return v;
  }

  add(v: DeviceOffset, delta: number): void {
    if (v.n === 0) this.learned++;
    v.n++;
    v.offset += delta;
    this.sum += delta;
  }

  /**
   * Mean offset over devices with at least one window, shrunk towards 0 as if POPULATION_PRIOR more
   * devices sat at 0: with a handful of devices the reference level anchors, with a crowd its mean does.
   */
  mean(): number {
    return this.sum / (this.learned + POPULATION_PRIOR);
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Runs a whole sorted array through one classifier (tests, eval, simulator). */
export function classifyAll(obs: Iterable<Observation>, opts: ClassifierOptions = {}): { windows: WindowResult[]; daily: DailyContact[] } {
  const c = new StreamingClassifier(opts);
  const windows: WindowResult[] = [];
  for (const o of obs) {
    const r = c.push(o);
    for (let i = 0; i < r.length; i++) windows.push(r[i]);
  }
  for (const r of c.flush()) windows.push(r);
  return { windows, daily: c.daily() };
}
