// A faithful in-memory fake of the radio interfaces (STYLE.md: node-serialport's binding-mock).
// All state lives in one MockAir instance (no module globals), so tests never leak into each other.
// It enforces the same rules as the real stack: poweredOn before advertising, 31-byte legacy AD
// limit, interval range, and it can inject controller refusals ("Command Disallowed") and
// adapter loss so the daemon's watchdog can be tested.
import { EventEmitter } from 'node:events';
import { FixedRssiModel, type AirModel, type ControllerInfo } from '../hci/airModel.ts';
import {
  MAX_LEGACY_AD_BYTES,
  quantiseIntervalMs,
  RadioError,
  type Advertiser,
  type AdvertReport,
  type RadioErrorCode,
  type RadioState,
  type Scanner,
} from './types.ts';

export interface MockOp {
  device: string;
  op: 'open' | 'startAdvertising' | 'stopAdvertising' | 'startScanning' | 'stopScanning' | 'close' | 'powerOff' | 'powerOn';
  advData?: string;
  intervalMs?: number;
  atMs: number;
}

export interface MockAirOptions {
  /** Timestamp source for reports and the recording (inject the test clock). */
  now?: () => number;
  /**
   * RSSI a scanner sees from an advertiser in broadcast(): the virtual air's model interface, so the mock can
   * run on the simulator's channel (sim/channel/airModel.ts); default fixed -60 dBm. null = not received.
   */
  model?: AirModel;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();

/** The shared "air" connecting fake advertisers, fake scanners and scripted peers. */
export class MockAir {
  readonly advertisers = new Set<MockAdvertiser>();
  readonly scanners = new Set<MockScanner>();
  /** Every operation any device performed, in order: the test's view of "what went on the air". */
  recording: MockOp[] = [];
  private counter = 0;
  readonly now: () => number;
  private readonly model: AirModel;
  private readonly info = new Map<MockDevice, ControllerInfo>();

  constructor(opts: MockAirOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.model = opts.model ?? new FixedRssiModel(-60);
  }

  nextAddress(): string {
    this.counter += 1;
    const n = this.counter;
    return `c0:ff:ee:00:${((n >> 8) & 0xff).toString(16).padStart(2, '0')}:${(n & 0xff).toString(16).padStart(2, '0')}`;
  }

  record(op: Omit<MockOp, 'atMs'>): void {
    this.recording.push({ ...op, atMs: this.now() });
  }

  createAdvertiser(opts: { name?: string; address?: string; present?: boolean } = {}): MockAdvertiser {
    const a = new MockAdvertiser(this, opts.name ?? `adv${this.advertisers.size + 1}`, opts.address ?? this.nextAddress(), opts.present ?? true);
    this.advertisers.add(a);
    this.info.set(a, { address: a.address, publicAddress: a.address, index: this.info.size });
    return a;
  }

  createScanner(opts: { name?: string; present?: boolean } = {}): MockScanner {
    const s = new MockScanner(this, opts.name ?? `scan${this.scanners.size + 1}`, opts.present ?? true);
    this.scanners.add(s);
    const address = this.nextAddress();
    this.info.set(s, { address, publicAddress: address, index: this.info.size });
    return s;
  }

  /** A scripted remote transmitter (e.g. a visitor's phone) that is not one of our advertisers. */
  createPeer(address?: string): { address: string; emitAdvert: (advData: Uint8Array, rssi: number, timestampMs?: number) => number } {
    const addr = address ?? this.nextAddress();
    return { address: addr, emitAdvert: (advData, rssi, ts) => this.emitAdvert(addr, advData, rssi, ts) };
  }

  /** Delivers one advert to every scanning scanner; returns how many received it. */
  emitAdvert(address: string, advData: Uint8Array, rssi: number, timestampMs = this.now()): number {
    let n = 0;
    for (const s of this.scanners) if (s.deliver({ address, advData: new Uint8Array(advData), rssi, timestampMs })) n++;
    return n;
  }

  /** One advertising event of every advertising advertiser, heard by every scanning scanner. */
  broadcast(timestampMs = this.now()): number {
    let n = 0;
    for (const a of this.advertisers) {
      if (!a.advertising || !a.currentAdvData) continue;
      for (const s of this.scanners) {
        const rssi = this.model.rssi(this.info.get(a)!, this.info.get(s)!, timestampMs);
        if (rssi !== null && s.deliver({ address: a.address, advData: a.currentAdvData, rssi: Math.round(rssi), timestampMs })) n++;
      }
    }
    return n;
  }

  /** Forgets all devices and the recording. */
  reset(): void {
    for (const a of this.advertisers) a.removeAllListeners();
    for (const s of this.scanners) s.removeAllListeners();
    this.advertisers.clear();
    this.scanners.clear();
    this.recording = [];
    this.counter = 0;
    this.info.clear();
  }
}

abstract class MockDevice extends EventEmitter {
  state: RadioState = 'unknown';
  protected opened = false;
  protected closed = false;
  private failures: { op: string; code: RadioErrorCode; message: string }[] = [];

  constructor(
    protected readonly air: MockAir,
    readonly name: string,
    /** Whether the adapter is plugged in / up. */
    public present: boolean,
  ) {
    super();
    // An EventEmitter throws on 'error' without listeners; the real adapters never crash the process.
    this.on('error', () => {});
  }

