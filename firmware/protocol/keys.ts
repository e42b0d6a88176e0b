// Bluezone rolling-ID key schedule, exactly as Bluezone 2.0.4-3.0.7 (bluezone-protocol.md 1.2, 6.4).
// Pure: time is always passed in (ms since the Unix epoch, UTC); only hashing and the CSPRNG are used.
import { createHash, randomBytes } from 'node:crypto';

/** MaxNumberSubKeyPerDay (bluezone-protocol.md 1.2): fixed at 96. */
export const SLOTS_PER_DAY = 96;
export const DAY_MS = 86_400_000;
/** 86 400 000 / 96 = 15 min. */
export const SLOT_MS = DAY_MS / SLOTS_PER_DAY;
/** Base key and daily key length: 32 bytes (bluezone-protocol.md 1.2). */
export const KEY_BYTES = 32;
/** BluezoneID length (bluezone-protocol.md 1.1). */
export const ID_BYTES = 12;
/** Sub-key salt, ASCII "bluzonesubkey" (sic, no "e"; bluezone-protocol.md 1.2). */
export const SUBKEY_SALT: Uint8Array = new TextEncoder().encode('bluzonesubkey');
/** Offsets in SK_i that make the 12-byte ID (convertBluezoneSubKeyToBluezoneId, bluezone-protocol.md 1.2). */
export const ID_BYTE_OFFSETS: readonly number[] = [0, 4, 8, 12, 16, 18, 20, 22, 24, 26, 28, 30];

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest().buffer.slice(0));
}

function checkKey(key: Uint8Array, what: string): void {
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) {
    throw new RangeError(`${what} must be ${KEY_BYTES} bytes, got ${key?.length ?? typeof key}`);
  }
}

/** A new base key from the CSPRNG (Android: KeyGenerator HmacSHA256; iOS: SecRandomCopyBytes(32)). */
export function generateBaseKey(): Uint8Array {
  return new Uint8Array(randomBytes(KEY_BYTES));
}

/** 00:00:00.000 UTC of the day containing `ms`. */
export function utcMidnight(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** DK_n = SHA256^n(base key); DK_0 = base key (bluezone-protocol.md 1.2). */
export function dailyKey(baseKey: Uint8Array, dayIndex: number): Uint8Array {
  checkKey(baseKey, 'base key');
  if (!Number.isSafeInteger(dayIndex) || dayIndex < 0) {
    throw new RangeError(`day index must be an integer >= 0, got ${dayIndex}`);
  }
  let k: Uint8Array = baseKey.slice();
  for (let i = 0; i < dayIndex; i++) k = sha256(k);
  return k;
}

/** Day index n of `atMs` relative to the base date (the UTC midnight when the base key was made). */
export function dayIndexAt(baseDateMs: number, atMs: number): number {
  const n = (utcMidnight(atMs) - utcMidnight(baseDateMs)) / DAY_MS;
  if (n < 0) {
    throw new RangeError(
      `time ${new Date(atMs).toISOString()} is before the base date ${new Date(utcMidnight(baseDateMs)).toISOString()}`,
    );
  }
  return n;
}

/** The daily key in force at `atMs`. */
export function dailyKeyAt(baseKey: Uint8Array, baseDateMs: number, atMs: number): Uint8Array {
  return dailyKey(baseKey, dayIndexAt(baseDateMs, atMs));
}

/** SK_0 = SHA256(DK || "bluzonesubkey"). */
export function subKey0(dailyKey: Uint8Array): Uint8Array {
  checkKey(dailyKey, 'daily key');
  return sha256(dailyKey, SUBKEY_SALT);
}

/** The 12 ID bytes of a 32-byte sub-key. */
export function pickId(subKey: Uint8Array): Uint8Array {
  const id = new Uint8Array(ID_BYTES);
  for (let i = 0; i < ID_BYTES; i++) id[i] = subKey[ID_BYTE_OFFSETS[i]];
  return id;
}

function checkSlot(slot: number, slotsPerDay: number): void {
  if (!Number.isInteger(slot) || slot < 0 || slot >= slotsPerDay) {
    throw new RangeError(`slot must be an integer 0..${slotsPerDay - 1}, got ${slot}`);
  }
}

/** ID of slot i (0-based) of the day of `dailyKey`: pick12(SK_i), SK_i = SHA256(SK_{i-1}). */
export function bluezoneIdForSlot(dailyKey: Uint8Array, slot: number): Uint8Array {
  checkSlot(slot, SLOTS_PER_DAY);
  let sk = subKey0(dailyKey);
  for (let i = 0; i < slot; i++) sk = sha256(sk);
  return pickId(sk);
}

/** All IDs of one day, slot 0 first (the phone caches these as pre_bluezone_daily_id). */
export function dailyIds(dailyKey: Uint8Array, slotsPerDay = SLOTS_PER_DAY): Uint8Array[] {
  const ids: Uint8Array[] = [];
  let sk = subKey0(dailyKey);
  for (let i = 0; i < slotsPerDay; i++) {
    if (i > 0) sk = sha256(sk);
    ids.push(pickId(sk));
  }
  return ids;
}

export interface SlotInfo {
  dayStartMs: number;
  /** 0..95 */
  slot: number;
  startMs: number;
  /** Exclusive. */
  endMs: number;
}

/** The UTC-aligned 15-min slot containing `ms` (bluezone-protocol.md 1.2 "Current slot"). */
export function slotAt(ms: number): SlotInfo {
  const dayStartMs = utcMidnight(ms);
  const slot = Math.floor((ms - dayStartMs) / SLOT_MS);
  const startMs = dayStartMs + slot * SLOT_MS;
  return { dayStartMs, slot, startMs, endMs: startMs + SLOT_MS };
}

export interface IdAt {
  id: Uint8Array;
  slot: number;
  /** Slot start, ms. */
  startMs: number;
  /** Slot end, ms, exclusive. */
  endMs: number;
  dayIndex: number;
}

/** The ID a device with this base key advertises at `atMs`. */
export function bluezoneIdAt(baseKey: Uint8Array, baseDateMs: number, atMs: number): IdAt {
  const dayIndex = dayIndexAt(baseDateMs, atMs);
  const s = slotAt(atMs);
  const id = bluezoneIdForSlot(dailyKey(baseKey, dayIndex), s.slot);
  return { id, slot: s.slot, startMs: s.startMs, endMs: s.endMs, dayIndex };
}
