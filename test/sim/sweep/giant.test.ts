// A single giant run on many machines (issue 20): `sim run --queue --shards 2` as coordinator and two
// `bluezone worker` processes on a redis-server of the test's own; one worker is SIGKILLed mid-job, after it
// stored its first chunk. Its shard is retried by the other worker, and every output file (timing.json
// aside) is byte-identical to the local `--threads 1` run. A second test drives the shard job directly to
// pin the retry rule: chunks the coordinator has already taken are not stored again, so nothing is
// replayed twice. Others: a small shard as the job's return value, a restarted coordinator, a damaged
// chunk, bad usage. Skips (with the reason) only when redis-server is missing outside CI.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../../../sim/scenario/load.ts';
import { runSimulation } from '../../../sim/run.ts';
import { FORMAT, openQueueShards, runShardJob, SHARD_JOB, shardKeys, TAKE, type RedisLike, type ShardJobData } from '../../../sim/parallel/queueShards.ts';
import type { ReceptionOut } from '../../../sim/engine/types.ts';
import { decodeChunk } from '../../../sim/parallel/shardChunks.ts';
import { cli, ROOT, tempDirs } from '../../helpers/cli.ts';
import { freePort } from './redis.ts';
import { killAll, redisBin, skipReason, start, startRedis } from './redis.ts';
import { runFiles } from '../../helpers/files.ts';

afterAll(killAll);
const tempDir = tempDirs('bz-giant-');

const files = runFiles;

