// Reads iPhones' BluezoneIDs over GATT, as Android Bluezone does (bluezone-protocol.md 3, 4.1, 10):
// iOS cannot put manufacturer data in an app's advert, so for an advert that matches the iOS UUID or
// Apple's background overflow pattern (and has no 0x4E56 ID) the reader connects, discovers service
// 00004E56-73F5-4BC4-A12F-17D1AD07A667, reads characteristic ...A689, accepts exactly 12 bytes and
// disconnects. One read at a time, each bounded by a timeout; IDs are cached per address until the
// UTC 15-minute slot changes (the phone's ID changes with it, 1.2). Reads run beside the scan and
// never hold it up: offer() only queues.
import { BLUEZONE_GATT_CHARACTERISTIC_UUID, BLUEZONE_GATT_SERVICE_UUID } from '../protocol/frames.ts';
import { ID_BYTES, SLOT_MS } from '../protocol/keys.ts';
import type { AdvertReport, GattReader } from '../radio/types.ts';

/** Android Bluezone gives a GATT read 10 s (issue 19; bluezone-protocol.md 4.1). */
export const IOS_READ_TIMEOUT_MS = 10_000;
/** After a failed read, leave that address alone this long (real ms), so a mute phone costs one timeout per minute at most. */
export const IOS_RETRY_AFTER_MS = 60_000;
/**
 * After a quick failure (connection refused or lost, ATT error, wrong length) the cost was small, so the
 * address may be tried again sooner (real ms).
 */
export const IOS_RETRY_AFTER_FAILURE_MS = 5_000;
/** Addresses waiting for a read; more are dropped (a crowd of iPhones must not grow memory). */
export const IOS_QUEUE_MAX = 64;

export interface IosReadStats {
  reads: number;
  ok: number;
  timeouts: number;
  failures: number;
  badLength: number;
  fromCache: number;
  dropped: number;
  /** Reads that began in one slot and ended in the next: which ID came back is unknown, so read again. */
  straddled: number;
}

export interface IosReaderOptions {
  /** Clock of the logbook (timestamps, slots); the test clock in tests. */
  now: () => number;
  /** Stores one iOS sighting: the phone's ID with the RSSI of the advert that triggered it. */
  store: (id: Uint8Array, rssi: number, timestampMs: number) => void;
  /** Real time, for the retry pause after a failure (the read timeout is real time too). */
  realNow?: () => number;
  timeoutMs?: number;
  /** Pause after a timeout (default IOS_RETRY_AFTER_MS). */
  retryAfterMs?: number;
  /** Pause after any other failure (default IOS_RETRY_AFTER_FAILURE_MS). */
  retryAfterFailureMs?: number;
  log?: (level: 'info' | 'warn' | 'debug', message: string) => void;
}

interface Waiting {
  address: string;
  addressType: 'public' | 'random';
  rssi: number;
}

const slotIndex = (ms: number) => Math.floor(ms / SLOT_MS);

export class IosReader {
  readonly stats: IosReadStats = { reads: 0, ok: 0, timeouts: 0, failures: 0, badLength: 0, fromCache: 0, dropped: 0, straddled: 0 };
  private reader: GattReader | undefined;
  private readonly cache = new Map<string, { slot: number; id: Uint8Array }>();
  /** Address -> real time until which it is left alone. */
  private readonly pausedUntil = new Map<string, number>();
  private readonly queue: Waiting[] = [];
  private busy: string | undefined;
  private readonly timeoutMs: number;
  private readonly retryAfterMs: number;
  private readonly retryAfterFailureMs: number;

  private readonly realNow: () => number;

  constructor(private readonly o: IosReaderOptions) {
    this.realNow = o.realNow ?? Date.now;
    this.timeoutMs = o.timeoutMs ?? IOS_READ_TIMEOUT_MS;
    this.retryAfterMs = o.retryAfterMs ?? IOS_RETRY_AFTER_MS;
    this.retryAfterFailureMs = o.retryAfterFailureMs ?? IOS_RETRY_AFTER_FAILURE_MS;
  }

