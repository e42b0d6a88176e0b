// The collector: Fastify HTTP API for beacons (Bearer token), a read-only dashboard and reports for
// viewers (HTTP Basic over TLS), stored in PostgreSQL (fleet/db.ts). docs/fleet.md describes the API.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { isIP } from 'node:net';
import { FLEET_API } from '../firmware/beacon/fleetProtocol.ts';
import { DASHBOARD_HTML, DASHBOARD_JS } from './dashboard.ts';
import { dailyRows, toCsv, toXlsx, weeklyRows } from './reports.ts';
import { addDays, FleetStore, HeartbeatBuffer, isDate, sha256Hex, StoreInputError, type Scope } from './store.ts';
import { parseHeartbeat, parsePresence, ValidationError } from './validate.ts';
import type { Sql } from './db.ts';

export interface CollectorOptions {
  sql: Sql;
  /** TLS certificate and key (PEM). Without them the collector listens on loopback only. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  now?: () => number;
  /** Per beacon token: bucket size and refill per second (docs/fleet.md "Rate limits"). */
  rate?: { burst: number; perSecond: number };
  logger?: boolean;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/** Token buckets keyed by token hash, viewer or client address. */
class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(private readonly burst: number, private readonly perSecond: number, private readonly now: () => number) {}
  /** Returns 0 when allowed, else the seconds to wait. */
  take(key: string): number {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: t };
    b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.perSecond);
    b.at = t;
    this.buckets.set(key, b);
    if (this.buckets.size > 100_000) this.buckets.clear(); // bounded memory under a flood of keys
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - b.tokens) / this.perSecond);
  }
}

class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

const today = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function dateParam(v: unknown, nowMs: number, name = 'date'): string {
  if (v === undefined || v === '') return today(nowMs);
  if (typeof v !== 'string' || !isDate(v)) throw new HttpError(400, `query ${name}: expected a UTC date YYYY-MM-DD, got ${JSON.stringify(v)}`);
  return v;
}

/** Monday of the ISO week containing `date`. */
export function mondayOf(date: string): string {
  const dow = (new Date(date + 'T00:00:00Z').getUTCDay() + 6) % 7;
  return addDays(date, -dow);
}

