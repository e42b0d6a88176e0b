// Benchmark: one iPhone GATT read over the virtual air with the real stacks (docs/ios-gatt.md).
//   npx tsx bench/iosGatt.ts [--reads 20 --json]
// A simulated iPhone (bleno, its own process) and the logbook's noble scanner, each on a pty bridge to
// an in-process virtual air; times NobleScanner.readCharacteristic (connect, MTU exchange, discovery,
// read, disconnect) end to end, reads back to back, and prints min / median / p90 / max in ms.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startPtyBridge, startVirtualAir } from '../firmware/hci/index.ts';
import { BLUEZONE_GATT_CHARACTERISTIC_UUID, BLUEZONE_GATT_SERVICE_UUID, classifyAdvert } from '../firmware/protocol/frames.ts';
import { createNobleScanner } from '../firmware/radio/nobleAdapter.ts';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}
const READS = Number(arg('reads', '20'));
const json = process.argv.includes('--json');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const SIM = fileURLToPath(new URL('../firmware/radio/iphoneSim.ts', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dir = mkdtempSync(join(tmpdir(), 'bz-bench-gatt-'));
const air = await startVirtualAir({ port: 0 });
const bridges = [await startPtyBridge(air.port, join(dir, 'phone.pty')), await startPtyBridge(air.port, join(dir, 'scan.pty'))];
const env = { ...process.env };
delete env.BLUETOOTH_HCI_SOCKET_UART_PORT;
delete env.HCI_CHANNEL_USER;
const phone = spawn(process.execPath, ['--import', TSX, SIM, '--hci', `uart:${join(dir, 'phone.pty')}`, '--base-key', 'ab'.repeat(32), '--base-date', '2026-01-01'], { stdio: 'ignore', env });
const scanner = createNobleScanner({ driver: 'uart', port: join(dir, 'scan.pty'), baudRate: 1_000_000 });
let address: string | undefined;
scanner.on('report', (r) => {
  if (classifyAdvert(r.advData).kind === 'bluezone-ios') address = r.address;
});
const times: number[] = [];
let failures = 0;
try {
  scanner.open();
  for (let i = 0; scanner.state !== 'poweredOn'; i++) {
    if (i > 500) throw new Error('scanner never powered on');
    await sleep(20);
  }
  await scanner.start(true);
  for (let i = 0; !address; i++) {
    if (i > 500) throw new Error('the simulated iPhone was never heard');
    await sleep(20);
  }
  for (let i = 0; i < READS; i++) {
    const t = performance.now();
    try {
      await scanner.readCharacteristic(address, 'public', BLUEZONE_GATT_SERVICE_UUID, BLUEZONE_GATT_CHARACTERISTIC_UUID, 10_000);
      times.push(performance.now() - t);
    } catch (e) {
      failures++;
      process.stderr.write(`read ${i + 1}: ${(e as Error).message}\n`);
    }
  }
} finally {
  await scanner.close();
  phone.kill('SIGKILL');
  await Promise.all(bridges.map((b) => b.close()));
  await air.close();
  rmSync(dir, { recursive: true, force: true });
}
const s = [...times].sort((a, b) => a - b);
const q = (p: number) => (s.length ? Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))]) : null);
const out = { reads: READS, ok: s.length, failures, min_ms: q(0), median_ms: q(0.5), p90_ms: q(0.9), max_ms: q(1) };
if (json) process.stdout.write(JSON.stringify(out) + '\n');
else process.stdout.write(`GATT reads ${out.ok}/${READS} ok; ms min ${out.min_ms}, median ${out.median_ms}, p90 ${out.p90_ms}, max ${out.max_ms}\n`);
process.exit(failures > 0 ? 1 : 0);
