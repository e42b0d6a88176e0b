// Advertiser over @stoprocent/bleno (ble-stack.md 0, 3.1). bleno keeps one adapter per
// process and reads its advertising interval from BLENO_ADVERTISING_INTERVAL when the adapter powers
// on, so this adapter is meant to own its process: the beacon daemon runs it in a supervised child
// (advertiserWorker.ts) and restarts that child to recover (the UART driver never reopens a pty, 2.2 pt 5).
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import {
  MAX_LEGACY_AD_BYTES,
  quantiseIntervalMs,
  RadioError,
  radioErrorFromHciText,
  type Advertiser,
  type HciSpec,
  type RadioState,
} from './types.ts';

const require = createRequire(import.meta.url);

/** bleno/noble binding options for an HCI spec (withBindings('hci', ...), ble-stack.md 2.1). */
export function hciBindingOptions(spec: HciSpec): Record<string, unknown> {
  return spec.driver === 'native'
    ? { hciDriver: 'native', deviceId: spec.deviceId }
    : { hciDriver: 'uart', bindParams: { uart: { port: spec.port, baudRate: spec.baudRate } } };
}

// Without an answer to LE Set Advertising Enable the controller is gone (a "silent stop", 4.2 item 4).
const COMMAND_TIMEOUT_MS = 5000;

interface BlenoLike extends EventEmitter {
  state: string;
  address: string;
  startAdvertisingWithEIRData(adv: Buffer, scan: Buffer, cb: (err?: Error | null) => void): void;
  stopAdvertising(cb?: () => void): void;
  stop(): void;
}

export class BlenoAdvertiser extends EventEmitter implements Advertiser {
  readonly name: string;
  state: RadioState = 'unknown';
  advertising = false;
  private bleno: BlenoLike | undefined;
  private closed = false;
  private readonly intervalMs: number;

  constructor(
    private readonly spec: HciSpec,
    opts: { intervalMs: number },
  ) {
    super();
    this.intervalMs = quantiseIntervalMs(opts.intervalMs);
    this.name = `bleno(${spec.driver === 'native' ? `hci${spec.deviceId}` : spec.port})`;
    this.on('error', () => {});
  }

  get address(): string | undefined {
    return this.bleno?.address;
  }

  open(): void {
    if (this.closed) throw new RadioError(`${this.name} is closed`, 'CLOSED');
    if (this.bleno) return;
    // Read by bleno's hci.js setAdvertisingParameters at power-on, in 0.625 ms units (x1.6).
    process.env.BLENO_ADVERTISING_INTERVAL = String(this.intervalMs);
    const { withBindings } = require('@stoprocent/bleno') as { withBindings: (t: string, o: unknown) => BlenoLike };
    const bleno = withBindings('hci', hciBindingOptions(this.spec));
    this.bleno = bleno;
    bleno.on('stateChange', (s: string) => {
      if (this.closed) return;
      this.state = s as RadioState;
      if (s !== 'poweredOn') this.advertising = false;
      this.emit('state', this.state);
    });
    queueMicrotask(() => this.emit('ready'));
  }

  private check(): BlenoLike {
    if (this.closed) throw new RadioError(`${this.name} is closed`, 'CLOSED');
    if (!this.bleno || this.state !== 'poweredOn') throw new RadioError(`${this.name} is ${this.state}, not poweredOn`, 'NOT_POWERED_ON');
    return this.bleno;
  }

  private withTimeout<T>(what: string, run: (done: (err?: Error | null, v?: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new RadioError(`no answer from the controller to ${what} within ${COMMAND_TIMEOUT_MS} ms`, 'ADAPTER_GONE')), COMMAND_TIMEOUT_MS);
      run((err, v) => {
        clearTimeout(timer);
        if (err) reject(err instanceof RadioError ? err : radioErrorFromHciText(err.message));
        else resolve(v as T);
      });
    });
  }

  async startAdvertising(advData: Uint8Array, scanRsp: Uint8Array | undefined, intervalMs: number): Promise<void> {
    const bleno = this.check();
    if (advData.length > MAX_LEGACY_AD_BYTES || (scanRsp?.length ?? 0) > MAX_LEGACY_AD_BYTES) {
      throw new RadioError('advertising data is over the maximum of 31 bytes', 'DATA_TOO_LONG');
    }
    if (quantiseIntervalMs(intervalMs) !== this.intervalMs) {
      throw new RadioError(`bleno fixes the interval at power-on (${this.intervalMs} ms); reopen the advertiser to use ${intervalMs} ms`, 'BAD_INTERVAL');
    }
    // Replace the payload with disable -> data -> enable: enabling an enabled set is refused by some controllers.
    if (this.advertising) await this.stopAdvertising();
    await this.withTimeout<void>('LE Set Advertising Enable', (done) =>
      bleno.startAdvertisingWithEIRData(Buffer.from(advData), Buffer.from(scanRsp ?? new Uint8Array(0)), (err) => done(err)),
    );
    this.advertising = true;
  }

  async stopAdvertising(): Promise<void> {
    const bleno = this.check();
    await this.withTimeout<void>('LE Set Advertising Enable (off)', (done) => bleno.stopAdvertising(() => done()));
    this.advertising = false;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.advertising = false;
    try {
      this.bleno?.stop();
    } catch {
      // already gone: nothing to release
    }
    this.state = 'poweredOff';
  }
}

export function createBlenoAdvertiser(spec: HciSpec, opts: { intervalMs: number }): BlenoAdvertiser {
  return new BlenoAdvertiser(spec, opts);
}
