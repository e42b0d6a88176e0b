// Scanner over @stoprocent/noble (ble-stack.md 3.2). noble's own `discover` event merges
// fields across adverts of one address and holds back connectable adverts until a scan response, so
// we take the raw LE Advertising Reports from its HCI layer (pinned noble 2.8.0: bindings._hci emits
// 'leAdvertisingReport') and fall back to rebuilding AD structures from `discover` if that changes.
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { hciBindingOptions } from './blenoAdapter.ts';
import { RadioError, radioErrorFromHciText, type AdvertReport, type GattReader, type HciSpec, type RadioState, type Scanner } from './types.ts';

const require = createRequire(import.meta.url);

// LE Advertising Report event types (Core Spec Vol 4 Part E 7.7.65.2); 0x04 = SCAN_RSP.
const SCAN_RSP = 0x04;

interface NobleHci extends EventEmitter {
  createLeConn(address: string, addressType: string, params: unknown, reset: boolean, token: unknown): void;
}

interface NobleLike extends EventEmitter {
  state: string;
  startScanning(uuids: string[], allowDuplicates: boolean, cb: (err?: Error | null) => void): void;
  stopScanning(cb?: () => void): void;
  stop(): void;
  connect(id: string, params: { addressType: string }, cb: (err: Error | null, p?: GattPeripheral) => void): void;
  cancelConnect(id: string): void;
  _peripherals: Map<string, GattPeripheral>;
  _bindings?: { _hci?: NobleHci | null; _sigIntHandler?: () => void; _isScanning?: boolean };
}

interface GattCharacteristic {
  uuid: string;
  readAsync(): Promise<Buffer>;
}

interface GattPeripheral {
  state: string;
  discoverSomeServicesAndCharacteristicsAsync(s: string[], c: string[]): Promise<{ characteristics: GattCharacteristic[] }>;
  disconnectAsync(): Promise<void>;
  disconnect(cb?: () => void): void;
}

/** Longest wait for Disconnection Complete after a GATT read (a few connection events, plus slack). */
const DISCONNECT_WAIT_MS = 2000;

/** noble's UUID form: lower-case hex without dashes. */
const nobleUuid = (u: string) => u.replaceAll('-', '').toLowerCase();

interface PeripheralLike {
  address: string;
  rssi: number;
  advertisement: { manufacturerData?: Buffer; serviceUuids?: string[]; localName?: string };
}

/** Rebuilds AD structures from noble's parsed advertisement (fallback path only). */
export function advDataFromParsed(adv: PeripheralLike['advertisement']): Uint8Array {
  const parts: Buffer[] = [];
  const uuids16 = (adv.serviceUuids ?? []).filter((u) => /^[0-9a-f]{4}$/i.test(u));
  if (adv.manufacturerData && adv.manufacturerData.length > 0 && adv.manufacturerData.length < 30) {
    parts.push(Buffer.concat([Buffer.from([adv.manufacturerData.length + 1, 0xff]), adv.manufacturerData]));
  }
  if (uuids16.length > 0) {
    const b = Buffer.alloc(2 + 2 * uuids16.length);
    b[0] = 1 + 2 * uuids16.length;
    b[1] = 0x03;
    uuids16.forEach((u, i) => b.writeUInt16LE(parseInt(u, 16), 2 + 2 * i));
    parts.push(b);
  }
  return new Uint8Array(Buffer.concat(parts));
}

export class NobleScanner extends EventEmitter implements Scanner, GattReader {
  readonly name: string;
  state: RadioState = 'unknown';
  scanning = false;
  private noble: NobleLike | undefined;
  private closed = false;
  private rawHooked = false;

  constructor(private readonly spec: HciSpec, private readonly now: () => number = Date.now) {
    super();
    this.name = `noble(${spec.driver === 'native' ? `hci${spec.deviceId}` : spec.port})`;
    this.on('error', () => {});
  }

  open(): void {
    if (this.closed) throw new RadioError(`${this.name} is closed`, 'CLOSED');
    if (this.noble) return;
    const { withBindings } = require('@stoprocent/noble') as { withBindings: (t: string, o: unknown) => NobleLike };
    const noble = withBindings('hci', hciBindingOptions(this.spec));
    this.noble = noble;
    noble.on('stateChange', (s: string) => {
      if (this.closed) return;
      this.hookRaw();
      this.state = s as RadioState;
      if (s !== 'poweredOn') this.scanning = false;
      this.emit('state', this.state);
    });
    // noble's bindings install a SIGINT handler that calls process.exit(1) when it is the last listener,
    // which would kill the logbook before it commits its batch. The process owner handles signals, so
    // drop it once noble has initialised (it does so on the next tick after the stateChange listener).
    process.nextTick(() => {
      const h = noble._bindings?._sigIntHandler;
      if (h) process.removeListener('SIGINT', h);
    });
    noble.on('discover', (p: PeripheralLike) => {
      if (this.rawHooked || !this.scanning) return;
      this.emit('report', { address: p.address.toLowerCase(), advData: advDataFromParsed(p.advertisement), rssi: p.rssi, timestampMs: this.now() } satisfies AdvertReport);
    });
  }

