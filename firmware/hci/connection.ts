// One LE connection between two virtual controllers: connection events at the connection
// interval, data PDUs both ways, termination and the supervision timeout.
// Sections are Core Spec Vol 6 Part B (link layer) unless stated otherwise.
import { STATUS } from './constants.ts';
import type { Scheduler, TimerHandle } from './scheduler.ts';

/** Connection parameters in HCI units (Vol 4 Part E 7.8.12). */
export interface ConnParams {
  /** 1.25 ms units. */
  interval: number;
  latency: number;
  /** 10 ms units. */
  timeout: number;
}

/** Unit of the connection interval (4.5.1) and of the supervision timeout (Vol 4 Part E 7.8.12). */
export const CONN_INTERVAL_UNIT_MS = 1.25;
export const SUPERVISION_UNIT_MS = 10;

/**
 * Data PDUs each side sends per connection event at most. Real controllers chain PDUs with the MD
 * bit (4.5.6) and the number per event is implementation specific; 4 keeps a 27-octet link near
 * real throughput (a few kB/s at 7.5 ms) without flooding hosts.
 */
export const PDUS_PER_EVENT = 4;

/** What a link needs from each controller at its ends. */
export interface LinkEnd {
  /** The controller is still connected to its host and has not reset since the link began. */
  alive(): boolean;
  /** One LL data PDU arrived from the peer: `first` = start of an L2CAP frame (LLID 10b, 2.4). */
  receiveData(link: Link, data: Uint8Array, first: boolean): void;
  /** `count` of this end's queued PDUs were acknowledged (the controller reports Number Of Completed Packets). */
  sent(link: Link, count: number): void;
  /** The link is gone; reason as the HCI Disconnection Complete carries it. */
  ended(link: Link, reason: number): void;
  /** A parameter update took effect (LE Connection Update Complete). */
  updated(link: Link): void;
  /** The peer answered a feature exchange (LE Read Remote Features Complete). */
  featuresRead(link: Link): void;
}

interface Side {
  end: LinkEnd;
  queue: { data: Uint8Array; first: boolean }[];
  /** Termination requested by this side's host (LL_TERMINATE_IND, 5.1.3), with the reason for the peer. */
  terminate: number | undefined;
  wantsFeatures: boolean;
}

export interface LinkOptions {
  scheduler: Scheduler;
  central: LinkEnd;
  peripheral: LinkEnd;
  params: ConnParams;
  /** Whether the two ends hear each other now (the air model); false = this event is lost. */
  inRange: () => boolean;
}

export type LinkRole = 'central' | 'peripheral';

export class Link {
  params: ConnParams;
  private readonly sides: Record<LinkRole, Side>;
  private timer: TimerHandle | undefined;
  private lastHeardMs: number;
  private pendingUpdate: ConnParams | undefined;
  closed = false;
  /** Connection events that carried traffic, and data PDUs moved (tests, logs). */
  stats = { events: 0, pdus: 0 };

  constructor(private readonly o: LinkOptions) {
    this.params = { ...o.params };
    const side = (end: LinkEnd): Side => ({ end, queue: [], terminate: undefined, wantsFeatures: false });
    this.sides = { central: side(o.central), peripheral: side(o.peripheral) };
    this.lastHeardMs = o.scheduler.now();
    this.schedule();
  }

  get intervalMs(): number {
    return this.params.interval * CONN_INTERVAL_UNIT_MS;
  }

  get timeoutMs(): number {
    return this.params.timeout * SUPERVISION_UNIT_MS;
  }

  queued(role: LinkRole): number {
    return this.sides[role].queue.length;
  }

  send(role: LinkRole, data: Uint8Array, first: boolean): void {
    if (!this.closed) this.sides[role].queue.push({ data, first });
  }

  terminate(role: LinkRole, reason: number): void {
    if (!this.closed && this.sides[role].terminate === undefined) this.sides[role].terminate = reason;
  }

  readFeatures(role: LinkRole): void {
    this.sides[role].wantsFeatures = true;
  }

  /** Connection Update procedure (5.1.1): the new parameters apply from the next event. */
  update(p: ConnParams): void {
    this.pendingUpdate = { ...p };
  }

  /** Ends the link at once without telling the ends (the air is closing). */
  dispose(): void {
    this.closed = true;
    if (this.timer) this.o.scheduler.cancel(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.timer = this.o.scheduler.at(this.intervalMs, () => this.event());
  }

  private end(reasons: Partial<Record<LinkRole, number>>): void {
    this.dispose();
    for (const role of ['central', 'peripheral'] as const) {
      const r = reasons[role];
      if (r !== undefined && this.sides[role].end.alive()) this.sides[role].end.ended(this, r);
    }
  }

  /** One connection event (4.5.1). */
  private event(): void {
    this.timer = undefined;
    if (this.closed) return;
    const c = this.sides.central;
    const p = this.sides.peripheral;
    const now = this.o.scheduler.now();
    const bothThere = c.end.alive() && p.end.alive() && this.o.inRange();
    if (!bothThere) {
      // Supervision timeout (4.5.2): the ends still alive report 0x08 Connection Timeout.
      if (now - this.lastHeardMs >= this.timeoutMs) {
        this.end({ central: STATUS.CONNECTION_TIMEOUT, peripheral: STATUS.CONNECTION_TIMEOUT });
        return;
      }
      this.schedule();
      return;
    }
    this.lastHeardMs = now;
    this.stats.events++;
    // Termination (5.1.3): the terminating host hears 0x16, the peer the reason its host gave.
    for (const [me, peer] of [['central', 'peripheral'], ['peripheral', 'central']] as const) {
      const reason = this.sides[me].terminate;
      if (reason !== undefined) {
        this.end({ [me]: STATUS.CONNECTION_TERMINATED_BY_LOCAL_HOST, [peer]: reason });
        return;
      }
    }
    for (const [from, to] of [[c, p], [p, c]] as const) {
      const n = Math.min(PDUS_PER_EVENT, from.queue.length);
      if (n === 0) continue;
      const batch = from.queue.splice(0, n);
      for (const pdu of batch) to.end.receiveData(this, pdu.data, pdu.first);
      this.stats.pdus += n;
      from.end.sent(this, n);
      if (this.closed) return; // a host may disconnect from inside a callback
    }
    for (const s of [c, p]) {
      if (s.wantsFeatures) {
        s.wantsFeatures = false;
        s.end.featuresRead(this);
      }
    }
    if (this.pendingUpdate) {
      this.params = this.pendingUpdate;
      this.pendingUpdate = undefined;
      c.end.updated(this);
      p.end.updated(this);
    }
    if (!this.closed) this.schedule();
  }
}
