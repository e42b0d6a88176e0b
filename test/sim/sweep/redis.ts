// Helpers of the Redis tests (queue.test.ts, giant.test.ts): a redis-server of the test's own (free port,
// temp dir, no persistence) and processes whose output can be waited for. redisBin is empty when
// redis-server is not installed: the tests skip then, except in CI (.ci/run installs it), where they fail.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

const inCi = process.env.CI === 'true';
export const redisBin = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
if (!redisBin && inCi) throw new Error('redis-server is missing in CI (.ci/run installs it)');
export const skipReason = redisBin ? '' : ' (skipped: redis-server not installed; apt-get install redis-server)';

const procs: ChildProcess[] = [];
/** For afterAll: SIGKILLs every process start() started that is still running. */
export function killAll(): void {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A process with its stdout and stderr collected; `waitFor` resolves when the text matches. */
export function start(cmd: string, args: string[], cwd: string) {
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

/** A redis-server on a free port with its files in dir; resolves once it accepts connections. */
export async function startRedis(dir: string) {
  const port = await freePort();
  const redis = start(redisBin, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], dir);
  await redis.waitFor(/Ready to accept connections/);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: async () => {
      redis.p.kill('SIGTERM');
      await redis.exited;
    },
  };
}
