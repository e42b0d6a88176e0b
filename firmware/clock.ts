// The one clock interface of the device code: the beacon's ID schedule, its watchdog timers and the
// virtual controller's scheduler (hci/scheduler.ts VirtualScheduler implements it too) all take a Clock,
// so tests drive any of them on virtual time. Production: the system clock (UTC via NTP).

export type Cancel = () => void;

/** A time source with timers on its own time scale. */
export interface Clock {
  now(): number;
  /** Calls fn after `ms` of this clock's time. */
  setTimeout(fn: () => void, ms: number): Cancel;
}

/** Real-time timers for the watchdog (kept separate so a sped-up test clock does not shorten them). */
export interface Timers {
  setTimeout(fn: () => void, ms: number): Cancel;
}

export const realTimers: Timers = {
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

export const systemClock: Clock = { now: () => Date.now(), setTimeout: realTimers.setTimeout };

/**
 * TEST MODE ONLY: a clock that starts at `startMs` and runs `speed` times faster than real time, so
 * end-to-end tests see a 15-minute slot boundary in seconds. Enabled by env BLUEZONE_TEST_CLOCK; the
 * daemon logs a warning and status.json says test_clock: true. Never use it on a real beacon: phones
 * derive the same IDs from real UTC time.
 */
export function scaledClock(startMs: number, speed: number, real: () => number = Date.now, anchorMs?: number): Clock {
  // anchorMs: the real time at which the fake clock reads startMs, so several processes share one fake clock.
  const realStart = anchorMs ?? real();
  return {
    now: () => Math.floor(startMs + (real() - realStart) * speed),
    setTimeout(fn, ms) {
      const t = setTimeout(fn, Math.max(0, Math.ceil(ms / speed)));
      return () => clearTimeout(t);
    },
  };
}

/** Parses BLUEZONE_TEST_CLOCK = "start=<ISO time>,speed=<N>,anchor=<real Unix ms>" (all optional). */
export function parseTestClock(spec: string, real: () => number = Date.now): Clock {
  let start = real();
  let speed = 1;
  let anchor: number | undefined;
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [k, v] = part.split('=');
    if (k === 'start' && !Number.isNaN(Date.parse(v))) start = Date.parse(v);
    else if (k === 'speed' && Number(v) > 0 && Number(v) <= 100_000) speed = Number(v);
    else if (k === 'anchor' && /^\d+$/.test(v ?? '')) anchor = Number(v);
    else throw new Error(`BLUEZONE_TEST_CLOCK: cannot read "${part}"; expected start=<ISO time>,speed=<1..100000>,anchor=<Unix ms>`);
  }
  return scaledClock(start, speed, real, anchor);
}

