// A software LE controller that answers what @stoprocent/bleno and noble send (see
// shared ble-stack-and-hci.md 2.2-2.3) and holds the advertising/scanning state the air reads.
// Sections are Core Spec Vol 4 Part E unless stated otherwise.
import { ADV_INTERVAL_MAX, ADV_INTERVAL_MIN, ADV_TYPE, STATUS, commandName, type CommandName } from './constants.ts';
import { InvalidPacketError, hexOf } from './errors.ts';
import { H4Framer, encodeH4, type H4Packet } from './h4.ts';
import {
  COMMAND_RETURNS,
  advertisingReportEvent,
  commandCompleteEvent,
  commandStatusEvent,
  decodeCommandParams,
  encodeFields,
  type AdvertisingReport,
  type CommandParams,
  type CommandReturn,
  type Field,
  type ReturningCommand,
} from './packets.ts';
import type { Scheduler } from './scheduler.ts';

/** Direction of a traced H4 packet, as btsnoop records it. */
export type TraceDirection = 'host-to-controller' | 'controller-to-host';

export interface ControllerOptions {
  /** Public BD_ADDR, "c0:ff:ee:00:00:01". */
  address: string;
  scheduler: Scheduler;
  /** Writes H4 bytes to the host. */
  send: (bytes: Uint8Array) => void;
  /** Every H4 packet in both directions (btsnoop). */
  trace?: (dir: TraceDirection, bytes: Uint8Array, atMs: number) => void;
  /** Malformed host input (the framer resynchronises and carries on). */
  onError?: (e: InvalidPacketError) => void;
  /** Command log entries kept (oldest dropped in batches, so up to 1/8 more for a while). */
  logLimit?: number;
}

export interface AdvertisingParameters {
  intervalMin: number; // 0.625 ms units
  intervalMax: number;
  type: number; // ADV_TYPE
  ownAddressType: number;
  channelMap: number;
  filterPolicy: number;
}

export interface ScanParameters {
  active: boolean;
  interval: number; // 0.625 ms units
  window: number;
  ownAddressType: number;
  filterPolicy: number;
}

export interface CommandLogEntry {
  atMs: number;
  opcode: number;
  /** Table name, or "0x...." for an opcode we do not know. */
  name: string;
  params: string; // hex
  status: number;
}

/** Answer of an "async" command: Command Status instead of Command Complete (7.7.15). */
interface StatusOnly {
  commandStatus: number;
}
type Answer<N extends CommandName> = N extends ReturningCommand ? CommandReturn<N> : StatusOnly;
type Handlers = { [N in CommandName as `on${N}`]?: (p: CommandParams<N>) => Answer<N> };

// Defaults after HCI_Reset: event masks 7.3.1 / 7.8.1, advertising parameters 7.8.5, scan 7.8.10.
const DEFAULT_EVENT_MASK = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00, 0x00]);
const DEFAULT_LE_EVENT_MASK = Uint8Array.from([0x1f, 0, 0, 0, 0, 0, 0, 0]);
const defaultAdvParams = (): AdvertisingParameters => ({
  intervalMin: 0x0800, intervalMax: 0x0800, type: ADV_TYPE.ADV_IND, ownAddressType: 0, channelMap: 0x07, filterPolicy: 0,
});
const defaultScanParams = (): ScanParameters => ({ active: false, interval: 0x0010, window: 0x0010, ownAddressType: 0, filterPolicy: 0 });

/** Num_HCI_Command_Packets in every answer: 1, one of the values the UART driver accepts (2.2 point 2). */
export const NCMD = 1;

export class VirtualController implements Handlers {
  readonly address: string;
  // Radio state read by the air.
  advParams = defaultAdvParams();
  advData: Uint8Array = new Uint8Array(0) as Uint8Array;
  scanResponseData: Uint8Array = new Uint8Array(0) as Uint8Array;
  advertising = false;
  scanParams = defaultScanParams();
  scanning = false;
  filterDuplicates = false;
  scanStartedMs = 0;
  randomAddress: string | undefined;
  eventMask: Uint8Array = DEFAULT_EVENT_MASK.slice();
  leEventMask: Uint8Array = DEFAULT_LE_EVENT_MASK.slice();
  leHostSupported = 0;
  readonly commandLog: CommandLogEntry[] = [];
  /** Called after any command that may change what this controller sends or hears. */
  onRadioChange: ((c: VirtualController) => void) | undefined;
  closed = false;

  private readonly framer: H4Framer;
  private readonly seen = new Set<string>();
  private readonly injected = new Map<string, { status: number; remaining: number }>();

  constructor(private readonly opts: ControllerOptions) {
    this.address = opts.address;
    this.framer = new H4Framer((e) => this.opts.onError?.(e), { accept: ['command', 'acl'] });
  }

