// The collector's API on PGlite through Fastify's inject: authentication, validation (every bad input a
// 4xx naming the field), idempotent uploads, rate limits, viewer scopes, and no 5xx on arbitrary input.
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFleetDb, type Sql } from '../../fleet/db.ts';
import { createCollector, listenCollector, mondayOf } from '../../fleet/server.ts';
import { FleetStore } from '../../fleet/store.ts';
import { basic, tempDir } from './harness.ts';

const NOW = Date.parse('2026-11-23T10:00:00Z');
let sql: Sql;
let app: FastifyInstance;
let store: FleetStore;
let token = '';
let tokenB = '';
const tmp = tempDir('bz-fleet-api-');

beforeAll(async () => {
  sql = await openFleetDb(tmp.dir);
  store = new FleetStore(sql);
  app = await createCollector({ sql, now: () => NOW, rate: { burst: 10_000, perSecond: 1000 } });
  await store.addSite('HQ lobby', 'District 1');
  await store.addSite('Ward office', 'District 2');
  token = await store.enrol('pi-1', 'HQ lobby', NOW);
  tokenB = await store.enrol('pi-2', 'Ward office', NOW);
  await store.addViewer('province', 'province-password', null);
  await store.addViewer('hq', 'hq-site-password', 'HQ lobby');
}, 60_000);
afterAll(async () => {
  await app.close();
  await sql.close();
  tmp.remove();
});

const slot = (o: Record<string, unknown> = {}) => ({ date: '2026-11-23', slot: 40, android: 5, ios: null, estimate: 5, low: 5, high: 5, stationary_excluded: 0, ...o });
const day = (o: Record<string, unknown> = {}) => ({ date: '2026-11-23', android: 9, ios: null, estimate: 9, low: 5, high: 12, stationary_excluded: 0, slots: 41, ...o });
const presence = (body: unknown, t = token, type = 'application/json') =>
  app.inject({ method: 'POST', url: '/api/v1/presence', headers: { authorization: `Bearer ${t}`, 'content-type': type }, payload: typeof body === 'string' ? body : JSON.stringify(body) });
const hb = (o: Record<string, unknown> = {}, t = token) =>
  app.inject({
    method: 'POST',
    url: '/api/v1/heartbeat',
    headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
    payload: { sent_at_ms: NOW, state: 'advertising', slot: 40, id_prefix: 'A1B2C3***', restarts: 2, last_error: null, clock_sync: 'synced', clock_offset_ms: 12, version: '0.1.0', ...o },
  });

