// Issue 18 item 9, measured with real processes: `beacon start` on a pty bridge to an in-process air
// server; the bridge is stopped (its link disappears), restarted after `outageMs`, and the time until
// the beacon's status.json says "advertising" again is measured, from the loss and from the return.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPtyBridge } from '../../firmware/hci/ptyBridge.ts';
import { startVirtualAir } from '../../firmware/hci/server.ts';

const BIN = fileURLToPath(new URL('../../bin/bluezone.js', import.meta.url));

export interface LinkRecoveryResult {
  outage_ms: number;
  /** Link loss (bridge stopped) to advertising again, and the bridge's return to advertising again. */
  loss_to_advertising_ms: number;
  return_to_advertising_ms: number;
  restarts: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function linkRecovery(outageMs = 2000): Promise<LinkRecoveryResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bz-link-'));
  const air = await startVirtualAir();
  const link = join(dir, 'beacon.pty');
  let bridge = await startPtyBridge(air.port, link);
  const cfg = join(dir, 'beacon.yaml');
  writeFileSync(cfg, 'log_level: debug\n'); // default watchdog: power_on_timeout_s 10, backoff_initial_ms 1000
  const state = join(dir, 'state');
  let beacon: ChildProcess | undefined;
  let err = '';
  const status = () => {
    try {
      return JSON.parse(readFileSync(join(state, 'status.json'), 'utf8')) as { state: string; restarts: number };
    } catch {
      return undefined;
    }
  };
  const until = async (what: string, pred: () => boolean, ms: number) => {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`link recovery: timed out waiting for ${what}\n${err.slice(-3000)}`);
      await sleep(20);
    }
  };
  try {
    const env = { ...process.env };
    delete env.BLUETOOTH_HCI_SOCKET_UART_PORT;
    beacon = spawn(process.execPath, [BIN, 'beacon', 'start', '--config', cfg, '--state-dir', state, '--hci', `uart:${link}`], { stdio: ['ignore', 'ignore', 'pipe'], env });
    beacon.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-20_000)));
    await until('the beacon advertising', () => status()?.state === 'advertising', 60_000);
    const lostAt = Date.now();
    await bridge.close();
    await until('the beacon noticing the loss', () => status()?.state !== 'advertising', 30_000);
    await sleep(Math.max(0, outageMs - (Date.now() - lostAt)));
    const backAt = Date.now();
    bridge = await startPtyBridge(air.port, link);
    await until('the beacon advertising again', () => status()?.state === 'advertising', 60_000);
    const now = Date.now();
    return { outage_ms: backAt - lostAt, loss_to_advertising_ms: now - lostAt, return_to_advertising_ms: now - backAt, restarts: status()?.restarts ?? -1 };
  } finally {
    if (beacon && beacon.exitCode === null) {
      const exited = new Promise((r) => beacon!.once('exit', r));
      beacon.kill('SIGTERM');
      const t = setTimeout(() => beacon!.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    await bridge.close();
    await air.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