  /** Bytes from the host, any chunking. */
  receive(chunk: Uint8Array): void {
    if (this.closed) return;
    for (const p of this.framer.push(chunk)) this.handlePacket(p);
  }

  /**
   * Makes the next `count` uses of a command fail with `status` (e.g. 0x0C Command Disallowed), so a
   * host's error path can be tested. count = Infinity keeps failing.
   */
  injectStatus(name: CommandName, status: number, count = 1): void {
    this.injected.set(name, { status, remaining: count });
  }

  /** Delivers one advertising report if scanning, unmasked and not a filtered duplicate (7.8.11). */
  deliverReport(r: AdvertisingReport): boolean {
    if (this.closed || !this.scanning) return false;
    const leMeta = (this.eventMask[7] & 0x20) !== 0; // bit 61, 7.3.1
    const advReport = (this.leEventMask[0] & 0x02) !== 0; // bit 1, 7.8.1
    if (!leMeta || !advReport) return false;
    if (this.filterDuplicates) {
      const key = `${r.addressType}/${r.address}/${r.eventType}`;
      if (this.seen.has(key)) return false;
      this.seen.add(key);
    }
    this.emit(advertisingReportEvent(r));
    return true;
  }

  close(): void {
    this.closed = true;
    const wasOn = this.advertising || this.scanning;
    this.advertising = false;
    this.scanning = false;
    if (wasOn) this.onRadioChange?.(this);
  }

  private emit(bytes: Uint8Array): void {
    this.opts.trace?.('controller-to-host', bytes, this.opts.scheduler.now());
    this.opts.send(bytes);
  }

  private handlePacket(p: H4Packet): void {
    const now = this.opts.scheduler.now();
    if (p.type === 'acl') {
      // No connections exist in the virtual air; ACL data is traced and dropped.
      this.opts.trace?.('host-to-controller', encodeH4(p), now);
      return;
    }
    if (p.type !== 'command') return;
    this.opts.trace?.('host-to-controller', encodeH4(p), now);

    const name = commandName(p.opcode);
    const handler = name ? (this as unknown as Record<string, ((x: unknown) => unknown) | undefined>)[`on${name}`] : undefined;
    let status: number;
    if (!name || !handler) {
      // Unknown opcode: Command Status with Unknown HCI Command (Vol 4 Part E 4.5).
      status = STATUS.UNKNOWN_HCI_COMMAND;
      this.emit(commandStatusEvent(NCMD, p.opcode, status));
    } else {
      status = this.dispatch(name, p.opcode, p.params, handler.bind(this));
    }
    this.commandLog.push({ atMs: now, opcode: p.opcode, name: name ?? `0x${p.opcode.toString(16).padStart(4, '0')}`, params: hexOf(p.params, 255), status });
    const limit = this.opts.logLimit ?? 2000;
    // Trim in batches of limit/8: a splice per command (moving 2,000 entries) doubled its cost (issue 18).
    if (this.commandLog.length > limit + (limit >> 3)) this.commandLog.splice(0, this.commandLog.length - limit);
  }

  private dispatch(name: CommandName, opcode: number, params: Uint8Array, handler: (x: unknown) => unknown): number {
    const returns = (COMMAND_RETURNS as Record<string, readonly Field[] | undefined>)[name];
    const fail = (status: number): number => {
      if (returns) this.emit(commandCompleteEvent(NCMD, opcode, errorReturn(returns, status)));
      else this.emit(commandStatusEvent(NCMD, opcode, status));
      return status;
    };
    const inj = this.injected.get(name);
    if (inj && inj.remaining > 0) {
      inj.remaining--;
      return fail(inj.status);
    }
    let decoded: unknown;
    try {
      decoded = decodeCommandParams(name, params);
    } catch (e) {
      if (e instanceof InvalidPacketError) {
        this.opts.onError?.(e);
        return fail(STATUS.INVALID_HCI_COMMAND_PARAMETERS);
      }
      throw e;
    }
    const answer = handler(decoded) as Record<string, unknown>;
    if (!returns) {
      const st = (answer as unknown as StatusOnly).commandStatus;
      this.emit(commandStatusEvent(NCMD, opcode, st));
      return st;
    }
    const status = answer.status as number;
    if (status !== STATUS.SUCCESS) return fail(status);
    this.emit(commandCompleteEvent(NCMD, opcode, encodeFields(`${name} return`, returns, answer as never)));
    this.onRadioChange?.(this);
    return status;
  }

  // ---- command handlers: on<CommandName>, one per table entry we implement ----