describe.skipIf(!redisBin)(`sim run --queue on Redis${skipReason}`, () => {
  it('coordinator + 2 workers, one killed mid-job: the shard is retried and the files equal --threads 1', async () => {
    const dir = tempDir();
    const redis = await startRedis(dir);
    const url = redis.url;
    const bz = (...a: string[]) => start(process.execPath, ['bin/bluezone.js', ...a], ROOT);
    // 30 simulated minutes: 1800 ticks, 29 chunks of 64 ticks per shard, so chunk 0 is early in the job
    const args = ['queue', '--duration', '30m', '--seed', '3'];
    const coord = bz('sim', 'run', ...args, '--queue', url, '--shards', '2', '--out', join(dir, 'queue'));
    const a = bz('worker', '--queue', url, '--jobs', '1', '--lock', '2s');
    const b = bz('worker', '--queue', url, '--jobs', '1', '--lock', '2s');
    const [, killedId] = await a.waitFor(/job (\S+): shard \d\/2: chunk 0 \(ticks 0-63\) stored/);
    a.p.kill('SIGKILL');
    expect(await a.exited).toBe(128);
    expect(a.text()).not.toMatch(new RegExp(`job ${killedId} done`));
    expect(await coord.exited, coord.text()).toBe(0);
    // the killed shard was run again by B, from its start, and completed there
    expect(b.text()).toMatch(new RegExp(`job ${killedId} started \\(attempt`));
    expect(b.text()).toMatch(new RegExp(`job ${killedId} done in [\\d.]+ s \\(1800 ticks`));
    b.p.kill('SIGTERM');
    expect(await b.exited).toBe(0);

    await runSimulation(loadScenario('queue'), { durationMs: 30 * 60_000, seed: 3, threads: 1, outDir: join(dir, 'local') });
    const [local, queued] = [files(join(dir, 'local')), files(join(dir, 'queue'))];
    expect([...queued.keys()].sort()).toEqual([...local.keys()].sort());
    expect(local.get('observations.csv')!.length).toBeGreaterThan(1000);
    for (const [f, buf] of local) expect(queued.get(f)!.equals(buf), `${f} differs from the --threads 1 run`).toBe(true);
    await redis.stop();
  }, 300_000);

  it('a small shard travels as its job\'s return value: no chunk keys, the same files', async () => {
    const dir = tempDir();
    const redis = await startRedis(dir);
    const bz = (...a: string[]) => start(process.execPath, ['bin/bluezone.js', ...a], ROOT);
    const w = bz('worker', '--queue', redis.url, '--jobs', '2');
    const c = bz('sim', 'run', 'queue', '--duration', '40s', '--seed', '5', '--queue', redis.url, '--shards', '2', '--out', join(dir, 'queue'));
    expect(await c.exited, c.text()).toBe(0);
    expect(w.text().match(/bytes, returned with the job/g)).toHaveLength(2);
    const { Redis } = await import('ioredis');
    const client = new Redis(redis.url);
    expect(await client.keys('bz:giant:*:chunk:*')).toEqual([]);
    await client.quit();
    w.p.kill('SIGTERM');
    expect(await w.exited).toBe(0);
    await runSimulation(loadScenario('queue'), { durationMs: 40_000, seed: 5, threads: 1, outDir: join(dir, 'local') });
    const [local, queued] = [files(join(dir, 'local')), files(join(dir, 'queue'))];
    expect([...queued.keys()].sort()).toEqual([...local.keys()].sort());
    for (const [f, buf] of local) expect(queued.get(f)!.equals(buf), `${f} differs from the --threads 1 run`).toBe(true);
    await redis.stop();
  }, 120_000);

  it('without outputs (the API, no outDir) the shards still hand their ticks over: the same counters as --threads 1', async () => {
    // a queue job's chunks carry ticks: a shard must not fall back to sending only its logged count
    const dir = tempDir();
    const redis = await startRedis(dir);
    const w = start(process.execPath, ['bin/bluezone.js', 'worker', '--queue', redis.url, '--jobs', '2'], ROOT);
    const opts = { durationMs: 40_000, seed: 5 };
    const queued = await runSimulation(loadScenario('queue'), { ...opts, queue: { url: redis.url, shards: 2 } });
    w.p.kill('SIGTERM');
    expect(await w.exited).toBe(0);
    const local = await runSimulation(loadScenario('queue'), { ...opts, threads: 1 });
    const strip = ({ wallMs: _w, realTimeFactor: _r, pairsPerSecond: _p, ...s }: typeof local.stats) => s;
    expect(strip(queued.stats)).toEqual(strip(local.stats));
    expect(local.stats.observations).toBeGreaterThan(0);
    await redis.stop();
  }, 120_000);

  it('a restarted coordinator reuses the jobs and their stored chunks; a rerun after a complete run starts a new generation', async () => {
    const dir = tempDir();
    const redis = await startRedis(dir);
    const bz = (...a: string[]) => start(process.execPath, ['bin/bluezone.js', ...a], ROOT);
    const run = (out: string) => bz('sim', 'run', 'queue', '--duration', '5m', '--seed', '4', '--queue', redis.url, '--shards', '2', '--out', join(dir, out));
    // the first coordinator enqueues and dies before any worker is there
    const c1 = run('q1');
    const [, runId] = await c1.waitFor(/run (\w+) \(generation 0\): 2 shard jobs/);
    c1.p.kill('SIGKILL');
    await c1.exited;
    const w = bz('worker', '--queue', redis.url, '--jobs', '1');
    await w.waitFor(/done in[^\n]*\n[^]*done in/);
    // the second finds both jobs done and reads their chunks: no job runs again
    const c2 = run('q2');
    expect(await c2.exited, c2.text()).toBe(0);
    expect(c2.text()).toMatch(new RegExp(`run ${runId} \\(generation 0\\)`));
    expect(w.text().match(/ started /g)).toHaveLength(2);
    // the chunks are gone now: a third run enqueues generation 1, which the worker runs
    const c3 = run('q3');
    expect(await c3.exited, c3.text()).toBe(0);
    expect(c3.text()).toMatch(new RegExp(`run ${runId} \\(generation 1\\)`));
    expect(w.text().match(new RegExp(`job giant-${runId}-g1-s\\dof2 done`, 'g'))).toHaveLength(2);
    w.p.kill('SIGTERM');
    expect(await w.exited).toBe(0);
    const [a, b] = [files(join(dir, 'q2')), files(join(dir, 'q3'))];
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [f, buf] of a) expect(b.get(f)!.equals(buf), f).toBe(true);
    await redis.stop();
  }, 300_000);

  it('a retried shard job stores only the chunks the coordinator has not taken', async () => {
    const dir = tempDir();
    const redis = await startRedis(dir);
    const { Redis } = await import('ioredis');
    const client = new Redis(redis.url) as unknown as RedisLike & { quit(): Promise<unknown> };
    try {
      const scenario = loadScenario('queue');
      const d: ShardJobData = {
        kind: SHARD_JOB, format: FORMAT, runId: 'test', gen: 0, shard: 1, nShards: 3, scenario, chunkBytes: 1 << 20, chunkTicks: 16, ttlMs: 60_000,
        opts: { seed: 1, durationMs: 120_000, wantsReceptions: true, keepAll: false, mainListens: false, outDir: true, scanWindows: false, perTick: true },
      };
      const keys = shardKeys('test', 0, 1);
      const take = async (c: number) => (await client.callBuffer('eval', TAKE, 2, keys.chunk(c), keys.read, c, 60_000)) as Buffer | null;
      const first = await runShardJob(d, client);
      expect(first.chunks).toBe(8); // 120 ticks in chunks of 16; the last one (8 ticks) carries the counters
      expect(first.stored).toBe(first.chunks);
      // the coordinator takes two chunks, then the worker dies and the job runs again
      const taken = [await take(0), await take(1)];
      const again = await runShardJob(d, client);
      expect(again.stored).toBe(first.chunks - 2);
      expect(again.counters).toEqual(first.counters);
      // chunks 0 and 1 are not back; the rest follow on from tick 32 to the end, the counters once
      expect(await client.exists(keys.chunk(0), keys.chunk(1))).toBe(0);
      const chunks = [...taken];
      for (let c = 2; c < first.chunks; c++) chunks.push(await take(c));
      const decoded = chunks.map((buf) => decodeChunk(buf!, 100));
      expect(decoded.flatMap((x) => x.ticks.map((t) => t.tick))).toEqual(Array.from({ length: 120 }, (_, i) => i));
      expect(decoded.filter((x) => x.counters).length).toBe(1);
      expect(decoded.reduce((s, x) => s + x.ticks.reduce((u, t) => u + t.n, 0), 0)).toBe(first.receptions);
      expect(first.receptions).toBeGreaterThan(0);
      // a job from a coordinator of another format is refused, not run
      await expect(runShardJob({ ...d, format: 99 }, client)).rejects.toThrow(new RegExp(`shard job format 99, this worker speaks ${FORMAT}:`));
    } finally {
      await client.quit();
      await redis.stop();
    }
  }, 120_000);

  it('the coordinator stops on a damaged chunk, naming the shard and the byte offset', async () => {
    const dir = tempDir();
    const redis = await startRedis(dir);
    const { Redis } = await import('ioredis');
    const client = new Redis(redis.url);
    try {
      const scenario = loadScenario('queue');
      let line = '';
      const so = { seed: 1, durationMs: 60_000, wantsReceptions: true, keepAll: false, mainListens: false, outDir: true, scanWindows: false, perTick: true };
      const pool = await openQueueShards(scenario, so, { url: redis.url, shards: 1, log: (l) => (line = l) }, 60);
      try {
        const [, runId, gen] = line.match(/^run (\w+) \(generation (\d+)\): 1 shard jobs/)!;
        await client.set(shardKeys(runId, Number(gen), 1).chunk(0), Buffer.from('not a chunk at all'));
        const out = { wantsReceptions: true, heard() {}, heardRuled() {}, countLogged() {} } as ReceptionOut;
        expect(() => pool.replayTick(0, out)).toThrow(/sim run thread 1: queue shard 1: shard chunk: bad magic at byte 0/);
      } finally {
        await pool.close();
      }
    } finally {
      await client.quit();
      await redis.stop();
    }
  }, 60_000);
});

