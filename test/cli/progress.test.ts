import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress } from '../../cli/progress.ts';

function sink() {
  const chunks: string[] = [];
  const err = new Writable({
    write(c, _e, cb) {
      chunks.push(String(c));
      cb();
    },
  });
  return { err, text: () => chunks.join(''), writes: () => chunks.length };
}

function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('createProgress', () => {
  it('draws a bar with percent and ETA on a terminal, at most ~10 redraws per second', () => {
    const s = sink();
    const c = clock();
    const p = createProgress({ err: s.err, isTTY: true, quiet: false }, 'sim', 1000, { now: c.now });
    // 1000 ticks within 0.5 s: only a handful of redraws, not one per tick.
    for (let i = 0; i < 1000; i++) {
      p.tick();
      c.advance(0.5);
    }
    expect(s.writes()).toBeGreaterThan(1);
    expect(s.writes()).toBeLessThanOrEqual(6);
    expect(s.text()).toContain('\r');
    p.done();
    const text = s.text();
    expect(text).toMatch(/sim \[#+\] 100% 1000\/1000 in 0\.5s\x1b\[K\n$/);
  });

  it('estimates the remaining time from the rate so far', () => {
    const s = sink();
    const c = clock();
    const p = createProgress({ err: s.err, isTTY: true, quiet: false }, 'job', 100, { now: c.now });
    c.advance(4000);
    p.update(25); // 25 in 4 s -> 75 more take 12 s
    expect(s.text()).toContain('25/100 ETA 12s');
  });

  it('prints plain lines at 10% steps when not a terminal, no carriage returns', () => {
    const s = sink();
    const c = clock();
    const p = createProgress({ err: s.err, isTTY: false, quiet: false }, 'eval', 200, { now: c.now });
    for (let i = 0; i < 200; i++) {
      p.tick();
      c.advance(1);
    }
    p.done();
    const lines = s.text().trimEnd().split('\n');
    expect(s.text()).not.toContain('\r');
    // 10%..90% plus the closing line.
    expect(lines).toHaveLength(10);
    expect(lines[0]).toMatch(/^eval: 10% \(20\/200\), ETA /);
    expect(lines.at(-1)).toBe('eval: done (200/200) in 0.2s');
  });

  it('shows no ETA from the first ticks (under 1% and 1 s)', () => {
    const s = sink();
    const c = clock();
    const p = createProgress({ err: s.err, isTTY: true, quiet: false }, 'sim', 3600, { now: c.now });
    c.advance(50);
    p.update(1);
    expect(s.text()).toContain('1/3600 ETA ?');
  });

  it('prints a plain line after 5 s without progress steps', () => {
    const s = sink();
    const c = clock();
    const p = createProgress({ err: s.err, isTTY: false, quiet: false }, 'slow', 1000, { now: c.now });
    p.tick();
    expect(s.text()).toBe('');
    c.advance(5001);
    p.tick();
    expect(s.text()).toMatch(/^slow: 0% \(2\/1000\), ETA /);
  });

  it('prints nothing with --quiet', () => {
    for (const isTTY of [true, false]) {
      const s = sink();
      const p = createProgress({ err: s.err, isTTY, quiet: true }, 'q', 10);
      for (let i = 0; i < 10; i++) p.tick();
      p.done();
      expect(s.text()).toBe('');
    }
  });

  it('handles an unknown total and a repeated done()', () => {
    const s = sink();
    const c = clock();
    const p = createProgress({ err: s.err, isTTY: true, quiet: false }, 'scan', 0, { now: c.now });
    p.tick(7);
    p.done();
    p.done();
    expect(s.text()).toMatch(/scan 7 in 0\.0s\x1b\[K\n$/);
    expect(s.text().match(/\n/g)).toHaveLength(1);
  });
});
