// Pluggable received-signal model for the virtual air. The physical one is the simulator's channel model
// (sim/channel/airModel.ts ChannelAirModel, one model for the air and the simulator); the constant
// FixedRssiModel here is for protocol tests. Keep this interface small.

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

/**
 * Parses "fixed:-60". Models with physics (the simulator's channel: "channel[:env=...]") live in
 * sim/channel/airModel.ts and are chosen by the CLI, which composes both layers. Throws RangeError naming
 * the bad part.
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
  throw new RangeError(`rssi model "${spec}": unknown model "${kind}" (use fixed:<dBm> or channel[:env=lobby,seed=1,tx=0,spacing=1])`);
}
