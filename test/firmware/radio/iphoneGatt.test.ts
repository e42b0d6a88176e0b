// Real noble as GATT client and real bleno as GATT server (the simulated iPhone, its own process)
// over pty bridges to the in-process virtual air: LE connection, ATT over ACL, disconnect.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPtyBridge, startVirtualAir, type PtyBridge, type VirtualAir } from '../../../firmware/hci/index.ts';
import { BLUEZONE_GATT_CHARACTERISTIC_UUID, BLUEZONE_GATT_SERVICE_UUID, classifyAdvert } from '../../../firmware/protocol/frames.ts';
import { bluezoneIdAt } from '../../../firmware/protocol/keys.ts';
import { iosAdvert, testClockNow } from '../../../firmware/radio/iphoneSim.ts';
import { createNobleScanner, type NobleScanner } from '../../../firmware/radio/nobleAdapter.ts';
import { RadioError, type AdvertReport } from '../../../firmware/radio/types.ts';

const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const SIM = fileURLToPath(new URL('../../../firmware/radio/iphoneSim.ts', import.meta.url));
const KEY = 'a1'.repeat(32);
const BASE_DATE = '2026-11-20';

export function spawnIphone(pty: string, extra: string[] = [], env: Record<string, string> = {}) {
  const e = { ...process.env, ...env };
  delete e.BLUETOOTH_HCI_SOCKET_UART_PORT;
  delete e.HCI_CHANNEL_USER;
  const child: ChildProcess = spawn(process.execPath, ['--import', TSX, SIM, '--hci', `uart:${pty}`, '--base-key', KEY, '--base-date', BASE_DATE, ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'], env: e,
  });
  const lines: Record<string, unknown>[] = [];
  let err = '';
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      try {
        lines.push(JSON.parse(buf.slice(0, i)));
      } catch {
        // library output
      }
      buf = buf.slice(i + 1);
    }
  });
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  return { child, lines, err: () => err };
}

async function until<T>(what: string, f: () => T | undefined | false, ms = 20_000, diag = () => ''): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${diag()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('simulated iPhone (bleno GATT server) read by noble over the virtual air', () => {
  let air: VirtualAir;
  let dir: string;
  const bridges: PtyBridge[] = [];
  const kids: ChildProcess[] = [];
  let scanner: NobleScanner;
  const reports: AdvertReport[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bz-gatt-'));
    air = await startVirtualAir({ port: 0, rssiModel: 'fixed:-58' });
    for (const n of ['phone', 'mute', 'scan']) bridges.push(await startPtyBridge(air.port, join(dir, `${n}.pty`)));
    scanner = createNobleScanner({ driver: 'uart', port: join(dir, 'scan.pty'), baudRate: 1_000_000 });
    scanner.on('report', (r) => reports.push(r));
    scanner.open();
    await until('scanner poweredOn', () => scanner.state === 'poweredOn');
    await scanner.start(true);
  });

  afterAll(async () => {
    await scanner?.close();
    for (const k of kids) k.kill('SIGKILL');
    await Promise.all(bridges.map((b) => b.close()));
    await air?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('advert layouts classify as iOS Bluezone (foreground UUID + name, background overflow area)', () => {
    expect(classifyAdvert(iosAdvert('foreground')).kind).toBe('bluezone-ios');
    expect(classifyAdvert(iosAdvert('background')).kind).toBe('bluezone-ios-overflow');
    const now = testClockNow('start=2026-11-23T08:00:00Z,speed=100,anchor=1000', () => 2000);
    expect(now()).toBe(Date.parse('2026-11-23T08:00:00Z') + 100_000);
  });

  it('connects, discovers the Bluezone service, reads the current 12-byte ID, disconnects; scanning goes on', async () => {
    const phone = spawnIphone(join(dir, 'phone.pty'), ['--layout', 'background']);
    kids.push(phone.child);
    const diag = () => `phone: ${JSON.stringify(phone.lines.slice(-6))} ${phone.err()}`;
    await until('phone advertising', () => phone.lines.some((l) => l.event === 'advertising' && l.error === null), 20_000, diag);
    const adv = await until('the phone heard', () => reports.find((r) => classifyAdvert(r.advData).kind === 'bluezone-ios-overflow'), 10_000, diag);
    const t0 = Date.now();
    const id = await scanner.readCharacteristic(adv.address, adv.addressType ?? 'public', BLUEZONE_GATT_SERVICE_UUID, BLUEZONE_GATT_CHARACTERISTIC_UUID, 10_000);
    const expected = bluezoneIdAt(Buffer.from(KEY, 'hex'), Date.parse(`${BASE_DATE}T00:00:00Z`), Date.now()).id;
    expect(Buffer.from(id).toString('hex')).toBe(Buffer.from(expected).toString('hex'));
    expect(Date.now() - t0).toBeLessThan(5000);
    await until('phone saw the disconnect', () => phone.lines.some((l) => l.event === 'disconnect'), 5000, diag);
    expect(phone.lines.some((l) => l.event === 'accept')).toBe(true);
    // The scan never stopped: reports keep arriving after the read.
    const n = reports.length;
    await until('more reports', () => reports.length > n + 3, 5000);
    // Read twice in a row: the controller and noble are back in a clean state.
    const again = await scanner.readCharacteristic(adv.address, adv.addressType ?? 'public', BLUEZONE_GATT_SERVICE_UUID, BLUEZONE_GATT_CHARACTERISTIC_UUID, 10_000);
    expect(again).toEqual(id);
  });

  it('a phone that accepts the connection and never answers costs the timeout, then the link is torn down', async () => {
    const mute = spawnIphone(join(dir, 'mute.pty'), ['--mute']);
    kids.push(mute.child);
    const diag = () => `mute: ${JSON.stringify(mute.lines.slice(-6))} ${mute.err()}`;
    await until('mute phone advertising', () => mute.lines.some((l) => l.event === 'advertising'), 20_000, diag);
    const muteCtl = await until('its controller', () => air.controllers.find((c) => c.advertising && classifyAdvert(c.advData).kind === 'bluezone-ios'), 5000, diag);
    const adv = await until('the mute phone heard', () => reports.find((r) => r.address === muteCtl.address), 10_000, diag);
    const t0 = Date.now();
    const err = await scanner.readCharacteristic(adv.address, 'public', BLUEZONE_GATT_SERVICE_UUID, BLUEZONE_GATT_CHARACTERISTIC_UUID, 2000).catch((e) => e);
    expect(err).toBeInstanceOf(RadioError);
    expect((err as RadioError).code).toBe('TIMEOUT');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1900);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(mute.lines.some((l) => l.event === 'read' && l.answered === false)).toBe(true);
    await until('mute phone disconnected', () => mute.lines.some((l) => l.event === 'disconnect'), 5000, diag);
  });
});
