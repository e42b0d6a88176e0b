// `bluezone fleet simulate`: N simulated beacons, one per site, reporting to a collector over HTTP with
// the real wire format, for demos and the load test (docs/fleet.md "Load"). Each site's visitors follow
// the simulator's built-in lobby scenario (its groups' arrival windows, counts and stays, scaled per site);
// a phone is counted in every 15-minute slot its stay overlaps, as the logbook would. Outages (a beacon
// silent for a while, then catching up from its queue) and clock errors are injected. The radio is not
// simulated here: the end-to-end test runs the real logbook and reporter.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { presenceEstimate, type PresenceRow } from '../firmware/beacon/logbook.ts';
import { FLEET_API, type DayCounts, type HeartbeatBody, type SlotCounts } from '../firmware/beacon/fleetProtocol.ts';
import { DAY_MS, SLOT_MS, SLOTS_PER_DAY } from '../firmware/protocol/keys.ts';
import { mulberry32 } from '../firmware/hci/airModel.ts';
import { BUILTIN_SCENARIOS } from '../sim/scenario/builtins.ts';
import { parseDuration, parseMoment } from '../sim/scenario/units.ts';

export interface SimBeacon {
  id: string;
  token: string;
  /** Visitors relative to the lobby scenario (0.5 .. 1.5). */
  scale: number;
  /** Injected clock error, ms (0 for most). */
  clockErrorMs: number;
  /** Sim-time outage [from, to), or null. */
  outage: [number, number] | null;
}

export interface SimulateOptions {
  url: string;
  beacons: SimBeacon[];
  /** Sim time runs this many times faster than real time (1 = one heartbeat a minute per beacon). */
  speed: number;
  startMs: number;
  /** Real time to run, ms. */
  runMs: number;
  seed: number;
  /** Share of visitors running Bluezone. */
  adoption: number;
  ca?: string | Buffer;
  /** Called about every real second with the running figures. */
  onProgress?: (s: SimStats) => void;
}

export interface SimStats {
  requests: number;
  heartbeats: number;
  uploads: number;
  errors: number;
  /** Network errors by message (ECONNRESET, timeout ...). */
  errorKinds: Record<string, number>;
  status: Record<string, number>;
  realSeconds: number;
  simSeconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  slotRowsSent: number;
  /** What the simulated beacons reported as final day estimates, per beacon id and date. */
  dayTotals: Record<string, number>;
}

type Person = { start: number; end: number };

