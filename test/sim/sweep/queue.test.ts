// Scale-out (issue 20): a coordinator (`sim sweep --queue`) and two `bluezone worker` processes on a
// real redis-server of the test's own (free port, temp dir); one worker is SIGKILLed mid-job. Its job
// is retried by the other worker after the lock expires, and the coordinator's files are byte-identical
// to the local pool's. Skips (with the reason) only when redis-server is missing outside CI.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSweep } from '../../../sim/sweep/sweep.ts';
import { ROOT, tempDirs } from '../../helpers/cli.ts';

const inCi = process.env.CI === 'true';
const redisBin = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
if (!redisBin && inCi) throw new Error('redis-server is missing in CI (.ci/run installs it)');
const tempDir = tempDirs('bz-sweep-queue-');

const procs: ChildProcess[] = [];
afterAll(() => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

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

/** A process with its stderr collected; `waitFor` resolves when a line matches. */
function start(cmd: string, args: string[], cwd: string) {
  const p = spawn(cmd, args, { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(p);
  let text = '';
  const waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  const onData = (c: Buffer) => {
    text += String(c);
    for (const w of [...waiters]) {
      const m = text.match(w.re);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  p.stdout!.on('data', onData);
  p.stderr!.on('data', onData);
  const exited = new Promise<number>((r) => p.on('exit', (code, sig) => r(code ?? (sig ? 128 : 1))));
  return {
    p,
    exited,
    text: () => text,
    waitFor: (re: RegExp, ms = 90_000) =>
      new Promise<RegExpMatchArray>((resolve, reject) => {
        const m = text.match(re);
        if (m) return resolve(m);
        const t = setTimeout(() => reject(new Error(`timed out waiting for ${re} in:\n${text}`)), ms);
        waiters.push({ re, resolve: (x) => (clearTimeout(t), resolve(x)) });
      }),
  };
}

const SWEEP = `name: queue-test
scenarios: [queue]
seeds: [1, 2]
params:
  duration: [3m]
  channel.exponent: [2.0, 2.4, 2.8]
`;

describe.skipIf(!redisBin)(`sim sweep --queue on Redis${redisBin ? '' : ' (skipped: redis-server not installed; apt-get install redis-server)'}`, () => {
  it('coordinator + 2 workers, one killed mid-job: the job is retried and the table equals the local run', async () => {
    const dir = tempDir();
    const file = join(dir, 'sweep.yaml');
    writeFileSync(file, SWEEP);
    const port = await freePort();
    const redis = start(redisBin, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], dir);
    await redis.waitFor(/Ready to accept connections/);
    const url = `redis://127.0.0.1:${port}`;

    const bz = (...a: string[]) => start(process.execPath, ['bin/bluezone.js', ...a], ROOT);
    const coord = bz('sim', 'sweep', file, '--queue', url, '--out', join(dir, 'queue'));
    const a = bz('worker', '--queue', url, '--jobs', '1', '--lock', '2s');
    const b = bz('worker', '--queue', url, '--jobs', '1', '--lock', '2s');
    // kill A as soon as it has taken a job (its thread is still starting: mid-job for sure)
    const [, killedId] = await a.waitFor(/job (\S+) started/);
    a.p.kill('SIGKILL');
    expect(await a.exited).toBe(128);
    expect(await coord.exited, coord.text()).toBe(0);
    // the killed job was run again, by B, and completed there
    expect(b.text()).toMatch(new RegExp(`job ${killedId} done`));
    expect(b.text()).toMatch(new RegExp(`job ${killedId} started \\(attempt`));
    b.p.kill('SIGTERM');
    expect(await b.exited).toBe(0);

    // the local pool on the same file: the same bytes (timing.json aside)
    await runSweep(file, { outDir: join(dir, 'local'), jobs: 2 });
    for (const f of ['summary.csv', 'summary.json', 'report.html']) {
      expect(readFileSync(join(dir, 'queue', f)).equals(readFileSync(join(dir, 'local', f))), f).toBe(true);
    }
    const csv = readFileSync(join(dir, 'local', 'summary.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(7);
    expect(csv.slice(1).map((l) => l.split(',')[0])).toEqual(['0', '1', '2', '3', '4', '5']);
    redis.p.kill('SIGTERM');
    await redis.exited;
  }, 300_000);
});
