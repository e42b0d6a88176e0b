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
  setServices(services: unknown[], cb?: (err?: Error | null) => void): void;
  stop(): void;
  PrimaryService: new (o: unknown) => unknown;
  Characteristic: new (o: unknown) => unknown;
  _bindings?: { _gap?: { _advertiseState?: string; restartAdvertising: () => void } };
}

/**
 * bleno 0.12.4 re-enables advertising after every connect and disconnect (bindings.js
 * restartAdvertising) by overwriting its advertising state; when that lands while our own start or
 * stop waits for its Command Complete, the waiting callback never fires (a 5 s "no answer" and a
 * radio restart). Keep a pending start's state, and skip the re-enable while a stop is pending
 * (the host wants advertising off; the connection already ended it, Core Spec Vol 4 Part E 7.8.9).
 */
export function guardRestart(gap: { _advertiseState?: string; restartAdvertising: () => void } | undefined): void {
  if (!gap || (gap as { guarded?: boolean }).guarded) return;
  const restart = gap.restartAdvertising.bind(gap);
  gap.restartAdvertising = () => {
    const st = gap._advertiseState;
    if (st === 'stopping') return;
    restart();
    if (st === 'starting') gap._advertiseState = st;
  };
  (gap as { guarded?: boolean }).guarded = true;
}

/**
 * bleno 0.12.4's AclStream emits 'data' as (handle, cid, data) but its SMP listener takes (cid, data):
 * it compares the connection handle with the SMP channel 6 and, on the connection whose handle is 6,
 * reads the channel number as the packet and throws, killing the process (found on the virtual air,
 * whose controller numbers handles 1, 2, 3...; real controllers reach 6 too). Re-order the arguments
 * once per process; a bleno that already passes (cid, data) goes through unchanged.
 */
export function patchBlenoSmp(): void {
  const Smp = require('@stoprocent/bleno/lib/hci-socket/smp.js') as { prototype: { onAclStreamData: (...a: unknown[]) => unknown; patchedArgs?: boolean } };
  const proto = Smp.prototype;
  if (proto.patchedArgs) return;
  const orig = proto.onAclStreamData;
  proto.onAclStreamData = function (this: unknown, ...a: unknown[]) {
    return a.length >= 3 && Buffer.isBuffer(a[2]) ? orig.call(this, a[1], a[2]) : orig.apply(this, a);
  };
  proto.patchedArgs = true;
}

/**
 * A read-only GATT characteristic the advertiser serves while it advertises (bleno's adverts are
 * connectable ADV_IND, ble-stack-and-hci.md 3.1). `value` gets the advert now on the air, so what a
 * reader gets always matches what it hears.
 */
export interface GattServiceSpec {
  serviceUuid: string;
  characteristicUuid: string;
  value: (advData: Uint8Array | undefined) => Uint8Array | undefined;
}

// ATT error "Unlikely Error" (Core Spec Vol 3 Part F 3.4.1.1) for a read with nothing to give.
const ATT_UNLIKELY_ERROR = 0x0e;
const blenoUuid = (u: string) => u.replaceAll('-', '').toLowerCase();

export class BlenoAdvertiser extends EventEmitter implements Advertiser {
  readonly name: string;
  state: RadioState = 'unknown';
  advertising = false;
  private bleno: BlenoLike | undefined;
  private closed = false;
  private readonly intervalMs: number;
  private readonly gatt: GattServiceSpec | undefined;
  private advData: Uint8Array | undefined;
  /** GATT reads answered (tests, logs). */
  gattReads = 0;

  constructor(
    private readonly spec: HciSpec,
    opts: { intervalMs: number; gatt?: GattServiceSpec },
  ) {
    super();
    this.intervalMs = quantiseIntervalMs(opts.intervalMs);
    this.gatt = opts.gatt;
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
    patchBlenoSmp();
    const bleno = withBindings('hci', hciBindingOptions(this.spec));
    this.bleno = bleno;
    bleno.on('stateChange', (s: string) => {
      if (this.closed) return;
      this.state = s as RadioState;
      if (s !== 'poweredOn') this.advertising = false;
      if (s === 'poweredOn') guardRestart(bleno._bindings?._gap);
      if (s === 'poweredOn' && this.gatt) this.serveGatt(bleno, this.gatt);
      this.emit('state', this.state);
    });
    queueMicrotask(() => this.emit('ready'));
  }

  private serveGatt(bleno: BlenoLike, g: GattServiceSpec): void {
    const characteristic = new bleno.Characteristic({
      uuid: blenoUuid(g.characteristicUuid),
      properties: ['read'],
      onReadRequest: (_conn: unknown, offset: number, cb: (result: number, data?: Buffer) => void) => {
        const v = this.advertising ? g.value(this.advData) : undefined;
        if (!v) return cb(ATT_UNLIKELY_ERROR);
        this.gattReads++;
        cb(0x00, Buffer.from(v).subarray(offset));
      },
    });
    bleno.setServices([new bleno.PrimaryService({ uuid: blenoUuid(g.serviceUuid), characteristics: [characteristic] })], (err) => {
      if (err) this.emit('error', new RadioError(`GATT service not set up: ${err.message}`, 'HCI_ERROR'));
    });
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
    this.advData = advData.slice();
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

export function createBlenoAdvertiser(spec: HciSpec, opts: { intervalMs: number; gatt?: GattServiceSpec }): BlenoAdvertiser {
  return new BlenoAdvertiser(spec, opts);
}
