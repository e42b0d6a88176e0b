import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BTSNOOP_EPOCH_DELTA_US, btsnoopHeader, btsnoopRecord, parseBtsnoop } from '../../../firmware/hci/btsnoop.ts';
import { InvalidPacketError } from '../../../firmware/hci/errors.ts';
import { H4Framer, type H4Packet } from '../../../firmware/hci/h4.ts';
import { decodeEvent, encodeCommand } from '../../../firmware/hci/packets.ts';
import { startVirtualAir, type VirtualAir } from '../../../firmware/hci/server.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** A raw H4 host on a TCP socket. */
async function host(port: number) {
  const s: Socket = connect(port, '127.0.0.1');
  await new Promise<void>((res, rej) => s.once('connect', res).once('error', rej));
  const f = new H4Framer(undefined, { accept: ['event'] });
  const packets: H4Packet[] = [];
  const waiters: (() => void)[] = [];
  s.on('data', (d) => {
    packets.push(...f.push(new Uint8Array(d)));
    waiters.splice(0).forEach((w) => w());
  });
  const closed = new Promise<void>((res) => s.once('close', () => res()));
  const waitFor = async (pred: (p: H4Packet[]) => boolean, ms = 3000) => {
    const end = Date.now() + ms;
    while (!pred(packets)) {
      if (Date.now() > end) throw new Error(`timeout; got ${packets.length} packets`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 50);
      });
    }
  };
  return { s, packets, waitFor, closed, send: (b: Uint8Array) => s.write(b) };
}

