// Presence at the door: Bluezone phones per 15-minute slot, without our own beacon and without
// stationary transmitters. The one computation behind `scan report`, `scan export --format presence`
// and the fleet reporter's counts.
//
// What is observable (bluezone-protocol.md): every phone changes its BluezoneID at the UTC quarter
// hours (1.2; Android's on-air ID may lag the boundary by up to ~65 s, 1.3), so an ID never identifies a
// transmitter for longer than one slot. A transmitter's identity across slots is not observable; its
// *continuity* is: a transmitter in range all day is heard in (nearly) every minute of every slot, one
// new ID per slot. Hence the rule (STATIONARY_RULE below): an ID heard in >= 12 of its slot's 15 minutes
// is "resident"; resident IDs of consecutive slots are linked into runs (one per transmitter, closest
// median RSSI first); a run of >= 4 slots (an hour without a gap) is a stationary transmitter and all of
// its IDs are left out, plus, at each end of the run, the ID heard without a gap up to (from) the
// boundary. Visitors stay minutes (docs/adoption-report.md), so they are never resident for an hour.
//
// Our own beacon is never counted: the logbook writes our own current ID in each row's `blid` column when
// the beacon's key is on this device (logbook.ts, `ownIdAt`), so every ID we sent that day is known
// locally; callers that can read the key may pass `ownIdAt` too (logbooks written without the key).
import type Database from 'better-sqlite3';
import { SLOT_MS } from '../protocol/keys.ts';

type Db = Database.Database;

/** Android's on-air ID may lag a slot boundary by up to one advertising period (~65 s, bluezone-protocol.md 1.3). */
export const BOUNDARY_LAG_MS = 65_000;
/** Minutes of a slot an ID must be heard in to be "resident" (12 of 15: in range the whole slot, a few minutes lost to fades or scanner restarts). */
export const RESIDENT_MIN_MINUTES = 12;
/** Consecutive resident slots that make a transmitter stationary (4 = one hour; visitors stay minutes). */
export const STATIONARY_MIN_SLOTS = 4;
/** At the ends of a stationary run: the ID nearest the boundary must be heard this close to it. */
const EDGE_MS = 2 * 60_000;

export const STATIONARY_RULE =
  `A transmitter is stationary when it is heard without a gap for an hour or more: BluezoneIDs change every 15 minutes, ` +
  `so an ID heard in at least ${RESIDENT_MIN_MINUTES} of its slot's 15 minutes counts as resident, resident IDs of ` +
  `consecutive slots are linked (closest RSSI first), and a chain of at least ${STATIONARY_MIN_SLOTS} slots is one ` +
  `stationary transmitter; its IDs, and the IDs heard without a gap up to the start and from the end of its chain, ` +
  `are left out of the visitor count. Our own beacon's IDs are always left out.`;

export interface PresenceOptions {
  /** Our own BluezoneID at a time, when this process can read the beacon's key (adds to the `blid` column). */
  ownIdAt?: (ms: number) => Uint8Array | undefined;
  /** Slots starting at or after this time have not happened yet: `future`, no counts. */
  nowMs?: number;
  /** Typical minutes a phone stays in range, for the estimate (default 2). */
  dwellMin?: number;
}

/** One UTC quarter hour at the door. */
export interface SlotPresence {
  /** 0..95: the UTC slot of the day (bluezone-protocol.md 1.2). */
  slot: number;
  startMs: number;
  endMs: number;
  /** Not begun yet (startMs >= nowMs): no counts, left out of charts. */
  future: boolean;
  /** Phones counted: distinct BluezoneIDs first heard in this slot, less our own and stationary ones. */
  distinctIds: number;
  /** Of distinctIds, the iPhones' (IDs read over GATT, platform iOS; docs/ios-gatt.md). */
  ios: number;
  /** IDs of the previous slot still heard just after the boundary (Android lag, 1.3); not counted. */
  carriedOver: number;
  /** Our own beacon's IDs heard in the slot (not counted). */
  own: number;
  /** Stationary transmitters heard in the slot (not counted). */
  stationary: number;
  /** Rows logged in the slot, our own beacon's included. */
  sightings: number;
  /** Strongest RSSI heard in the slot (our own beacon left out), dBm. */
  strongestRssi: number | null;
}

