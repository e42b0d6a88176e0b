// The lobby beacon daemon: advertises the Bluezone Android-style frame (bluezone-protocol.md 2.1)
// with the current BluezoneID, switches to the next ID exactly at each UTC 15-minute boundary (1.2,
// 1.3 "Recommendation"), and supervises the radio: when the adapter vanishes, powers off, never comes
// up, or refuses to advertise ("Command Disallowed", ble-stack.md 4.2), the radio is thrown
// away and re-created after an exponential, capped back-off. In production the radio is a child
// process (processAdvertiser.ts), because bleno's UART driver never reopens a port (2.2 pt 5).
import { buildAndroidFrame, buildIBeaconFrame } from '../protocol/frames.ts';
import { bluezoneIdAt, SLOT_MS, slotAt } from '../protocol/keys.ts';
import type { Advertiser, RadioState } from '../radio/types.ts';
import type { BeaconConfig } from './config.ts';
import { idPrefix, type BeaconKey, type DaemonState, type StatusFile } from './state.ts';
import { realTimers, systemClock, type Cancel, type Clock, type Timers } from '../clock.ts';

/** Longest time a radio stack may take to load before it counts as failed. */
export const STACK_LOAD_TIMEOUT_MS = 60_000;

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export type Logger = (level: LogLevel, message: string) => void;

export interface BeaconDaemonOptions {
  config: BeaconConfig;
  key: BeaconKey;
  /** Makes a fresh radio; called again after each failure. */
  createAdvertiser: () => Advertiser;
  adapterLabel: string;
  clock?: Clock;
  timers?: Timers;
  log?: Logger;
  /** Called with the new status after every change (the CLI writes status.json). */
  onStatus?: (s: StatusFile) => void;
  testClock?: boolean;
  /** Real wall time for uptime/started_at. */
  realNow?: () => number;
  /**
   * Whether the adapter or port exists now (a uart: port path, /sys/class/bluetooth/hciN). With it, a
   * radio is only created once the adapter is there, watched every ADAPTER_POLL_MS, and a radio that
   * waits for power-on is dropped as soon as its adapter vanishes: no back-off or power-on timeout is
   * waited out for an adapter that is simply not there yet (issue 18 item 9: 14-16 s to 2-3 s).
   */
  adapterPresent?: () => boolean;
}

/** How often a missing adapter or port is looked for, and a waiting radio's adapter checked. */
export const ADAPTER_POLL_MS = 200;

export class BeaconDaemon {
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly log: Logger;
  private readonly realNow: () => number;
  private readonly intervalMs: number;
  private adv: Advertiser | undefined;
  /** Generation of the current radio; events and results of older radios are ignored. */
  private gen = 0;
  private state: DaemonState = 'stopped';
  private attempts = 0;
  private restarts = 0;
  private lastError: string | null = null;
  private lastErrorAt: number | null = null;
  private startedAt = 0;
  private current: { slot: number; slotStartMs: number; idPrefix: string; frame: 'bluezone' | 'ibeacon'; idHex: string } | null = null;
  private cancelClockWatch: Cancel | undefined;
  private auxActive = false;
  private cancelRotation: Cancel | undefined;
  private cancelAux: Cancel | undefined;
  private cancelAuxEnd: Cancel | undefined;
  private cancelPowerOn: Cancel | undefined;
  private cancelRestart: Cancel | undefined;
  private queue: Promise<void> = Promise.resolve();
  /** Every ID change, for tests and the debug log: the clock time it went on the air. */
  readonly history: { atMs: number; slot: number; idHex: string; frame: 'bluezone' | 'ibeacon' }[] = [];

  constructor(private readonly opts: BeaconDaemonOptions) {
    this.clock = opts.clock ?? systemClock;
    this.timers = opts.timers ?? realTimers;
    this.log = opts.log ?? (() => {});
    this.realNow = opts.realNow ?? Date.now;
    this.intervalMs = opts.config.advertising.interval_ms;
  }