const EVENT_MASK = Uint8Array.from([0xff, 0xff, 0xfb, 0xff, 0x07, 0xf8, 0xbf, 0x3d]);
let air: VirtualAir | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await air?.close();
  air = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('air server (TCP, one controller per connection)', () => {
  it('answers Reset with the exact bytes, gives each connection its own BD_ADDR, routes adverts with the model RSSI', async () => {
    air = await startVirtualAir({ rssiModel: 'fixed:-71' });
    expect(air.port).toBeGreaterThan(0);
    const a = await host(air.port);
    const b = await host(air.port);
    a.send(Uint8Array.from([0x01, 0x03, 0x0c, 0x00]));
    await a.waitFor((p) => p.length === 1);
    expect(a.packets[0]).toEqual({ type: 'event', code: 0x0e, params: Uint8Array.from([1, 0x03, 0x0c, 0]) });
    expect(air.controllers.map((c) => c.address)).toEqual(['c0:ff:ee:00:00:01', 'c0:ff:ee:00:00:02']);

    // a advertises (ADV_NONCONN_IND, 20 ms), b scans
    a.send(encodeCommand('LeSetAdvertisingParameters', {
      advertisingIntervalMin: 32, advertisingIntervalMax: 32, advertisingType: 3, ownAddressType: 0, peerAddressType: 0,
      peerAddress: '00:00:00:00:00:00', advertisingChannelMap: 7, advertisingFilterPolicy: 0,
    }));
    a.send(encodeCommand('LeSetAdvertisingData', { advertisingData: Uint8Array.from([3, 0xff, 0xb5, 0x22]) }));
    a.send(encodeCommand('LeSetAdvertisingEnable', { advertisingEnable: 1 }));
    b.send(encodeCommand('SetEventMask', { eventMask: EVENT_MASK }));
    b.send(encodeCommand('LeSetScanEnable', { leScanEnable: 1, filterDuplicates: 0 }));
    await b.waitFor((p) => p.filter((x) => x.type === 'event' && x.code === 0x3e).length >= 3);
    const reports = b.packets.filter((x) => x.type === 'event' && x.code === 0x3e).map((x) => decodeEvent(0x3e, (x as { params: Uint8Array }).params));
    expect(reports[0]).toEqual({
      name: 'LeAdvertisingReport',
      reports: [{ eventType: 3, addressType: 0, address: 'c0:ff:ee:00:00:01', data: Uint8Array.from([3, 0xff, 0xb5, 0x22]), rssi: -71 }],
    });
  });

  it('drop() closes a controller connection; a new connection gets a new controller', async () => {
    air = await startVirtualAir();
    const a = await host(air.port);
    await new Promise((r) => setTimeout(r, 20));
    expect(air.drop('c0:ff:ee:00:00:01')).toBe(1);
    await a.closed;
    await new Promise((r) => setTimeout(r, 20));
    expect(air.controllers).toHaveLength(0);
    const b = await host(air.port);
    b.send(Uint8Array.from([0x01, 0x09, 0x10, 0x00])); // Read BD_ADDR
    await b.waitFor((p) => p.length === 1);
    expect(hex((b.packets[0] as { params: Uint8Array }).params)).toBe('01091000020000eeffc0');
    expect(air.history.map((c) => [c.address, c.closed])).toEqual([['c0:ff:ee:00:00:01', true], ['c0:ff:ee:00:00:02', false]]);
  });

  it('survives garbage from a host and keeps answering', async () => {
    const logs: string[] = [];
    air = await startVirtualAir({ log: (l) => logs.push(l) });
    const a = await host(air.port);
    a.send(Uint8Array.from([0x03, 0x00, 0x00, 0x77, 0x01, 0x03, 0x0c, 0x00]));
    await a.waitFor((p) => p.length === 1);
    expect(hex((a.packets[0] as { params: Uint8Array }).params)).toBe('01030c00');
    expect(logs.some((l) => /SCO packets \(0x03\) are not supported at byte offset 0/.test(l))).toBe(true);
  });

  it('writes a btsnoop file per controller that parses back (version 1, datalink 1002, µs since 0 AD)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bz-snoop-'));
    dirs.push(dir);
    air = await startVirtualAir({ btsnoopDir: dir });
    const a = await host(air.port);
    const before = Date.now();
    a.send(Uint8Array.from([0x01, 0x03, 0x0c, 0x00]));
    await a.waitFor((p) => p.length === 1);
    a.s.destroy();
    await air.close();
    air = undefined;
    const files = readdirSync(dir);
    expect(files).toEqual(['controller-1-c0ffee000001.btsnoop']);
    const bytes = new Uint8Array(readFileSync(join(dir, files[0])));
    expect(hex(bytes.subarray(0, 16))).toBe('6274736e6f6f7000' + '00000001' + '000003ea');
    const f = parseBtsnoop(bytes);
    expect(f.version).toBe(1);
    expect(f.datalink).toBe(1002);
    expect(f.records.map((r) => [hex(r.packet), r.hostToController, r.flags])).toEqual([
      ['01030c00', true, 2],
      ['040e0401030c00', false, 3],
    ]);
    expect(f.records[0].unixMs).toBeGreaterThanOrEqual(before - 5);
    expect(f.records[0].unixMs).toBeLessThan(before + 5000);
    const btmon = spawnSync('sh', ['-c', 'command -v btmon'], { encoding: 'utf8' });
    if (btmon.status === 0) {
      const r = spawnSync('btmon', ['-r', join(dir, files[0])], { encoding: 'utf8' });
      expect(r.stdout).toMatch(/Reset/);
    }
  });

  it('btsnoop records use the 0 AD epoch and parse errors name the byte offset', () => {
    const rec = btsnoopRecord(Uint8Array.from([0x01, 0x03, 0x0c, 0x00]), true, 0);
    expect(new DataView(rec.buffer).getBigInt64(16)).toBe(BTSNOOP_EPOCH_DELTA_US);
    const file = Uint8Array.from([...btsnoopHeader(), ...rec]);
    expect(parseBtsnoop(file).records[0].unixMs).toBe(0);
    expect(() => parseBtsnoop(file.subarray(0, file.length - 1))).toThrow(/record at byte offset 16 claims 4 bytes/);
    expect(() => parseBtsnoop(Uint8Array.from([1, 2, 3]))).toThrow(InvalidPacketError);
  });

  it('a port already in use is an error, not a hang', async () => {
    air = await startVirtualAir();
    await expect(startVirtualAir({ port: air.port })).rejects.toThrow(/EADDRINUSE/);
  });
});

