// The beacon side of the fleet collector (docs/fleet.md): every minute a heartbeat, and per completed
// 15-minute slot the presence counts of the logbook (presence.ts's computePresence, the same numbers
// `scan report` shows). Counts are queued durably in the logbook's SQLite database (table fleet_outbox) before any
// upload, retried with exponential back-off while the collector or the network is down, and removed only
// after the collector acknowledged them. Uploads are idempotent: the collector keys a row by beacon id +
// date + slot and replaces it, so a retry after a lost reply never doubles a count.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { DAY_MS, SLOT_MS, SLOTS_PER_DAY } from '../protocol/keys.ts';
import type { Cancel, Clock } from '../clock.ts';
import type { LogLevel } from './daemon.ts';
import type { Db } from './logbook.ts';
import { computePresence } from './presence.ts';
import { FLEET_API, MAX_ROWS_PER_UPLOAD, type CollectorReply, type DayCounts, type HeartbeatBody, type PresenceBody, type SlotCounts } from './fleetProtocol.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS fleet_outbox (
  key TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  body TEXT NOT NULL,
  queued_ms INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS fleet_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

/** Counts of a slot are final once the logbook has committed its rows: flush_ms (1 s) plus margin. */
export const SLOT_SETTLE_MS = 5_000;
/** A beacon whose reporter was off longer than this does not resend older days (the logbook has them). */
export const CATCH_UP_MAX_MS = 8 * DAY_MS;

export interface HttpReply {
  status: number;
  body: string;
}

/** POSTs JSON; resolves with any HTTP status, rejects on network errors and timeouts. */
export type Poster = (url: string, token: string, body: unknown) => Promise<HttpReply>;