  status(): StatusFile {
    return {
      state: this.state,
      slot: this.current?.slot ?? null,
      id_prefix: this.current?.idPrefix ?? null,
      started_at_ms: this.startedAt,
      updated_at_ms: this.realNow(),
      last_error: this.lastError,
      last_error_at_ms: this.lastErrorAt,
      adapter: this.opts.adapterLabel,
      pid: process.pid,
      interval_ms: this.intervalMs,
      restarts: this.restarts,
      frame: this.state === 'advertising' ? (this.current?.frame ?? null) : null,
      test_clock: Boolean(this.opts.testClock),
    };
  }

  private setState(s: DaemonState): void {
    this.state = s;
    this.opts.onStatus?.(this.status());
  }

  start(): void {
    if (this.state !== 'stopped') return;
    this.startedAt = this.realNow();
    this.setState('starting');
    this.armRotation();
    this.armAux();
    this.armClockWatch();
    this.bringUp();
  }

  /**
   * Timers count elapsed time, not wall time: when NTP steps the clock (a Pi boots with the last saved
   * time and syncs later), a pending boundary timer would keep the old slot's ID on the air for up to
   * 15 minutes. Every 10 s of real time, check that the slot on the air is the slot of now.
   */
  private armClockWatch(): void {
    this.cancelClockWatch = this.timers.setTimeout(() => {
      const now = this.clock.now();
      const s = slotAt(now);
      const cur = this.current;
      // Tolerance: right after a boundary the rotation timer may simply not have run yet.
      const stepped = cur !== null && cur.slotStartMs !== s.startMs && (now < cur.slotStartMs || now >= cur.slotStartMs + SLOT_MS + 5000);
      if (stepped && cur && this.state === 'advertising') {
        this.log('warn', `clock changed: slot on the air started ${new Date(cur.slotStartMs).toISOString()}, now is slot ${s.slot} of ${new Date(s.dayStartMs).toISOString().slice(0, 10)}; re-scheduling`);
        this.cancelRotation?.();
        this.armRotation();
        this.enqueueApply('clock changed');
      }
      this.armClockWatch();
    }, 10_000);
  }