export interface StationaryTransmitter {
  fromMs: number;
  toMs: number;
  /** Slots (IDs) it was heard in. */
  slots: number;
  medianRssi: number;
  platform: 'Android' | 'iOS';
}

export interface PresenceEstimate {
  /** Point estimate of distinct phones over the period. */
  visitors: number;
  /** Busiest slot: at least this many different phones (IDs in one slot are different phones). */
  lower: number;
  /** Sum over slots: at most this many (if nobody was heard in two slots). */
  upper: number;
  /** Of `visitors`, iPhones (the iPhones' share of the slot counts). */
  ios: number;
  android: number;
  dwellMin: number;
  method: string;
}

export interface PresencePeriod {
  fromMs: number;
  toMs: number;
  slots: SlotPresence[];
  stationary: StationaryTransmitter[];
  /** Rows of our own beacon in the period (0 when the logbook never heard it or has no key). */
  ownRows: number;
  estimate: PresenceEstimate;
  rule: string;
}

interface IdTrack {
  id: string;
  slot: number;
  minutes: number; // bit i = heard in minute i of the slot
  first: number;
  last: number;
  rssi: number[];
  ios: boolean;
}

const popcount = (v: number) => {
  let n = 0;
  for (; v; v &= v - 1) n++;
  return n;
};
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : 0;
};

/** Minutes heard of a contiguous range [a, b] (0..14) of a slot. */
const minutesIn = (mask: number, a: number, b: number) => {
  let n = 0;
  for (let i = a; i <= b; i++) if (mask & (1 << i)) n++;
  return n;
};

/**
 * Bluezone phones per 15-minute slot over [fromMs, toMs) (slot-aligned, at most a few weeks), with our
 * own beacon and stationary transmitters left out, and the visitor estimate over the slots that have begun.
 */