  private hookRaw(): void {
    const hci = this.noble?._bindings?._hci;
    if (this.rawHooked || !hci) return;
    this.rawHooked = true;
    hci.on('leAdvertisingReport', (_status: number, type: number, address: string, addressType: string, eir: Buffer, rssi: number) => {
      if (!this.scanning || this.closed || type === SCAN_RSP) return;
      this.emit('report', {
        address: address.toLowerCase(), addressType: addressType === 'random' ? 'random' : 'public', advData: new Uint8Array(eir), rssi, timestampMs: this.now(),
      } satisfies AdvertReport);
    });
    // noble 2.8.0 resets the controller before a first connection (hci.js createLeConn, "a mystery
    // case" for BlueZ) and stops scanning while it connects (bindings.processConnectionQueue). Both
    // would silence the logbook for Android adverts during every iPhone read, so our reads go without
    // the reset, and readCharacteristic hides the scan from the queue (see there).
    const orig = hci.createLeConn.bind(hci);
    hci.createLeConn = (address, addressType, params, _reset, token) => orig(address, addressType, params, false, token);
  }

  /**
   * GattReader: connect, discover the one service and characteristic, read, disconnect, all within
   * timeoutMs; on timeout the pending connect is cancelled or the link dropped (noble's Disconnect).
   */
  async readCharacteristic(address: string, addressType: 'public' | 'random', serviceUuid: string, characteristicUuid: string, timeoutMs: number): Promise<Uint8Array> {
    const noble = this.noble;
    if (this.closed || !noble || this.state !== 'poweredOn') throw new RadioError(`${this.name} is ${this.closed ? 'closed' : this.state}, not poweredOn`, 'NOT_POWERED_ON');
    const id = address.replaceAll(':', '').toLowerCase();
    let peripheral: GattPeripheral | undefined;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RadioError(`GATT read from ${address} did not finish within ${timeoutMs} ms`, 'TIMEOUT')), timeoutMs);
    });
    const work = (async () => {
      peripheral = await new Promise<GattPeripheral>((resolve, reject) => {
        const b = noble._bindings;
        const wasScanning = b?._isScanning;
        // With _isScanning set, noble would stop the scan and connect only after scanStop.
        if (b) b._isScanning = false;
        try {
          noble.connect(id, { addressType }, (err, p) => (err || !p ? reject(new RadioError(`connect to ${address}: ${err?.message ?? 'no peripheral'}`, 'GATT')) : resolve(p)));
        } finally {
          if (b) b._isScanning = wasScanning;
        }
      });
      const { characteristics } = await peripheral.discoverSomeServicesAndCharacteristicsAsync([nobleUuid(serviceUuid)], [nobleUuid(characteristicUuid)]);
      const ch = characteristics.find((c) => c.uuid === nobleUuid(characteristicUuid));
      if (!ch) throw new RadioError(`${address} has no characteristic ${characteristicUuid} in service ${serviceUuid}`, 'GATT');
      return new Uint8Array(await ch.readAsync());
    })();
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
      work.catch(() => {}); // settled later by the teardown below
      if (peripheral && peripheral.state === 'connected') {
        // Wait for Disconnection Complete (bounded): a next read of the same phone would otherwise
        // meet "Connection Already Exists" (0x0B, Core Spec Vol 4 Part E 7.8.12).
        let t: NodeJS.Timeout | undefined;
        await Promise.race([peripheral.disconnectAsync().catch(() => {}), new Promise((r) => (t = setTimeout(r, DISCONNECT_WAIT_MS)))]);
        clearTimeout(t);
      } else if (!peripheral) {
        try {
          noble.cancelConnect(id);
        } catch {
          // nothing pending
        }
      }
    }
  }

  async start(allowDuplicates: boolean): Promise<void> {
    if (this.closed) throw new RadioError(`${this.name} is closed`, 'CLOSED');
    const noble = this.noble;
    if (!noble || this.state !== 'poweredOn') throw new RadioError(`${this.name} is ${this.state}, not poweredOn`, 'NOT_POWERED_ON');
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new RadioError('no answer from the controller to LE Set Scan Enable within 5000 ms', 'ADAPTER_GONE')), 5000);
      noble.startScanning([], allowDuplicates, (err) => {
        clearTimeout(timer);
        if (err) reject(radioErrorFromHciText(err.message));
        else resolve();
      });
    });
    this.scanning = true;
  }

  async stop(): Promise<void> {
    if (this.closed) throw new RadioError(`${this.name} is closed`, 'CLOSED');
    this.scanning = false;
    this.noble?.stopScanning();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.scanning = false;
    try {
      this.noble?.stop();
    } catch {
      // adapter already gone
    }
    this.state = 'poweredOff';
  }
}

export function createNobleScanner(spec: HciSpec, now?: () => number): NobleScanner {
  return new NobleScanner(spec, now);
}
