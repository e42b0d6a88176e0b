// `bluezone fleet ...`: the collector (serve, site, enrol, viewer), the beacon's reporter (report) and
// the fleet simulator (simulate). Logic lives in fleet/ and firmware/beacon/fleetReporter.ts; docs/fleet.md.
import { Command } from 'commander';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../records/output.ts';
import type { Sql } from '../../fleet/db.ts';
import type { SimStats } from '../../fleet/simulate.ts';
import { info, printJson, type CliContext } from '../context.ts';
import { UsageError } from '../errors.ts';
import { asUsage, clockFromEnv, makeLogger, resolveConfig, untilSignal } from '../daemon.ts';
import { progressOnTerminal } from '../progress.ts';

const VERSION = '0.1.0';

// better-sqlite3, pg, PGlite and fastify load when an action runs, not for `bluezone --help` (docs/api.md).
let { FleetReporter, httpPoster } = {} as typeof import('../../firmware/beacon/fleetReporter.ts');
let { openLogbookDb } = {} as typeof import('../../firmware/beacon/logbook.ts');
let { FleetDbError, openFleetDb } = {} as typeof import('../../fleet/db.ts');
let { createCollector, isLoopback, listenCollector } = {} as typeof import('../../fleet/server.ts');
let { makeSimBeacons, simulateFleet } = {} as typeof import('../../fleet/simulate.ts');
let { FleetStore, StoreInputError } = {} as typeof import('../../fleet/store.ts');
type FleetStore = InstanceType<typeof FleetStore>;
let { readStatus } = {} as typeof import('../../firmware/beacon/state.ts');
async function loadFleet(): Promise<void> {
  ({ FleetReporter, httpPoster } = await import('../../firmware/beacon/fleetReporter.ts'));
  ({ openLogbookDb } = await import('../../firmware/beacon/logbook.ts'));
  ({ FleetDbError, openFleetDb } = await import('../../fleet/db.ts'));
  ({ createCollector, isLoopback, listenCollector } = await import('../../fleet/server.ts'));
  ({ makeSimBeacons, simulateFleet } = await import('../../fleet/simulate.ts'));
  ({ FleetStore, StoreInputError } = await import('../../fleet/store.ts'));
  ({ readStatus } = await import('../../firmware/beacon/state.ts'));
}

async function usage<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof FleetDbError || e instanceof StoreInputError) throw new UsageError(e.message);
    throw e;
  }
}

async function withStore<T>(db: string, fn: (s: FleetStore) => Promise<T>): Promise<T> {
  const sql = await usage(() => openFleetDb(db));
  try {
    return await usage(() => fn(new FleetStore(sql)));
  } finally {
    await sql.close();
  }
}

function readSecretFile(path: string, what: string): string {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new UsageError(`${path}: cannot read the ${what} (${(e as NodeJS.ErrnoException).code})`);
  }
  if ((st.mode & 0o077) !== 0) throw new UsageError(`${path}: the ${what} is readable by group or others (mode ${(st.mode & 0o777).toString(8)})`, `chmod 600 ${path}`);
  return readFileSync(path, 'utf8').trim();
}

function intOpt(v: string, flag: string, min: number, max: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw new UsageError(`${flag}: expected a whole number ${min}..${max}, got "${v}"`);
  return n;
}

