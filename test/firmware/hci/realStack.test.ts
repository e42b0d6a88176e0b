// The real @stoprocent/bleno and @stoprocent/noble, each in its own process, talking H4 over a
// pty bridge to the in-process virtual air (ble-stack.md 2.6, done as a test).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLENO_ADVERTISE_TOOL, NOBLE_SCAN_TOOL, startPtyBridge, startVirtualAir, type PtyBridge, type VirtualAir } from '../../../firmware/hci/index.ts';

interface Line {
  event: string;
  [k: string]: unknown;
}

/** A child process printing JSON lines; waitFor polls the lines seen so far. */
function jsonChild(args: string[]) {
  const env = { ...process.env };
  delete env.BLUETOOTH_HCI_SOCKET_UART_PORT;
  delete env.HCI_CHANNEL_USER;
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  const lines: Line[] = [];
  let buf = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        lines.push(JSON.parse(l) as Line);
      } catch {
        // library warnings on stdout are not ours
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const waitFor = async (what: string, pred: (l: Line) => boolean, ms = 20_000): Promise<Line> => {
    const end = Date.now() + ms;
    for (;;) {
      const hit = lines.find(pred);
      if (hit) return hit;
      if (Date.now() > end || child.exitCode !== null) {
        throw new Error(`timed out waiting for ${what}; lines: ${JSON.stringify(lines.slice(-8))}; stderr: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  return { child, lines, waitFor };
}

// A manufacturer-data frame: Flags, then AD 0xFF with company 0x22B5 and a 12-byte ID.
const MFR = 'b522' + '0102030405060708090a0b0c';
const ADV = '020106' + '0fff' + MFR;
const SCAN_RSP = '020a04'; // TX Power Level +4 dBm, seen by noble through the SCAN_RSP report
const RSSI = -63;

describe('real bleno and noble over pty bridges to the virtual air', () => {
  let air: VirtualAir;
  let dir: string;
  let beaconPty: PtyBridge;
  let scannerPty: PtyBridge;
  let onceScannerPty: PtyBridge;
  let bleno: ReturnType<typeof jsonChild>;
  let noble: ReturnType<typeof jsonChild>;
  let nobleOnce: ReturnType<typeof jsonChild>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bz-air-'));
    air = await startVirtualAir({ rssiModel: `fixed:${RSSI}` });
    [beaconPty, scannerPty, onceScannerPty] = await Promise.all([
      startPtyBridge(air.port, join(dir, 'beacon.pty')),
      startPtyBridge(air.port, join(dir, 'scanner.pty')),
      startPtyBridge(air.port, join(dir, 'scanner-once.pty')),
    ]);
    bleno = jsonChild([BLENO_ADVERTISE_TOOL, beaconPty.path, ADV, SCAN_RSP, '--reopen']);
    noble = jsonChild([NOBLE_SCAN_TOOL, scannerPty.path]);
    nobleOnce = jsonChild([NOBLE_SCAN_TOOL, onceScannerPty.path, '--no-duplicates']);
  });

  afterAll(async () => {
    for (const c of [bleno?.child, noble?.child, nobleOnce?.child]) if (c && c.exitCode === null) c.kill('SIGKILL');
    await Promise.all([beaconPty?.close(), scannerPty?.close(), onceScannerPty?.close()]);
    await air?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('noble receives the beacon frame with the RSSI the air model chose', async () => {
    await bleno.waitFor('bleno advertisingStart', (l) => l.event === 'advertisingStart');
    expect(bleno.lines.find((l) => l.event === 'advertisingStart')!.error).toBeNull();
    const first = await noble.waitFor('a discover with our frame', (l) => l.event === 'discover' && l.manufacturerData === MFR);
    expect(first).toMatchObject({ rssi: RSSI, connectable: true, txPowerLevel: 4, addressType: 'public' });
    // Duplicates allowed: the same advertiser keeps being reported (100 ms interval).
    await noble.waitFor('three discovers', () => noble.lines.filter((l) => l.event === 'discover').length >= 3);
    const beacon = air.controllers.find((c) => c.advertising)!;
    expect(first.address).toBe(beacon.address);
  });

  it('a scanner with duplicate filtering (LE Set Scan Enable filter_duplicates = 1) hears the beacon once', async () => {
    await nobleOnce.waitFor('a discover', (l) => l.event === 'discover' && l.manufacturerData === MFR);
    const scanner = air.controllers.find((c) => c.scanning && c.filterDuplicates)!;
    expect(scanner.commandLog.filter((l) => l.name === 'LeSetScanEnable').at(-1)!.params).toBe('0101');
    const reportsBefore = air.air.stats.reports;
    await new Promise((r) => setTimeout(r, 600)); // ~6 more advertising events
    expect(air.air.stats.reports).toBeGreaterThan(reportsBefore); // the other scanner still gets reports
    expect(nobleOnce.lines.filter((l) => l.event === 'discover')).toHaveLength(1);
  });

  it('the controllers saw the start-up sequences of ble-stack.md 2.3', () => {
    const beacon = air.controllers.find((c) => c.advertising)!;
    const scanner = air.controllers.find((c) => c.scanning && !c.filterDuplicates)!;
    expect(beacon.commandLog.slice(0, 13).map((l) => l.name)).toEqual([
      'Reset', 'SetEventMask', 'LeSetEventMask', 'ReadLocalVersionInformation', 'WriteLeHostSupported', 'ReadLeHostSupported',
      'ReadBdAddr', 'LeReadBufferSize', 'LeSetAdvertisingEnable', 'LeSetAdvertisingParameters',
      'LeSetScanResponseData', 'LeSetAdvertisingData', 'LeSetAdvertisingEnable',
    ]);
    expect(beacon.commandLog.every((l) => l.status === 0)).toBe(true);
    // bleno: 100 ms interval (0x00A0 units of 0.625 ms), ADV_IND, public, all channels.
    expect(beacon.commandLog.find((l) => l.name === 'LeSetAdvertisingParameters')!.params).toBe('a000a0000000000000000000000700');
    expect(beacon.advParams).toMatchObject({ intervalMin: 0xa0, type: 0, channelMap: 7 });
    expect(Buffer.from(beacon.advData).toString('hex')).toBe(ADV);

    const names = scanner.commandLog.map((l) => l.name);
    expect(names[0]).toBe('Reset');
    expect(names.filter((n) => n === 'Reset').length).toBeGreaterThanOrEqual(2); // driver + noble's own
    expect(names).toContain('LeReadLocalSupportedFeatures');
    expect(scanner.commandLog.find((l) => l.name === 'LeSetScanParameters')!.params).toBe('01120012000000'); // active, 11.25 ms
    expect(scanner.commandLog.filter((l) => l.name === 'LeSetScanEnable').at(-1)!.params).toBe('0100'); // on, duplicates allowed
    expect(scanner.scanParams.active).toBe(true);
    expect(scanner.filterDuplicates).toBe(false);
  });

  it('recovers after the controller connection is dropped and restored', async () => {
    const old = air.controllers.find((c) => c.advertising)!;
    expect(air.drop(old.address)).toBe(1);
    // The host sees its serial port close: bleno reports poweredOff (ble-stack 2.2 point 5: no auto-reconnect).
    await bleno.waitFor('poweredOff after the drop', (l) => l.event === 'state' && l.state === 'poweredOff' && l.generation === 1);
    // The tool then builds a fresh bleno instance on the same path, which the bridge serves with a new controller.
    await bleno.waitFor('a new advertisingStart', () => bleno.lines.filter((l) => l.event === 'advertisingStart').length >= 2);
    const fresh = air.controllers.find((c) => c.advertising)!;
    expect(fresh.address).not.toBe(old.address);
    expect(old.closed).toBe(true);
    const again = await noble.waitFor('a discover from the new controller', (l) => l.event === 'discover' && l.address === fresh.address);
    expect(again).toMatchObject({ manufacturerData: MFR, rssi: RSSI });
  });
});

describe('real bleno against a controller that refuses to advertise', () => {
  it('bleno reports the HCI status text when LE Set Advertising Enable fails with Command Disallowed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bz-air-'));
    // count 2: bleno first sends enable=00 during start-up (2.3 step 9), then enable=01.
    const air = await startVirtualAir({ inject: [{ command: 'LeSetAdvertisingEnable', status: 0x0c, count: 2 }] });
    const pty = await startPtyBridge(air.port, join(dir, 'beacon.pty'));
    const bleno = jsonChild([BLENO_ADVERTISE_TOOL, pty.path, ADV]);
    try {
      const l = await bleno.waitFor('advertisingStart', (x) => x.event === 'advertisingStart');
      expect(l.error).toMatch(/Command Disallowed/);
      expect(air.controllers[0].advertising).toBe(false);
    } finally {
      bleno.child.kill('SIGKILL');
      await pty.close();
      await air.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