describe('beacon authentication', () => {
  it('refuses a missing, malformed, unknown or revoked token with 401 and says which', async () => {
    const none = await app.inject({ method: 'POST', url: '/api/v1/heartbeat', payload: {} });
    expect(none.statusCode).toBe(401);
    expect(none.json().error).toMatch(/missing or malformed Authorization/);
    expect((await hb({}, 'bzf_' + 'A'.repeat(43))).json().error).toBe('unknown or revoked beacon token');
    const t = await store.enrol('pi-revoked', 'HQ lobby', NOW);
    expect((await hb({}, t)).statusCode).toBe(200);
    await store.revoke('pi-revoked');
    expect((await hb({}, t)).statusCode).toBe(401);
  });

  it('stores only a hash of the token', async () => {
    const rows = await sql.query<{ token_hash: string }>("SELECT token_hash FROM beacons WHERE id = 'pi-1'");
    expect(rows[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(await sql.query('SELECT * FROM beacons'))).not.toContain(token.slice(4));
  });
});

describe('validation', () => {
  it.each([
    ['slot out of range', { slots: [slot({ slot: 96 })], days: [] }, 'slots[0].slot: Number must be less than or equal to 95'],
    ['an ID smuggled in', { slots: [slot({ id: 'AABBCC' })], days: [] }, 'slots[0]: unknown field(s) id'],
    ['bounds inverted', { slots: [], days: [day({ low: 10, estimate: 9 })] }, 'days[0]: expected low <= estimate <= high'],
    ['bad date', { slots: [slot({ date: '2026-02-30' })], days: [] }, 'slots[0].date: expected a UTC date YYYY-MM-DD'],
    ['negative count', { slots: [slot({ android: -1 })], days: [] }, 'slots[0].android: Number must be greater than or equal to 0'],
    ['missing list', { slots: [] }, 'days: expected array, got undefined'],
    ['a day in the future', { slots: [slot({ date: '2026-11-25' })], days: [] }, 'slots[0].date: 2026-11-25 is outside 2026-10-23..2026-11-24'],
    ['a day too old', { slots: [], days: [day({ date: '2026-10-01' })] }, 'days[0].date: 2026-10-01 is outside'],
    ['too many rows', { slots: Array.from({ length: 501 }, (_, i) => slot({ slot: i % 96 })), days: [] }, 'slots: expected at most 500 rows per upload'],
  ])('%s: 400 naming the field', async (_name, body, msg) => {
    const r = await presence(body);
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toContain(msg);
  });

  it('not JSON: 400; wrong content type: 415; too large: 413', async () => {
    const bad = await presence('{"slots": [');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatch(/JSON/i);
    expect((await presence('x', token, 'text/plain')).statusCode).toBe(415);
    expect((await presence('{"slots":[],"days":[],"pad":"' + 'x'.repeat(600_000) + '"}')).statusCode).toBe(413);
  });

  it('heartbeat: a full ID instead of the prefix is refused', async () => {
    const r = await hb({ id_prefix: '0123456789ABCDEF01234567' });
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toContain('id_prefix: expected 6 upper-case hex digits and ***');
  });

  it('no 5xx on arbitrary JSON values or bytes (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue().map((v) => JSON.stringify(v)), fc.string(), fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1'))), fc.boolean(), async (payload, isHb) => {
        const r = await app.inject({ method: 'POST', url: isHb ? '/api/v1/heartbeat' : '/api/v1/presence', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload });
        expect(r.statusCode).toBeLessThan(500);
        if (r.statusCode >= 400) expect(typeof r.json().error).toBe('string');
      }),
      { numRuns: 300, seed: 21 },
    );
    // Structured near-misses: valid shape, arbitrary values.
    await fc.assert(
      fc.asyncProperty(fc.record({ slot: fc.oneof(fc.integer(), fc.double(), fc.constant(null), fc.string()), android: fc.oneof(fc.integer(), fc.double()), date: fc.string() }), async (o) => {
        const r = await presence({ slots: [slot(o)], days: [] });
        expect([200, 400]).toContain(r.statusCode);
      }),
      { numRuns: 200, seed: 21 },
    );
  }, 60_000);
});

describe('uploads', () => {
  it('are idempotent: the same rows twice are stored once, a newer value replaces', async () => {
    const body = { slots: [slot({ slot: 10, android: 3, estimate: 3, low: 3, high: 3 })], days: [day({ date: '2026-11-22' })] };
    expect((await presence(body)).statusCode).toBe(200);
    expect((await presence(body)).json()).toMatchObject({ ok: true, accepted_slots: 1, accepted_days: 1 });
    const q = () => sql.query<{ n: number; a: number }>("SELECT count(*)::int AS n, sum(android)::int AS a FROM slot_counts WHERE beacon_id = 'pi-1' AND day = '2026-11-23' AND slot = 10");
    expect(await q()).toEqual([{ n: 1, a: 3 }]);
    await presence({ slots: [slot({ slot: 10, android: 4, estimate: 4, low: 4, high: 4 })], days: [] });
    expect(await q()).toEqual([{ n: 1, a: 4 }]);
  });

  it('heartbeats are coalesced (last state wins) and a reader sees the latest at once', async () => {
    for (const restarts of [5, 6, 7]) expect((await hb({ restarts }, tokenB)).statusCode).toBe(200);
    const o = await app.inject({ method: 'GET', url: '/api/v1/overview', headers: { authorization: basic('province', 'province-password') } });
    expect(o.json().beacons.find((b: { beacon_id: string }) => b.beacon_id === 'pi-2')).toMatchObject({ restarts: 7, up: true, last_seen_ms: NOW });
  });

  it('heartbeat answers the server time (the beacon measures its clock offset from it)', async () => {
    const r = await hb();
    expect(r.json()).toEqual({ ok: true, beacon_id: 'pi-1', server_time_ms: NOW });
  });
});

