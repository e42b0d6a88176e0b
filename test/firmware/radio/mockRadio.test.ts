import { describe, expect, it } from 'vitest';
import { MockAir } from '../../../firmware/radio/mockRadio.ts';
import { ChannelAirModel } from '../../../sim/channel/airModel.ts';
import type { AdvertReport, RadioState } from '../../../firmware/radio/types.ts';
import { FRAME_A, FRAME_B } from './radio.contract.ts';

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('MockAir extras used by the daemon tests', () => {
  it('injects Command Disallowed once, like bluetoothd holding the adapter', async () => {
    const air = new MockAir();
    const a = air.createAdvertiser();
    a.open();
    await flush();
    a.failNext('startAdvertising');
    await expect(a.startAdvertising(FRAME_A, undefined, 100)).rejects.toMatchObject({ code: 'COMMAND_DISALLOWED', hciStatus: 0x0c, message: 'Command Disallowed' });
    expect(a.advertising).toBe(false);
    await a.startAdvertising(FRAME_A, undefined, 100);
    expect(a.advertising).toBe(true);
  });

  it('a lost adapter powers off, stops advertising and comes back poweredOn', async () => {
    const air = new MockAir();
    const a = air.createAdvertiser();
    const states: RadioState[] = [];
    a.on('state', (s) => states.push(s));
    a.open();
    await flush();
    await a.startAdvertising(FRAME_A, undefined, 100);
    a.powerOff();
    await flush();
    expect(a.advertising).toBe(false);
    await expect(a.startAdvertising(FRAME_A, undefined, 100)).rejects.toMatchObject({ code: 'NOT_POWERED_ON' });
    a.powerOn();
    await flush();
    expect(states).toEqual(['poweredOn', 'poweredOff', 'poweredOn']);
  });

  it('an absent adapter never reaches poweredOn', async () => {
    const air = new MockAir();
    const a = air.createAdvertiser({ present: false });
    a.open();
    await flush();
    expect(a.state).toBe('poweredOff');
  });

  it('quantises the interval to 0.625 ms units and records what went on the air', async () => {
    const air = new MockAir({ now: () => 1000 });
    const a = air.createAdvertiser({ name: 'beacon' });
    a.open();
    await flush();
    await a.startAdvertising(FRAME_A, undefined, 100.4);
    expect(a.intervalMs).toBe(100.625);
    expect(air.recording.map((r) => r.op)).toEqual(['open', 'startAdvertising']);
    expect(air.recording[1]).toMatchObject({ device: 'beacon', advData: FRAME_A.toString('hex').toUpperCase(), atMs: 1000 });
  });

  it('filters duplicates when asked, per (address, payload)', async () => {
    const air = new MockAir();
    const s = air.createScanner();
    const got: AdvertReport[] = [];
    s.on('report', (r) => got.push(r));
    s.open();
    await flush();
    await s.start(false);
    const peer = air.createPeer('11:22:33:44:55:66');
    peer.emitAdvert(FRAME_A, -70, 1);
    peer.emitAdvert(FRAME_A, -71, 2);
    peer.emitAdvert(FRAME_B, -72, 3);
    expect(got.map((r) => r.rssi)).toEqual([-70, -72]);
  });

  it('keeps instances independent (no module globals)', async () => {
    const air1 = new MockAir();
    const air2 = new MockAir();
    const s2 = air2.createScanner();
    const got: AdvertReport[] = [];
    s2.on('report', (r) => got.push(r));
    s2.open();
    await flush();
    await s2.start(true);
    air1.createPeer().emitAdvert(FRAME_A, -50);
    expect(got).toHaveLength(0);
    expect(air1.advertisers.size + air1.scanners.size).toBe(0);
    air2.reset();
    expect(air2.scanners.size).toBe(0);
  });

  it('runs on the virtual air\'s model interface, e.g. the simulator\'s channel (one air model)', async () => {
    const model = new ChannelAirModel({ seed: 2 });
    const air = new MockAir({ model, now: () => 0 });
    const a = air.createAdvertiser();
    const s = air.createScanner();
    const got: AdvertReport[] = [];
    s.on('report', (r) => got.push(r));
    a.open();
    s.open();
    await flush();
    await a.startAdvertising(FRAME_A, undefined, 100);
    await s.start(true);
    for (let i = 0; i < 6; i++) air.broadcast(i * 100);
    expect(got.length).toBe(6);
    expect(new Set(got.map((r) => r.rssi)).size).toBeGreaterThan(1); // fading per packet, not a constant
    // out of range: nothing is delivered (below the channel's sensitivity)
    model.setPosition(a.address, { x: 5000, y: 0 });
    air.broadcast(1000);
    expect(got.length).toBe(6);
  });
});
