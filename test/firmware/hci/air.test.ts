import { describe, expect, it } from 'vitest';
import { ADV_DELAY_MAX_MS, Air, type AirDelivery } from '../../../firmware/hci/air.ts';
import { FixedRssiModel, parseAirModel, type AirModel } from '../../../firmware/hci/airModel.ts';
import { ChannelAirModel } from '../../../sim/channel/airModel.ts';
import { encodeCommand } from '../../../firmware/hci/packets.ts';
import { VirtualScheduler } from '../../../firmware/hci/scheduler.ts';
import { VirtualController } from '../../../firmware/hci/virtualController.ts';

const BLENO_EVENT_MASK = Uint8Array.from([0xff, 0xff, 0xfb, 0xff, 0x07, 0xf8, 0xbf, 0x3d]);

function world(model: AirModel = new FixedRssiModel(-60), seed = 1) {
  const scheduler = new VirtualScheduler(0);
  const air = new Air({ scheduler, model, seed });
  const deliveries: AirDelivery[] = [];
  air.onDelivery = (d) => deliveries.push(d);
  let n = 0;
  const add = () => {
    const c = new VirtualController({ address: `c0:ff:ee:00:00:0${++n}`, scheduler, send: () => {} });
    air.attach(c);
    return c;
  };
  return { scheduler, air, deliveries, add };
}

function advertise(c: VirtualController, type = 0, intervalUnits = 160, data = Uint8Array.from([2, 1, 6])) {
  c.receive(encodeCommand('LeSetAdvertisingParameters', {
    advertisingIntervalMin: intervalUnits, advertisingIntervalMax: intervalUnits, advertisingType: type, ownAddressType: 0,
    peerAddressType: 0, peerAddress: '00:00:00:00:00:00', advertisingChannelMap: 7, advertisingFilterPolicy: 0,
  }));
  c.receive(encodeCommand('LeSetAdvertisingData', { advertisingData: data }));
  c.receive(encodeCommand('LeSetScanResponseData', { scanResponseData: Uint8Array.from([2, 0x0a, 4]) }));
  c.receive(encodeCommand('LeSetAdvertisingEnable', { advertisingEnable: 1 }));
}

function scan(c: VirtualController, active = true, filterDuplicates = 0, interval = 0x12, window = 0x12) {
  c.receive(encodeCommand('SetEventMask', { eventMask: BLENO_EVENT_MASK }));
  c.receive(encodeCommand('LeSetScanParameters', { leScanType: active ? 1 : 0, leScanInterval: interval, leScanWindow: window, ownAddressType: 0, scanningFilterPolicy: 0 }));
  c.receive(encodeCommand('LeSetScanEnable', { leScanEnable: 1, filterDuplicates }));
}

