// The collector's data: sites in districts (one province), enrolled beacons with their last heartbeat,
// presence counts per beacon/day/slot, read-only viewers. Every query here is what the API and the
// dashboard need, on either back-end (fleet/db.ts).
import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { DayCounts, HeartbeatBody, PresenceBody, SlotCounts } from '../firmware/beacon/fleetProtocol.ts';
import type { Sql } from './db.ts';

/** A beacon with no heartbeat for this long is "down" (issue 21: 5 min). */
export const DOWN_AFTER_MS = 5 * 60_000;
/**
 * A beacon clock more than this far from the collector's gets a warning: its ID would change up to that
 * long before or after the phones' (bluezone-protocol.md 1.3: phones already lag up to ~65 s, so a
 * further 10 s keeps a beacon's slot boundary inside what the app tolerates).
 */
export const CLOCK_WARN_MS = 10_000;

export class StoreInputError extends Error {
  constructor(message: string, readonly status = 400) {
    super(message);
  }
}

export const sha256Hex = (s: string) => createHash('sha256').update(s).digest('hex');

/** A new beacon token: "bzf_" + 256 random bits, base64url. High entropy, so a plain SHA-256 suffices to store it. */
export function newToken(): string {
  return 'bzf_' + randomBytes(32).toString('base64url');
}

export function hashPassword(pw: string): string {
  const salt = randomBytes(16);
  // scrypt N=2^14, r=8, p=1 (Node's defaults, RFC 7914 section 2's interactive-login recommendation).
  return `scrypt$${salt.toString('base64url')}$${scryptSync(pw, salt, 32).toString('base64url')}`;
}

