// Pluggable received-signal model for the virtual air. The simulator's channel model can
// implement AirModel directly; keep this interface small.

/** What the air tells a model about a controller. */
export interface ControllerInfo {
  /** Address as seen on air ("aa:bb:cc:dd:ee:ff"): the public BD_ADDR or the random address in use. */
  address: string;
  /** The public BD_ADDR, stable for the controller's life. */
  publicAddress: string;
  /** Attach order in this air, from 0. */
  index: number;
}

/**
 * RSSI of one PDU sent by `tx` as received by `rx` at `nowMs`, in dBm (rounded to an int8 by the
 * air), or null when `rx` does not receive it. Called once per (PDU, listening receiver), in a
 * deterministic order, so a seeded model gives reproducible runs.
 */
export interface AirModel {
  rssi(tx: ControllerInfo, rx: ControllerInfo, nowMs: number): number | null;
  /** Optional one-line description for logs, e.g. "fixed:-60". */
  describe?(): string;
}

export class FixedRssiModel implements AirModel {
  constructor(readonly dbm: number) {}
  rssi(): number {
    return this.dbm;
  }
  describe(): string {
    return `fixed:${this.dbm}`;
  }
}

/** Mulberry32: small seeded PRNG, uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Position {
  x: number;
  y: number;
  z?: number;
}

export interface DistanceModelOptions {
  /** Mean RSSI at 1 m (dBm); -59 is a typical iBeacon "measured power" (ble-stack.md 6). */
  rssiAt1m?: number;
  /** Path-loss exponent n: 2 free space, 2.5-4 indoors (ble-stack.md 6). */
  exponent?: number;
  /** Standard deviation of the Gaussian shadowing/fading noise, dB. */
  sigmaDb?: number;
  /** Below this the PDU is not received (typical BLE receiver sensitivity, dBm). */
  sensitivityDbm?: number;
  seed?: number;
  /** Controllers without a set position stand on the x axis, this far apart in attach order. */
  spacingM?: number;
}

/**
 * Log-distance path loss: RSSI = P(1 m) - 10 n log10(d) + N(0, sigma), d >= 0.1 m; null below the
 * sensitivity. Positions are set per address (public or random) and default to a line.
 */
export class DistanceModel implements AirModel {
  readonly rssiAt1m: number;
  readonly exponent: number;
  readonly sigmaDb: number;
  readonly sensitivityDbm: number;
  readonly seed: number;
  readonly spacingM: number;
  private readonly rand: () => number;
  private readonly positions = new Map<string, Position>();

  constructor(o: DistanceModelOptions = {}) {
    this.rssiAt1m = o.rssiAt1m ?? -59;
    this.exponent = o.exponent ?? 2;
    this.sigmaDb = o.sigmaDb ?? 2;
    this.sensitivityDbm = o.sensitivityDbm ?? -100;
    this.seed = o.seed ?? 1;
    this.spacingM = o.spacingM ?? 1;
    this.rand = mulberry32(this.seed);
  }

  setPosition(address: string, p: Position): void {
    this.positions.set(address.toLowerCase(), p);
  }

  positionOf(c: ControllerInfo): Position {
    return this.positions.get(c.address) ?? this.positions.get(c.publicAddress) ?? { x: c.index * this.spacingM, y: 0 };
  }

  meanRssi(distanceM: number): number {
    return this.rssiAt1m - 10 * this.exponent * Math.log10(Math.max(0.1, distanceM));
  }

  rssi(tx: ControllerInfo, rx: ControllerInfo): number | null {
    const a = this.positionOf(tx);
    const b = this.positionOf(rx);
    const d = Math.hypot(a.x - b.x, a.y - b.y, (a.z ?? 0) - (b.z ?? 0));
    const v = this.meanRssi(d) + this.sigmaDb * this.gaussian();
    return v < this.sensitivityDbm ? null : v;
  }

  private gaussian(): number {
    // Box-Muller; 1 - u keeps log away from 0.
    const u = 1 - this.rand();
    const v = this.rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  describe(): string {
    return `distance:p1m=${this.rssiAt1m},n=${this.exponent},sigma=${this.sigmaDb},seed=${this.seed}`;
  }
}

/**
 * Parses "fixed:-60", "distance" or "distance:p1m=-59,n=2,sigma=2,seed=1,sens=-100,spacing=1".
 * Throws RangeError naming the bad part.
 */
export function parseAirModel(spec: string): AirModel {
  const [kind, rest = ''] = spec.split(/:(.*)/s);
  if (kind === 'fixed') {
    const v = Number(rest);
    if (rest.trim() === '' || !Number.isFinite(v) || v < -127 || v > 20) {
      throw new RangeError(`rssi model "${spec}": fixed needs a dBm value in -127..20, e.g. fixed:-60`);
    }
    return new FixedRssiModel(v);
  }
  if (kind === 'distance') {
    const keys: Record<string, keyof DistanceModelOptions> = {
      p1m: 'rssiAt1m', n: 'exponent', sigma: 'sigmaDb', seed: 'seed', sens: 'sensitivityDbm', spacing: 'spacingM',
    };
    const o: DistanceModelOptions = {};
    for (const part of rest.split(',').filter((s) => s.trim() !== '')) {
      const [k, v] = part.split('=');
      const key = keys[k?.trim()];
      const num = Number(v);
      if (!key || v === undefined || !Number.isFinite(num)) {
        throw new RangeError(`rssi model "${spec}": bad parameter "${part}" (known: ${Object.keys(keys).join(', ')}; e.g. distance:n=2.5,sigma=3)`);
      }
      o[key] = num;
    }
    if (o.sigmaDb !== undefined && o.sigmaDb < 0) throw new RangeError(`rssi model "${spec}": sigma must be >= 0`);
    return new DistanceModel(o);
  }
  throw new RangeError(`rssi model "${spec}": unknown model "${kind}" (use fixed:<dBm> or distance[:k=v,...])`);
}
