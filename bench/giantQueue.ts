// Benchmark: one giant `sim run --queue --shards K` with W `bluezone worker --jobs 1` processes against the
// local `sim run --threads 1` (docs/scaling.md "One giant run on many machines"). Both are whole CLI runs
// with the default outputs into a temporary folder, in alternation (local, queue, local, queue, ...) so
// load drifts hit both alike; prints the medians, their ratio and the size of the shard streams. Starts its
// own redis-server on a free port unless --redis URL is given; the workers stay up across the runs (as on
// real machines), so each queue run pays only its shard threads' start.
//   npm run bench:giant [-- --scenario city-block --devices 10000 --seconds 2 --shards 2 --workers 2 --runs 3 --json]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}
const scenario = arg('scenario', 'city-block');
const devices = arg('devices', '10000');
const seconds = Number(arg('seconds', '2'));
const shards = Number(arg('shards', '2'));
const nWorkers = Number(arg('workers', '2'));
const runs = Number(arg('runs', '3'));
const json = process.argv.includes('--json');
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'bluezone.js');

const children: ChildProcess[] = [];
function stopAll() {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
}
process.on('exit', stopAll);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts a process; `until(re)` resolves once its output matches. */
function startProc(cmd: string, args: string[]) {
  const c = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  children.push(c);
  let text = '';
  c.stdout!.on('data', (d) => (text += String(d)));
  c.stderr!.on('data', (d) => (text += String(d)));
  return {
    text: () => text,
    until: async (re: RegExp) => {
      for (let i = 0; i < 600 && !re.test(text); i++) await new Promise((r) => setTimeout(r, 100));
      if (!re.test(text)) throw new Error(`timed out waiting for ${re}:\n${text}`);
    },
  };
}

let url = arg('redis', '');
const tmp = mkdtempSync(join(os.tmpdir(), 'bz-bench-giant-'));
if (!url) {
  const redisBin = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
  if (!redisBin) throw new Error('redis-server not found: install it (apt-get install redis-server) or give --redis redis://HOST:PORT');
  const port = await freePort();
  const r = startProc(redisBin, ['--port', String(port), '--bind', '127.0.0.1', '--dir', tmp, '--save', '', '--appendonly', 'no']);
  await r.until(/Ready to accept connections/);
  url = `redis://127.0.0.1:${port}`;
}
const workers = Array.from({ length: nWorkers }, () => startProc(process.execPath, [bin, 'worker', '--queue', url, '--jobs', '1']));
for (const w of workers) await w.until(/worker ready/);

/** One CLI run (async: the workers' output keeps flowing meanwhile); wall seconds and the loop seconds of its --json stats. */
async function run(extra: string[]): Promise<{ s: number; loopS: number; observations: number }> {
  const dir = mkdtempSync(join(tmp, 'out-'));
  const t0 = performance.now();
  const c = spawn(process.execPath, [bin, 'sim', 'run', scenario, '--devices', devices, '--duration', `${seconds}s`, '--seed', '1', '--out', dir, '--json', ...extra], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  c.stdout.on('data', (d) => (out += String(d)));
  c.stderr.on('data', (d) => (err += String(d)));
  const code = await new Promise<number | null>((r) => c.on('close', r));
  const s = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`sim run ${extra.join(' ')} failed (${code}):\n${err}`);
  const j = JSON.parse(out) as { stats: { wall_ms: number; observations: number } };
  const obs = readFileSync(join(dir, 'observations.csv'));
  rmSync(dir, { recursive: true, force: true });
  return { s, loopS: j.stats.wall_ms / 1000, observations: obs.length };
}

const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const local: number[] = [];
const queue: number[] = [];
const localLoop: number[] = [];
const queueLoop: number[] = [];
let same = true;
try {
  for (let i = 0; i < runs; i++) {
    const a = await run(['--threads', '1']);
    local.push(a.s);
    localLoop.push(a.loopS);
    process.stderr.write(`run ${i + 1}/${runs} local --threads 1: ${a.s.toFixed(2)} s (loop ${a.loopS.toFixed(2)} s)\n`);
    const b = await run(['--queue', url, '--shards', String(shards)]);
    queue.push(b.s);
    queueLoop.push(b.loopS);
    same &&= a.observations === b.observations;
    process.stderr.write(`run ${i + 1}/${runs} --queue, ${shards} shards on ${nWorkers} workers: ${b.s.toFixed(2)} s (loop ${b.loopS.toFixed(2)} s)\n`);
  }
} finally {
  stopAll();
}
// the shard streams, from the workers' "done" lines: receptions recorded and chunks stored per job
if (process.env.BENCH_DEBUG) for (const w of workers) process.stderr.write(w.text());
const done = workers.flatMap((w) => [...w.text().matchAll(/done in ([\d.]+) s \((\d+) ticks, (\d+) receptions in (\d+) chunks\)/g)]);
const jobS = done.map((m) => Number(m[1]));
const receptionsPerRun = done.reduce((s, m) => s + Number(m[3]), 0) / runs;
rmSync(tmp, { recursive: true, force: true });
const r2 = (x: number) => Math.round(x * 100) / 100;
const result = {
  bench: 'giant-queue', scenario, devices: Number(devices), seconds, shards, workers: nWorkers, runs,
  wall_s_local: local.map(r2), wall_s_queue: queue.map(r2), median_s_local: r2(med(local)), median_s_queue: r2(med(queue)),
  speedup: r2(med(local) / med(queue)), loop_s_local: localLoop.map(r2), loop_s_queue: queueLoop.map(r2),
  shard_job_s: jobS.map(r2), stream_receptions_per_run: Math.round(receptionsPerRun),
  // shardChunks.ts: 49 bytes per reception (+12 per tick)
  stream_mb_per_run: r2((receptionsPerRun * 49) / 1e6), observations_csv_same_size: same,
  node: process.version, cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), loadavg: os.loadavg().map(r2),
};
if (json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
else {
  process.stdout.write(
    `${scenario} ${devices} devices, ${seconds} s: local --threads 1 median ${result.median_s_local} s, --queue (${shards} shards, ${nWorkers} workers) median ${result.median_s_queue} s: ${result.speedup}x; ` +
      `shard streams ${result.stream_mb_per_run} MB per run\n`,
  );
}
