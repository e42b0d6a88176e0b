// The beacon's radio child (ProcessAdvertiser: bleno in its own process) also serves the Bluezone
// GATT characteristic with the ID it advertises (issue 19), and keeps advertising while a peer is
// connected. Reader: real noble; the long-lived connection: a raw HCI host on a TCP connection to the
// virtual air (our own commands, so the test controls how long the link stays up).
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPtyBridge, startVirtualAir, type PtyBridge, type VirtualAir } from '../../firmware/hci/index.ts';
import { H4Framer } from '../../firmware/hci/h4.ts';
import { decodeEvent, encodeCommand, type DecodedEvent } from '../../firmware/hci/packets.ts';
import { BLUEZONE_GATT_CHARACTERISTIC_UUID, BLUEZONE_GATT_SERVICE_UUID, buildAndroidFrame } from '../../firmware/protocol/frames.ts';
import { createNobleScanner, type NobleScanner } from '../../firmware/radio/nobleAdapter.ts';
import { ProcessAdvertiser } from '../../firmware/radio/processAdvertiser.ts';
import type { AdvertReport } from '../../firmware/radio/types.ts';
import { until } from '../helpers/processes.ts';

/** A bare HCI host over TCP: sends commands, collects decoded events. */
async function rawHost(port: number) {
  const sock: Socket = connect(port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  const events: DecodedEvent[] = [];
  const framer = new H4Framer(undefined, { accept: ['event', 'acl'] });
  sock.on('data', (d: Buffer) => {
    for (const p of framer.push(new Uint8Array(d))) if (p.type === 'event') events.push(decodeEvent(p.code, p.params));
  });
  return { sock, events, send: (b: Uint8Array) => sock.write(b) };
}

const ID = Uint8Array.from([0xbe, 0xac, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

describe('beacon serves the Bluezone GATT characteristic (bleno child process over the virtual air)', () => {
  let air: VirtualAir;
  let dir: string;
  const bridges: PtyBridge[] = [];
  let adv: ProcessAdvertiser;
  let scanner: NobleScanner;
  const reports: AdvertReport[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bz-bgatt-'));
    air = await startVirtualAir({ port: 0, rssiModel: 'fixed:-50' });
    for (const n of ['beacon', 'scan']) bridges.push(await startPtyBridge(air.port, join(dir, `${n}.pty`)));
    adv = new ProcessAdvertiser({ driver: 'uart', port: join(dir, 'beacon.pty'), baudRate: 1_000_000 }, { intervalMs: 100 });
    adv.open();
    scanner = createNobleScanner({ driver: 'uart', port: join(dir, 'scan.pty'), baudRate: 1_000_000 });
    scanner.on('report', (r) => reports.push(r));
    scanner.open();
    await until('both powered on', () => adv.state === 'poweredOn' && scanner.state === 'poweredOn', 30_000);
    await adv.startAdvertising(buildAndroidFrame(ID), undefined, 100);
    await scanner.start(true);
  });

  afterAll(async () => {
    await scanner?.close();
    await adv?.close();
    await Promise.all(bridges.map((b) => b.close()));
    await air?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a GATT read returns the advertised 12-byte ID', async () => {
    const heard = await until('the beacon heard', () => reports.find((r) => Buffer.from(r.advData).includes(Buffer.from(ID))));
    const v = await scanner.readCharacteristic(heard.address, 'public', BLUEZONE_GATT_SERVICE_UUID, BLUEZONE_GATT_CHARACTERISTIC_UUID, 10_000);
    expect(Buffer.from(v).toString('hex')).toBe(Buffer.from(ID).toString('hex'));
    // A new ID on the air is what the characteristic serves next.
    const ID2 = Uint8Array.from(ID).reverse();
    await adv.startAdvertising(buildAndroidFrame(ID2), undefined, 100);
    const v2 = await scanner.readCharacteristic(heard.address, 'public', BLUEZONE_GATT_SERVICE_UUID, BLUEZONE_GATT_CHARACTERISTIC_UUID, 10_000);
    expect(Buffer.from(v2).toString('hex')).toBe(Buffer.from(ID2).toString('hex'));
    await adv.startAdvertising(buildAndroidFrame(ID), undefined, 100);
  });

  it('keeps advertising while a peer stays connected', async () => {
    const beaconCtl = await until('beacon controller', () => air.controllers.find((c) => c.advertising && Buffer.from(c.advData).includes(Buffer.from(ID))));
    const host = await rawHost(air.port);
    try {
      host.send(encodeCommand('Reset', {}));
      host.send(encodeCommand('SetEventMask', { eventMask: Uint8Array.from([0xff, 0xff, 0xfb, 0xff, 0x07, 0xf8, 0xbf, 0x3d]) }));
      host.send(encodeCommand('LeCreateConnection', {
        leScanInterval: 0x60, leScanWindow: 0x60, initiatorFilterPolicy: 0, peerAddressType: 0, peerAddress: beaconCtl.address, ownAddressType: 0,
        connectionIntervalMin: 24, connectionIntervalMax: 40, maxLatency: 0, supervisionTimeout: 400, minCeLength: 0, maxCeLength: 0,
      }));
      await until('connected', () => host.events.find((e) => e.name === 'LeConnectionComplete' && e.status === 0), 5000);
      // bleno re-enables advertising after the connection (bindings.onLeConnComplete -> restartAdvertising).
      await until('advertising again while connected', () => beaconCtl.advertising && beaconCtl.links.size === 1, 5000);
      const n = reports.length;
      await new Promise((r) => setTimeout(r, 1000));
      expect(beaconCtl.links.size).toBe(1);
      expect(reports.slice(n).filter((r) => Buffer.from(r.advData).includes(Buffer.from(ID))).length).toBeGreaterThan(5);
    } finally {
      host.sock.destroy();
    }
    // The raw host vanished: the beacon side ends with a supervision timeout (4 s) and carries on.
    await until('the link timed out', () => beaconCtl.links.size === 0, 8000);
    expect(beaconCtl.advertising).toBe(true);
  }, 30_000);
});
