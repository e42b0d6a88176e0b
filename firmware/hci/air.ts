// The shared virtual air: routes every enabled advertiser's PDUs to every scanning controller.
// Timing per Core Spec Vol 6 Part B 4.4.2.2 (advertising events, advDelay 0-10 ms).
import { ADV_TYPE, REPORT_TYPE, SLOT_MS } from './constants.ts';
import { mulberry32, type AirModel, type ControllerInfo } from './airModel.ts';
import { Link } from './connection.ts';
import type { Scheduler, TimerHandle } from './scheduler.ts';
import type { VirtualController } from './virtualController.ts';

export interface AirOptions {
  scheduler: Scheduler;
  model: AirModel;
  /** Seed of the advDelay draw. */
  seed?: number;
}

/** One delivered (or attempted) report, for logs and tests. */
export interface AirDelivery {
  atMs: number;
  tx: string;
  rx: string;
  eventType: number;
  rssi: number;
}

interface Member {
  c: VirtualController;
  index: number;
  timer: TimerHandle | undefined;
}

/** Max advDelay, ms (Vol 6 Part B 4.4.2.2.1). */
export const ADV_DELAY_MAX_MS = 10;

export class Air {
  readonly model: AirModel;
  private readonly scheduler: Scheduler;
  private readonly rand: () => number;
  private readonly members: Member[] = [];
  private nextIndex = 0;
  /** Called for every report handed to a scanning controller. */
  onDelivery: ((d: AirDelivery) => void) | undefined;
  stats = { advertisingEvents: 0, reports: 0, connections: 0 };
  /** LE connections (ended ones are pruned when the next one is made; check `closed`). */
  readonly links = new Set<Link>();
  /** Called when an initiator and an advertiser make a connection. */
  onConnection: ((e: { atMs: number; central: string; peripheral: string }) => void) | undefined;

  constructor(o: AirOptions) {
    this.scheduler = o.scheduler;
    this.model = o.model;
    this.rand = mulberry32(o.seed ?? 1);
  }

  get controllers(): VirtualController[] {
    return this.members.map((m) => m.c);
  }

  attach(c: VirtualController): ControllerInfo {
    const m: Member = { c, index: this.nextIndex++, timer: undefined };
    this.members.push(m);
    c.onRadioChange = () => this.update(m);
    this.update(m);
    return this.info(m);
  }

  detach(c: VirtualController): void {
    const i = this.members.findIndex((m) => m.c === c);
    if (i < 0) return;
    const m = this.members[i];
    if (m.timer) this.scheduler.cancel(m.timer);
    c.onRadioChange = undefined;
    this.members.splice(i, 1);
  }

  infoOf(c: VirtualController): ControllerInfo | undefined {
    const m = this.members.find((x) => x.c === c);
    return m && this.info(m);
  }

  private info(m: Member): ControllerInfo {
    const c = m.c;
    return { address: c.ownAddress(c.advParams.ownAddressType).address, publicAddress: c.address, index: m.index };
  }

  private update(m: Member): void {
    const on = m.c.advertising && !m.c.closed;
    if (on && !m.timer) {
      // First event after advDelay only; later ones at the interval plus advDelay.
      m.timer = this.scheduler.at(this.advDelay(), () => this.advertisingEvent(m));
    } else if (!on && m.timer) {
      this.scheduler.cancel(m.timer);
      m.timer = undefined;
    }
  }

  private advDelay(): number {
    return this.rand() * ADV_DELAY_MAX_MS;
  }

