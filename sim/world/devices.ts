// What each kind of simulated device does on air, and the per-device identity (base key, address, model).
import { createHmac } from 'node:crypto';
import { buildAdvertisingData } from '../../firmware/protocol/ad.ts';
import { APPLE_COMPANY_ID, IOS_OVERFLOW_PREFIX, buildAndroidFrame } from '../../firmware/protocol/frames.ts';
import { bluezoneIdAt, DAY_MS, SLOT_MS, utcMidnight } from '../../firmware/protocol/keys.ts';
import { hash32 } from '../kernel/rng.ts';

export const KIND_ANDROID = 0;
export const KIND_IOS = 1;
export const KIND_BEACON = 2;
export const KIND_NAMES = ['android', 'ios', 'beacon'] as const;

/** World.app values: the contact-tracing app a device runs (beacons are Bluezone; sim/engine/appLog.ts). */
export const APP_BLUEZONE = 0;
export const APP_GAEN = 1;

export const CARRIAGE_NAMES = ['hand', 'pocket', 'bag', 'fixed'] as const;

/** Legacy ADV_IND on LE 1M: preamble 1 + access address 4 + header 2 + AdvA 6 + CRC 3 = 16 bytes = 128 us,
 * plus 8 us per AdvData byte (Core Spec Vol 6 Part B 2.1; radio-model.md 2.1: 376 us for 31 bytes). */
export function airtimeUs(advDataLen: number): number {
  return 128 + 8 * advDataLen;
}

/** Gap between the packets of one advertising event on 37, 38, 39 (controller-dependent; radio-model.md
 * 2.1 gives 1.2-2 ms per event for 3 x 376 us, so about 300 us of channel switching per hop). */
export const HOP_GAP_US = 300;
/** advDelay, pseudo-random 0-10 ms added to every advertising event (Core Spec Vol 6 Part B 4.4.2.2). */
export const ADV_DELAY_MAX_US = 10_000;

/** iOS background advert: flags + Apple "overflow area" with the Bluezone UUID bit (bluezone-protocol.md 2.3). */
export function iosOverflowFrame(): Uint8Array {
  return buildAdvertisingData([
    { type: 'flags', flags: 0x1a },
    { type: 'manufacturer', companyId: APPLE_COMPANY_ID, data: IOS_OVERFLOW_PREFIX },
  ]);
}

/**
 * Each simulated phone's base key: HMAC-SHA256(key "bluezone-sim-base-key", "<seed>/<device name>"). Only
 * for simulation: a real device's key comes from the CSPRNG (firmware/protocol/keys.ts generateBaseKey).
 */
export function simBaseKey(seed: number, name: string): Uint8Array {
  return new Uint8Array(createHmac('sha256', 'bluezone-sim-base-key').update(`${seed}/${name}`).digest());
}

/** The app was installed 0-59 days before the run starts (hash of seed and name), so day keys vary. */
export function simBaseDate(seed: number, deviceIndex: number, startMs: number): number {
  return utcMidnight(startMs) - (hash32(seed, 0x62617365, deviceIndex, 0, 0) % 60) * DAY_MS;
}

/** A random static device address (Core Spec Vol 6 Part B 1.3.2.1: two top bits 11), fixed per device. */
export function simAddress(seed: number, deviceIndex: number): Uint8Array {
  const a = hash32(seed, 0x61647231, deviceIndex, 0, 0);
  const b = hash32(seed, 0x61647232, deviceIndex, 0, 0);
  // AdvA is sent least significant byte first; byte 5 is the most significant.
  return Uint8Array.of(a & 0xff, (a >>> 8) & 0xff, (a >>> 16) & 0xff, a >>> 24, b & 0xff, ((b >>> 8) & 0x3f) | 0xc0);
}

/** Advertising data a device sends at `atMs`: the Android-style Bluezone frame with its current ID
 * (phones and Pi beacons), or the iOS overflow advert (iOS carries its ID over GATT, bluezone-protocol.md 3). */
export class PayloadCache {
  private slot = -1;
  private data: Uint8Array = new Uint8Array(0);
  constructor(
    private readonly kind: number,
    private readonly baseKey: Uint8Array,
    private readonly baseDateMs: number,
  ) {}
  at(atMs: number): Uint8Array {
    if (this.kind === KIND_IOS) {
      if (this.slot < 0) {
        this.data = iosOverflowFrame();
        this.slot = 0;
      }
      return this.data;
    }
    const slot = Math.floor(atMs / SLOT_MS);
    if (slot !== this.slot) {
      this.slot = slot;
      this.data = buildAndroidFrame(bluezoneIdAt(this.baseKey, this.baseDateMs, atMs).id);
    }
    return this.data;
  }
}

/** AdvData lengths, for airtime: Android frame 23 bytes (bluezone-protocol.md 2.1), iOS overflow 24. */
export const ADV_LEN = [23, iosOverflowFrame().length, 23];

export interface DeviceModel {
  name: string;
  txPowerDbm: number;
  rssiCorrectionDb: number;
}

