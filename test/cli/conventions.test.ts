// Issue 16 "Conventions": beacon status exit codes (LSB), journald priorities under systemd, the progress
// bar decided by stderr's terminal, and the real-time factor with significant digits.
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadOrCreateKey, writeStatus, type StatusFile } from '../../firmware/beacon/state.ts';
import { loadScenario } from '../../sim/scenario/load.ts';
import { runSimulation } from '../../sim/run.ts';
import { makeLogger, underSystemd } from '../../cli/daemon.ts';
import { createProgress, progressOnTerminal } from '../../cli/progress.ts';
import type { CliContext } from '../../cli/context.ts';
import { cli, tempDirs } from '../helpers/cli.ts';

const tmp = tempDirs('bz-cli-conv-');

function status(over: Partial<StatusFile>): StatusFile {
  return {
    state: 'advertising', slot: 33, id_prefix: 'ABCDEF***', started_at_ms: Date.now() - 1000, updated_at_ms: Date.now(),
    last_error: null, last_error_at_ms: null, adapter: 'native:0', pid: process.pid, interval_ms: 100, restarts: 0,
    frame: 'bluezone', test_clock: false, ...over,
  } as StatusFile;
}

describe('beacon status exit code (LSB: 0 running, 3 stopped)', () => {
  it('is 0 while the daemon runs and 3 once it has stopped, with the status still printed', async () => {
    const dir = tmp();
    writeStatus(dir, status({}));
    const up = await cli('beacon', 'status', '--state-dir', dir, '--json');
    expect(up.code).toBe(0);
    expect(JSON.parse(up.stdout).state).toBe('advertising');
    writeStatus(dir, status({ state: 'stopped' }));
    const down = await cli('beacon', 'status', '--state-dir', dir, '--json');
    expect(down.code).toBe(3);
    expect(JSON.parse(down.stdout)).toMatchObject({ state: 'stopped', running: false });
    expect(down.stderr).toBe('');
    // a daemon that died without writing "stopped" (its pid is gone) is stopped too
    writeStatus(dir, status({ pid: 2 ** 22 + 12345 }));
    expect((await cli('beacon', 'status', '--state-dir', dir)).code).toBe(3);
  });
});

function ctxWith(err: NodeJS.WritableStream, isTTY: boolean): CliContext {
  return { out: new PassThrough(), err: err as CliContext['err'], isTTY, quiet: false, verbose: false };
}

describe('log lines', () => {
  it('carry <N> syslog priorities under systemd and a timestamp otherwise', () => {
    expect(underSystemd({ INVOCATION_ID: 'abc' })).toBe(true);
    expect(underSystemd({ JOURNAL_STREAM: '8:1234' })).toBe(true);
    expect(underSystemd({})).toBe(false);
    let text = '';
    const err = new PassThrough();
    err.on('data', (c) => (text += String(c)));
    const journal = makeLogger(ctxWith(err, false), 'debug', { JOURNAL_STREAM: '8:1234' });
    journal('error', 'e');
    journal('warn', 'w');
    journal('info', 'i');
    journal('debug', 'd');
    expect(text).toBe('<3>error e\n<4>warn w\n<6>info i\n<7>debug d\n');
    text = '';
    makeLogger(ctxWith(err, false), 'info', {})('warn', 'plain');
    expect(text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z warn plain\n$/);
  });
});

describe('progress', () => {
  afterEach(() => vi.restoreAllMocks());

  it("follows stderr's terminal, not stdout's: `2>log` gets plain lines without control codes", () => {
    const writes: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation(((s: string) => (writes.push(String(s)), true)) as typeof process.stderr.write);
    const isTTY = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
    Object.defineProperty(process.stderr, 'isTTY', { value: false, configurable: true });
    try {
      // stdout a terminal (ctx.isTTY) but stderr a file: no bar
      const ctx = ctxWith(process.stderr, true);
      expect(progressOnTerminal(ctx)).toBe(false);
      const p = createProgress(ctx, 'sim', 10, { now: () => 0 });
      p.update(10);
      p.done();
      expect(writes.join('')).not.toContain('\r');
      expect(writes.join('')).not.toContain('\x1b[');
      Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
      expect(progressOnTerminal(ctxWith(process.stderr, false))).toBe(true);
    } finally {
      if (isTTY) Object.defineProperty(process.stderr, 'isTTY', isTTY);
      else delete (process.stderr as { isTTY?: boolean }).isTTY;
    }
  });
});

describe('real-time factor', () => {
  afterEach(() => vi.restoreAllMocks());

  it('keeps 3 significant digits instead of rounding to an integer (a slow run is not "0x")', async () => {
    // a wall clock that advances 7 s per reading: 2 s simulated in much more wall time than that
    let t = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => (t += 7000));
    const r = await runSimulation(loadScenario('queue'), { durationMs: 2000, kernel: 'ts', engine: 'js', report: false });
    vi.restoreAllMocks();
    const f = r.stats.realTimeFactor;
    expect(f).toBeGreaterThan(0);
    expect(f).toBeLessThan(1);
    expect(Number(f.toPrecision(3))).toBe(f);
    expect(f).toBe(Number((2000 / r.stats.wallMs).toPrecision(3)));
  });
});

describe('--json on every printing command', () => {
  it('beacon publish --json is accepted (it was rejected) and prints the same JSON entry', async () => {
    const dir = tmp();
    loadOrCreateKey(dir, Date.parse('2026-11-20T10:00:00Z'));
    const args = ['beacon', 'publish', '--state-dir', dir, '--date', '2026-11-23', '--from', '08:00', '--to', '10:30'];
    const plain = await cli(...args);
    const json = await cli(...args, '--json');
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(JSON.parse(plain.stdout));
  });
});