  private advertisingEvent(m: Member): void {
    m.timer = undefined;
    const tx = m.c;
    if (!tx.advertising || tx.closed) return;
    this.stats.advertisingEvents++;
    const now = this.scheduler.now();
    const p = tx.advParams;
    const eventType =
      p.type === ADV_TYPE.ADV_IND ? REPORT_TYPE.ADV_IND :
      p.type === ADV_TYPE.ADV_SCAN_IND ? REPORT_TYPE.ADV_SCAN_IND :
      p.type === ADV_TYPE.ADV_NONCONN_IND ? REPORT_TYPE.ADV_NONCONN_IND :
      undefined; // directed adverts are addressed to one peer: not routed in this air
    const scannable = p.type === ADV_TYPE.ADV_IND || p.type === ADV_TYPE.ADV_SCAN_IND;
    const txInfo = this.info(m);
    // The type follows the address actually sent, so a report never says "random" with a public address.
    const addressType = tx.ownAddress(p.ownAddressType).type;
    if (eventType !== undefined) {
      for (const r of this.members) {
        if (r === m || !r.c.scanning || r.c.closed || !this.inScanWindow(r.c, now)) continue;
        const rxInfo = this.info(r);
        const rssi = this.model.rssi(txInfo, rxInfo, now);
        if (rssi === null) continue;
        this.deliver(r.c, now, txInfo.address, rxInfo.address, { eventType, addressType, address: txInfo.address, data: tx.advData, rssi: toInt8(rssi) });
        // Active scanner + scannable advert: SCAN_REQ / SCAN_RSP exchange (Vol 6 Part B 4.4.3.2).
        if (scannable && r.c.scanParams.active) {
          const rssi2 = this.model.rssi(txInfo, rxInfo, now);
          if (rssi2 === null) continue;
          this.deliver(r.c, now, txInfo.address, rxInfo.address, {
            eventType: REPORT_TYPE.SCAN_RSP, addressType, address: txInfo.address, data: tx.scanResponseData, rssi: toInt8(rssi2),
          });
        }
      }
    }
    // Connectable undirected advert: an initiator listening for this advertiser sends CONNECT_IND
    // (Vol 6 Part B 4.4.4); the first initiator in attach order wins this event.
    if (p.type === ADV_TYPE.ADV_IND) this.tryConnect(m, txInfo, addressType, now);
    if (!tx.advertising) return; // a connection ended this advertising set (Vol 4 Part E 7.8.9)
    // The controller uses intervalMin (allowed: any value in [min, max], Vol 6 Part B 4.4.2.2.1).
    m.timer = this.scheduler.at(p.intervalMin * SLOT_MS + this.advDelay(), () => this.advertisingEvent(m));
  }

  private deliver(rx: VirtualController, atMs: number, txAddr: string, rxAddr: string, r: Parameters<VirtualController['deliverReport']>[0]): void {
    if (rx.deliverReport(r)) {
      this.stats.reports++;
      this.onDelivery?.({ atMs, tx: txAddr, rx: rxAddr, eventType: r.eventType, rssi: r.rssi });
    }
  }

  private tryConnect(adv: Member, advInfo: ControllerInfo, advAddressType: number, now: number): void {
    for (const r of this.members) {
      const init = r.c.initiating;
      if (r === adv || !init || r.c.closed) continue;
      if (init.peerAddress !== advInfo.address || init.peerAddressType !== advAddressType) continue;
      if (!inWindow(init.scanInterval, init.scanWindow, now - init.startedMs)) continue;
      const rxInfo = this.info(r);
      if (this.model.rssi(advInfo, rxInfo, now) === null) continue;
      const central = r.c;
      const peripheral = adv.c;
      const link: Link = new Link({
        scheduler: this.scheduler,
        central: central.linkEnd(),
        peripheral: peripheral.linkEnd(),
        params: init.params,
        inRange: () => !central.closed && !peripheral.closed && this.model.rssi(advInfo, rxInfo, this.scheduler.now()) !== null,
      });
      this.links.add(link);
      this.stats.connections++;
      const own = central.ownAddress(init.ownAddressType);
      central.linkUp(link, 'central', { address: advInfo.address, type: advAddressType }, () => this.model.rssi(advInfo, rxInfo, this.scheduler.now()));
      peripheral.linkUp(link, 'peripheral', own, () => this.model.rssi(rxInfo, advInfo, this.scheduler.now()));
      this.onConnection?.({ atMs: now, central: own.address, peripheral: advInfo.address });
      this.pruneLinks();
      return;
    }
  }

  private pruneLinks(): void {
    for (const l of this.links) if (l.closed) this.links.delete(l);
  }

  /** A scanner listens for scanWindow out of every scanInterval from scan start (Vol 6 Part B 4.4.3). */
  private inScanWindow(c: VirtualController, now: number): boolean {
    return inWindow(c.scanParams.interval, c.scanParams.window, now - c.scanStartedMs);
  }

  close(): void {
    for (const l of this.links) l.dispose();
    this.links.clear();
    for (const m of [...this.members]) this.detach(m.c);
  }
}

/** Listening for `window` out of every `interval` (0.625 ms units) since `sinceMs` ago (Vol 6 Part B 4.4.3). */
function inWindow(interval: number, window: number, sinceMs: number): boolean {
  if (window >= interval) return true;
  return sinceMs % (interval * SLOT_MS) < window * SLOT_MS;
}

function toInt8(dbm: number): number {
  return Math.max(-127, Math.min(20, Math.round(dbm)));
}