/** One site's Bluezone phones per slot on a day, from the lobby scenario's groups. */
export function lobbyDay(dayMs: number, scale: number, adoption: number, seed: number): number[] {
  const rand = mulberry32(seed);
  const counts = new Array<number>(SLOTS_PER_DAY).fill(0);
  const range = (v: unknown): [number, number] => {
    if (Array.isArray(v)) return [parseDuration(v[0]) ?? 0, parseDuration(v[1]) ?? 0];
    const d = typeof v === 'string' || typeof v === 'number' ? parseDuration(v) ?? 0 : 0;
    return [d, d];
  };
  const draw = ([a, b]: [number, number]) => a + rand() * (b - a);
  for (const g of BUILTIN_SCENARIOS.lobby.scenario.groups ?? []) {
    const arrive = g.arrive as { between?: [string, string]; at?: string };
    const [a, b] = arrive.between ? arrive.between.map((m) => parseMoment(m, dayMs) ?? 0) : [parseMoment(arrive.at!, dayMs) ?? 0, parseMoment(arrive.at!, dayMs) ?? 0];
    const n = Math.round((g.count ?? 1) * scale);
    for (let i = 0; i < n; i++) {
      if (rand() >= adoption) continue;
      const p: Person = { start: a + rand() * (b - a), end: 0 };
      // Walking past the door about a minute, plus each step's service and sitting time; staff stay all day (8 h) for stand/sit without 'for'.
      let stay = 60_000;
      for (const st of (g.plan ?? []) as Record<string, unknown>[]) {
        if ('service' in st) stay += draw(range(st.service));
        if ('for' in st) stay += draw(range(st.for));
        else if ('sit' in st || 'stand' in st) stay += 8 * 3600_000;
      }
      p.end = Math.min(DAY_MS - 1, p.start + stay);
      for (let s = Math.floor(p.start / SLOT_MS); s <= Math.floor(p.end / SLOT_MS); s++) counts[s]++;
    }
  }
  return counts;
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export async function simulateFleet(o: SimulateOptions): Promise<SimStats> {
  const u = new URL(o.url);
  const https = u.protocol === 'https:';
  // Keep-alive: 2,000 beacons each opening a connection a minute is fine for the collector, but one
  // process opening them all would run out of ephemeral ports at high speed-ups.
  const agent = https ? new HttpsAgent({ keepAlive: true, maxSockets: 256, ca: o.ca }) : new HttpAgent({ keepAlive: true, maxSockets: 256 });
  const latencies: number[] = [];
  const stats: SimStats = { requests: 0, heartbeats: 0, uploads: 0, errors: 0, errorKinds: {}, status: {}, realSeconds: 0, simSeconds: 0, requestsPerSecond: 0, p50Ms: 0, p99Ms: 0, maxMs: 0, slotRowsSent: 0, dayTotals: {} };
  const post = (path: string, token: string, body: unknown) =>
    new Promise<number>((resolve) => {
      const data = Buffer.from(JSON.stringify(body));
      const t0 = performance.now();
      const req = (https ? httpsRequest : httpRequest)(
        new URL(FLEET_API + path, o.url),
        { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': data.length, authorization: `Bearer ${token}` }, timeout: 30_000 },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(performance.now() - t0);
            stats.requests++;
            stats.status[res.statusCode ?? 0] = (stats.status[res.statusCode ?? 0] ?? 0) + 1;
            resolve(res.statusCode ?? 0);
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e: NodeJS.ErrnoException) => {
        stats.errors++;
        const k = e.code ?? e.message;
        stats.errorKinds[k] = (stats.errorKinds[k] ?? 0) + 1;
        resolve(0);
      });
      req.end(data);
    });

  const realStart = Date.now();
  const simNow = () => o.startMs + (Date.now() - realStart) * o.speed;
  const profiles = new Map<string, number[]>();
  const profile = (b: SimBeacon, bi: number, dayMs: number) => {
    const k = `${bi}:${dayMs}`;
    let p = profiles.get(k);
    if (!p) profiles.set(k, (p = lobbyDay(dayMs, b.scale, o.adoption, (o.seed * 1_000_003 + bi * 7919 + dayMs / DAY_MS) >>> 0)));
    return p;
  };
  const timers: NodeJS.Timeout[] = [];
  const inflight = new Set<Promise<unknown>>();
  const rand = mulberry32(o.seed);
  o.beacons.forEach((b, bi) => {
    // The queue of not yet acknowledged rows, like the reporter's outbox.
    const queue = new Map<string, SlotCounts | DayCounts>();
    let reportedUpTo = Math.floor(o.startMs / SLOT_MS) * SLOT_MS;
    let busy = false;
    const beat = async () => {
      const now = simNow();
      if (busy || (b.outage && now >= b.outage[0] && now < b.outage[1])) return;
      busy = true;
      try {
        const doneUpTo = Math.floor(now / SLOT_MS) * SLOT_MS;
        for (; reportedUpTo < doneUpTo; reportedUpTo += SLOT_MS) {
          const day = Math.floor(reportedUpTo / DAY_MS) * DAY_MS;
          const s = Math.round((reportedUpTo - day) / SLOT_MS);
          const p = profile(b, bi, day);
          const date = new Date(day).toISOString().slice(0, 10);
          queue.set(`s${date}:${s}`, { date, slot: s, android: p[s], ios: null, estimate: p[s], low: p[s], high: p[s], stationary_excluded: 0 });
          const rows = p.slice(0, s + 1).map((n) => ({ distinctIds: n }) as PresenceRow);
          const e = presenceEstimate(rows);
          queue.set(`d${date}`, { date, android: e.visitors, ios: null, estimate: e.visitors, low: e.lower, high: e.upper, stationary_excluded: 0, slots: s + 1 });
          stats.dayTotals[`${b.id}:${date}`] = e.visitors;
        }
        const hb: HeartbeatBody = {
          sent_at_ms: Math.round(now + b.clockErrorMs),
          state: 'advertising',
          slot: Math.floor((now % DAY_MS) / SLOT_MS),
          id_prefix: 'B10E00***',
          restarts: b.outage && now >= b.outage[1] ? 1 : 0,
          last_error: null,
          clock_sync: b.clockErrorMs ? 'unsynced' : 'synced',
          clock_offset_ms: b.clockErrorMs,
          version: 'simulated',
        };
        stats.heartbeats++;
        await post('/heartbeat', b.token, hb);
        if (queue.size > 0) {
          const entries = [...queue.entries()].slice(0, 500);
          const body = { slots: entries.filter(([k]) => k[0] === 's').map(([, v]) => v), days: entries.filter(([k]) => k[0] === 'd').map(([, v]) => v) };
          stats.uploads++;
          const st = await post('/presence', b.token, body);
          if (st >= 200 && st < 300) {
            for (const [k, v] of entries) if (queue.get(k) === v) queue.delete(k);
            stats.slotRowsSent += body.slots.length;
          }
        }
      } finally {
        busy = false;
      }
    };
    const period = 60_000 / o.speed;
    const first = rand() * period;
    timers.push(
      setTimeout(() => {
        const run = () => {
          const p = beat();
          inflight.add(p);
          void p.finally(() => inflight.delete(p));
        };
        run();
        timers.push(setInterval(run, period));
      }, first),
    );
  });
  const progress = setInterval(() => o.onProgress?.(summarise()), 1000);
  function summarise(): SimStats {
    const sorted = latencies.slice().sort((a, b) => a - b);
    const realSeconds = (Date.now() - realStart) / 1000;
    return {
      ...stats,
      realSeconds,
      simSeconds: realSeconds * o.speed,
      requestsPerSecond: stats.requests / Math.max(realSeconds, 1e-9),
      p50Ms: Math.round(percentile(sorted, 0.5) * 10) / 10,
      p99Ms: Math.round(percentile(sorted, 0.99) * 10) / 10,
      maxMs: Math.round((sorted[sorted.length - 1] ?? 0) * 10) / 10,
    };
  }
  await new Promise((r) => setTimeout(r, o.runMs));
  timers.forEach((t) => clearInterval(t));
  clearInterval(progress);
  await Promise.all([...inflight]);
  agent.destroy();
  return summarise();
}

/** N simulated beacons: scale 0.5-1.5, about 2 % with a clock error of 20-120 s, about 5 % with an outage. */
export function makeSimBeacons(ids: { id: string; token: string }[], seed: number, startMs: number, spanMs: number): SimBeacon[] {
  const rand = mulberry32(seed ^ 0x5eed);
  return ids.map((x) => {
    const clock = rand() < 0.02 ? Math.round((20 + rand() * 100) * 1000) * (rand() < 0.5 ? -1 : 1) : 0;
    const out = rand() < 0.05 ? startMs + rand() * spanMs * 0.5 : null;
    return { ...x, scale: 0.5 + rand(), clockErrorMs: clock, outage: out === null ? null : [out, out + spanMs * 0.25] };
  });
}