export function httpPoster(opts: { ca?: string | Buffer; timeoutMs?: number } = {}): Poster {
  return (url, token, body) =>
    new Promise((resolve, reject) => {
      const u = new URL(url);
      const data = Buffer.from(JSON.stringify(body));
      const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(
        u,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': data.length, authorization: `Bearer ${token}` },
          ca: opts.ca,
          timeout: opts.timeoutMs ?? 15_000,
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no reply from ${u.host} within ${opts.timeoutMs ?? 15_000} ms`)));
      req.on('error', reject);
      req.end(data);
    });
}

export interface FleetReporterOptions {
  db: Db;
  /** Collector base URL, e.g. https://collector.example:8443 */
  url: string;
  token: string;
  clock: Clock;
  /** Heartbeat state: normally read from STATE_DIR/status.json. */
  status: () => Omit<HeartbeatBody, 'sent_at_ms' | 'clock_offset_ms' | 'version' | 'clock_sync'>;
  clockSync?: () => HeartbeatBody['clock_sync'];
  version: string;
  post?: Poster;
  log?: (level: LogLevel, message: string) => void;
  heartbeatMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Minutes a phone typically stays in range (presenceEstimate). */
  dwellMin?: number;
  /** Seeded jitter draw in [0, 1); back-off delays are multiplied by 0.5 + 0.5 * rand(). */
  rand?: () => number;
}

export interface ReporterStats {
  heartbeatsSent: number;
  heartbeatsFailed: number;
  uploads: number;
  uploadFailures: number;
  rowsAcked: number;
  lastError: string | null;
}

/** What the collector's refusal means; a 401 is not transient, so it says what the operator must do. */
function refusal(r: HttpReply): string {
  const said = `collector answered ${r.status} ${r.body.slice(0, 200)}`;
  if (r.status !== 401) return said;
  return `${said}: this beacon's token was revoked or replaced (\`bluezone fleet revoke\`/\`enrol\` on the collector); enrol it again and install the new token as fleet-token (mode 0600), reports stay queued until then`;
}

const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export class FleetReporter {
  readonly stats: ReporterStats = { heartbeatsSent: 0, heartbeatsFailed: 0, uploads: 0, uploadFailures: 0, rowsAcked: 0, lastError: null };
  /** Our clock minus the collector's (ms), from the last exchange. */
  clockOffsetMs: number | null = null;
  private readonly o: Required<Omit<FleetReporterOptions, 'clockSync' | 'log' | 'rand'>> & Pick<FleetReporterOptions, 'clockSync' | 'log' | 'rand'>;
  private cancelTick: Cancel | undefined;
  private cancelRetry: Cancel | undefined;
  private backoffMs = 0;
  private flushing: Promise<boolean> | undefined;
  private stopped = true;

  constructor(opts: FleetReporterOptions) {
    this.o = {
      post: httpPoster(),
      heartbeatMs: 60_000,
      backoffInitialMs: 1_000,
      backoffMaxMs: 300_000,
      dwellMin: 2,
      ...opts,
    };
    this.o.db.exec(SCHEMA);
  }

  private log(l: LogLevel, m: string): void {
    this.o.log?.(l, m);
  }

  // ---- durable queue ---------------------------------------------------------------------------

  private getState(key: string): string | undefined {
    return (this.o.db.prepare('SELECT value FROM fleet_state WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  /** Rows waiting for an acknowledgement. */
  pending(): number {
    return (this.o.db.prepare('SELECT count(*) AS n FROM fleet_outbox').get() as { n: number }).n;
  }

  /**
   * Queues the counts of every slot completed since the last call (all of them after an outage of the
   * reporter itself, up to CATCH_UP_MAX_MS back), plus each touched day's summary. One transaction, so
   * the "done up to" mark never runs ahead of what is queued.
   */
  enqueueCompleted(nowMs = this.o.clock.now()): number {
    const doneUpTo = Math.floor((nowMs - SLOT_SETTLE_MS) / SLOT_MS) * SLOT_MS;
    const stored = this.getState('queued_up_to_ms');
    // First run: start with the current day, so a freshly enrolled beacon reports today in full.
    let from = stored === undefined ? Math.floor(doneUpTo / DAY_MS) * DAY_MS : Number(stored);
    from = Math.max(from, doneUpTo - CATCH_UP_MAX_MS);
    if (doneUpTo <= from) return 0;
    const put = this.o.db.prepare('INSERT INTO fleet_outbox(key, kind, body, queued_ms, attempts) VALUES (?, ?, ?, ?, 0) ON CONFLICT(key) DO UPDATE SET body = excluded.body, queued_ms = excluded.queued_ms');
    let n = 0;
    this.o.db.transaction(() => {
      for (let day = Math.floor(from / DAY_MS) * DAY_MS; day < doneUpTo; day += DAY_MS) {
        const complete = Math.min(SLOTS_PER_DAY, Math.round((doneUpTo - day) / SLOT_MS));
        // the same computation as `scan report`: our own beacon and stationary transmitters left out
        const p = computePresence(this.o.db, day, day + complete * SLOT_MS, { dwellMin: this.o.dwellMin });
        const date = isoDate(day);
        for (let s = 0; s < complete; s++) {
          if (day + s * SLOT_MS < from) continue;
          const r = p.slots[s];
          const a = r.distinctIds;
          const body: SlotCounts = { date, slot: s, android: a - r.ios, ios: r.ios, estimate: a, low: a, high: a, stationary_excluded: r.stationary };
          put.run(`slot:${date}:${s}`, 'slot', JSON.stringify(body), nowMs);
          n++;
        }
        const e = p.estimate;
        const dayBody: DayCounts = { date, android: e.android, ios: e.ios, estimate: e.visitors, low: e.lower, high: e.upper, stationary_excluded: p.stationary.length, slots: complete };
        put.run(`day:${date}`, 'day', JSON.stringify(dayBody), nowMs);
        n++;
      }
      this.o.db.prepare("INSERT INTO fleet_state(key, value) VALUES ('queued_up_to_ms', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(String(doneUpTo));
    })();
    return n;
  }

  // ---- uploads ---------------------------------------------------------------------------------

  private endpoint(path: string): string {
    return this.o.url.replace(/\/+$/, '') + FLEET_API + path;
  }

  private noteReply(sentMs: number, recvMs: number, body: string): void {
    try {
      const r = JSON.parse(body) as CollectorReply;
      // NTP-style: the server stamped its time about halfway through the exchange.
      if (typeof r.server_time_ms === 'number') this.clockOffsetMs = Math.round((sentMs + recvMs) / 2 - r.server_time_ms);
    } catch {
      /* a reply without a time leaves the last offset */
    }
  }

  async sendHeartbeat(): Promise<boolean> {
    const now = this.o.clock.now();
    const body: HeartbeatBody = { ...this.o.status(), sent_at_ms: now, clock_sync: this.o.clockSync?.() ?? 'unknown', clock_offset_ms: this.clockOffsetMs, version: this.o.version };
    try {
      const r = await this.o.post(this.endpoint('/heartbeat'), this.o.token, body);
      if (r.status >= 200 && r.status < 300) {
        this.noteReply(now, this.o.clock.now(), r.body);
        this.stats.heartbeatsSent++;
        return true;
      }
      this.fail(`heartbeat: ${refusal(r)}`, r.status === 401 ? 'error' : 'warn');
    } catch (e) {
      this.fail(`heartbeat: ${(e as Error).message}`);
    }
    this.stats.heartbeatsFailed++;
    return false;
  }

  private fail(msg: string, level: LogLevel = 'warn'): void {
    this.stats.lastError = msg;
    this.log(level, `fleet: ${msg}`);
  }

  /** Uploads the queue in batches until it is empty or an upload fails. Concurrent calls share one run. */
  flush(): Promise<boolean> {
    this.flushing ??= this.flushOnce().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async flushOnce(): Promise<boolean> {
    const select = this.o.db.prepare('SELECT key, kind, body FROM fleet_outbox ORDER BY kind, key LIMIT ?');
    const ack = this.o.db.prepare('DELETE FROM fleet_outbox WHERE key = ? AND body = ?');
    const tried = this.o.db.prepare('UPDATE fleet_outbox SET attempts = attempts + 1 WHERE key = ?');
    for (;;) {
      const batch = select.all(MAX_ROWS_PER_UPLOAD) as { key: string; kind: string; body: string }[];
      if (batch.length === 0) return true;
      const body: PresenceBody = { slots: [], days: [] };
      for (const b of batch) (b.kind === 'slot' ? body.slots : body.days).push(JSON.parse(b.body));
      this.stats.uploads++;
      const sent = this.o.clock.now();
      let reply: HttpReply;
      try {
        reply = await this.o.post(this.endpoint('/presence'), this.o.token, body);
      } catch (e) {
        this.o.db.transaction(() => batch.forEach((b) => tried.run(b.key)))();
        this.stats.uploadFailures++;
        this.fail(`upload of ${batch.length} row(s): ${(e as Error).message}; kept in the queue`);
        return false;
      }
      if (reply.status < 200 || reply.status >= 300) {
        this.o.db.transaction(() => batch.forEach((b) => tried.run(b.key)))();
        this.stats.uploadFailures++;
        this.fail(`upload of ${batch.length} row(s): ${refusal(reply)}; kept in the queue`, reply.status === 401 ? 'error' : 'warn');
        return false;
      }
      this.noteReply(sent, this.o.clock.now(), reply.body);
      // Delete only what was sent: a row re-queued meanwhile with newer counts stays for the next upload.
      this.o.db.transaction(() => batch.forEach((b) => ack.run(b.key, b.body)))();
      this.stats.rowsAcked += batch.length;
    }
  }

  // ---- schedule --------------------------------------------------------------------------------

  /** One round: queue completed slots, heartbeat, upload. Returns whether the upload emptied the queue. */
  async tick(): Promise<boolean> {
    this.enqueueCompleted();
    await this.sendHeartbeat();
    return this.flush();
  }

  start(): void {
    this.stopped = false;
    const loop = async () => {
      if (this.stopped) return;
      const ok = await this.tick().catch((e) => {
        this.fail(`tick: ${(e as Error).message}`);
        return false;
      });
      if (this.stopped) return;
      if (ok) this.backoffMs = 0;
      else this.scheduleRetry();
      this.cancelTick = this.o.clock.setTimeout(loop, this.o.heartbeatMs);
    };
    void loop();
  }

  /** Exponential back-off with jitter between upload retries (1 s, 2 s, ... capped), reset on success. */
  private scheduleRetry(): void {
    if (this.cancelRetry) return;
    this.backoffMs = Math.min(this.o.backoffMaxMs, this.backoffMs === 0 ? this.o.backoffInitialMs : this.backoffMs * 2);
    const jitter = 0.5 + 0.5 * (this.o.rand ?? Math.random)();
    this.cancelRetry = this.o.clock.setTimeout(async () => {
      this.cancelRetry = undefined;
      if (this.stopped) return;
      const ok = await this.flush().catch(() => false);
      if (this.stopped) return;
      if (ok) this.backoffMs = 0;
      else this.scheduleRetry();
    }, Math.round(this.backoffMs * jitter));
  }

  /** Stops the timers; waits for an upload in flight, whose rows stay queued unless acknowledged. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTick?.();
    this.cancelRetry?.();
    this.cancelTick = this.cancelRetry = undefined;
    await this.flushing?.catch(() => undefined);
  }
}