describe('rate limits', () => {
  it('429 with Retry-After once a token has spent its burst', async () => {
    // A second collector with a small budget on the same store (the limits live in the collector).
    const t = await store.enrol('pi-rate', 'HQ lobby', NOW);
    let now = NOW;
    const a = await createCollector({ sql, now: () => now, rate: { burst: 3, perSecond: 0.5 } });
    const call = () => a.inject({ method: 'POST', url: '/api/v1/presence', headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' }, payload: { slots: [], days: [] } });
    expect([(await call()).statusCode, (await call()).statusCode, (await call()).statusCode]).toEqual([200, 200, 200]);
    const r = await call();
    expect(r.statusCode).toBe(429);
    expect(r.headers['retry-after']).toBe('2');
    now += 2000;
    expect((await call()).statusCode).toBe(200);
    await a.close();
  });
});

describe('viewers', () => {
  const get = (url: string, who = basic('province', 'province-password')) => app.inject({ method: 'GET', url, headers: { authorization: who } });

  it('dashboard and API need a login; a wrong password is 401 with a Basic challenge', async () => {
    const r = await app.inject({ method: 'GET', url: '/' });
    expect(r.statusCode).toBe(401);
    expect(r.headers['www-authenticate']).toMatch(/^Basic realm=/);
    expect((await get('/', basic('province', 'nope-nope-nope'))).statusCode).toBe(401);
    const page = await get('/');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<script src="/assets/dashboard.js">');
    expect(page.body).not.toMatch(/https?:\/\//); // nothing from outside: works offline
    expect(page.headers['content-security-policy']).toMatch(/^default-src 'self';/);
  });

  it('a site viewer sees only its site', async () => {
    const hq = basic('hq', 'hq-site-password');
    const o = (await get('/api/v1/overview?date=2026-11-23', hq)).json();
    expect(o.sites.map((s: { site: string }) => s.site)).toEqual(['HQ lobby']);
    const ward = (await get('/api/v1/overview', basic('province', 'province-password'))).json().sites.find((s: { site: string }) => s.site === 'Ward office');
    expect((await get(`/api/v1/sites/${ward.site_id}`, hq)).statusCode).toBe(403);
    const csv = (await get('/reports/daily.csv?date=2026-11-23', hq)).body;
    expect(csv).not.toContain('Ward office');
  });

  it('bad query values are 400 naming the parameter', async () => {
    const r = await get('/api/v1/overview?date=2026-13-01');
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toBe('query date: expected a UTC date YYYY-MM-DD, got "2026-13-01"');
    expect((await get('/api/v1/sites/abc')).json().error).toContain('site id: expected a number');
  });

  it('weekly report starts on the Monday of the given date', async () => {
    expect(mondayOf('2026-11-26')).toBe('2026-11-23');
    expect(mondayOf('2026-11-23')).toBe('2026-11-23');
    expect(mondayOf('2026-11-29')).toBe('2026-11-23');
    const csv = (await get('/reports/weekly.csv?week=2026-11-25')).body;
    expect(csv.split('\r\n')[0]).toBe('district,site,2026-11-23,2026-11-24,2026-11-25,2026-11-26,2026-11-27,2026-11-28,2026-11-29,total_phone_days');
  });
});

describe('listening', () => {
  it('refuses plain HTTP on a non-loopback address', async () => {
    await expect(listenCollector(app, '0.0.0.0', 0, false)).rejects.toThrow(/plain HTTP is only allowed on loopback/);
  });
});
