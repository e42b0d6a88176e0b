// Thinning an observation stream to GAEN's scan schedule: what a phone running Exposure Notifications
// would have logged of the same air. GAEN scans about 4 s every 3.5-5 min (peers-and-radio-facts.md,
// GAEN "scan instances"; the v1.5+ schedule is opportunistic, "about every 5 min, at least every 5 min"
// in Google's FAQ), so each receiver here gets its own seeded schedule: scan k lasts SCAN_MS and the next
// one starts a uniform 3.5-5 min later. Readings outside the receiver's scans are dropped.
//
// Deterministic: a receiver's schedule depends only on (seed, receiver name, the first timestamp seen for
// it), so the same input and seed always keep the same rows, whatever other receivers are in the file.
import { mulberry32 } from '../firmware/hci/airModel.ts';

export interface ScanSchedule {
  /** Scan length (ms). */
  scanMs: number;
  /** Gap between scan starts: uniform in [minPeriodMs, maxPeriodMs]. */
  minPeriodMs: number;
  maxPeriodMs: number;
}

/** GAEN: scans of ~4 s every 3.5-5 min (2-4 scans per 15-minute window). */
export const GAEN_SCHEDULE: Readonly<ScanSchedule> = Object.freeze({ scanMs: 4_000, minPeriodMs: 210_000, maxPeriodMs: 300_000 });

/** FNV-1a 32-bit of a string (seeds one receiver's schedule). */
function fnv1a(s: string, h = 0x811c9dc5): number {
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

interface ReceiverScans {
  rand: () => number;
  start: number;
  end: number;
}

/** Streaming filter: keep(o) says whether the receiver was scanning at o's time. Input sorted by time. */
export class ScanThinner {
  private readonly rx = new Map<string, ReceiverScans>();
  kept = 0;
  seen = 0;

  constructor(readonly seed = 1, readonly schedule: ScanSchedule = GAEN_SCHEDULE) {
    if (!(schedule.scanMs > 0 && schedule.minPeriodMs >= schedule.scanMs && schedule.maxPeriodMs >= schedule.minPeriodMs))
      throw new RangeError('scan schedule: need 0 < scanMs <= minPeriodMs <= maxPeriodMs');
  }

  private period(r: ReceiverScans): number {
    const s = this.schedule;
    return s.minPeriodMs + Math.floor(r.rand() * (s.maxPeriodMs - s.minPeriodMs + 1));
  }

  keep(o: { timestampMs: number; receiver: string }): boolean {
    this.seen++;
    const t = o.timestampMs;
    let r = this.rx.get(o.receiver);
    if (r === undefined) {
      // The first scan starts at a random phase of the first period, so receivers are not in lockstep.
      const rand = mulberry32(fnv1a(o.receiver, (this.seed >>> 0) ^ 0x811c9dc5));
      r = { rand, start: 0, end: 0 };
      r.start = t - Math.floor(rand() * this.period(r));
      r.end = r.start + this.schedule.scanMs;
      this.rx.set(o.receiver, r);
    }
    while (t >= r.end) {
      // Skip whole periods at once would change the draws; a long silence costs one draw per period.
      r.start += this.period(r);
      r.end = r.start + this.schedule.scanMs;
    }
    const k = t >= r.start;
    if (k) this.kept++;
    return k;
  }
}

/** The rows of a sorted stream that fall in their receiver's scans (GAEN schedule by default). */
export function* thinToSchedule<T extends { timestampMs: number; receiver: string }>(rows: Iterable<T>, seed = 1, schedule: ScanSchedule = GAEN_SCHEDULE): Generator<T> {
  const th = new ScanThinner(seed, schedule);
  for (const o of rows) if (th.keep(o)) yield o;
}
