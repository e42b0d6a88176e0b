// Issue 16 "Done when": the package as a user gets it. `npm pack` (prepack builds dist/), then in an empty
// temp folder with no checkout or ../shared beside it: `npm install -g --prefix P ./bluezone-beacon-*.tgz`
// and a consumer project depending on "file:<tgz>", both offline from the npm cache (CI's `npm ci` fills
// it). The installed CLI runs --version, sim run, classify, eval --fail-under and beacon start on the
// virtual air; the consumer imports the documented API (docs/api.md) and type-checks against the .d.ts.
// Skips only when the npm cache lacks a package (nothing is downloaded), saying which.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OFFLINE_FLAGS, ROOT, cacheMiss, installGlobal, packTarball, run } from '../../bench/installedPackage.ts';
import { startPtyBridge, startVirtualAir, type PtyBridge, type VirtualAir } from '../../firmware/hci/index.ts';
import { runSimulation } from '../../sim/run.ts';
import { loadScenario } from '../../sim/scenario/load.ts';

const SETUP_MS = 400_000; // tsc build + two offline installs; about 60 s on a quiet 2-core machine
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

let tmp: string;
let tgz: string;
let prefix: string;
let consumer: string;
let skipReason: string | undefined;

/** The installed `bluezone`, run from the temp folder (no checkout around it). */
const bz = (args: string[], timeoutMs = 120_000) => run(join(prefix, 'bin', 'bluezone'), args, { cwd: tmp, timeoutMs, env: { ...process.env, NO_COLOR: '1' } });

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'bz-pkg-'));
  tgz = await packTarball(join(tmp, 'pack'));
  prefix = join(tmp, 'P');
  consumer = join(tmp, 'consumer');
  cpSync(join(ROOT, 'docs', 'examples', 'api-example'), consumer, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(consumer, 'package.json'), 'utf8'));
  manifest.dependencies['bluezone-beacon'] = `file:${tgz}`;
  writeFileSync(join(consumer, 'package.json'), JSON.stringify(manifest, null, 2));
  const [g, c] = await Promise.all([installGlobal(tgz, prefix), run('npm', ['install', ...OFFLINE_FLAGS], { cwd: consumer })]);
  skipReason = cacheMiss(g) ?? cacheMiss(c);
  if (skipReason) {
    process.stderr.write(`test/package: skipped: ${skipReason}\n`);
    return;
  }
  if (g.code !== 0) throw new Error(`npm install -g failed (exit ${g.code}):\n${g.stderr.slice(-4000)}`);
  if (c.code !== 0) throw new Error(`npm install in the consumer project failed (exit ${c.code}):\n${c.stderr.slice(-4000)}`);
}, SETUP_MS);

// two installed dependency trees (~600 packages): removing them takes a while on a loaded machine
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
}, 180_000);

