import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { parseBtsnoop } from '../../firmware/hci/btsnoop.ts';
import { startVirtualAir } from '../../firmware/hci/server.ts';

const BIN = fileURLToPath(new URL('../../bin/bluezone.js', import.meta.url));

async function runInProcess(args: string[]) {
  let out = '';
  let err = '';
  const sink = (f: (s: string) => void) => new Writable({ write: (c, _e, cb) => (f(String(c)), cb()) });
  const code = await main(['node', 'bluezone', ...args], { out: sink((s) => (out += s)), err: sink((s) => (err += s)) });
  return { code, out, err };
}

/** Spawns the CLI and resolves with the first stdout line matching `re`. */
function spawnCli(args: string[], re: RegExp, ms = 50_000) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | string | null>((res) => child.on('exit', (c, sig) => res(c ?? sig)));
  const line = new Promise<RegExpExecArray>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`no ${re} within ${ms} ms; stdout ${out} stderr ${err}`)), ms);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = re.exec(out);
      if (m) {
        clearTimeout(t);
        res(m);
      }
    });
    exited.then((c) => rej(new Error(`exited ${c} before ${re}; stderr ${err}`)));
  });
  return { child, line, exited, stderr: () => err };
}

const children: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'bz-cli-air-'));
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('bluezone air', () => {
  it('serve prints "listening HOST:PORT" (or a JSON line) and stops on SIGTERM/SIGINT; pty prints "ready PATH" and removes it on SIGTERM', async () => {
    // Three CLI processes start concurrently (each tsx start-up is slow on a busy machine); the pty
    // one bridges to an in-process air so it need not wait for the CLI server.
    const air = await startVirtualAir();
    const link = join(dir, 'hci.pty');
    const snoopDir = join(dir, 'snoop');
    const serve = spawnCli(['air', 'serve', '--port', '0', '--btsnoop', snoopDir], /listening 127\.0\.0\.1:(\d+)\n/);
    const serveJson = spawnCli(['air', 'serve', '--port', '0', '--json', '--rssi-model', 'channel:env=office,seed=3'], /(\{.*"listening".*\})\n/);
    const pty = spawnCli(['air', 'pty', '--port', String(air.port), '--link', link], /ready (.+)\n/);
    children.push(serve.child, serveJson.child, pty.child);
    try {
      const [m1, m2, m3] = await Promise.all([serve.line, serveJson.line, pty.line]);
      const port = Number(m1[1]);
      expect(port).toBeGreaterThan(0);
      expect(JSON.parse(m2[1])).toMatchObject({ event: 'listening', host: '127.0.0.1', rssi_model: expect.stringMatching(/^channel:n=[\d.]+,shadow=[\d.]+dB,K=[\d.]+,tx=0,seed=3$/) });
      expect(m3[1]).toBe(link);
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect(readlinkSync(link)).toMatch(/^\/dev\/pts\/\d+$/);

      // A raw host on the CLI server gets the exact Reset completion.
      const reply = await new Promise<string>((res, rej) => {
        const s = connect(port, '127.0.0.1', () => s.write(Buffer.from('01030c00', 'hex')));
        s.once('data', (d) => {
          res(d.toString('hex'));
          s.destroy();
        });
        s.once('error', rej);
      });
      expect(reply).toBe('040e0401030c00');

      pty.child.kill('SIGTERM');
      serve.child.kill('SIGTERM');
      serveJson.child.kill('SIGINT');
      expect(await Promise.all([pty.exited, serve.exited, serveJson.exited])).toEqual([0, 0, 0]);
      expect(existsSync(link)).toBe(false);
      expect(serve.stderr()).toMatch(/SIGTERM: stopped \(1 controller\(s\) served/);
      const snoop = parseBtsnoop(new Uint8Array(readFileSync(join(snoopDir, 'controller-1-c0ffee000001.btsnoop'))));
      expect(snoop.records.map((r) => Buffer.from(r.packet).toString('hex'))).toEqual(['01030c00', '040e0401030c00']);
    } finally {
      await air.close();
    }
  }, 90_000); // generous only for a machine busy with other jobs: a CLI start normally takes ~2 s

  it('bad usage exits 2 and names the argument', async () => {
    const r1 = await runInProcess(['air', 'serve', '--port', 'abc']);
    expect(r1.code).toBe(2);
    expect(r1.err).toMatch(/--port: "abc" is not a TCP port/);
    const r2 = await runInProcess(['air', 'serve', '--port', '0', '--rssi-model', 'cable']);
    expect(r2.code).toBe(2);
    expect(r2.err).toMatch(/--rssi-model: .*unknown model "cable"/);
    const r3 = await runInProcess(['air', 'serve', '--port', '0', '--position', 'c0:ff:ee:00:00:01=1,2']);
    expect(r3.code).toBe(2);
    expect(r3.err).toMatch(/--position needs --rssi-model channel/);
    const r4 = await runInProcess(['air', 'serve', '--port', '0', '--inject', 'Nope=12']);
    expect(r4.code).toBe(2);
    expect(r4.err).toMatch(/--inject: "Nope=12"/);
    const r5 = await runInProcess(['air', 'pty', '--port', '0', '--link', join(dir, 'x')]);
    expect(r5.code).toBe(2);
    const r6 = await runInProcess(['air', 'pty', '--port', '1', '--link', join(dir, 'y'), '--bridge', 'telnet']);
    expect(r6.code).toBe(2);
    const r7 = await runInProcess(['air', 'pty', '--port', '1', '--link', join(dir, 'no-such-dir', 'x.pty')]);
    expect(r7.code).toBe(2);
    expect(r7.err).toMatch(/no-such-dir does not exist/);
    const file = join(dir, 'precious.txt');
    writeFileSync(file, 'keep me');
    const r8 = await runInProcess(['air', 'pty', '--port', '1', '--link', file]);
    expect(r8.code).toBe(2);
    expect(r8.err).toMatch(/exists and is not a symlink/);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
  });

  it('--help shows an example for each subcommand', async () => {
    for (const sub of ['serve', 'pty', '']) {
      const r = await runInProcess(['air', ...(sub ? [sub] : []), '--help']);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/Examples:\n\s+\$ npx bluezone air /);
    }
  });
});