  onReset(): CommandReturn<'Reset'> {
    // 7.3.2: back to defaults; advertising and scanning stop.
    this.advParams = defaultAdvParams();
    this.advData = new Uint8Array(0);
    this.scanResponseData = new Uint8Array(0);
    this.advertising = false;
    this.scanParams = defaultScanParams();
    this.scanning = false;
    this.filterDuplicates = false;
    this.randomAddress = undefined;
    this.eventMask = DEFAULT_EVENT_MASK.slice();
    this.leEventMask = DEFAULT_LE_EVENT_MASK.slice();
    this.seen.clear();
    return { status: STATUS.SUCCESS };
  }

  onSetEventMask(p: CommandParams<'SetEventMask'>): CommandReturn<'SetEventMask'> {
    this.eventMask = p.eventMask;
    return { status: STATUS.SUCCESS };
  }

  onSetEventFilter(): CommandReturn<'SetEventFilter'> {
    return { status: STATUS.SUCCESS };
  }

  onLeSetEventMask(p: CommandParams<'LeSetEventMask'>): CommandReturn<'LeSetEventMask'> {
    this.leEventMask = p.leEventMask;
    return { status: STATUS.SUCCESS };
  }

  onReadLocalVersionInformation(): CommandReturn<'ReadLocalVersionInformation'> {
    // HCI 0x09 = Core 5.0 (Assigned Numbers); bleno/noble need >= 0x06 (ble-stack 2.3).
    // Company 0xFFFF is reserved for tests, so bleno picks no vendor "set address" command.
    return { status: STATUS.SUCCESS, hciVersion: 0x09, hciSubversion: 0x0000, lmpVersion: 0x09, companyIdentifier: 0xffff, lmpSubversion: 0x0000 };
  }

  onReadLocalSupportedCommands(): CommandReturn<'ReadLocalSupportedCommands'> {
    // All zero: in particular no extended scan commands (octet 37), which keeps noble on legacy scanning.
    return { status: STATUS.SUCCESS, supportedCommands: new Uint8Array(64) };
  }

  onWriteLeHostSupported(p: CommandParams<'WriteLeHostSupported'>): CommandReturn<'WriteLeHostSupported'> {
    this.leHostSupported = p.leSupportedHost;
    return { status: STATUS.SUCCESS };
  }

  onReadLeHostSupported(): CommandReturn<'ReadLeHostSupported'> {
    return { status: STATUS.SUCCESS, leSupportedHost: this.leHostSupported, unused: 0 };
  }

  onReadBdAddr(): CommandReturn<'ReadBdAddr'> {
    return { status: STATUS.SUCCESS, bdAddr: this.address };
  }

  onReadBufferSize(): CommandReturn<'ReadBufferSize'> {
    return { status: STATUS.SUCCESS, aclDataPacketLength: 27, syncDataPacketLength: 0, totalNumAclDataPackets: 8, totalNumSyncDataPackets: 0 };
  }

  onLeReadBufferSize(): CommandReturn<'LeReadBufferSize'> {
    // 27 octets: the LE minimum (Vol 6 Part B 2.4), no data length extension.
    return { status: STATUS.SUCCESS, leAclDataPacketLength: 27, totalNumLeAclDataPackets: 8 };
  }

  onLeReadLocalSupportedFeatures(): CommandReturn<'LeReadLocalSupportedFeatures'> {
    // No features: noble stays on legacy scan commands and LE Advertising Report (ble-stack 2.3).
    return { status: STATUS.SUCCESS, leFeatures: new Uint8Array(8) };
  }

  onReadRssi(p: CommandParams<'ReadRssi'>): CommandReturn<'ReadRssi'> {
    return { status: STATUS.UNKNOWN_CONNECTION_IDENTIFIER, handle: p.handle, rssi: 0 };
  }

  onLeReadAdvertisingChannelTxPower(): CommandReturn<'LeReadAdvertisingChannelTxPower'> {
    return { status: STATUS.SUCCESS, txPowerLevel: 0 };
  }

  onLeSetRandomAddress(p: CommandParams<'LeSetRandomAddress'>): CommandReturn<'LeSetRandomAddress'> {
    // 7.8.4: disallowed while legacy advertising or scanning is enabled.
    if (this.advertising || this.scanning) return { status: STATUS.COMMAND_DISALLOWED };
    this.randomAddress = p.randomAddress;
    return { status: STATUS.SUCCESS };
  }

