import { describe, expect, it } from 'vitest';
import { parseTestClock, scaledClock, type Clock } from '../../firmware/clock.ts';
import { VirtualScheduler } from '../../firmware/hci/scheduler.ts';

describe('one clock for the device code (firmware/clock.ts)', () => {
  it('the virtual controller\'s scheduler is a Clock: timers fire in time order and cancel', () => {
    const s = new VirtualScheduler(1000);
    const c: Clock = s;
    const fired: string[] = [];
    c.setTimeout(() => fired.push(`b@${c.now()}`), 20);
    const cancel = c.setTimeout(() => fired.push('never'), 10);
    c.setTimeout(() => fired.push(`a@${c.now()}`), 5);
    cancel();
    s.advance(30);
    expect(fired).toEqual(['a@1005', 'b@1020']);
    expect(c.now()).toBe(1030);
  });

  it('the test clock runs from its start at its speed and rejects a bad spec', () => {
    let real = 1_000;
    const c = scaledClock(Date.UTC(2026, 0, 1), 60, () => real);
    real += 1_000;
    expect(c.now()).toBe(Date.UTC(2026, 0, 1) + 60_000);
    expect(parseTestClock('start=2026-01-01T00:00:00Z,speed=10', () => 0).now()).toBe(Date.UTC(2026, 0, 1));
    expect(() => parseTestClock('speed=0')).toThrow(/cannot read "speed=0"/);
  });
});