export function checkPassword(pw: string, stored: string): boolean {
  const [kind, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const want = Buffer.from(hash, 'base64url');
  const got = scryptSync(pw, Buffer.from(salt, 'base64url'), want.length);
  return timingSafeEqual(want, got);
}

export const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
export function isDate(s: string): boolean {
  return DATE_RE.test(s) && !Number.isNaN(Date.parse(s + 'T00:00:00Z')) && new Date(s + 'T00:00:00Z').toISOString().slice(0, 10) === s;
}
export function addDays(date: string, n: number): string {
  return new Date(Date.parse(date + 'T00:00:00Z') + n * 86_400_000).toISOString().slice(0, 10);
}

export interface Scope {
  /** null: the whole province. */
  siteId: number | null;
}

/** A site's day: the counts a beacon reports for a day (fleetProtocol.ts), summed over the site's beacons. */
export interface SiteRow extends Omit<SlotCounts, 'date' | 'slot'> {
  site_id: number;
  site: string;
  district: string;
  same_day_last_week: number;
  trend: number;
  trend_pct: number | null;
  beacons_up: number;
  beacons_down: number;
}

export interface BeaconRow {
  beacon_id: string;
  site: string;
  district: string;
  last_seen_ms: number | null;
  state: string | null;
  slot: number | null;
  id_prefix: string | null;
  restarts: number | null;
  last_error: string | null;
  clock_sync: string | null;
  clock_offset_ms: number | null;
  version: string | null;
  up: boolean;
  clock_warning: boolean;
}

/**
 * Heartbeats are last-state-wins and harmless to lose in a crash, so they are coalesced in memory and
 * written in one statement per interval instead of one fsynced commit each: the collector's write rate
 * then stays flat as the fleet grows. Readers call flush() first, so what they see is never stale.
 */
export class HeartbeatBuffer {
  private pending = new Map<string, { beaconId: string; h: HeartbeatBody; nowMs: number }>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  constructor(private readonly store: FleetStore, private readonly intervalMs = 1000, private readonly maxBatch = 5000) {}
  add(beaconId: string, h: HeartbeatBody, nowMs: number): void {
    this.pending.set(beaconId, { beaconId, h, nowMs });
    if (this.pending.size >= this.maxBatch) void this.flush().catch(() => undefined);
    else this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), this.intervalMs).unref();
  }
  /** Writes what is pending; resolves when everything added before the call is stored. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.writing = this.writing.catch(() => undefined).then(() => this.store.heartbeats(batch));
    return this.writing;
  }
}

export class FleetStore {
  constructor(readonly sql: Sql) {}

  // ---- admin -----------------------------------------------------------------------------------

  async addSite(name: string, district: string): Promise<number> {
    if (!name.trim() || !district.trim()) throw new StoreInputError('site and district names must not be empty');
    return this.sql.tx(async (q) => {
      await q.query('INSERT INTO districts(name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [district]);
      const [d] = await q.query<{ id: number }>('SELECT id FROM districts WHERE name = $1', [district]);
      const [s] = await q.query<{ id: number }>(
        'INSERT INTO sites(name, district_id) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET district_id = excluded.district_id RETURNING id',
        [name, d.id],
      );
      return s.id;
    });
  }

  async siteId(name: string): Promise<number> {
    const [s] = await this.sql.query<{ id: number }>('SELECT id FROM sites WHERE name = $1', [name]);
    if (!s) throw new StoreInputError(`no site named "${name}"; add it first with \`bluezone fleet site add\``, 404);
    return s.id;
  }

  /** Enrols (or re-enrols, replacing the old token) a beacon at a site; returns the token, shown once. */
  async enrol(beaconId: string, siteName: string, nowMs: number): Promise<string> {
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(beaconId)) throw new StoreInputError(`beacon id "${beaconId}": expected 1-64 of A-Z a-z 0-9 . _ -`);
    const siteId = await this.siteId(siteName);
    const token = newToken();
    await this.sql.query(
      `INSERT INTO beacons(id, site_id, token_hash, enrolled_at_ms) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET site_id = excluded.site_id, token_hash = excluded.token_hash, revoked = false`,
      [beaconId, siteId, sha256Hex(token), nowMs],
    );
    return token;
  }

  async revoke(beaconId: string): Promise<boolean> {
    const r = await this.sql.query('UPDATE beacons SET revoked = true WHERE id = $1 RETURNING id', [beaconId]);
    return r.length > 0;
  }

  async beaconByToken(token: string): Promise<{ id: string; site_id: number } | undefined> {
    const [b] = await this.sql.query<{ id: string; site_id: number }>('SELECT id, site_id FROM beacons WHERE token_hash = $1 AND NOT revoked', [sha256Hex(token)]);
    return b;
  }

  async addViewer(name: string, password: string, siteName: string | null): Promise<void> {
    if (!/^[A-Za-z0-9._@-]{1,64}$/.test(name)) throw new StoreInputError(`viewer name "${name}": expected 1-64 of A-Z a-z 0-9 . _ @ -`);
    if (password.length < 12) throw new StoreInputError('viewer password: expected at least 12 characters');
    const siteId = siteName === null ? null : await this.siteId(siteName);
    await this.sql.query(
      'INSERT INTO viewers(name, password_hash, site_id) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash, site_id = excluded.site_id',
      [name, hashPassword(password), siteId],
    );
  }

  async checkViewer(name: string, password: string): Promise<Scope | undefined> {
    const [v] = await this.sql.query<{ password_hash: string; site_id: number | null }>('SELECT password_hash, site_id FROM viewers WHERE name = $1', [name]);
    if (!v || !checkPassword(password, v.password_hash)) return undefined;
    return { siteId: v.site_id };
  }

  // ---- beacon input ----------------------------------------------------------------------------

  /** Many heartbeats in one statement (HeartbeatBuffer). */
  async heartbeats(batch: { beaconId: string; h: HeartbeatBody; nowMs: number }[]): Promise<void> {
    if (batch.length === 0) return;
    const col = <T>(f: (x: (typeof batch)[number]) => T) => batch.map(f);
    await this.sql.query(
      `UPDATE beacons AS b SET last_seen_ms = t.seen, state = t.state, slot = t.slot, id_prefix = t.idp, restarts = t.restarts, last_error = t.err,
         clock_sync = t.sync, clock_offset_ms = t.off, version = t.ver, beacon_time_ms = t.sent
       FROM unnest($1::text[], $2::bigint[], $3::text[], $4::int[], $5::text[], $6::int[], $7::text[], $8::text[], $9::bigint[], $10::text[], $11::bigint[])
         AS t(id, seen, state, slot, idp, restarts, err, sync, off, ver, sent)
       WHERE b.id = t.id`,
      [
        col((x) => x.beaconId),
        col((x) => x.nowMs),
        col((x) => x.h.state),
        col((x) => x.h.slot),
        col((x) => x.h.id_prefix),
        col((x) => x.h.restarts),
        col((x) => x.h.last_error),
        col((x) => x.h.clock_sync),
        col((x) => x.h.clock_offset_ms),
        col((x) => x.h.version),
        col((x) => x.h.sent_at_ms),
      ],
    );
  }

  /** Upserts by (beacon, day, slot) and (beacon, day): a repeated upload replaces and never adds. */
  async putPresence(beaconId: string, p: PresenceBody, nowMs: number): Promise<void> {
    if (p.slots.length === 0 && p.days.length === 0) return;
    await this.sql.tx(async (q) => {
      if (p.slots.length > 0) {
        // One statement per batch: unnest of parallel arrays.
        const col = <K extends keyof (typeof p.slots)[number]>(k: K) => p.slots.map((s) => s[k]);
        await q.query(
          `INSERT INTO slot_counts(beacon_id, day, slot, android, ios, estimate, low, high, stationary_excluded, received_ms)
           SELECT $1, d::date, s, a, i, e, l, h, x, $10 FROM unnest($2::text[], $3::int[], $4::int[], $5::int[], $6::int[], $7::int[], $8::int[], $9::int[]) AS t(d, s, a, i, e, l, h, x)
           ON CONFLICT (beacon_id, day, slot) DO UPDATE SET android = excluded.android, ios = excluded.ios, estimate = excluded.estimate,
             low = excluded.low, high = excluded.high, stationary_excluded = excluded.stationary_excluded, received_ms = excluded.received_ms`,
          [beaconId, col('date'), col('slot'), col('android'), col('ios'), col('estimate'), col('low'), col('high'), col('stationary_excluded'), nowMs],
        );
      }
      if (p.days.length > 0) {
        const col = <K extends keyof DayCounts>(k: K) => p.days.map((s) => s[k]);
        await q.query(
          `INSERT INTO day_counts(beacon_id, day, android, ios, estimate, low, high, stationary_excluded, slots, received_ms)
           SELECT $1, d::date, a, i, e, l, h, x, n, $10 FROM unnest($2::text[], $3::int[], $4::int[], $5::int[], $6::int[], $7::int[], $8::int[], $9::int[]) AS t(d, a, i, e, l, h, x, n)
           ON CONFLICT (beacon_id, day) DO UPDATE SET android = excluded.android, ios = excluded.ios, estimate = excluded.estimate,
             low = excluded.low, high = excluded.high, stationary_excluded = excluded.stationary_excluded, slots = excluded.slots, received_ms = excluded.received_ms`,
          [beaconId, col('date'), col('android'), col('ios'), col('estimate'), col('low'), col('high'), col('stationary_excluded'), col('slots'), nowMs],
        );
      }
    });
  }

  // ---- views -----------------------------------------------------------------------------------

  /** Per site: the day's counts (sum over its beacons' day reports), the same weekday a week before, beacons up/down. */
  async sites(date: string, nowMs: number, scope: Scope): Promise<SiteRow[]> {
    const rows = await this.sql.query<Omit<SiteRow, 'trend' | 'trend_pct'>>(
      `WITH t AS (SELECT b.site_id, sum(c.android)::int AS android, sum(c.ios)::int AS ios, sum(c.estimate)::int AS estimate, sum(c.low)::int AS low,
                         sum(c.high)::int AS high, sum(c.stationary_excluded)::int AS stationary_excluded
                  FROM day_counts c JOIN beacons b ON b.id = c.beacon_id WHERE c.day = $1::date GROUP BY b.site_id),
            w AS (SELECT b.site_id, sum(c.estimate)::int AS estimate FROM day_counts c JOIN beacons b ON b.id = c.beacon_id
                  WHERE c.day = $1::date - 7 GROUP BY b.site_id),
            bc AS (SELECT site_id, (count(*) FILTER (WHERE last_seen_ms >= $2))::int AS up, (count(*) FILTER (WHERE last_seen_ms IS NULL OR last_seen_ms < $2))::int AS down
                   FROM beacons WHERE NOT revoked GROUP BY site_id)
       SELECT s.id AS site_id, s.name AS site, d.name AS district, coalesce(t.android, 0) AS android, t.ios, coalesce(t.estimate, 0) AS estimate,
              coalesce(t.low, 0) AS low, coalesce(t.high, 0) AS high, coalesce(t.stationary_excluded, 0) AS stationary_excluded,
              coalesce(w.estimate, 0) AS same_day_last_week, coalesce(bc.up, 0) AS beacons_up, coalesce(bc.down, 0) AS beacons_down
       FROM sites s JOIN districts d ON d.id = s.district_id LEFT JOIN t ON t.site_id = s.id LEFT JOIN w ON w.site_id = s.id LEFT JOIN bc ON bc.site_id = s.id
       WHERE $3::int IS NULL OR s.id = $3::int
       ORDER BY d.name, s.name`,
      [date, nowMs - DOWN_AFTER_MS, scope.siteId],
    );
    return rows.map((r) => ({
      ...r,
      trend: r.estimate - r.same_day_last_week,
      trend_pct: r.same_day_last_week > 0 ? Math.round(((r.estimate - r.same_day_last_week) / r.same_day_last_week) * 1000) / 10 : null,
    }));
  }

  async beacons(nowMs: number, scope: Scope): Promise<BeaconRow[]> {
    const rows = await this.sql.query<Omit<BeaconRow, 'up' | 'clock_warning'>>(
      `SELECT b.id AS beacon_id, s.name AS site, d.name AS district, b.last_seen_ms, b.state, b.slot, b.id_prefix, b.restarts, b.last_error,
              b.clock_sync, b.clock_offset_ms, b.version
       FROM beacons b JOIN sites s ON s.id = b.site_id JOIN districts d ON d.id = s.district_id
       WHERE NOT b.revoked AND ($1::int IS NULL OR s.id = $1::int) ORDER BY d.name, s.name, b.id`,
      [scope.siteId],
    );
    return rows.map((r) => ({
      ...r,
      up: r.last_seen_ms !== null && r.last_seen_ms >= nowMs - DOWN_AFTER_MS,
      clock_warning: r.clock_sync === 'unsynced' || (r.clock_offset_ms !== null && Math.abs(r.clock_offset_ms) > CLOCK_WARN_MS),
    }));
  }

  /** One site's day: counts per slot (sum over its beacons) and the 7 days ending at `date`. */
  async siteDay(siteId: number, date: string) {
    const [site] = await this.sql.query<{ site_id: number; site: string; district: string }>(
      'SELECT s.id AS site_id, s.name AS site, d.name AS district FROM sites s JOIN districts d ON d.id = s.district_id WHERE s.id = $1',
      [siteId],
    );
    if (!site) throw new StoreInputError(`no site with id ${siteId}`, 404);
    const slotRows = await this.sql.query<{ slot: number; android: number; estimate: number; beacons: number }>(
      `SELECT c.slot::int AS slot, sum(c.android)::int AS android, sum(c.estimate)::int AS estimate, count(*)::int AS beacons
       FROM slot_counts c JOIN beacons b ON b.id = c.beacon_id WHERE b.site_id = $1 AND c.day = $2::date GROUP BY c.slot`,
      [siteId, date],
    );
    const slots = Array.from({ length: 96 }, (_, s) => ({ slot: s, android: 0, estimate: 0, reported: false }));
    for (const r of slotRows) slots[r.slot] = { slot: r.slot, android: r.android, estimate: r.estimate, reported: true };
    const weekRows = await this.sql.query<{ date: string; estimate: number; low: number; high: number }>(
      `SELECT to_char(c.day, 'YYYY-MM-DD') AS date, sum(c.estimate)::int AS estimate, sum(c.low)::int AS low, sum(c.high)::int AS high
       FROM day_counts c JOIN beacons b ON b.id = c.beacon_id WHERE b.site_id = $1 AND c.day BETWEEN $2::date - 6 AND $2::date GROUP BY c.day`,
      [siteId, date],
    );
    const week = Array.from({ length: 7 }, (_, i) => {
      const d = addDays(date, i - 6);
      const r = weekRows.find((x) => x.date === d);
      return { date: d, estimate: r?.estimate ?? 0, low: r?.low ?? 0, high: r?.high ?? 0 };
    });
    return { ...site, date, slots, week };
  }

  /** The week's report: per site and day, the day estimate (sum over beacons); days from `monday`. */
  async week(monday: string, scope: Scope) {
    const rows = await this.sql.query<{ site_id: number; date: string; estimate: number; low: number; high: number }>(
      `SELECT b.site_id, to_char(c.day, 'YYYY-MM-DD') AS date, sum(c.estimate)::int AS estimate, sum(c.low)::int AS low, sum(c.high)::int AS high
       FROM day_counts c JOIN beacons b ON b.id = c.beacon_id
       WHERE c.day BETWEEN $1::date AND $1::date + 6 AND ($2::int IS NULL OR b.site_id = $2::int) GROUP BY b.site_id, c.day`,
      [monday, scope.siteId],
    );
    const sites = await this.sql.query<{ site_id: number; site: string; district: string }>(
      `SELECT s.id AS site_id, s.name AS site, d.name AS district FROM sites s JOIN districts d ON d.id = s.district_id
       WHERE $1::int IS NULL OR s.id = $1::int ORDER BY d.name, s.name`,
      [scope.siteId],
    );
    const days = Array.from({ length: 7 }, (_, i) => addDays(monday, i));
    return {
      days,
      sites: sites.map((s) => {
        const per = days.map((d) => rows.find((r) => r.site_id === s.site_id && r.date === d) ?? { estimate: 0, low: 0, high: 0 });
        return { ...s, days: per.map((p) => p.estimate), total: per.reduce((a, p) => a + p.estimate, 0) };
      }),
    };
  }
}
