/**
 * Channel model parameters (sim-interface.md). Received power, per packet:
 *
 *   rssi = txPowerDbm - PL(d) - staticLossDb + pairOffset(pair) + shadow(pair, epoch) + fade(pair, event, channel)
 *
 * PL(d) = pl1mDb + 10 nNear log10(min(d, B)) + 10 n log10(max(d / B, 1)), d >= minDistM, B = nearBreakM:
 * log-distance with two slopes (radio-model.md 2.1). The near slope is fitted on the real data (all of
 * it within 5 m); beyond the break the textbook exponent applies (n 2.0 LOS ... 3 office), which keeps the
 * range finite where the data cannot tell;
 * pairOffset ~ N(0, pairSigmaDb) is static per ordered pair (carriage, antenna, device spread: the
 * dominant real error, peer-protocols.md 6); shadow ~ N(0, shadowSigmaDb) redrawn per
 * shadowEpochMs; fade is Rician(K) power below kBreakM, Rayleigh beyond, drawn per packet and channel,
 * convolved with the per-reading RSSI noise N(0, readingSigmaDb) (BabbleSim modem_BLE_simple 1.5 dB).
 * Power levels are on GAEN's "iPhone scale" (gaen-calibration/README.md), so pl1mDb is a calibrated
 * attenuation at 1 m rather than the 40 dB free-space figure.
 */
export interface ChannelParams {
  seed: number;
  /** path loss at 1 m (dB) */
  pl1mDb: number;
  /** log-distance exponent n beyond nearBreakM, per environment (sets the range) */
  exponent: number;
  /** exponent up to nearBreakM (fitted on 0-5 m data) */
  exponentNear: number;
  /** where the slope changes from exponentNear to exponent (m) */
  nearBreakM: number;
  /** per (pair, epoch) log-normal shadowing (dB) */
  shadowSigmaDb: number;
  /** temporal correlation of shadowing (ms) */
  shadowEpochMs: number;
  /** static per-pair offset (dB): carriage/antenna -- dominant real error */
  pairSigmaDb: number;
  /** fast fading Rician K near; Rayleigh beyond kBreakM */
  ricianK: number;
  kBreakM: number;
  /** receiver sensitivity (dBm), radio-model.md 2.1: -95 default, range -90..-100 */
  sensitivityDbm: number;
  /** co-channel capture ratio (dB): chips 13-14 dB, spec 21 dB (radio-model.md 2.1) */
  captureDb: number;
  /** per-reading RSSI noise (dB), folded into the fading table */
  readingSigmaDb: number;
  /** distances below this are clamped (near field; herald distances are casing to casing) */
  minDistM: number;
}

import type { Carriage } from '../../records/datasets.ts';

export type { Carriage };
export const CARRIAGES: readonly Carriage[] = ['hand', 'pocket', 'bag', 'fixed'];

/**
 * Body blocking for one carriage: loss = baseDb + blockDb * (1 - cos(angle - placementRad)) / 2, where angle
 * is between the carrier's facing direction and the bearing to the peer. placementRad says where on the
 * body the phone sits (0 = front: hand, front pocket; pi = back: backpack), so the full blockDb applies when
 * the carrier's body is between the phone and the peer.
 */
export interface BodySpec {
  baseDb: number;
  blockDb: number;
  placementRad: number;
}
export type BodyParams = Record<Carriage, BodySpec>;

// FITTED by `npm run fit` (sim/fit/grid.ts, 2026-11-23) on the training split of pc-ng (people facing
// each other, alternate distances) and mitll (rotations 0/90/180/270); KS on the held-out part in README
// "Channel fit". The backpack comes out as an almost constant 15-16 dB whatever the rotation; a phone in
// hand or pocket loses 3-4 dB facing the peer and 9-13 dB more with the carrier's body in between.
export const DEFAULT_BODY: BodyParams = {
  hand: { baseDb: 3, blockDb: 9, placementRad: 0 },
  pocket: { baseDb: 4, blockDb: 13, placementRad: 0 },
  bag: { baseDb: 15, blockDb: 1, placementRad: Math.PI },
  fixed: { baseDb: 0, blockDb: 0, placementRad: 0 },
};

/** Loss (dB, >= 0) from the carrier's body and carriage, for a phone carried as `carriage`. */
export function bodyLossDb(carriage: Carriage, angleToPeerRad: number, body: BodyParams = DEFAULT_BODY): number {
  const s = body[carriage];
  if (!s) throw new RangeError(`bodyLossDb: unknown carriage '${String(carriage)}' (expected ${CARRIAGES.join('|')})`);
  return bodyLossAt(s, angleToPeerRad);
}

/** Same, with an explicit spec (e.g. a back pocket = pocket spec with placementRad = pi). */
export function bodyLossAt(s: BodySpec, angleToPeerRad: number): number {
  return s.baseDb + (s.blockDb * (1 - Math.cos(angleToPeerRad - s.placementRad))) / 2;
}