describe('npm pack + npm install -g --prefix P, outside the checkout', () => {
  it('ships compiled JS, types and the run-time data, no tests, no CI files, no tsx', async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const list = (await run('tar', ['tzf', tgz])).stdout.split('\n').filter(Boolean);
    expect(list).toContain('package/dist/cli/main.js');
    expect(list).toContain('package/dist/index.d.ts');
    expect(list).toContain('package/dist/sim/kernel/kernel.wasm');
    expect(list).toContain('package/dist/records/data/gaen-calibration/en-calibration-2020-06-13.csv');
    expect(list).toContain('package/dist/records/data/gaen-calibration/PROVENANCE.md');
    expect(list).toContain('package/dist/records/proto/bluezone.proto');
    expect(list).toContain('package/LICENSE');
    // no tests, no CI script, no TypeScript sources (the .d.ts and the API example's typed.ts aside)
    expect(list.filter((f) => /(^package\/test\/|\.test\.|^package\/\.ci\/|\.ts$)/.test(f) && !f.endsWith('.d.ts') && !f.startsWith('package/docs/examples/'))).toEqual([]);
    const installed = join(prefix, 'lib', 'node_modules', 'bluezone-beacon');
    expect(existsSync(join(installed, 'node_modules', 'tsx')), 'tsx is a devDependency: not installed').toBe(false);
    const v = await bz(['--version']);
    expect(v).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
  }, 60_000);

  it('sim run, classify and eval --fail-under work from the installed copy', async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const d = join(tmp, 'D');
    const sim = await bz(['sim', 'run', 'queue', '--duration', '10s', '--out', d]);
    expect(sim.code, sim.stderr).toBe(0);
    for (const f of ['observations.csv', 'truth.csv', 'windows.csv', 'summary.json', 'report.html']) expect(existsSync(join(d, f)), f).toBe(true);
    // worker threads start from the compiled .js (no tsx installed): the same bytes with 2 threads
    const d2 = join(tmp, 'D2');
    const sim2 = await bz(['sim', 'run', 'queue', '--duration', '10s', '--threads', '2', '--out', d2]);
    expect(sim2.code, sim2.stderr).toBe(0);
    for (const f of ['observations.csv', 'truth.csv', 'windows.csv']) expect(readFileSync(join(d2, f)).equals(readFileSync(join(d, f))), f).toBe(true);
    // a run of 20+ device-hours classifies in the sinks workers (compiled sinkWorker.js): the same
    // windows.csv and summary.json as this checkout's in-thread run
    const d3 = join(tmp, 'D3');
    const sim3 = await bz(['sim', 'run', 'lobby', '--devices', '100', '--duration', '30m', '--out', d3]);
    expect(sim3.code, sim3.stderr).toBe(0);
    const d4 = join(tmp, 'D4');
    await runSimulation(loadScenario('lobby'), { devices: 100, durationMs: 30 * 60_000, outDir: d4, sinkThread: false });
    for (const f of ['windows.csv', 'summary.json', 'observations.csv']) expect(readFileSync(join(d3, f)).equals(readFileSync(join(d4, f))), f).toBe(true);

    const cl = await bz(['classify', '--input', join(d, 'observations.csv'), '--out', join(d, 'gaen.csv'), '--method', 'gaen', '--json']);
    expect(cl.code, cl.stderr).toBe(0);
    expect(JSON.parse(cl.stdout)).toMatchObject({ method: 'gaen', window_ms: 900_000 });
    expect(readFileSync(join(d, 'gaen.csv'), 'utf8').split('\n').length).toBeGreaterThan(2);

    const ev = await bz(['eval', '--truth', join(d, 'truth.csv'), '--windows', `ours=${join(d, 'windows.csv')}`, '--json']);
    expect(ev.code, ev.stderr).toBe(0);
    const auc = (JSON.parse(ev.stdout) as { results: { method: string; auc: number }[] }).results[0].auc;
    expect(auc).toBeGreaterThanOrEqual(0);
    // just below the measured AUC passes (exit 0), just above fails the build (exit 1)
    const pass = await bz(['eval', '--truth', join(d, 'truth.csv'), '--windows', `ours=${join(d, 'windows.csv')}`, '--fail-under', `auc=${Math.max(0, auc - 0.001).toFixed(4)}`]);
    expect(pass.code, pass.stderr).toBe(0);
    if (auc < 0.999) {
      const fail = await bz(['eval', '--truth', join(d, 'truth.csv'), '--windows', `ours=${join(d, 'windows.csv')}`, '--fail-under', `auc=${(auc + 0.001).toFixed(4)}`]);
      expect(fail.code).toBe(1);
      expect(fail.stderr).toMatch(/auc .* < /);
    }
  }, 180_000);

  it('beacon start advertises on the virtual air (bleno in its child process, no tsx), status 0 then 3', async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const air: VirtualAir = await startVirtualAir({ port: 0, rssiModel: 'fixed:-60' });
    let bridge: PtyBridge | undefined;
    let beacon: ChildProcess | undefined;
    let err = '';
    try {
      bridge = await startPtyBridge(air.port, join(tmp, 'beacon.pty'));
      const state = join(tmp, 'state');
      const env = { ...process.env };
      delete env.BLUETOOTH_HCI_SOCKET_UART_PORT;
      delete env.HCI_CHANNEL_USER;
      beacon = spawn(join(prefix, 'bin', 'bluezone'), ['-v', 'beacon', 'start', '--state-dir', state, '--hci', `uart:${join(tmp, 'beacon.pty')}`], { cwd: tmp, env, stdio: ['ignore', 'ignore', 'pipe'] });
      beacon.stderr!.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-8000)));
      const end = Date.now() + 60_000;
      let s: { state?: string } | undefined;
      while (Date.now() < end) {
        const r = await bz(['beacon', 'status', '--state-dir', state, '--json']);
        s = r.stdout ? JSON.parse(r.stdout) : undefined;
        if (s?.state === 'advertising') {
          expect(r.code).toBe(0);
          break;
        }
        await new Promise((res) => setTimeout(res, 500));
      }
      expect(s?.state, `beacon never advertised:\n${err}`).toBe('advertising');
      const exited = new Promise((res) => beacon!.once('exit', res));
      beacon.kill('SIGTERM');
      await exited;
      const after = await bz(['beacon', 'status', '--state-dir', state]);
      expect(after.code, 'LSB: a stopped service reports 3').toBe(3);
      expect(after.stdout).toMatch(/^state\s+stopped$/m);
    } finally {
      if (beacon && beacon.exitCode === null && beacon.signalCode === null) beacon.kill('SIGKILL');
      await bridge?.close();
      await air.close();
    }
  }, 120_000);
});

describe('a project that depends on "bluezone-beacon": "file:<tgz>"', () => {
  it('imports the documented API from plain Node', async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const probe = "const m = await import('bluezone-beacon'); const s = await import('bluezone-beacon/simulator'); const a = await import('bluezone-beacon/air');" +
      "console.log(JSON.stringify([typeof m.bluezoneIdAt, typeof m.classifyAll, typeof m.evaluateWindows, typeof s.runSimulation, typeof a.startVirtualAir]))";
    const r = await run(process.execPath, ['--input-type=module', '-e', probe], { cwd: consumer });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(['function', 'function', 'function', 'function', 'function']);
  }, 60_000);

  it('runs docs/examples/api-example (protocol, simulator, classifier, evaluation)', async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const r = await run(process.execPath, ['main.js'], { cwd: consumer, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^id [0-9A-F]{24} in slot \d+: frame is bluezone-android$/m);
    expect(r.stdout).toMatch(/^simulated \d+ observations$/m);
    expect(r.stdout).toMatch(/^\d+ windows, AUC (\d\.\d{3}|n\/a), F1 (\d\.\d{3}|n\/a)$/m);
  }, 150_000);

  it('type-checks against the shipped .d.ts (and a wrong use is a type error)', async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const ok = await run(process.execPath, [tsc, '-p', consumer], { cwd: consumer });
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    writeFileSync(join(consumer, 'typed.ts'), readFileSync(join(consumer, 'typed.ts'), 'utf8') + "\nexport const bad: string = bluezoneIdAt(new Uint8Array(32), 0, 0).slot;\n");
    const bad = await run(process.execPath, [tsc, '-p', consumer], { cwd: consumer });
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toMatch(/typed\.ts.*TS2322/);
  }, 120_000);
});