export function registerFleet(program: Command, ctx: CliContext): void {
  const fleet = program
    .command('fleet')
    .description('many lobbies, one view: the collector (PostgreSQL) with its dashboard and reports, beacon enrolment, the beacon reporter, a simulated fleet')
    .addHelpText('after', `
Examples:
  $ npx bluezone fleet serve --db /var/lib/bluezone-fleet
  $ npx bluezone fleet enrol --db /var/lib/bluezone-fleet --beacon pi-hq-1 --site "HQ lobby"
  $ npx bluezone fleet revoke --db /var/lib/bluezone-fleet --beacon pi-hq-1`);

  fleet
    .command('serve')
    .description('run the collector: HTTP API for beacons, dashboard and CSV/XLSX reports for viewers, until SIGINT/SIGTERM')
    .requiredOption('--db <dir|url>', 'PGlite data folder (embedded) or postgres://user@host/db (a server)')
    .option('--host <addr>', 'address to listen on; plain HTTP only on loopback', '127.0.0.1')
    .option('--port <n>', 'TCP port', '8080')
    .option('--tls-cert <file>', 'TLS certificate chain (PEM); with --tls-key, serve HTTPS')
    .option('--tls-key <file>', 'TLS private key (PEM)')
    .option('--pool <n>', 'PostgreSQL connections (postgres:// only)', '10')
    .option('--rate-per-min <n>', 'requests per minute per beacon token (also the burst); a beacon needs about 2', '30')
    .option('--json', 'print {"url": ...} on stdout once listening')
    .addHelpText('after', `
Examples:
  $ npx bluezone fleet serve --db /var/lib/bluezone-fleet --port 8080
  $ npx bluezone fleet serve --db postgres://fleet@db/fleet --host 0.0.0.0 --port 8443 --tls-cert cert.pem --tls-key key.pem`)
    .action(async (o: { db: string; host: string; port: string; tlsCert?: string; tlsKey?: string; pool: string; ratePerMin: string; json?: boolean }) => {
      await loadFleet();
      const port = intOpt(o.port, '--port', 0, 65535);
      const rate = intOpt(o.ratePerMin, '--rate-per-min', 1, 1_000_000);
      if (Boolean(o.tlsCert) !== Boolean(o.tlsKey)) throw new UsageError('--tls-cert and --tls-key go together');
      if (!o.tlsCert && !isLoopback(o.host)) throw new UsageError(`--host ${o.host}: plain HTTP is only allowed on loopback`, 'give --tls-cert and --tls-key, or listen on 127.0.0.1 behind a TLS proxy');
      const read = (f: string, flag: string) => {
        try {
          return readFileSync(f);
        } catch (e) {
          throw new UsageError(`${flag} ${f}: cannot read (${(e as NodeJS.ErrnoException).code})`);
        }
      };
      const tls = o.tlsCert ? { cert: read(o.tlsCert, '--tls-cert'), key: read(o.tlsKey!, '--tls-key') } : undefined;
      const sql = await usage(() => openFleetDb(o.db, { poolSize: intOpt(o.pool, '--pool', 1, 1000) }));
      const app = await createCollector({ sql, tls, rate: { burst: rate, perSecond: rate / 60 } });
      const url = await usage(() => listenCollector(app, o.host, port, Boolean(tls)));
      if (o.json) printJson(ctx, { url, db: sql.kind });
      info(ctx, `collector listening on ${url} (${sql.kind})`);
      const sig = await untilSignal();
      info(ctx, `${sig}: stopping`);
      await app.close();
      await sql.close();
    });

  const site = fleet.command('site').description('sites (agencies) and their districts').addHelpText('after', `
Examples:
  $ npx bluezone fleet site add --db /var/lib/bluezone-fleet --name "HQ lobby" --district "District 1"`);
  site
    .command('add')
    .description('add a site in a district (the district is created if new); renaming its district if it exists')
    .requiredOption('--db <dir|url>', 'the collector database')
    .requiredOption('--name <site>', 'site name, unique in the province')
    .requiredOption('--district <name>', 'district name')
    .option('--json', 'print {"site_id": N}')
    .addHelpText('after', `
Examples:
  $ npx bluezone fleet site add --db /var/lib/bluezone-fleet --name "HQ lobby" --district "District 1"`)
    .action(async (o: { db: string; name: string; district: string; json?: boolean }) => {
      await loadFleet();
      const id = await withStore(o.db, (s) => s.addSite(o.name, o.district));
      if (o.json) printJson(ctx, { site_id: id });
      else ctx.out.write(`site ${id}: ${o.name} (${o.district})\n`);
    });

  fleet
    .command('enrol')
    .description('enrol a beacon at a site: prints (or writes, mode 0600) its token, stored only hashed on the collector')
    .requiredOption('--db <dir|url>', 'the collector database')
    .requiredOption('--beacon <id>', 'beacon id (A-Z a-z 0-9 . _ -, up to 64)')
    .requiredOption('--site <name>', 'its site')
    .option('--token-out <file>', 'write the token to this file (mode 0600) instead of stdout')
    .option('--json', 'print {"beacon_id", "token"}')
    .addHelpText('after', `
Examples:
  $ npx bluezone fleet enrol --db /var/lib/bluezone-fleet --beacon pi-hq-1 --site "HQ lobby" --token-out fleet-token
  # then on the beacon: /var/lib/bluezone/fleet-token (mode 0600), and fleet.url in beacon.yaml`)
    .action(async (o: { db: string; beacon: string; site: string; tokenOut?: string; json?: boolean }) => {
      await loadFleet();
      const token = await withStore(o.db, (s) => s.enrol(o.beacon, o.site, Date.now()));
      if (o.tokenOut) {
        writeFileAtomic(o.tokenOut, token + '\n', 0o600);
        info(ctx, `token for ${o.beacon} written to ${o.tokenOut} (mode 0600); copy it to the beacon's state dir as fleet-token`);
        if (o.json) printJson(ctx, { beacon_id: o.beacon, token_file: o.tokenOut });
      } else if (o.json) printJson(ctx, { beacon_id: o.beacon, token });
      else ctx.out.write(token + '\n');
    });

  fleet
    .command('revoke')
    .description("revoke a beacon's token: the collector answers its requests 401 from now on (the beacon keeps its reports queued); enrol again to give it a new token")
    .requiredOption('--db <dir|url>', 'the collector database')
    .requiredOption('--beacon <id>', 'beacon id, as enrolled')
    .option('--json', 'print {"beacon_id", "revoked"}')
    .addHelpText('after', `
Examples:
  $ npx bluezone fleet revoke --db /var/lib/bluezone-fleet --beacon pi-hq-1`)
    .action(async (o: { db: string; beacon: string; json?: boolean }) => {
      await loadFleet();
      const done = await withStore(o.db, (s) => s.revoke(o.beacon));
      if (!done) throw new UsageError(`no beacon "${o.beacon}" enrolled in ${o.db}`, 'list what the collector knows on its dashboard, or check the spelling');
      if (o.json) printJson(ctx, { beacon_id: o.beacon, revoked: true });
      else ctx.out.write(`beacon ${o.beacon}: token revoked; its data stays, and \`fleet enrol\` gives it a new token\n`);
    });

  const viewer = fleet.command('viewer').description('read-only dashboard logins: one per site, one for the province').addHelpText('after', `
Examples:
  $ BZ_FLEET_PASSWORD=... npx bluezone fleet viewer add --db /var/lib/bluezone-fleet --name province --province`);
  viewer
    .command('add')
    .description('add or update a viewer; the password comes from --password-file or BZ_FLEET_PASSWORD, never the command line')
    .requiredOption('--db <dir|url>', 'the collector database')
    .requiredOption('--name <name>', 'login name')
    .option('--site <name>', 'the site this viewer may see')
    .option('--province', 'this viewer sees every site')
    .option('--password-file <file>', 'file with the password (mode 0600)')
    .option('--json', 'print {"viewer", "scope"}')
    .addHelpText('after', `
Examples:
  $ npx bluezone fleet viewer add --db /var/lib/bluezone-fleet --name hq --site "HQ lobby" --password-file hq.pw`)
    .action(async (o: { db: string; name: string; site?: string; province?: boolean; passwordFile?: string; json?: boolean }) => {
      await loadFleet();
      if (Boolean(o.site) === Boolean(o.province)) throw new UsageError('give exactly one of --site NAME or --province');
      const pw = o.passwordFile ? readSecretFile(o.passwordFile, 'password file') : process.env.BZ_FLEET_PASSWORD;
      if (!pw) throw new UsageError('no password: give --password-file FILE or set BZ_FLEET_PASSWORD');
      await withStore(o.db, (s) => s.addViewer(o.name, pw, o.site ?? null));
      if (o.json) printJson(ctx, { viewer: o.name, scope: o.site ? { site: o.site } : 'province' });
      else ctx.out.write(`viewer ${o.name}: ${o.site ? `site ${o.site}` : 'province'}\n`);
    });

  fleet
    .command('report')
    .description("on the beacon: send heartbeats and the logbook's presence counts to fleet.url until SIGINT/SIGTERM (queued durably, retried)")
    .option('--config <file>', 'beacon config file (its fleet: and logbook: sections)')
    .option('--state-dir <dir>', 'state directory (status.json, fleet-token, default logbook)')
    .option('--db <file>', 'logbook SQLite file; overrides logbook.db')
    .option('--url <url>', 'collector URL; overrides fleet.url')
    .option('--json', 'JSON lines on stdout: periodic "stats" and a final "stopped" event')
    .addHelpText('after', `
Examples:
  $ npx bluezone fleet report --config /etc/bluezone/beacon.yaml`)
    .action(async (o: { config?: string; stateDir?: string; db?: string; url?: string; json?: boolean }) => {
      await loadFleet();
      const cfg = await resolveConfig({ config: o.config, stateDir: o.stateDir });
      const log = makeLogger(ctx, cfg.log_level);
      const { clock } = clockFromEnv(ctx);
      const url = o.url ?? cfg.fleet.url;
      if (!url) throw new UsageError('no collector: set fleet.url in the config or pass --url');
      let u: URL;
      try {
        u = new URL(url);
      } catch {
        throw new UsageError(`fleet.url: "${url}" is not a URL`);
      }
      if (u.protocol !== 'https:' && !(u.protocol === 'http:' && isLoopback(u.hostname.replace(/^\[|\]$/g, '')))) {
        throw new UsageError(`fleet.url: ${url}: expected https://, or http:// to a loopback address`, 'the token would cross the network in clear');
      }
      const token = readSecretFile(cfg.fleet.token ?? join(cfg.state_dir, 'fleet-token'), 'fleet token file');
      const ca = cfg.fleet.ca_file ? asUsage(() => readFileSync(cfg.fleet.ca_file!)) : undefined;
      const dbPath = o.db ?? cfg.logbook.db ?? join(cfg.state_dir, 'logbook.db');
      const db = asUsage(() => openLogbookDb(dbPath));
      const reporter = new FleetReporter({
        db,
        url,
        token,
        clock,
        version: VERSION,
        post: httpPoster({ ca }),
        log,
        status: () => {
          try {
            const s = readStatus(cfg.state_dir, clock.now());
            return { state: s.state, slot: s.slot, id_prefix: s.id_prefix, restarts: s.restarts, last_error: s.last_error };
          } catch {
            return { state: 'unknown', slot: null, id_prefix: null, restarts: 0, last_error: 'no status.json: is the beacon daemon running with this state dir?' };
          }
        },
        clockSync: () => {
          try {
            // systemd-timesyncd / chrony via timedated: "yes" once NTP has synchronised the clock.
            return execFileSync('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], { timeout: 2000, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() === 'yes' ? 'synced' : 'unsynced';
          } catch {
            return 'unknown';
          }
        },
      });
      reporter.start();
      info(ctx, `reporting to ${url} from ${dbPath}`);
      const statsTimer = o.json ? setInterval(() => ctx.out.write(JSON.stringify({ event: 'stats', ...snake(reporter), pending: reporter.pending() }) + '\n'), 60_000) : undefined;
      const sig = await untilSignal();
      clearInterval(statsTimer);
      await reporter.stop();
      if (o.json) ctx.out.write(JSON.stringify({ event: 'stopped', signal: sig, ...snake(reporter), pending: reporter.pending() }) + '\n');
      db.close();
    });

  fleet
    .command('simulate')
    .description('drive N simulated beacons (the lobby scenario, one per site, with outages and clock errors) against a collector')
    .requiredOption('--sites <n>', 'number of sites, one beacon each')
    .option('--url <url>', 'a running collector (then --db must be its postgres:// database, to enrol the beacons)')
    .option('--db <dir|url>', 'collector database; without --url a collector is started here (default: a temporary PGlite folder)')
    .option('--speed <x>', 'simulated time runs this many times faster (1 = one heartbeat a minute per beacon)', '1')
    .option('--duration <s>', 'real seconds to run', '60')
    .option('--start <iso>', 'simulated start time (UTC; default 07:30 today: the lobby opens); the collector takes days up to 31 back')
    .option('--adoption <p>', 'share of visitors running Bluezone', '0.4')
    .option('--seed <n>', 'random seed', '1')
    .option('--json', 'print the figures as JSON')
    .addHelpText('after', `
Examples:
  $ npx bluezone fleet simulate --sites 20 --speed 60 --duration 30
  $ npx bluezone fleet simulate --sites 2000 --url http://127.0.0.1:8080 --db postgres://postgres@127.0.0.1:5432/postgres --json`)
    .action(async (o: { sites: string; url?: string; db?: string; speed: string; duration: string; start?: string; adoption: string; seed: string; json?: boolean }) => {
      await loadFleet();
      const n = intOpt(o.sites, '--sites', 1, 100_000);
      const speed = Number(o.speed);
      if (!(speed > 0 && speed <= 10_000)) throw new UsageError(`--speed: expected a number in (0, 10000], got "${o.speed}"`);
      const duration = intOpt(o.duration, '--duration', 1, 86_400);
      const startMs = o.start === undefined ? Math.floor(Date.now() / 86_400_000) * 86_400_000 + 7.5 * 3600_000 : Date.parse(o.start);
      if (Number.isNaN(startMs)) throw new UsageError(`--start: "${o.start}" is not an ISO time`);
      const adoption = Number(o.adoption);
      if (!(adoption >= 0 && adoption <= 1)) throw new UsageError(`--adoption: expected 0..1, got "${o.adoption}"`);
      const seed = intOpt(o.seed, '--seed', 0, 2 ** 31);
      if (o.url && !o.db) throw new UsageError('--url needs --db: the collector\'s postgres:// database, to enrol the simulated beacons');
      const tmp = o.db ? undefined : mkdtempSync(join(tmpdir(), 'bz-fleet-sim-'));
      const sql: Sql = await usage(() => openFleetDb(o.db ?? tmp!));
      let app: Awaited<ReturnType<typeof createCollector>> | undefined;
      try {
        const store = new FleetStore(sql);
        info(ctx, `enrolling ${n} simulated beacons...`);
        const ids: { id: string; token: string }[] = [];
        const pad = String(n).length;
        for (let i = 0; i < n; i++) {
          const name = `Site ${String(i + 1).padStart(pad, '0')}`;
          await store.addSite(name, `District ${String(Math.floor(i / 20) + 1).padStart(3, '0')}`);
          ids.push({ id: `sim-${String(i + 1).padStart(pad, '0')}`, token: await store.enrol(`sim-${String(i + 1).padStart(pad, '0')}`, name, Date.now()) });
        }
        let url = o.url;
        if (!url) {
          app = await createCollector({ sql, rate: { burst: 1000, perSecond: 1000 } });
          url = await listenCollector(app, '127.0.0.1', 0, false);
        }
        info(ctx, `simulating ${n} beacons against ${url} at ${speed}x for ${duration} s`);
        const beacons = makeSimBeacons(ids, seed, startMs, duration * 1000 * speed);
        const stats = await simulateFleet({
          url,
          beacons,
          speed,
          startMs,
          runMs: duration * 1000,
          seed,
          adoption,
          onProgress: (s) => !o.json && progressOnTerminal(ctx) && ctx.err.write(`\r${s.requests} requests, ${s.requestsPerSecond.toFixed(0)}/s, p99 ${s.p99Ms} ms `),
        });
        const out = summary(stats, n, speed, beacons);
        if (o.json) printJson(ctx, out);
        else
          ctx.out.write(
            `${n} beacons, ${speed}x, ${out.real_seconds} s: ${out.requests} requests (${out.requests_per_second}/s), p50 ${out.p50_ms} ms, p99 ${out.p99_ms} ms, max ${out.max_ms} ms, ` +
              `${out.errors} network errors, status ${JSON.stringify(out.status)}; ${out.beacons_with_outage} outages, ${out.beacons_with_clock_error} clock errors injected\n`,
          );
      } finally {
        await app?.close();
        await sql.close();
        if (tmp && existsSync(tmp)) rmSync(tmp, { recursive: true, force: true });
      }
    });
}

function snake(r: InstanceType<typeof FleetReporter>) {
  const s = r.stats;
  return { heartbeats_sent: s.heartbeatsSent, heartbeats_failed: s.heartbeatsFailed, uploads: s.uploads, upload_failures: s.uploadFailures, rows_acked: s.rowsAcked, last_error: s.lastError, clock_offset_ms: r.clockOffsetMs };
}

function summary(s: SimStats, n: number, speed: number, beacons: { outage: unknown; clockErrorMs: number }[]) {
  return {
    sites: n,
    speed,
    real_seconds: Math.round(s.realSeconds * 10) / 10,
    requests: s.requests,
    heartbeats: s.heartbeats,
    uploads: s.uploads,
    slot_rows_sent: s.slotRowsSent,
    requests_per_second: Math.round(s.requestsPerSecond * 10) / 10,
    p50_ms: s.p50Ms,
    p99_ms: s.p99Ms,
    max_ms: s.maxMs,
    errors: s.errors,
    error_kinds: s.errorKinds,
    status: s.status,
    beacons_with_outage: beacons.filter((b) => b.outage).length,
    beacons_with_clock_error: beacons.filter((b) => b.clockErrorMs !== 0).length,
  };
}