export async function createCollector(o: CollectorOptions): Promise<FastifyInstance> {
  const now = o.now ?? Date.now;
  const store = new FleetStore(o.sql);
  const heartbeats = new HeartbeatBuffer(store);
  const beaconLimit = new RateLimiter(o.rate?.burst ?? 30, o.rate?.perSecond ?? 0.5, now);
  const viewerLimit = new RateLimiter(60, 2, now);
  // Failed logins per client address: slows down token and password guessing.
  const failLimit = new RateLimiter(20, 0.2, now);
  const viewerCache = new Map<string, { scope: Scope; until: number }>();

  const app = Fastify({
    logger: o.logger ?? false,
    bodyLimit: 512 * 1024,
    ...(o.tls ? { https: { cert: o.tls.cert, key: o.tls.key } } : {}),
  } as object) as unknown as FastifyInstance;

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    if (err instanceof HttpError) return reply.code(err.status).headers(err.headers).send({ error: err.message });
    if (err instanceof ValidationError) return reply.code(400).send({ error: `invalid body: ${err.message}` });
    if (err instanceof StoreInputError) return reply.code(err.status).send({ error: err.message });
    // Fastify's own: bad JSON (FST_ERR_CTP_INVALID_*), body too large (413), wrong content type (415).
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return reply.code(err.statusCode).send({ error: err.message });
    app.log.error(err);
    return reply.code(500).send({ error: 'internal error; see the collector log' });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]}` }));

  const clientKey = (req: FastifyRequest) => `ip:${req.ip}`;

  async function beaconAuth(req: FastifyRequest): Promise<{ id: string; site_id: number }> {
    const h = req.headers.authorization;
    const m = typeof h === 'string' ? /^Bearer (bzf_[A-Za-z0-9_-]{43})$/.exec(h) : null;
    const b = m ? await store.beaconByToken(m[1]) : undefined;
    if (!b) {
      const wait = failLimit.take(clientKey(req));
      if (wait) throw new HttpError(429, `too many failed logins from ${req.ip}; retry in ${wait} s`, { 'retry-after': String(wait) });
      throw new HttpError(401, m ? 'unknown or revoked beacon token' : 'missing or malformed Authorization: Bearer bzf_... header (the token `bluezone fleet enrol` printed)');
    }
    const wait = beaconLimit.take(sha256Hex(m![1]));
    if (wait) throw new HttpError(429, `rate limit for beacon ${b.id}: retry in ${wait} s`, { 'retry-after': String(wait) });
    return b;
  }

  async function viewerAuth(req: FastifyRequest): Promise<Scope> {
    const h = req.headers.authorization;
    const m = typeof h === 'string' ? /^Basic ([A-Za-z0-9+/=]{1,400})$/.exec(h) : null;
    const challenge = { 'www-authenticate': 'Basic realm="bluezone fleet", charset="UTF-8"' };
    if (!m) throw new HttpError(401, 'log in with a viewer name and password (`bluezone fleet viewer add`)', challenge);
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const name = decoded.slice(0, colon);
    const key = sha256Hex(decoded);
    const cached = viewerCache.get(key);
    let scope = cached && cached.until > now() ? cached.scope : undefined;
    if (!scope) {
      const wait = failLimit.take(clientKey(req));
      // scrypt costs ~50 ms: the failure budget also bounds how often an address can make us run it.
      if (wait) throw new HttpError(429, `too many logins from ${req.ip}; retry in ${wait} s`, { 'retry-after': String(wait) });
      scope = colon > 0 ? await store.checkViewer(name, decoded.slice(colon + 1)) : undefined;
      if (!scope) throw new HttpError(401, 'wrong viewer name or password', challenge);
      viewerCache.set(key, { scope, until: now() + 300_000 });
    }
    const wait = viewerLimit.take(`viewer:${name}`);
    if (wait) throw new HttpError(429, `rate limit for viewer ${name}: retry in ${wait} s`, { 'retry-after': String(wait) });
    return scope;
  }

  const json = (req: FastifyRequest) => {
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) throw new HttpError(415, 'expected Content-Type: application/json');
    return req.body;
  };

  // ---- beacons ---------------------------------------------------------------------------------
  app.post(`${FLEET_API}/heartbeat`, async (req) => {
    const b = await beaconAuth(req);
    const h = parseHeartbeat(json(req));
    heartbeats.add(b.id, h, now());
    return { ok: true, beacon_id: b.id, server_time_ms: now() };
  });

  app.post(`${FLEET_API}/presence`, async (req) => {
    const b = await beaconAuth(req);
    const p = parsePresence(json(req), now());
    await store.putPresence(b.id, p, now());
    return { ok: true, beacon_id: b.id, accepted_slots: p.slots.length, accepted_days: p.days.length, server_time_ms: now() };
  });

  // ---- viewers ---------------------------------------------------------------------------------
  // CSP: the page may load nothing from elsewhere (offline by construction, and no injected script runs).
  const CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'";
  const html = (req: FastifyRequest, reply: FastifyReply) =>
    viewerAuth(req).then(() => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').header('content-security-policy', CSP).header('x-content-type-options', 'nosniff').send(DASHBOARD_HTML));
  app.get('/', html);
  app.get('/site/:id', html);
  app.get('/assets/dashboard.js', async (req, reply) => {
    await viewerAuth(req);
    return reply.type('text/javascript; charset=utf-8').send(DASHBOARD_JS);
  });

  app.get(`${FLEET_API}/overview`, async (req) => {
    const scope = await viewerAuth(req);
    await heartbeats.flush();
    const t = now();
    const date = dateParam((req.query as Record<string, unknown>).date, t);
    const sites = await store.sites(date, t, scope);
    const beacons = await store.beacons(t, scope);
    const sum = (k: 'estimate' | 'low' | 'high' | 'same_day_last_week') => sites.reduce((a, s) => a + s[k], 0);
    return {
      date,
      generated_at: new Date(t).toISOString(),
      scope: scope.siteId === null ? 'province' : 'site',
      total: { estimate: sum('estimate'), low: sum('low'), high: sum('high'), same_day_last_week: sum('same_day_last_week'), beacons_up: beacons.filter((b) => b.up).length, beacons_down: beacons.filter((b) => !b.up).length },
      sites,
      beacons_down: beacons.filter((b) => !b.up),
      clock_warnings: beacons.filter((b) => b.clock_warning),
      beacons,
    };
  });

  app.get(`${FLEET_API}/sites/:id`, async (req) => {
    const scope = await viewerAuth(req);
    const raw = (req.params as { id: string }).id;
    if (!/^\d{1,9}$/.test(raw)) throw new HttpError(400, `site id: expected a number, got ${JSON.stringify(raw)}`);
    const id = Number(raw);
    if (scope.siteId !== null && scope.siteId !== id) throw new HttpError(403, 'this viewer may only see its own site');
    return store.siteDay(id, dateParam((req.query as Record<string, unknown>).date, now()));
  });

  const report = (kind: 'daily' | 'weekly', fmt: 'csv' | 'xlsx') => async (req: FastifyRequest, reply: FastifyReply) => {
    const scope = await viewerAuth(req);
    await heartbeats.flush();
    const t = now();
    const q = req.query as Record<string, unknown>;
    const date = kind === 'daily' ? dateParam(q.date, t) : mondayOf(dateParam(q.week, t, 'week'));
    const rows = kind === 'daily' ? await dailyRows(store, date, t, scope) : await weeklyRows(store, date, scope);
    const name = `bluezone-${kind}-${date}`;
    reply.header('content-disposition', `attachment; filename="${name}.${fmt}"`).header('cache-control', 'no-store');
    if (fmt === 'csv') return reply.type('text/csv; charset=utf-8').send(toCsv(rows));
    return reply.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').send(toXlsx(`${kind} ${date}`, rows));
  };
  app.get('/reports/daily.csv', report('daily', 'csv'));
  app.get('/reports/daily.xlsx', report('daily', 'xlsx'));
  app.get('/reports/weekly.csv', report('weekly', 'csv'));
  app.get('/reports/weekly.xlsx', report('weekly', 'xlsx'));

  app.get('/healthz', async () => ({ ok: true, db: o.sql.kind }));
  // Store the last heartbeats before the database closes.
  app.addHook('onClose', async () => heartbeats.flush());
  return app;
}

/** Listens; refuses plain HTTP on a non-loopback address (tokens and passwords would cross the network in clear). */
export async function listenCollector(app: FastifyInstance, host: string, port: number, tls: boolean): Promise<string> {
  if (!tls && !isLoopback(host)) throw new StoreInputError(`--host ${host}: plain HTTP is only allowed on loopback; give --tls-cert and --tls-key to listen on ${host}`);
  await app.listen({ host, port });
  const a = app.server.address();
  const p = typeof a === 'object' && a ? a.port : port;
  return `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${p}`;
}