  /** Stops advertising, releases the radio and cancels all timers. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.setState('stopping');
    for (const c of [this.cancelRotation, this.cancelAux, this.cancelAuxEnd, this.cancelPowerOn, this.cancelRestart, this.cancelClockWatch]) c?.();
    this.gen++;
    const adv = this.adv;
    this.adv = undefined;
    await this.queue.catch(() => {});
    if (adv) {
      if (adv.advertising) await adv.stopAdvertising().catch(() => {});
      await adv.close().catch(() => {});
    }
    this.current = null;
    this.setState('stopped');
    this.log('info', 'beacon stopped');
  }

  // ---- radio life cycle -------------------------------------------------------------------

  private bringUp(): void {
    const gen = ++this.gen;
    const present = this.opts.adapterPresent;
    if (present && !present()) {
      // Watch for the adapter instead of starting a radio that cannot open it.
      this.setState('waiting-for-adapter');
      const watch = () => {
        if (gen !== this.gen || this.state !== 'waiting-for-adapter') return;
        if (present()) {
          this.log('info', `adapter ${this.opts.adapterLabel} is back`);
          this.bringUp();
        } else this.cancelRestart = this.timers.setTimeout(watch, ADAPTER_POLL_MS);
      };
      this.cancelRestart = this.timers.setTimeout(watch, ADAPTER_POLL_MS);
      return;
    }
    let adv: Advertiser;
    try {
      adv = this.opts.createAdvertiser();
    } catch (e) {
      this.fault(gen, `cannot create the radio: ${(e as Error).message}`);
      return;
    }
    this.adv = adv;
    this.setState('waiting-for-adapter');
    adv.on('state', (s: RadioState) => this.onRadioState(gen, s));
    adv.on('error', (e: Error) => this.fault(gen, e.message));
    const timeoutMs = this.opts.config.watchdog.power_on_timeout_s * 1000;
    // The power-on clock starts once the stack is loaded ('ready'): loading it in a child process can
    // take seconds on a Pi Zero or a busy machine, and that is not the adapter's fault.
    this.cancelPowerOn = this.timers.setTimeout(() => this.fault(gen, `radio stack did not load within ${STACK_LOAD_TIMEOUT_MS / 1000} s`), STACK_LOAD_TIMEOUT_MS);
    adv.on('ready', () => {
      if (gen !== this.gen) return;
      this.cancelPowerOn?.();
      if (adv.state === 'poweredOn') return;
      if (present) {
        const check = () => {
          if (gen !== this.gen || adv.state === 'poweredOn') return;
          if (!present()) this.fault(gen, `adapter ${this.opts.adapterLabel} vanished while powering on`);
          else this.cancelRestart = this.timers.setTimeout(check, ADAPTER_POLL_MS);
        };
        this.cancelRestart = this.timers.setTimeout(check, ADAPTER_POLL_MS);
      }
      this.cancelPowerOn = this.timers.setTimeout(() => {
        if (gen !== this.gen || adv.state === 'poweredOn') return;
        const why = adv.state === 'unauthorized'
          ? 'adapter unauthorized (needs CAP_NET_RAW/CAP_NET_ADMIN, see docs/raspberry-pi.md "Troubleshooting")'
          : adv.state === 'unsupported'
            ? 'adapter unsupported or missing (no such HCI device, or not Bluetooth LE)'
            : `adapter did not reach poweredOn within ${timeoutMs / 1000} s (state ${adv.state})`;
        this.fault(gen, why);
      }, timeoutMs);
    });
    try {
      adv.open();
    } catch (e) {
      this.fault(gen, `cannot open the radio: ${(e as Error).message}`);
    }
  }

  private onRadioState(gen: number, s: RadioState): void {
    if (gen !== this.gen) return;
    if (s === 'poweredOn') {
      this.cancelPowerOn?.();
      this.log('info', `adapter ${this.opts.adapterLabel} poweredOn`);
      this.enqueueApply('power on');
    } else if (this.state === 'advertising') {
      this.fault(gen, `adapter went ${s}`);
    } else {
      this.log('debug', `adapter state ${s}`);
    }
  }

  /** Something broke: drop the radio and try again after a capped exponential back-off. */
  private fault(gen: number, message: string): void {
    if (gen !== this.gen || this.state === 'stopping' || this.state === 'stopped') return;
    this.gen++;
    this.cancelPowerOn?.();
    const now = this.realNow();
    this.lastError = `${new Date(now).toISOString()} ${message}`;
    this.lastErrorAt = now;
    const { backoff_initial_ms: initial, backoff_max_ms: max } = this.opts.config.watchdog;
    const delay = Math.min(max, initial * 2 ** Math.min(this.attempts, 30));
    this.attempts++;
    this.restarts++;
    this.current = null;
    const adv = this.adv;
    this.adv = undefined;
    if (adv) void adv.close().catch(() => {});
    this.cancelRestart?.();
    if (this.opts.adapterPresent && !this.opts.adapterPresent()) {
      // The adapter or port is gone (link dropped, bridge restarting): watch for it rather than back off.
      this.log('warn', `radio problem: ${message}; adapter ${this.opts.adapterLabel} is gone, watching for it every ${ADAPTER_POLL_MS} ms`);
      this.setState('recovering');
      this.bringUp();
      return;
    }
    this.log('warn', `radio problem: ${message}; restarting the radio in ${delay} ms (attempt ${this.attempts})`);
    this.setState('recovering');
    this.cancelRestart = this.timers.setTimeout(() => {
      if (this.state === 'recovering') this.bringUp();
    }, delay);
  }

  // ---- what goes on the air ---------------------------------------------------------------

