// Fleet collector load benchmark (docs/fleet.md "Load"): starts `bluezone fleet serve` on the given
// PostgreSQL database as a child process, drives N simulated beacons (one heartbeat per simulated minute
// each, plus slot reports) at several speed-ups, and reports requests/s, p50/p99 latency seen by the
// beacons, and the CPU and memory of the collector and of the PostgreSQL server processes.
// Usage: npx tsx bench/fleet.ts --db postgres://user@127.0.0.1:5432/db [--sites 2000] [--speeds 1,5,10,20] [--seconds 60]
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { openFleetDb } from '../fleet/db.ts';
import { makeSimBeacons, simulateFleet } from '../fleet/simulate.ts';
import { FleetStore } from '../fleet/store.ts';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}
const DB = arg('db', '');
if (!/^postgres(ql)?:\/\//.test(DB)) {
  console.error('usage: npx tsx bench/fleet.ts --db postgres://USER@HOST:PORT/DB [--sites N] [--speeds 1,5,10] [--seconds S]');
  process.exit(2);
}
const SITES = Number(arg('sites', '2000'));
const SPEEDS = arg('speeds', '1,5,10,20').split(',').map(Number);
const SECONDS = Number(arg('seconds', '60'));
const PORT = Number(arg('port', '18080'));

// Clock ticks per second of utime/stime (sysconf(_SC_CLK_TCK)); 100 on Linux.
const clkTck = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** CPU seconds (user + system) and RSS bytes of one process, from /proc/PID/stat (proc(5)). */
function procStat(pid: number): { cpu: number; rss: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { cpu: (Number(f[11]) + Number(f[12])) / clkTck, rss: Number(f[21]) * 4096 };
  } catch {
    return undefined;
  }
}
function postgresPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'postgres';
      } catch {
        return false;
      }
    })
    .map(Number);
}
const pgCpu = () => postgresPids().reduce((a, p) => a + (procStat(p)?.cpu ?? 0), 0);

const sql = await openFleetDb(DB);
const store = new FleetStore(sql);
const ids: { id: string; token: string }[] = [];
const t0 = performance.now();
for (let i = 0; i < SITES; i++) {
  const name = `Site ${String(i + 1).padStart(5, '0')}`;
  await store.addSite(name, `District ${String(Math.floor(i / 20) + 1).padStart(3, '0')}`);
  ids.push({ id: `sim-${i + 1}`, token: await store.enrol(`sim-${i + 1}`, name, Date.now()) });
}
console.error(`enrolled ${SITES} beacons in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
await sql.close();

const child = spawn(process.execPath, ['bin/bluezone.js', 'fleet', 'serve', '--db', DB, '--port', String(PORT), '--pool', '20', '--rate-per-min', '100000'], { stdio: ['ignore', 'ignore', 'inherit'] });
// Wait until the collector answers (tsx start-up takes seconds on a loaded machine).
for (let i = 0; ; i++) {
  const ok = await fetch(`http://127.0.0.1:${PORT}/healthz`).then((r) => r.ok, () => false);
  if (ok) break;
  if (i > 120) throw new Error('the collector did not start within 60 s');
  await new Promise((r) => setTimeout(r, 500));
}
// 07:30 UTC today: the lobby opens (and the collector accepts the dates).
const START = Math.floor(Date.now() / 86_400_000) * 86_400_000 + 7.5 * 3600_000;
const rows = [];
for (const speed of SPEEDS) {
  const beacons = makeSimBeacons(ids, 1, START, SECONDS * 1000 * speed);
  const c0 = procStat(child.pid!)!;
  const p0 = pgCpu();
  let rssMax = 0;
  const sampler = setInterval(() => (rssMax = Math.max(rssMax, procStat(child.pid!)?.rss ?? 0)), 500);
  const s = await simulateFleet({ url: `http://127.0.0.1:${PORT}`, beacons, speed, startMs: START, runMs: SECONDS * 1000, seed: 1, adoption: 0.4 });
  clearInterval(sampler);
  const c1 = procStat(child.pid!)!;
  const p1 = pgCpu();
  const row = {
    sites: SITES,
    speed,
    offered_per_s: Math.round(((SITES * speed) / 60) * 10) / 10,
    requests_per_s: Math.round(s.requestsPerSecond * 10) / 10,
    p50_ms: s.p50Ms,
    p99_ms: s.p99Ms,
    max_ms: s.maxMs,
    errors: s.errors,
    error_kinds: s.errorKinds,
    non_200: Object.entries(s.status).filter(([k]) => k !== '200').reduce((a, [, v]) => a + v, 0),
    collector_cpu_pct: Math.round(((c1.cpu - c0.cpu) / s.realSeconds) * 1000) / 10,
    postgres_cpu_pct: Math.round(((p1 - p0) / s.realSeconds) * 1000) / 10,
    collector_rss_mib: Math.round(rssMax / 2 ** 20),
  };
  rows.push(row);
  console.error(JSON.stringify(row));
}
child.kill('SIGTERM');
console.log(JSON.stringify({ load_average: (await import('node:os')).loadavg(), cpus: (await import('node:os')).cpus().length, rows }, null, 2));