export function computePresence(db: Db, fromMs: number, toMs: number, opts: PresenceOptions = {}): PresencePeriod {
  const from = Math.floor(fromMs / SLOT_MS) * SLOT_MS;
  const to = Math.max(from, Math.ceil(toMs / SLOT_MS) * SLOT_MS);
  const n = (to - from) / SLOT_MS;
  const nowMs = opts.nowMs ?? Number.POSITIVE_INFINITY;
  // Our own IDs: every `blid` the logbook wrote around the period, plus the key's when given.
  const own = new Set<string>();
  const blids = db.prepare('SELECT DISTINCT blid FROM trace_info WHERE blid IS NOT NULL AND timestamp >= ? AND timestamp < ?').all(from - 2 * SLOT_MS, to + SLOT_MS) as { blid: Buffer }[];
  for (const b of blids) own.add(b.blid.toString('hex'));
  if (opts.ownIdAt) {
    for (let t = from - SLOT_MS; t < to + SLOT_MS; t += SLOT_MS) {
      const id = opts.ownIdAt(t);
      if (id) own.add(Buffer.from(id).toString('hex'));
    }
  }
  const slots: SlotPresence[] = [];
  const tracks: Map<string, IdTrack>[] = [];
  const lagging: Set<string>[] = [];
  for (let s = 0; s < n; s++) {
    const startMs = from + s * SLOT_MS;
    slots.push({ slot: Math.floor((startMs % 86_400_000) / SLOT_MS), startMs, endMs: startMs + SLOT_MS, future: startMs >= nowMs, distinctIds: 0, ios: 0, carriedOver: 0, own: 0, stationary: 0, sightings: 0, strongestRssi: null });
    tracks.push(new Map());
    lagging.push(new Set());
  }
  const before = new Set<string>(); // IDs of the slot before the period, to recognise them as carried over
  const ownSeen: Set<string>[] = slots.map(() => new Set());
  let ownRows = 0;
  const it = db
    .prepare('SELECT blid_contact, rssi, timestamp, platform FROM trace_info WHERE blid_contact IS NOT NULL AND timestamp >= ? AND timestamp < ? ORDER BY timestamp, _id')
    .iterate(from - SLOT_MS, Math.min(to, nowMs + 1)) as IterableIterator<{ blid_contact: Buffer; rssi: number; timestamp: number; platform: string }>;
  for (const r of it) {
    const id = r.blid_contact.toString('hex');
    const s = Math.floor((r.timestamp - from) / SLOT_MS);
    if (s < 0) {
      before.add(id);
      continue;
    }
    const slot = slots[s];
    slot.sightings++;
    if (own.has(id)) {
      ownRows++;
      ownSeen[s].add(id);
      continue;
    }
    slot.strongestRssi = slot.strongestRssi === null ? r.rssi : Math.max(slot.strongestRssi, r.rssi);
    const prev = s === 0 ? before : tracks[s - 1];
    if (r.timestamp - slot.startMs < BOUNDARY_LAG_MS && prev.has(id) && !tracks[s].has(id)) {
      lagging[s].add(id);
      continue;
    }
    let t = tracks[s].get(id);
    if (!t) {
      t = { id, slot: s, minutes: 0, first: r.timestamp, last: r.timestamp, rssi: [], ios: false };
      tracks[s].set(id, t);
    }
    t.minutes |= 1 << Math.min(14, Math.floor((r.timestamp - slot.startMs) / 60_000));
    t.last = r.timestamp;
    t.rssi.push(r.rssi);
    if (r.platform === 'iOS') t.ios = true;
  }

  // Stationary runs: link resident IDs slot to slot.
  const excluded = new Set<IdTrack>();
  const stationary: StationaryTransmitter[] = [];
  let open: IdTrack[][] = [];
  const closeRun = (run: IdTrack[]) => {
    if (run.length < STATIONARY_MIN_SLOTS) return;
    const head = run[0];
    const tail = run[run.length - 1];
    const all = [...run];
    // the partial slot before the run: heard up to the boundary, without a gap since it was first heard
    const pre = head.slot > 0 ? [...tracks[head.slot - 1].values()].filter((t) => !excluded.has(t) && t.last >= slots[head.slot].startMs - EDGE_MS && gapless(t)) : [];
    if (pre.length) all.unshift(pre.sort((a, b) => a.first - b.first)[0]);
    // the partial slot after it: heard from the boundary on (Android's new ID may come up to ~65 s late)
    const post = tail.slot + 1 < n ? [...tracks[tail.slot + 1].values()].filter((t) => !excluded.has(t) && t.first < slots[tail.slot + 1].startMs + EDGE_MS && gapless(t)) : [];
    if (post.length) all.push(post.sort((a, b) => b.last - a.last)[0]);
    for (const t of all) excluded.add(t);
    stationary.push({
      fromMs: all[0].first,
      toMs: all[all.length - 1].last,
      slots: all.length,
      medianRssi: median(run.flatMap((t) => t.rssi)),
      platform: run.some((t) => t.ios) ? 'iOS' : 'Android',
    });
  };
  const gapless = (t: IdTrack) => {
    const a = Math.floor((t.first - slots[t.slot].startMs) / 60_000);
    const b = Math.min(14, Math.floor((t.last - slots[t.slot].startMs) / 60_000));
    return minutesIn(t.minutes, a, b) >= Math.max(1, Math.floor((b - a + 1) * (RESIDENT_MIN_MINUTES / 15)));
  };
  for (let s = 0; s < n; s++) {
    const resident = [...tracks[s].values()].filter((t) => popcount(t.minutes) >= RESIDENT_MIN_MINUTES).map((t) => ({ t, m: median(t.rssi) }));
    const next: IdTrack[][] = [];
    // pair each open run with the resident ID of closest median RSSI (greedy, deterministic order)
    const pairs = open.flatMap((run, i) => resident.map((r, j) => ({ i, j, d: Math.abs(median(run[run.length - 1].rssi) - r.m) }))).sort((a, b) => a.d - b.d || a.i - b.i || a.j - b.j);
    const usedRun = new Set<number>();
    const usedRes = new Set<number>();
    for (const p of pairs) {
      if (usedRun.has(p.i) || usedRes.has(p.j)) continue;
      usedRun.add(p.i);
      usedRes.add(p.j);
      next.push([...open[p.i], resident[p.j].t]);
    }
    open.forEach((run, i) => usedRun.has(i) || closeRun(run));
    resident.forEach((r, j) => usedRes.has(j) || next.push([r.t]));
    open = next;
  }
  open.forEach(closeRun);
  stationary.sort((a, b) => a.fromMs - b.fromMs);

  for (let s = 0; s < n; s++) {
    const slot = slots[s];
    slot.own = ownSeen[s].size;
    for (const t of tracks[s].values()) {
      if (excluded.has(t)) {
        slot.stationary++;
        continue;
      }
      slot.distinctIds++;
      if (t.ios) slot.ios++;
    }
    slot.carriedOver = [...lagging[s]].filter((id) => !tracks[s].has(id)).length;
  }
  return { fromMs: from, toMs: to, slots, stationary, ownRows, estimate: presenceEstimate(slots.filter((s) => !s.future), opts.dwellMin), rule: STATIONARY_RULE };
}