  /** The frame for clock time `atMs`: the Bluezone frame, or the iBeacon during an aux window. */
  private frameAt(atMs: number): { advData: Uint8Array; slot: number; slotStartMs: number; idHex: string; prefix: string; frame: 'bluezone' | 'ibeacon' } {
    const { id, slot, startMs } = bluezoneIdAt(this.opts.key.secret(), this.opts.key.baseDateMs, atMs);
    const idHex = Buffer.from(id).toString('hex').toUpperCase();
    if (this.auxActive) return { advData: buildIBeaconFrame(), slot, slotStartMs: startMs, idHex, prefix: idPrefix(id), frame: 'ibeacon' };
    return { advData: buildAndroidFrame(id), slot, slotStartMs: startMs, idHex, prefix: idPrefix(id), frame: 'bluezone' };
  }

  private enqueueApply(reason: string, atMs?: number): void {
    const gen = this.gen;
    this.queue = this.queue.then(async () => {
      const adv = this.adv;
      if (gen !== this.gen || !adv || adv.state !== 'poweredOn') return;
      let f: ReturnType<BeaconDaemon['frameAt']>;
      try {
        f = this.frameAt(Math.max(this.clock.now(), atMs ?? 0));
      } catch (e) {
        // e.g. the clock is before the key's base date: wrong system time (check timedatectl).
        this.fault(gen, `cannot compute the ID: ${(e as Error).message}`);
        return;
      }
      if (this.current && this.current.idHex === f.idHex && this.current.frame === f.frame && adv.advertising) return;
      try {
        await adv.startAdvertising(f.advData, this.scanResponse(), this.intervalMs);
      } catch (e) {
        this.fault(gen, `advertising failed: ${(e as Error).message}`);
        return;
      }
      if (gen !== this.gen) return;
      const changed = !this.current || this.current.idHex !== f.idHex;
      this.current = { slot: f.slot, slotStartMs: f.slotStartMs, idPrefix: f.prefix, frame: f.frame, idHex: f.idHex };
      this.attempts = 0; // healthy again: the next failure starts the back-off from the beginning
      this.history.push({ atMs: this.clock.now(), slot: f.slot, idHex: f.idHex, frame: f.frame });
      if (changed || f.frame === 'bluezone') {
        this.log(f.frame === 'ibeacon' ? 'debug' : 'info', `${reason}: advertising ${f.frame === 'ibeacon' ? 'auxiliary iBeacon' : `ID ${f.prefix}`} (slot ${f.slot})`);
      }
      this.setState('advertising');
    });
  }

  /**
   * With advertising.tx_power_dbm set, a scan response carrying the TX Power Level AD (Supplement Part A
   * 1.5), so active scanners can estimate distance. Bluezone phones read only the advert (4.1).
   */
  private scanResponse(): Uint8Array | undefined {
    const tx = this.opts.config.advertising.tx_power_dbm;
    return tx === null ? undefined : Uint8Array.of(0x02, 0x0a, tx & 0xff);
  }

  /** Fires at every UTC slot boundary of the schedule clock; re-arms itself. */
  private armRotation(): void {
    const target = slotAt(this.clock.now()).endMs;
    const fire = () => {
      const now = this.clock.now();
      if (now < target) {
        // A timer may fire a little early; never change the ID before the boundary.
        this.cancelRotation = this.clock.setTimeout(fire, target - now);
        return;
      }
      this.auxActive = false;
      this.cancelAuxEnd?.();
      this.enqueueApply('slot boundary', target);
      this.armRotation();
    };
    this.cancelRotation = this.clock.setTimeout(fire, target - this.clock.now());
  }

  /** Optional auxiliary iBeacon, time-shared with the Bluezone frame (config advertising.ibeacon). */
  private armAux(): void {
    const aux = this.opts.config.advertising.ibeacon;
    if (!aux.enabled) return;
    this.cancelAux = this.clock.setTimeout(() => {
      const now = this.clock.now();
      // Never straddle a slot boundary: the Bluezone ID must change exactly on time.
      if (this.state === 'advertising' && slotAt(now).endMs - now > aux.duration_ms + 50) {
        this.auxActive = true;
        this.enqueueApply('aux iBeacon');
        this.cancelAuxEnd = this.clock.setTimeout(() => {
          this.auxActive = false;
          this.enqueueApply('aux iBeacon end');
        }, aux.duration_ms);
      }
      this.armAux();
    }, aux.every_s * 1000);
  }
}
