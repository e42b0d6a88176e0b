// Scale-out (issue 20): a coordinator (`sim sweep --queue`) and two `bluezone worker` processes on a
// real redis-server of the test's own (free port, temp dir); one worker is SIGKILLed mid-job. Its job
// is retried by the other worker after the lock expires, and the coordinator's files are byte-identical
// to the local pool's. Skips (with the reason) only when redis-server is missing outside CI.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSweep } from '../../../sim/sweep/sweep.ts';
import { ROOT, tempDirs } from '../../helpers/cli.ts';
import { killAll, redisBin, skipReason, start, startRedis } from './redis.ts';

afterAll(killAll);

const tempDir = tempDirs('bz-sweep-queue-');

const SWEEP = `name: queue-test
scenarios: [queue]
seeds: [1, 2]
params:
  duration: [3m]
  channel.exponent: [2.0, 2.4, 2.8]
`;

describe.skipIf(!redisBin)(`sim sweep --queue on Redis${skipReason}`, () => {
  it('coordinator + 2 workers, one killed mid-job: the job is retried and the table equals the local run', async () => {
    const dir = tempDir();
    const file = join(dir, 'sweep.yaml');
    writeFileSync(file, SWEEP);
    const redis = await startRedis(dir);
    const url = redis.url;

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
    await redis.stop();
  }, 300_000);
});