describe('Air', () => {
  it('advertising events come every interval + 0..10 ms advDelay (Vol 6 Part B 4.4.2.2)', () => {
    const w = world();
    const tx = w.add();
    const rx = w.add();
    scan(rx, false);
    advertise(tx, 3, 160); // 100 ms, ADV_NONCONN_IND
    w.scheduler.advance(10_000);
    const t = w.deliveries.map((d) => d.atMs);
    expect(t.length).toBeGreaterThan(90);
    expect(t.length).toBeLessThanOrEqual(100);
    const gaps = t.slice(1).map((x, i) => x - t[i]);
    for (const g of gaps) {
      expect(g).toBeGreaterThanOrEqual(100);
      expect(g).toBeLessThanOrEqual(100 + ADV_DELAY_MAX_MS);
    }
    // advDelay is really random: not all gaps equal, mean near 105 ms.
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    expect(new Set(gaps.map((g) => g.toFixed(3))).size).toBeGreaterThan(10);
    expect(mean).toBeGreaterThan(102);
    expect(mean).toBeLessThan(108);
    expect(w.deliveries.every((d) => d.eventType === 3 && d.rssi === -60 && d.tx === tx.address && d.rx === rx.address)).toBe(true);
  });

  it('active scanners of a scannable advertiser also get SCAN_RSP; passive ones and non-scannable adverts do not', () => {
    const w = world();
    const ind = w.add();
    const nonconn = w.add();
    const active = w.add();
    const passive = w.add();
    scan(active, true);
    scan(passive, false);
    advertise(ind, 0);
    advertise(nonconn, 3);
    w.scheduler.advance(1000);
    const kinds = (rx: string, tx: string) => [...new Set(w.deliveries.filter((d) => d.rx === rx && d.tx === tx).map((d) => d.eventType))].sort();
    expect(kinds(active.address, ind.address)).toEqual([0, 4]);
    expect(kinds(passive.address, ind.address)).toEqual([0]);
    expect(kinds(active.address, nonconn.address)).toEqual([3]);
    // advertisers that do not scan hear nothing, and nobody hears itself
    expect(w.deliveries.some((d) => d.rx === ind.address || d.rx === nonconn.address)).toBe(false);
  });

  it('honours filter_duplicates: one report per advertiser (and type) until scanning is re-enabled', () => {
    const w = world();
    const tx = w.add();
    const rx = w.add();
    scan(rx, true, 1);
    advertise(tx, 0);
    w.scheduler.advance(2000);
    expect(w.deliveries.map((d) => d.eventType)).toEqual([0, 4]);
    rx.receive(encodeCommand('LeSetScanEnable', { leScanEnable: 1, filterDuplicates: 1 }));
    w.scheduler.advance(2000);
    expect(w.deliveries).toHaveLength(4);
  });

  it('stops when advertising is disabled, the scanner stops, or a controller is detached', () => {
    const w = world();
    const tx = w.add();
    const rx = w.add();
    scan(rx);
    advertise(tx, 3);
    w.scheduler.advance(500);
    const n1 = w.deliveries.length;
    expect(n1).toBeGreaterThan(3);
    tx.receive(encodeCommand('LeSetAdvertisingEnable', { advertisingEnable: 0 }));
    w.scheduler.advance(500);
    expect(w.deliveries.length).toBe(n1);
    tx.receive(encodeCommand('LeSetAdvertisingEnable', { advertisingEnable: 1 }));
    w.scheduler.advance(500);
    const n2 = w.deliveries.length;
    expect(n2).toBeGreaterThan(n1);
    w.air.detach(tx);
    tx.close();
    w.scheduler.advance(500);
    expect(w.deliveries.length).toBe(n2);
    expect(w.scheduler.nextDue()).toBeUndefined();
  });

  it('a scanner with a 10 % duty cycle hears about 10 % of the adverts', () => {
    const w = world();
    const tx = w.add();
    const rx = w.add();
    scan(rx, false, 0, 160, 16);
    advertise(tx, 3, 32); // 20 ms
    w.scheduler.advance(60_000);
    const frac = w.deliveries.length / w.air.stats.advertisingEvents;
    expect(frac).toBeGreaterThan(0.05);
    expect(frac).toBeLessThan(0.15);
  });

  it('with the simulator\'s channel model, runs are seeded: same seed, same RSSI sequence', () => {
    const run = (seed: number) => {
      const w = world(new ChannelAirModel({ seed }), seed);
      const tx = w.add();
      const rx = w.add();
      scan(rx, false);
      advertise(tx, 3);
      w.scheduler.advance(5000);
      return w.deliveries;
    };
    const r1 = run(7);
    expect(r1.length).toBeGreaterThan(10);
    expect(run(7)).toEqual(r1);
    expect(run(8)).not.toEqual(r1);
  });

  it('parseAirModel rejects bad specs with a message naming the part', () => {
    expect(parseAirModel('fixed:-60').describe?.()).toBe('fixed:-60');
    expect(() => parseAirModel('fixed:')).toThrow(/fixed needs a dBm value/);
    expect(() => parseAirModel('distance:q=1')).toThrow(/unknown model "distance"/);
    expect(() => parseAirModel('cable')).toThrow(/unknown model "cable"/);
  });
});