/**
 * FITTED by `npm run fit` (sim/fit/grid.ts, coordinate descent, 2026-11-23) on the training split of
 * herald-edison (-A files), pc-ng (alternate distances) and mitll (rotations 0/90/180/270), minimising
 * the mean KS distance of readings and of 30 s medians per distance bin; held-out KS in README
 * "Channel fit". Not fitted (no data): exponent beyond nearBreakM (textbook n = 2.0, radio-model.md
 * 2.1; the data stop at 5 m), captureDb (chips 13-14 dB), readingSigmaDb (BabbleSim 1.5 dB), minDistM.
 * sensitivityDbm = -105 is on the phones' reported-RSSI scale (herald Androids log down to -106 dBm),
 * below the -95 dBm chip figure of radio-model.md 2.1. ricianK = 0: Rayleigh fits better than any
 * Rician K at every distance of these indoor data, so kBreakM has no effect with the defaults.
 */
export const DEFAULT_CHANNEL: ChannelParams = {
  seed: 1,
  pl1mDb: 45,
  exponent: 2.0,
  exponentNear: 1.2,
  nearBreakM: 5,
  shadowSigmaDb: 7,
  shadowEpochMs: 20_000,
  pairSigmaDb: 3,
  ricianK: 0,
  kBreakM: 1.5,
  sensitivityDbm: -105,
  captureDb: 13,
  readingSigmaDb: 1.5,
  minDistM: 0.1,
};

/**
 * Environment presets, applied over DEFAULT_CHANNEL (fitted in furnished rooms, i.e. indoor LOS, 0-5 m).
 * They set the far exponent, per radio-model.md 2.1: n 2.0 LOS/outdoor, 2.2-2.5 indoor, about 3 office/NLOS;
 * shadowing sigma 4-8 dB indoor, higher in offices (P.1238, unverified there).
 */
export const ENVIRONMENTS: Record<'lobby' | 'office' | 'outdoor' | 'open' | string, Partial<ChannelParams>> = {
  open: {},
  lobby: { exponent: 2.2, shadowSigmaDb: DEFAULT_CHANNEL.shadowSigmaDb + 1 },
  office: { exponent: 3.0, shadowSigmaDb: DEFAULT_CHANNEL.shadowSigmaDb + 2 },
  outdoor: { exponent: 2.0, shadowSigmaDb: Math.max(2, DEFAULT_CHANNEL.shadowSigmaDb - 2), ricianK: 4, kBreakM: 5 },
};

/** DEFAULT_CHANNEL with an environment preset and explicit overrides applied; validates the result. */
export function channelParamsFor(env: string = 'open', overrides: Partial<ChannelParams> = {}): ChannelParams {
  const preset = ENVIRONMENTS[env];
  if (!preset) throw new RangeError(`unknown environment '${env}' (expected ${Object.keys(ENVIRONMENTS).join('|')})`);
  const p = { ...DEFAULT_CHANNEL, ...preset, ...overrides };
  validateChannelParams(p);
  return p;
}

export function validateChannelParams(p: ChannelParams): void {
  const bad = (f: string, why: string) => {
    throw new RangeError(`channel params: ${f} ${why} (got ${String((p as unknown as Record<string, unknown>)[f])})`);
  };
  const finite: (keyof ChannelParams)[] = [
    'pl1mDb', 'exponent', 'exponentNear', 'nearBreakM', 'shadowSigmaDb', 'shadowEpochMs', 'pairSigmaDb', 'ricianK', 'kBreakM',
    'sensitivityDbm', 'captureDb', 'readingSigmaDb', 'minDistM',
  ];
  for (const f of finite) if (typeof p[f] !== 'number' || !Number.isFinite(p[f])) bad(f, 'must be a finite number');
  if (!Number.isInteger(p.seed) || p.seed < 0 || p.seed > 0xffffffff) bad('seed', 'must be an integer in 0..2^32-1');
  if (p.exponent <= 0 || p.exponent > 8) bad('exponent', 'must be in (0, 8]');
  if (p.exponentNear <= 0 || p.exponentNear > 8) bad('exponentNear', 'must be in (0, 8]');
  if (!(p.nearBreakM >= p.minDistM)) bad('nearBreakM', 'must be >= minDistM');
  for (const f of ['shadowSigmaDb', 'pairSigmaDb', 'ricianK', 'readingSigmaDb'] as const) if (p[f] < 0) bad(f, 'must be >= 0');
  if (p.shadowSigmaDb > 30 || p.pairSigmaDb > 30 || p.readingSigmaDb > 30) bad('shadowSigmaDb/pairSigmaDb/readingSigmaDb', 'must be <= 30 dB');
  if (p.ricianK > 100) bad('ricianK', 'must be <= 100');
  if (p.shadowEpochMs <= 0) bad('shadowEpochMs', 'must be > 0');
  if (p.minDistM <= 0) bad('minDistM', 'must be > 0');
  if (p.kBreakM < 0) bad('kBreakM', 'must be >= 0');
}