  /** The GATT client to use (the current scanner); undefined while it is being re-created. */
  setReader(r: GattReader | undefined): void {
    this.reader = r;
    if (!r) this.queue.length = 0;
    else this.pump();
  }

  /** An iOS Bluezone advert was heard: store from the cache, or queue a read. Never waits. */
  offer(r: AdvertReport): void {
    const slot = slotIndex(r.timestampMs);
    const hit = this.cache.get(r.address);
    if (hit && hit.slot === slot) {
      this.stats.fromCache++;
      this.o.store(hit.id, r.rssi, r.timestampMs);
      return;
    }
    if (hit) this.cache.delete(r.address); // a new slot: the phone has a new ID (1.2)
    const until = this.pausedUntil.get(r.address);
    if (until !== undefined && this.realNow() < until) return;
    if (this.busy === r.address) return;
    const waiting = this.queue.find((w) => w.address === r.address);
    if (waiting) {
      waiting.rssi = r.rssi; // the freshest advert's RSSI goes with the read
      return;
    }
    if (this.queue.length >= IOS_QUEUE_MAX) {
      this.stats.dropped++;
      return;
    }
    this.queue.push({ address: r.address, addressType: r.addressType ?? 'public', rssi: r.rssi });
    this.pump();
  }

  /** Entries kept; old slots are dropped on the way (memory stays bounded by the addresses of one slot). */
  get cached(): number {
    return this.cache.size;
  }

  private pump(): void {
    if (this.busy !== undefined || !this.reader) return;
    const next = this.queue.shift();
    if (!next) return;
    const reader = this.reader;
    this.busy = next.address;
    this.stats.reads++;
    const startedMs = this.o.now();
    reader
      .readCharacteristic(next.address, next.addressType, BLUEZONE_GATT_SERVICE_UUID, BLUEZONE_GATT_CHARACTERISTIC_UUID, this.timeoutMs)
      .then(
        (value) => {
          const now = this.o.now();
          if (value.length !== ID_BYTES) {
            // Only exactly 12 bytes is an ID (4.1); anything else is treated like a failed read.
            this.stats.badLength++;
            this.pause(next.address, this.retryAfterFailureMs);
            this.o.log?.('warn', `iPhone ${next.address}: characteristic has ${value.length} byte(s), not ${ID_BYTES}; ignored`);
            return;
          }
          if (slotIndex(startedMs) !== slotIndex(now)) {
            // The phone may have answered with the old slot's ID or the new one (1.2): ask again.
            this.stats.straddled++;
            this.queue.unshift(next);
            return;
          }
          this.stats.ok++;
          this.pausedUntil.delete(next.address);
          this.cache.set(next.address, { slot: slotIndex(now), id: value.slice() });
          this.prune(now);
          this.o.store(value, next.rssi, now);
        },
        (e: Error & { code?: string }) => {
          // A phone that let a read time out is paused long (one timeout per minute at most, per phone).
          if (e.code === 'TIMEOUT') this.stats.timeouts++;
          else this.stats.failures++;
          this.pause(next.address, e.code === 'TIMEOUT' ? this.retryAfterMs : this.retryAfterFailureMs);
          this.o.log?.('debug', `iPhone ${next.address}: GATT read failed: ${e.message}`);
        },
      )
      .finally(() => {
        this.busy = undefined;
        this.pump();
      });
  }

  private prune(now: number): void {
    const slot = slotIndex(now);
    for (const [a, c] of this.cache) if (c.slot !== slot) this.cache.delete(a);
    const real = this.realNow();
    for (const [a, t] of this.pausedUntil) if (real >= t) this.pausedUntil.delete(a);
  }

  private pause(address: string, ms: number): void {
    this.pausedUntil.set(address, this.realNow() + ms);
  }
}