/** How a period's estimate is made, without its figures (the week page states it once for all days). */
export const ESTIMATE_METHOD =
  'sum of distinct IDs per slot / (1 + dwell / 15 min), clamped to [busiest slot, sum of slots]; Android phones and iPhones whose ID was read over GATT; our own beacon and stationary transmitters left out';

/**
 * Every phone changes ID at the same UTC boundaries, so a phone heard for D minutes shows up in
 * 1 + D/15 slots on average (a stay of D minutes starting at a uniformly random time crosses D/15
 * boundaries in expectation). Distinct visitors ~ sum(distinct IDs per slot) / (1 + D/15), clamped
 * to [max per slot, sum].
 */
export function presenceEstimate(rows: readonly { distinctIds: number; ios?: number }[], dwellMin = 2): PresenceEstimate {
  const upper = rows.reduce((a, r) => a + r.distinctIds, 0);
  const lower = rows.reduce((a, r) => Math.max(a, r.distinctIds), 0);
  const iosSum = rows.reduce((a, r) => a + (r.ios ?? 0), 0);
  const raw = upper / (1 + dwellMin / 15);
  const visitors = Math.round(Math.min(upper, Math.max(lower, raw)));
  const ios = upper === 0 ? 0 : Math.round((visitors * iosSum) / upper);
  return {
    visitors,
    lower,
    upper,
    ios,
    android: visitors - ios,
    dwellMin,
    method: `sum of distinct IDs per slot / (1 + ${dwellMin} min dwell / 15 min), clamped to [busiest slot ${lower}, sum ${upper}]; Android phones and iPhones whose ID was read over GATT; our own beacon and stationary transmitters left out`,
  };
}

/** The local clock hour [startMs, startMs + 1 h) with the most phones (sum of its slots' counts); null if none. */
export function peakHour(slots: readonly SlotPresence[], offsetMinAt: (ms: number) => number): { startMs: number; phones: number } | null {
  const byHour = new Map<number, number>();
  for (const s of slots) {
    if (s.future) continue;
    const off = offsetMinAt(s.startMs) * 60_000;
    const h = Math.floor((s.startMs + off) / 3_600_000) * 3_600_000 - off;
    byHour.set(h, (byHour.get(h) ?? 0) + s.distinctIds);
  }
  let best: { startMs: number; phones: number } | null = null;
  for (const [h, c] of [...byHour].sort((a, b) => a[0] - b[0])) if (c > 0 && (!best || c > best.phones)) best = { startMs: h, phones: c };
  return best;
}