  protected setState(s: RadioState): void {
    if (this.state === s) return;
    this.state = s;
    // Deferred like the real stack: callers may attach listeners after open().
    queueMicrotask(() => this.emit('state', s));
  }

  /** Test hook: the next `op` call fails with this code (e.g. COMMAND_DISALLOWED). */
  failNext(op: 'startAdvertising' | 'startScanning', code: RadioErrorCode = 'COMMAND_DISALLOWED', message = 'Command Disallowed'): void {
    this.failures.push({ op, code, message });
  }

  protected takeFailure(op: string): RadioError | undefined {
    const i = this.failures.findIndex((f) => f.op === op);
    if (i < 0) return undefined;
    const [f] = this.failures.splice(i, 1);
    return new RadioError(f.message, f.code, f.code === 'COMMAND_DISALLOWED' ? 0x0c : undefined);
  }

  protected checkUsable(): void {
    if (this.closed) throw new RadioError(`${this.name} is closed`, 'CLOSED');
    if (this.state !== 'poweredOn') throw new RadioError(`${this.name} is ${this.state}, not poweredOn`, 'NOT_POWERED_ON');
  }

  open(): void {
    if (this.closed) throw new RadioError(`${this.name} is closed`, 'CLOSED');
    this.opened = true;
    this.air.record({ device: this.name, op: 'open' });
    queueMicrotask(() => this.emit('ready'));
    this.setState(this.present ? 'poweredOn' : 'poweredOff');
  }

  /** Test hook: the adapter disappears (unplugged, hciuart crash, pty closed). */
  powerOff(): void {
    this.present = false;
    this.air.record({ device: this.name, op: 'powerOff' });
    this.onPowerOff();
    if (this.opened && !this.closed) this.setState('poweredOff');
  }

  /** Test hook: the adapter comes back. */
  powerOn(): void {
    this.present = true;
    this.air.record({ device: this.name, op: 'powerOn' });
    if (this.opened && !this.closed) this.setState('poweredOn');
  }

  protected abstract onPowerOff(): void;

  async close(): Promise<void> {
    if (this.closed) return;
    this.onPowerOff();
    this.closed = true;
    this.air.record({ device: this.name, op: 'close' });
    this.state = 'poweredOff';
  }
}

export class MockAdvertiser extends MockDevice implements Advertiser {
  advertising = false;
  currentAdvData: Uint8Array | undefined;
  currentScanRsp: Uint8Array | undefined;
  intervalMs: number | undefined;

  constructor(air: MockAir, name: string, readonly address: string, present: boolean) {
    super(air, name, present);
  }

  protected onPowerOff(): void {
    this.advertising = false;
  }

  async startAdvertising(advData: Uint8Array, scanRsp: Uint8Array | undefined, intervalMs: number): Promise<void> {
    await Promise.resolve();
    this.checkUsable();
    if (advData.length > MAX_LEGACY_AD_BYTES) throw new RadioError('Advertisement data is over maximum limit of 31 bytes', 'DATA_TOO_LONG');
    if (scanRsp && scanRsp.length > MAX_LEGACY_AD_BYTES) throw new RadioError('Scan data is over maximum limit of 31 bytes', 'DATA_TOO_LONG');
    const interval = quantiseIntervalMs(intervalMs);
    const failure = this.takeFailure('startAdvertising');
    this.air.record({ device: this.name, op: 'startAdvertising', advData: hex(advData), intervalMs: interval });
    if (failure) {
      this.advertising = false;
      throw failure;
    }
    this.currentAdvData = new Uint8Array(advData);
    this.currentScanRsp = scanRsp ? new Uint8Array(scanRsp) : undefined;
    this.intervalMs = interval;
    this.advertising = true;
  }

  async stopAdvertising(): Promise<void> {
    await Promise.resolve();
    if (this.closed) throw new RadioError(`${this.name} is closed`, 'CLOSED');
    this.air.record({ device: this.name, op: 'stopAdvertising' });
    this.advertising = false;
  }
}

export class MockScanner extends MockDevice implements Scanner {
  scanning = false;
  private allowDuplicates = true;
  private seen = new Set<string>();

  protected onPowerOff(): void {
    this.scanning = false;
  }

  async start(allowDuplicates: boolean): Promise<void> {
    await Promise.resolve();
    this.checkUsable();
    const failure = this.takeFailure('startScanning');
    this.air.record({ device: this.name, op: 'startScanning' });
    if (failure) throw failure;
    this.allowDuplicates = allowDuplicates;
    this.seen.clear();
    this.scanning = true;
  }

  async stop(): Promise<void> {
    await Promise.resolve();
    if (this.closed) throw new RadioError(`${this.name} is closed`, 'CLOSED');
    this.air.record({ device: this.name, op: 'stopScanning' });
    this.scanning = false;
  }

  /** Called by MockAir; returns whether the report was emitted. */
  deliver(r: AdvertReport): boolean {
    if (!this.scanning || this.closed || this.state !== 'poweredOn') return false;
    if (!this.allowDuplicates) {
      // The controller's duplicate filter (LE Set Scan Enable filter_duplicates=1) keys on address+data.
      const key = `${r.address}|${hex(r.advData)}`;
      if (this.seen.has(key)) return false;
      this.seen.add(key);
    }
    this.emit('report', r);
    return true;
  }
}