  onLeSetAdvertisingParameters(p: CommandParams<'LeSetAdvertisingParameters'>): CommandReturn<'LeSetAdvertisingParameters'> {
    // 7.8.5: Command Disallowed while advertising is enabled.
    if (this.advertising) return { status: STATUS.COMMAND_DISALLOWED };
    const directed = p.advertisingType === ADV_TYPE.ADV_DIRECT_IND_HIGH || p.advertisingType === ADV_TYPE.ADV_DIRECT_IND_LOW;
    const badInterval =
      !directed &&
      (p.advertisingIntervalMin < ADV_INTERVAL_MIN || p.advertisingIntervalMax > ADV_INTERVAL_MAX || p.advertisingIntervalMin > p.advertisingIntervalMax);
    if (p.advertisingType > 0x04 || badInterval || (p.advertisingChannelMap & 0x07) === 0 || p.ownAddressType > 3 || p.advertisingFilterPolicy > 3) {
      return { status: STATUS.INVALID_HCI_COMMAND_PARAMETERS };
    }
    this.advParams = {
      intervalMin: p.advertisingIntervalMin,
      intervalMax: p.advertisingIntervalMax,
      type: p.advertisingType,
      ownAddressType: p.ownAddressType,
      channelMap: p.advertisingChannelMap,
      filterPolicy: p.advertisingFilterPolicy,
    };
    return { status: STATUS.SUCCESS };
  }

  onLeSetAdvertisingData(p: CommandParams<'LeSetAdvertisingData'>): CommandReturn<'LeSetAdvertisingData'> {
    this.advData = p.advertisingData; // allowed while advertising: updates the next event (7.8.7)
    return { status: STATUS.SUCCESS };
  }

  onLeSetScanResponseData(p: CommandParams<'LeSetScanResponseData'>): CommandReturn<'LeSetScanResponseData'> {
    this.scanResponseData = p.scanResponseData;
    return { status: STATUS.SUCCESS };
  }

  onLeSetAdvertisingEnable(p: CommandParams<'LeSetAdvertisingEnable'>): CommandReturn<'LeSetAdvertisingEnable'> {
    if (p.advertisingEnable > 1) return { status: STATUS.INVALID_HCI_COMMAND_PARAMETERS };
    // Re-enabling while enabled, or disabling while disabled, is not an error (7.8.9).
    this.advertising = p.advertisingEnable === 1;
    return { status: STATUS.SUCCESS };
  }

  onLeSetScanParameters(p: CommandParams<'LeSetScanParameters'>): CommandReturn<'LeSetScanParameters'> {
    // 7.8.10: Command Disallowed while scanning is enabled; interval/window 0x0004..0x4000, window <= interval.
    if (this.scanning) return { status: STATUS.COMMAND_DISALLOWED };
    const okRange = (x: number) => x >= 0x0004 && x <= 0x4000;
    if (p.leScanType > 1 || !okRange(p.leScanInterval) || !okRange(p.leScanWindow) || p.leScanWindow > p.leScanInterval || p.ownAddressType > 3 || p.scanningFilterPolicy > 3) {
      return { status: STATUS.INVALID_HCI_COMMAND_PARAMETERS };
    }
    this.scanParams = {
      active: p.leScanType === 1,
      interval: p.leScanInterval,
      window: p.leScanWindow,
      ownAddressType: p.ownAddressType,
      filterPolicy: p.scanningFilterPolicy,
    };
    return { status: STATUS.SUCCESS };
  }

  onLeSetScanEnable(p: CommandParams<'LeSetScanEnable'>): CommandReturn<'LeSetScanEnable'> {
    if (p.leScanEnable > 1 || p.filterDuplicates > 1) return { status: STATUS.INVALID_HCI_COMMAND_PARAMETERS };
    const enable = p.leScanEnable === 1;
    if (enable && !this.scanning) {
      this.scanStartedMs = this.opts.scheduler.now();
    }
    // The duplicate filter is reset whenever scanning is (re-)enabled (7.8.11).
    if (enable) this.seen.clear();
    this.scanning = enable;
    this.filterDuplicates = p.filterDuplicates === 1;
    return { status: STATUS.SUCCESS };
  }

  onDisconnect(): StatusOnly {
    return { commandStatus: STATUS.UNKNOWN_CONNECTION_IDENTIFIER }; // no connections in the virtual air
  }

  onLeCreateConnection(): StatusOnly {
    return { commandStatus: STATUS.UNSUPPORTED_FEATURE_OR_PARAMETER }; // connections are not simulated
  }
}

/** Return parameters for a failed command: the status, the rest zero-filled to the declared size. */
function errorReturn(fields: readonly Field[], status: number): Uint8Array {
  let size = 0;
  for (const [, kind] of fields) {
    size += kind === 'addr' ? 6 : kind === 'u16' ? 2 : kind === 'u24' ? 3 : kind === 'u32' ? 4 : kind.startsWith('b') ? Number(kind.slice(1)) : 1;
  }
  const out = new Uint8Array(size);
  out[0] = status;
  return out;
}
