// Our own thin radio interfaces (ble-stack.md 2.7): the beacon daemon and the logbook talk
// to these, never to bleno/noble directly, so unit tests run on the in-memory fake (mockRadio.ts)
// and production swaps in blenoAdapter.ts / nobleAdapter.ts or the supervised child process.

/** Adapter state, as bleno/noble name it. */
export type RadioState = 'unknown' | 'poweredOn' | 'poweredOff' | 'unauthorized' | 'unsupported' | 'resetting';

/** Which host controller interface to open: `native:0` (Linux raw HCI socket hci0) or a UART (H4) port. */
export type HciSpec = { driver: 'native'; deviceId: number } | { driver: 'uart'; port: string; baudRate: number };

/** Error codes our callers branch on; `hciStatus` carries the controller's status byte when known. */
export type RadioErrorCode =
  | 'COMMAND_DISALLOWED' // HCI status 0x0C (Core Spec Vol 1 Part F 2.12), typically bluetoothd owns the adapter
  | 'NOT_POWERED_ON'
  | 'DATA_TOO_LONG' // legacy AD payload > 31 bytes (Core Spec Vol 4 Part E 7.8.7)
  | 'BAD_INTERVAL'
  | 'ADAPTER_GONE'
  | 'HCI_ERROR'
  | 'CLOSED'
  | 'TIMEOUT' // a GATT read that did not finish in time
  | 'GATT'; // connection refused, service/characteristic missing, or an ATT error

export class RadioError extends Error {
  constructor(
    message: string,
    readonly code: RadioErrorCode,
    readonly hciStatus?: number,
  ) {
    super(message);
    this.name = 'RadioError';
  }
}

/** HCI status texts as bleno reports them (its hci-status.json) mapped back to our codes. */
export function radioErrorFromHciText(text: string): RadioError {
  if (/command disallowed/i.test(text)) return new RadioError(text, 'COMMAND_DISALLOWED', 0x0c);
  if (/31 bytes/.test(text)) return new RadioError(text, 'DATA_TOO_LONG');
  return new RadioError(text, 'HCI_ERROR');
}

// Legacy advertising interval limits: 0x0020..0x4000 units of 0.625 ms (Core Spec Vol 4 Part E 7.8.5).
export const ADV_INTERVAL_MIN_MS = 20;
export const ADV_INTERVAL_MAX_MS = 10240;
export const ADV_INTERVAL_UNIT_MS = 0.625;
export const MAX_LEGACY_AD_BYTES = 31;

/** Rounds an interval to the controller's 0.625 ms grid; throws BAD_INTERVAL outside 20..10240 ms. */
export function quantiseIntervalMs(ms: number): number {
  if (!Number.isFinite(ms) || ms < ADV_INTERVAL_MIN_MS || ms > ADV_INTERVAL_MAX_MS) {
    throw new RadioError(`advertising interval ${ms} ms is outside ${ADV_INTERVAL_MIN_MS}..${ADV_INTERVAL_MAX_MS} ms`, 'BAD_INTERVAL');
  }
  return Math.round(ms / ADV_INTERVAL_UNIT_MS) * ADV_INTERVAL_UNIT_MS;
}

type Listener<T extends unknown[]> = (...args: T) => void;

export interface AdvertiserEvents {
  /** The host stack is loaded and talking to the adapter: poweredOn should follow within seconds. */
  ready: [];
  state: [RadioState];
  error: [Error];
}

/**
 * A BLE advertiser (peripheral role, legacy advertising).
 * Contract (checked by test/firmware/radio/radio.contract.ts):
 * - `open()` starts bringing the adapter up; `ready` (stack loaded, which may take seconds when it lives in a
 *   child process) and then `state` events follow, never synchronously inside open().
 * - `startAdvertising` rejects with RadioError NOT_POWERED_ON unless state is poweredOn, DATA_TOO_LONG for
 *   > 31-byte payloads, BAD_INTERVAL outside 20..10240 ms, COMMAND_DISALLOWED when the controller refuses.
 *   Calling it while advertising replaces the payload (stop + start).
 * - A power-off (adapter gone) emits `state` poweredOff; advertising is then off.
 * - `close()` releases the adapter; afterwards every call rejects with CLOSED.
 */
export interface Advertiser {
  readonly name: string;
  readonly state: RadioState;
  readonly advertising: boolean;
  on<E extends keyof AdvertiserEvents>(event: E, fn: Listener<AdvertiserEvents[E]>): this;
  off<E extends keyof AdvertiserEvents>(event: E, fn: Listener<AdvertiserEvents[E]>): this;
  open(): void;
  startAdvertising(advData: Uint8Array, scanRsp: Uint8Array | undefined, intervalMs: number): Promise<void>;
  stopAdvertising(): Promise<void>;
  close(): Promise<void>;
}

/** One received advertising PDU (ADV_IND etc.; scan responses are not reported). */
export interface AdvertReport {
  /** Advertiser address, lower-case `aa:bb:cc:dd:ee:ff`. */
  address: string;
  /** Address type from the report (needed to connect); absent from sources that do not say. */
  addressType?: 'public' | 'random';
  advData: Uint8Array;
  /** dBm as the controller measured it (int8). */
  rssi: number;
  timestampMs: number;
}

export interface ScannerEvents {
  state: [RadioState];
  error: [Error];
  report: [AdvertReport];
}

/**
 * A BLE scanner (observer role).
 * Contract: `start(true)` reports every received advert (contact tracing needs duplicates,
 * ble-stack.md 3.2); `start(false)` reports each (address, payload) once until restarted.
 * start() rejects with NOT_POWERED_ON unless poweredOn.
 */
export interface Scanner {
  readonly name: string;
  readonly state: RadioState;
  readonly scanning: boolean;
  on<E extends keyof ScannerEvents>(event: E, fn: Listener<ScannerEvents[E]>): this;
  off<E extends keyof ScannerEvents>(event: E, fn: Listener<ScannerEvents[E]>): this;
  open(): void;
  start(allowDuplicates: boolean): Promise<void>;
  stop(): Promise<void>;
  close(): Promise<void>;
}

/**
 * GATT client reads (central role), for peers that carry their ID only over GATT (iOS Bluezone,
 * bluezone-protocol.md 3, 4.1). Contract: one read = connect, discover the service and the
 * characteristic, read, disconnect; it settles within `timeoutMs` whatever the peer does (rejecting
 * with TIMEOUT and tearing the connection down), and scanning goes on meanwhile.
 */
export interface GattReader {
  readCharacteristic(address: string, addressType: 'public' | 'random', serviceUuid: string, characteristicUuid: string, timeoutMs: number): Promise<Uint8Array>;
}

/** `native:0` | `uart:/dev/ttyACM0` (baud from the second argument). Throws Error with what was expected. */
export function parseHciSpec(text: string, baudRate = 1_000_000): HciSpec {
  const m = /^native:(\d{1,3})$/.exec(text);
  if (m) return { driver: 'native', deviceId: Number(m[1]) };
  const u = /^uart:(.+)$/.exec(text);
  if (u && u[1].length > 0) return { driver: 'uart', port: u[1], baudRate };
  throw new Error(`"${text}" is not an HCI spec; expected native:N (e.g. native:0 for hci0) or uart:PATH (e.g. uart:/dev/ttyACM0)`);
}

export function formatHciSpec(spec: HciSpec): string {
  return spec.driver === 'native' ? `native:${spec.deviceId}` : `uart:${spec.port}`;
}
