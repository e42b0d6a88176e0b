// A deterministic clock for daemon tests: timers run in time order when the test advances time.
import type { Cancel, Clock, Timers } from '../../../firmware/clock.ts';

export class FakeTime implements Clock, Timers {
  private timers: { at: number; seq: number; fn: () => void }[] = [];
  private seq = 0;
  constructor(public t: number) {}
  now = (): number => this.t;
  setTimeout = (fn: () => void, ms: number): Cancel => {
    const entry = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(entry);
    return () => {
      this.timers = this.timers.filter((e) => e !== entry);
    };
  };
  /** Advances time by `ms`, firing due timers in order and letting promises settle in between. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await settle();
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
      await settle();
    }
    this.t = end;
    await settle();
  }
  /** The wall clock steps (NTP): pending timers still fire after the same elapsed time, like real ones. */
  jump(toMs: number): void {
    const d = toMs - this.t;
    for (const e of this.timers) e.at += d;
    this.t = toMs;
  }
  pending(): number {
    return this.timers.length;
  }
}

export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
