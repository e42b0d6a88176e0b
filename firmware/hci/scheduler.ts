// Time for the virtual controller and the air. Logic only sees `Scheduler`; tests drive a
// VirtualScheduler by hand, the server wraps the same scheduler in a real-time driver.
import type { Cancel, Clock } from '../clock.ts';

export interface TimerHandle {
  readonly id: number;
}

export interface Scheduler {
  /** Milliseconds (Unix epoch in real time; any origin in virtual time). Never goes backwards. */
  now(): number;
  /** Runs `fn` at now() + delayMs (delay clamped to >= 0). */
  at(delayMs: number, fn: () => void): TimerHandle;
  cancel(h: TimerHandle): void;
}

interface Entry {
  id: number;
  due: number;
  fn: () => void;
}

/**
 * A timer queue on a virtual clock. Timers due at the same time run in the order they were set,
 * so a run is deterministic. `advanceTo`/`advance` run every timer due up to the target time.
 */
export class VirtualScheduler implements Scheduler, Clock {
  private t: number;
  private seq = 0;
  private queue: Entry[] = [];
  /** Called whenever the earliest due time may have changed (used by the real-time driver). */
  onChange: (() => void) | undefined;

  constructor(startMs = 0) {
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }

  at(delayMs: number, fn: () => void): TimerHandle {
    const e: Entry = { id: ++this.seq, due: this.t + Math.max(0, delayMs), fn };
    // Insert keeping (due, id) order; queues are small (one timer per advertiser).
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1].due > e.due) i--;
    this.queue.splice(i, 0, e);
    this.onChange?.();
    return { id: e.id };
  }

  cancel(h: TimerHandle): void {
    const i = this.queue.findIndex((e) => e.id === h.id);
    if (i >= 0) this.queue.splice(i, 1);
  }

  /** The Clock form of at/cancel (firmware/clock.ts), so device code runs on this virtual time too. */
  setTimeout(fn: () => void, ms: number): Cancel {
    const h = this.at(ms, fn);
    return () => this.cancel(h);
  }

  /** Due time of the earliest timer, or undefined when none is pending. */
  nextDue(): number | undefined {
    return this.queue[0]?.due;
  }

  advanceTo(targetMs: number): void {
    while (this.queue.length > 0 && this.queue[0].due <= targetMs) {
      const e = this.queue.shift()!;
      if (e.due > this.t) this.t = e.due;
      e.fn();
    }
    if (targetMs > this.t) this.t = targetMs;
  }

  advance(ms: number): void {
    this.advanceTo(this.t + ms);
  }
}

/**
 * Keeps a VirtualScheduler in step with the wall clock: one node timer armed for the earliest due
 * entry. This is the only place in firmware/hci that touches real timers.
 */
export class RealTimeDriver {
  private timer: NodeJS.Timeout | undefined;
  private armedFor: number | undefined;
  private stopped = false;

  constructor(
    readonly scheduler: VirtualScheduler,
    private readonly wallMs: () => number = Date.now,
  ) {
    scheduler.advanceTo(wallMs());
    scheduler.onChange = () => this.arm();
    this.arm();
  }

  private arm(): void {
    if (this.stopped) return;
    const due = this.scheduler.nextDue();
    if (due === undefined || due === this.armedFor) return;
    if (this.timer) clearTimeout(this.timer);
    this.armedFor = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.armedFor = undefined;
      this.scheduler.advanceTo(this.wallMs());
      this.arm();
    }, Math.max(0, due - this.wallMs()));
  }

  /** Brings virtual time up to the wall clock (call before handling input). */
  sync(): void {
    this.scheduler.advanceTo(this.wallMs());
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.scheduler.onChange = undefined;
  }
}