describe('sim run --queue: bad usage', () => {
  it('exits 2 with what is wrong, before any output is written', async () => {
    const dir = tempDir();
    let r = await cli('sim', 'run', 'queue', '--duration', '1m', '--shards', '2', '--out', join(dir, 'a'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--shards needs --queue/);
    r = await cli('sim', 'run', 'queue', '--duration', '1m', '--queue', 'http://localhost:6379', '--out', join(dir, 'b'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--queue: expected a redis:\/\/ or rediss:\/\/ URL, got "http:\/\/localhost:6379"/);
    r = await cli('sim', 'run', 'queue', '--duration', '1m', '--queue', 'redis://127.0.0.1:6379', '--threads', '2', '--out', join(dir, 'c'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--threads and --queue do not go together/);
    r = await cli('sim', 'run', 'queue', '--duration', '1m', '--queue', 'redis://127.0.0.1:6379', '--shards', '0', '--out', join(dir, 'd'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--shards: expected an integer 1..4096, got "0"/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('exits 2 when Redis is not there', async () => {
    const dir = tempDir();
    const port = await freePort(); // nothing listens there
    const r = await cli('sim', 'run', 'queue', '--duration', '1m', '--queue', `redis://127.0.0.1:${port}`, '--out', join(dir, 'out'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`cannot reach Redis at redis://127.0.0.1:${port}`));
    expect(readdirSync(dir)).toEqual([]);
  }, 30_000);
});
