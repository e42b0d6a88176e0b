// A software LE controller that answers what @stoprocent/bleno and noble send (see
// shared ble-stack.md 2.2-2.3) and holds the advertising/scanning state the air reads.
// Sections are Core Spec Vol 4 Part E unless stated otherwise.
import { ADV_INTERVAL_MAX, ADV_INTERVAL_MIN, ADV_TYPE, STATUS, commandName, supportedCommandsMask, type CommandName } from './constants.ts';
import type { ConnParams, Link, LinkEnd, LinkRole } from './connection.ts';
import { InvalidPacketError, hexOf } from './errors.ts';
import { H4Framer, encodeH4, type H4Packet } from './h4.ts';
import {
  COMMAND_RETURNS,
  advertisingReportEvent,
  commandCompleteEvent,
  commandStatusEvent,
  dataBufferOverflowEvent,
  decodeCommandParams,
  disconnectionCompleteEvent,
  encodeFields,
  leConnectionCompleteEvent,
  leConnectionUpdateCompleteEvent,
  leEnhancedConnectionCompleteEvent,
  leReadRemoteFeaturesCompleteEvent,
  numberOfCompletedPacketsEvent,
  type LeConnectionComplete,
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

/** A pending LE Create Connection (Vol 4 Part E 7.8.12), read by the air at the target's adverts. */
export interface Initiating {
  peerAddress: string;
  /** 0 public, 1 random (identity types 2/3 folded onto 0/1: no resolving list here). */
  peerAddressType: number;
  ownAddressType: number;
  scanInterval: number; // 0.625 ms units
  scanWindow: number;
  startedMs: number;
  params: ConnParams;
}

/** This controller's view of one of its connections. */
export interface LocalLink {
  handle: number;
  role: LinkRole;
  link: Link;
  peerAddress: string;
  peerAddressType: number;
  /** RSSI of the peer's packets now (air model), for Read RSSI. */
  rssi: () => number | null;
  /** Host ACL packets handed to the link and not yet reported in Number Of Completed Packets. */
  inFlight: number;
}

/** LE ACL buffers offered in LE Read Buffer Size: 27 octets (the LE minimum, Vol 6 Part B 2.4), 8 packets. */
export const LE_ACL_LENGTH = 27;
export const LE_ACL_PACKETS = 8;

/** Reasons a host may give to Disconnect (Vol 4 Part E 7.1.6). */
const DISCONNECT_REASONS = new Set([0x05, 0x13, 0x14, 0x15, 0x1a, 0x29, 0x3b]);

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
  initiating: Initiating | undefined;
  /** Live connections by handle. */
  readonly links = new Map<number, LocalLink>();
  readonly commandLog: CommandLogEntry[] = [];
  /** Called after any command that may change what this controller sends or hears. */
  onRadioChange: ((c: VirtualController) => void) | undefined;
  closed = false;

  private readonly framer: H4Framer;
  private readonly seen = new Set<string>();
  private readonly injected = new Map<string, { status: number; remaining: number }>();
  /** Bumped by Reset: links made before belong to an earlier "power cycle" and are dropped silently. */
  private generation = 0;
  private nextHandle = 0x0001;
  private aclInFlight = 0;
  /** Work to do after the current command's Command Complete/Status is sent (7.8.13 ordering). */
  private afterAnswer: (() => void) | undefined;

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
    this.initiating = undefined;
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
      this.opts.trace?.('host-to-controller', encodeH4(p), now);
      this.hostAcl(p);
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
    this.afterAnswer = undefined;
    const answer = handler(decoded) as Record<string, unknown>;
    const after = this.afterAnswer as (() => void) | undefined;
    this.afterAnswer = undefined;
    if (!returns) {
      const st = (answer as unknown as StatusOnly).commandStatus;
      this.emit(commandStatusEvent(NCMD, opcode, st));
      after?.();
      return st;
    }
    const status = answer.status as number;
    if (status !== STATUS.SUCCESS) return fail(status);
    this.emit(commandCompleteEvent(NCMD, opcode, encodeFields(`${name} return`, returns, answer as never)));
    after?.();
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
    // Connections end without events to this host; the peer sees a supervision timeout (Vol 6 Part B 4.5.2).
    this.generation++;
    this.links.clear();
    this.aclInFlight = 0;
    this.initiating = undefined;
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
    // One bit per implemented command (6.27); no extended scan commands (octet 37), which keeps noble legacy.
    return { status: STATUS.SUCCESS, supportedCommands: supportedCommandsMask() };
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
    return { status: STATUS.SUCCESS, leAclDataPacketLength: LE_ACL_LENGTH, totalNumLeAclDataPackets: LE_ACL_PACKETS };
  }

  onLeReadLocalSupportedFeatures(): CommandReturn<'LeReadLocalSupportedFeatures'> {
    // No features: noble stays on legacy scan commands and LE Advertising Report (ble-stack 2.3).
    return { status: STATUS.SUCCESS, leFeatures: new Uint8Array(8) };
  }

  onReadRssi(p: CommandParams<'ReadRssi'>): CommandReturn<'ReadRssi'> {
    const l = this.links.get(p.handle);
    if (!l) return { status: STATUS.UNKNOWN_CONNECTION_IDENTIFIER, handle: p.handle, rssi: 0 };
    const r = l.rssi();
    // 127 = RSSI not available (7.5.4), e.g. the peer is out of range this moment.
    return { status: STATUS.SUCCESS, handle: p.handle, rssi: r === null ? 127 : Math.max(-127, Math.min(20, Math.round(r))) };
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
    // 7.8.9: own address type random (or RPA falling back to random, 0x03) with no LE Set Random Address yet.
    if (p.advertisingEnable === 1 && this.needsRandomAddress(this.advParams.ownAddressType)) return { status: STATUS.INVALID_HCI_COMMAND_PARAMETERS };
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
    // 7.8.11: active scanning sends SCAN_REQs from a random address that must have been set first.
    if (enable && this.scanParams.active && this.needsRandomAddress(this.scanParams.ownAddressType)) {
      return { status: STATUS.INVALID_HCI_COMMAND_PARAMETERS };
    }
    if (enable && !this.scanning) {
      this.scanStartedMs = this.opts.scheduler.now();
    }
    // The duplicate filter is reset whenever scanning is (re-)enabled (7.8.11).
    if (enable) this.seen.clear();
    this.scanning = enable;
    this.filterDuplicates = p.filterDuplicates === 1;
    return { status: STATUS.SUCCESS };
  }

  onDisconnect(p: CommandParams<'Disconnect'>): StatusOnly {
    const l = this.links.get(p.connectionHandle);
    if (!l) return { commandStatus: STATUS.UNKNOWN_CONNECTION_IDENTIFIER };
    if (!DISCONNECT_REASONS.has(p.reason)) return { commandStatus: STATUS.INVALID_HCI_COMMAND_PARAMETERS };
    l.link.terminate(l.role, p.reason); // Disconnection Complete follows at the next connection event
    return { commandStatus: STATUS.SUCCESS };
  }

  onLeCreateConnection(p: CommandParams<'LeCreateConnection'>): StatusOnly {
    // 7.8.12: one pending create at a time.
    if (this.initiating) return { commandStatus: STATUS.COMMAND_DISALLOWED };
    const scanOk = (x: number) => x >= 0x0004 && x <= 0x4000;
    const bad =
      !scanOk(p.leScanInterval) || !scanOk(p.leScanWindow) || p.leScanWindow > p.leScanInterval ||
      p.initiatorFilterPolicy > 1 || p.peerAddressType > 3 || p.ownAddressType > 3 ||
      !validConnParams(p.connectionIntervalMin, p.connectionIntervalMax, p.maxLatency, p.supervisionTimeout) ||
      p.minCeLength > p.maxCeLength;
    if (bad || this.needsRandomAddress(p.ownAddressType)) return { commandStatus: STATUS.INVALID_HCI_COMMAND_PARAMETERS };
    // The Filter Accept List is not implemented: a policy that uses it cannot be honoured.
    if (p.initiatorFilterPolicy === 1) return { commandStatus: STATUS.UNSUPPORTED_FEATURE_OR_PARAMETER };
    const peerType = p.peerAddressType & 1;
    for (const l of this.links.values()) {
      if (l.peerAddress === p.peerAddress && l.peerAddressType === peerType) return { commandStatus: STATUS.CONNECTION_ALREADY_EXISTS };
    }
    this.initiating = {
      peerAddress: p.peerAddress,
      peerAddressType: peerType,
      ownAddressType: p.ownAddressType,
      scanInterval: p.leScanInterval,
      scanWindow: p.leScanWindow,
      startedMs: this.opts.scheduler.now(),
      params: { interval: p.connectionIntervalMin, latency: p.maxLatency, timeout: p.supervisionTimeout },
    };
    return { commandStatus: STATUS.SUCCESS };
  }

  onLeCreateConnectionCancel(): CommandReturn<'LeCreateConnectionCancel'> {
    // 7.8.13: Command Disallowed when no create is pending; otherwise Command Complete, then
    // LE Connection Complete with status 0x02 Unknown Connection Identifier.
    const pending = this.initiating;
    if (!pending) return { status: STATUS.COMMAND_DISALLOWED };
    this.initiating = undefined;
    this.afterAnswer = () => this.emitConnectionComplete({
      status: STATUS.UNKNOWN_CONNECTION_IDENTIFIER, connectionHandle: 0, role: 0, peerAddressType: pending.peerAddressType,
      peerAddress: pending.peerAddress, connectionInterval: 0, peripheralLatency: 0, supervisionTimeout: 0, centralClockAccuracy: 0,
    });
    return { status: STATUS.SUCCESS };
  }

  onLeConnectionUpdate(p: CommandParams<'LeConnectionUpdate'>): StatusOnly {
    const l = this.links.get(p.connectionHandle);
    if (!l) return { commandStatus: STATUS.UNKNOWN_CONNECTION_IDENTIFIER };
    if (!validConnParams(p.connectionIntervalMin, p.connectionIntervalMax, p.maxLatency, p.supervisionTimeout) || p.minCeLength > p.maxCeLength) {
      return { commandStatus: STATUS.INVALID_HCI_COMMAND_PARAMETERS };
    }
    // A peripheral may only ask through the Connection Parameters Request procedure, which we do
    // not offer (LE features all zero), so it uses the L2CAP request instead (Vol 3 Part A 4.20).
    if (l.role !== 'central') return { commandStatus: STATUS.COMMAND_DISALLOWED };
    l.link.update({ interval: p.connectionIntervalMin, latency: p.maxLatency, timeout: p.supervisionTimeout });
    return { commandStatus: STATUS.SUCCESS };
  }

  onLeReadRemoteFeatures(p: CommandParams<'LeReadRemoteFeatures'>): StatusOnly {
    const l = this.links.get(p.connectionHandle);
    if (!l) return { commandStatus: STATUS.UNKNOWN_CONNECTION_IDENTIFIER };
    l.link.readFeatures(l.role);
    return { commandStatus: STATUS.SUCCESS };
  }

  // ---- connections (driven by the air and the link) ----

  /** Own address and its type for a given Own_Address_Type (Vol 4 Part E 7.8.5). */
  ownAddress(ownAddressType: number): { address: string; type: number } {
    const random = (ownAddressType === 1 || ownAddressType === 3) && this.randomAddress !== undefined;
    return random ? { address: this.randomAddress!, type: 1 } : { address: this.address, type: 0 };
  }

  private needsRandomAddress(ownAddressType: number): boolean {
    return (ownAddressType === 1 || ownAddressType === 3) && this.randomAddress === undefined;
  }

  /** A link end bound to this controller's current power cycle. */
  linkEnd(): LinkEnd {
    const gen = this.generation;
    const local = (link: Link) => [...this.links.values()].find((l) => l.link === link);
    return {
      alive: () => !this.closed && this.generation === gen,
      receiveData: (link, data, first) => {
        const l = local(link);
        // Controller to host: PB 10b first automatically flushable, 01b continuing (Vol 4 Part E 5.4.2).
        if (l) this.emit(encodeH4({ type: 'acl', handle: l.handle, flags: first ? 0b10 : 0b01, data }));
      },
      sent: (link, count) => {
        const l = local(link);
        if (!l) return;
        const n = Math.min(count, l.inFlight);
        l.inFlight -= n;
        this.aclInFlight -= n;
        if (n > 0) this.emit(numberOfCompletedPacketsEvent([[l.handle, n]]));
      },
      ended: (link, reason) => {
        const l = local(link);
        if (!l) return;
        this.links.delete(l.handle);
        this.aclInFlight -= l.inFlight; // flushed (7.7.5: the host frees them too)
        if ((this.eventMask[0] & 0x10) !== 0) this.emit(disconnectionCompleteEvent(STATUS.SUCCESS, l.handle, reason)); // bit 4, 7.3.1
      },
      updated: (link) => {
        const l = local(link);
        if (l && this.leMeta() && (this.leEventMask[0] & 0x04) !== 0) {
          this.emit(leConnectionUpdateCompleteEvent({
            status: STATUS.SUCCESS, connectionHandle: l.handle, connectionInterval: link.params.interval,
            peripheralLatency: link.params.latency, supervisionTimeout: link.params.timeout,
          }));
        }
      },
      featuresRead: (link) => {
        const l = local(link);
        if (l && this.leMeta() && (this.leEventMask[0] & 0x08) !== 0) {
          this.emit(leReadRemoteFeaturesCompleteEvent({ status: STATUS.SUCCESS, connectionHandle: l.handle, leFeatures: new Uint8Array(8) }));
        }
      },
    };
  }

  /**
   * The air made a connection with this controller at one end: allocate a handle, tell the host
   * (LE Connection Complete), and as peripheral stop advertising (Vol 4 Part E 7.8.9).
   */
  linkUp(link: Link, role: LinkRole, peer: { address: string; type: number }, rssi: () => number | null): number {
    const handle = this.nextHandle;
    this.nextHandle = this.nextHandle >= 0x0eff ? 0x0001 : this.nextHandle + 1; // handles 0x000-0xEFF (5.4.2)
    this.links.set(handle, { handle, role, link, peerAddress: peer.address, peerAddressType: peer.type, rssi, inFlight: 0 });
    if (role === 'central') this.initiating = undefined;
    else if (this.advertising) {
      this.advertising = false;
      this.onRadioChange?.(this);
    }
    this.emitConnectionComplete({
      status: STATUS.SUCCESS, connectionHandle: handle, role: role === 'central' ? 0 : 1, peerAddressType: peer.type,
      peerAddress: peer.address, connectionInterval: link.params.interval, peripheralLatency: link.params.latency,
      supervisionTimeout: link.params.timeout, centralClockAccuracy: 0x05, // 50 ppm (7.7.65.1)
    });
    return handle;
  }

  private leMeta(): boolean {
    return (this.eventMask[7] & 0x20) !== 0; // bit 61, 7.3.1
  }

  /** LE Enhanced Connection Complete replaces the legacy event when unmasked (7.7.65.10, LE mask bit 9). */
  private emitConnectionComplete(e: LeConnectionComplete): void {
    if (!this.leMeta()) return;
    if ((this.leEventMask[1] & 0x02) !== 0) this.emit(leEnhancedConnectionCompleteEvent(e));
    else if ((this.leEventMask[0] & 0x01) !== 0) this.emit(leConnectionCompleteEvent(e));
  }

  /** ACL data from the host (Vol 4 Part E 5.4.2): checked, then queued on the link. */
  private hostAcl(p: Extract<H4Packet, { type: 'acl' }>): void {
    const bad = (why: string) => this.opts.onError?.(new InvalidPacketError(`ACL handle 0x${p.handle.toString(16).padStart(3, '0')}: ${why}; packet dropped`, 0, p.data.slice(0, 32)));
    const l = this.links.get(p.handle);
    if (!l) return bad('no such connection');
    const pb = p.flags & 0b11;
    if (p.flags >> 2 !== 0) return bad(`broadcast flag ${p.flags >> 2} is not allowed on LE`);
    if (pb === 0b11) return bad('packet boundary flag 11b is not allowed on LE');
    if (p.data.length > LE_ACL_LENGTH) return bad(`${p.data.length} octets > LE_ACL_Data_Packet_Length ${LE_ACL_LENGTH}`);
    if (this.aclInFlight >= LE_ACL_PACKETS) {
      // The host ignored Number Of Completed Packets (4.1.1): Data Buffer Overflow, packet lost.
      this.emit(dataBufferOverflowEvent(0x01));
      return;
    }
    l.inFlight++;
    this.aclInFlight++;
    l.link.send(l.role, p.data, pb !== 0b01);
  }
}

/** Connection parameter ranges of 7.8.12 / 7.8.18, and timeout > (1 + latency) * interval_max * 2. */
function validConnParams(intervalMin: number, intervalMax: number, latency: number, timeout: number): boolean {
  if (intervalMin < 0x0006 || intervalMax > 0x0c80 || intervalMin > intervalMax) return false;
  if (latency > 0x01f3 || timeout < 0x000a || timeout > 0x0c80) return false;
  return timeout * 10 > (1 + latency) * intervalMax * 1.25 * 2;
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
