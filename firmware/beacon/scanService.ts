// Keeps the logbook's scanner running: duplicates allowed (every advert counts, ble-stack.md
// 3.2), and the same recovery as the beacon: a scanner that powers off, never powers on or fails to
// start is closed and re-created (fresh noble bindings) after a capped exponential back-off.
import type { GattReader, Scanner, RadioState } from '../radio/types.ts';
import { realTimers, type Timers } from '../clock.ts';
import type { Logger } from './daemon.ts';
import { IosReader } from './iosReader.ts';
import type { Logbook } from './logbook.ts';

const isGattReader = (s: Scanner): s is Scanner & GattReader => typeof (s as Partial<GattReader>).readCharacteristic === 'function';

export interface ScanServiceOptions {
  createScanner: () => Scanner;
  logbook: Logbook;
  timers?: Timers;
  log?: Logger;
  powerOnTimeoutS?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /**
   * Silent-stop watchdog (ble-stack.md 4.2 item 4): when the beacon's key is on this device, our
   * own beacon is a heartbeat. Not hearing it for this long while scanning re-creates the scanner. 0 = off.
   */
  ownSilenceMs?: number;
  realNow?: () => number;
  /** The logbook's clock (the test clock in tests): timestamps and UTC slots of iPhone reads. */
  clock?: () => number;
  /**
   * Read iPhones' IDs over GATT with scanners that can (bluezone-protocol.md 3, 4.1): default on,
   * `false` turns it off; `timeoutMs` per read (default 10 s).
   */
  iosRead?: false | { timeoutMs?: number; retryAfterMs?: number };
}

export class ScanService {
  private scanner: Scanner | undefined;
  private gen = 0;
  private attempts = 0;
  private stopped = true;
  private cancelTimer: (() => void) | undefined;
  restarts = 0;
  lastError: string | null = null;
  scanning = false;
  private readonly timers: Timers;
  private readonly log: Logger;
  private cancelSilence: (() => void) | undefined;
  private scanningSinceMs = 0;
  /** The GATT reader for iPhones, when enabled. */
  readonly ios: IosReader | undefined;

  constructor(private readonly o: ScanServiceOptions) {
    this.timers = o.timers ?? realTimers;
    this.log = o.log ?? (() => {});
    if (o.iosRead !== false) {
      const lb = o.logbook;
      const ios = new IosReader({
        now: o.clock ?? Date.now,
        realNow: o.realNow ?? Date.now,
        store: (id, rssi, ts) => lb.storeIos(id, rssi, ts),
        timeoutMs: o.iosRead?.timeoutMs,
        retryAfterMs: o.iosRead?.retryAfterMs,
        log: (level, m) => this.log(level, m),
      });
      this.ios = ios;
      lb.onIosAdvert = (r) => ios.offer(r);
    }
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.bringUp();
    this.armSilenceCheck();
  }

  private armSilenceCheck(): void {
    const limit = this.o.ownSilenceMs ?? 0;
    if (limit <= 0) return;
    this.cancelSilence = this.timers.setTimeout(() => {
      if (this.stopped) return;
      const now = (this.o.realNow ?? Date.now)();
      const last = Math.max(this.o.logbook.lastOwnHeardMs ?? 0, this.scanningSinceMs);
      if (this.scanning && now - last >= limit) {
        this.fault(this.gen, `own beacon not heard for ${Math.round((now - last) / 1000)} s: scanner (or beacon) stopped silently`);
      }
      this.armSilenceCheck();
    }, Math.min(limit, 10_000));
  }

  private bringUp(): void {
    const gen = ++this.gen;
    let sc: Scanner;
    try {
      sc = this.o.createScanner();
    } catch (e) {
      this.fault(gen, `cannot create the scanner: ${(e as Error).message}`);
      return;
    }
    this.scanner = sc;
    sc.on('report', (r) => {
      if (gen === this.gen) this.o.logbook.handleReport(r);
    });
    sc.on('error', (e) => this.fault(gen, e.message));
    sc.on('state', (s: RadioState) => {
      if (gen !== this.gen) return;
      if (s === 'poweredOn') {
        this.cancelTimer?.();
        sc.start(true).then(
          () => {
            if (gen !== this.gen) return;
            this.scanning = true;
            this.scanningSinceMs = (this.o.realNow ?? Date.now)();
            this.attempts = 0;
            this.ios?.setReader(isGattReader(sc) ? sc : undefined);
            this.log('info', `scanning on ${sc.name} (duplicates allowed${this.ios && isGattReader(sc) ? ', reading iPhones over GATT' : ''})`);
          },
          (e: Error) => this.fault(gen, `scan start failed: ${e.message}`),
        );
      } else if (this.scanning) {
        this.fault(gen, `scanner went ${s}`);
      }
    });
    const timeoutS = this.o.powerOnTimeoutS ?? 10;
    this.cancelTimer = this.timers.setTimeout(() => {
      if (gen === this.gen && sc.state !== 'poweredOn') this.fault(gen, `scanner did not reach poweredOn within ${timeoutS} s (state ${sc.state})`);
    }, timeoutS * 1000);
    try {
      sc.open();
    } catch (e) {
      this.fault(gen, `cannot open the scanner: ${(e as Error).message}`);
    }
  }

  private fault(gen: number, message: string): void {
    if (gen !== this.gen || this.stopped) return;
    this.gen++;
    this.cancelTimer?.();
    this.scanning = false;
    this.ios?.setReader(undefined);
    this.lastError = `${new Date().toISOString()} ${message}`;
    const delay = Math.min(this.o.backoffMaxMs ?? 60_000, (this.o.backoffInitialMs ?? 1000) * 2 ** Math.min(this.attempts, 30));
    this.attempts++;
    this.restarts++;
    this.log('warn', `scanner problem: ${message}; restarting it in ${delay} ms`);
    const sc = this.scanner;
    this.scanner = undefined;
    void sc?.close().catch(() => {});
    this.o.logbook.flush();
    this.cancelTimer = this.timers.setTimeout(() => {
      if (!this.stopped) this.bringUp();
    }, delay);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.gen++;
    this.cancelTimer?.();
    this.cancelSilence?.();
    this.scanning = false;
    this.ios?.setReader(undefined);
    const sc = this.scanner;
    this.scanner = undefined;
    await sc?.close().catch(() => {});
    this.o.logbook.flush();
  }
}
