// The logbook's iPhone reader on a manual clock, with a scripted GattReader (the real one, noble over
// the virtual air, is exercised in test/e2e/ios.e2e.test.ts): queueing, one read at a time, the
// per-slot cache, timeouts, 12-byte rule, presence counting both platforms.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IOS_QUEUE_MAX, IOS_RETRY_AFTER_FAILURE_MS, IOS_RETRY_AFTER_MS, IosReader } from '../../../firmware/beacon/iosReader.ts';
import { Logbook, openLogbookDb, presenceEstimate, presenceReport } from '../../../firmware/beacon/logbook.ts';
import { buildAndroidFrame } from '../../../firmware/protocol/frames.ts';
import { bluezoneIdAt, SLOT_MS } from '../../../firmware/protocol/keys.ts';
import { iosAdvert } from '../../../firmware/radio/iphoneSim.ts';
import { RadioError, type AdvertReport, type GattReader } from '../../../firmware/radio/types.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const db = () => {
  const d = mkdtempSync(join(tmpdir(), 'bz-ios-'));
  dirs.push(d);
  return openLogbookDb(join(d, 'l.db'));
};

const T0 = Date.parse('2026-11-23T08:00:00Z');
const BASE_DATE = Date.parse('2026-11-20T00:00:00Z');
const keyOf = (n: number) => Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + n) & 0xff);

/** iPhones by address, each answering with its key's current ID, after `delayMs` (or never). */
class ScriptedPhones implements GattReader {
  calls: { address: string; atMs: number }[] = [];
  inFlight = 0;
  maxInFlight = 0;
  pending: (() => void)[] = [];
  constructor(
    private readonly clock: { now: number },
    readonly phones: Map<string, { key: Uint8Array; mute?: boolean; bytes?: number; refuse?: boolean }>,
  ) {}
  readCharacteristic(address: string, _t: 'public' | 'random', service: string, characteristic: string, timeoutMs: number): Promise<Uint8Array> {
    expect(service).toBe('00004E56-73F5-4BC4-A12F-17D1AD07A667');
    expect(characteristic).toBe('00004E56-73F5-4BC4-A12F-17D1AD07A689');
    expect(timeoutMs).toBe(10_000);
    this.calls.push({ address, atMs: this.clock.now });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const p = this.phones.get(address);
    return new Promise((resolve, reject) => {
      this.pending.push(() => {
        this.inFlight--;
        if (p?.refuse) reject(new RadioError(`connect to ${address}: Connection Failed to be Established (0x3e)`, 'GATT'));
        else if (!p || p.mute) reject(new RadioError(`GATT read from ${address} did not finish within ${timeoutMs} ms`, 'TIMEOUT'));
        else {
          const id = bluezoneIdAt(p.key, BASE_DATE, this.clock.now).id;
          resolve(p.bytes === undefined ? id : Uint8Array.from({ length: p.bytes }, (_, i) => id[i % 12]));
        }
      });
    });
  }
  /** Completes the oldest read. */
  async settle(): Promise<void> {
    this.pending.shift()?.();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }
}

function setup(phones: Map<string, { key: Uint8Array; mute?: boolean; bytes?: number; refuse?: boolean }>) {
  const clock = { now: T0 };
  const d = db();
  const lb = new Logbook({ db: d, receiver: 'door', flushRows: 1 });
  const gatt = new ScriptedPhones(clock, phones);
  const reader = new IosReader({ now: () => clock.now, realNow: () => clock.now, store: (id, rssi, ts) => lb.storeIos(id, rssi, ts) });
  lb.onIosAdvert = (r) => reader.offer(r);
  reader.setReader(gatt);
  const advert = (address: string, rssi = -70, layout: 'foreground' | 'background' = 'foreground'): AdvertReport =>
    ({ address, addressType: 'random', advData: iosAdvert(layout), rssi, timestampMs: clock.now });
  const rows = () => d.prepare('SELECT hex(blid_contact) AS id, rssi, timestamp, platform FROM trace_info ORDER BY _id').all() as { id: string; rssi: number; timestamp: number; platform: string }[];
  return { clock, d, lb, gatt, reader, advert, rows };
}

describe('IosReader + Logbook', () => {
  it('reads a foreground or background iPhone, stores its ID with platform iOS and the triggering advert\'s RSSI', async () => {
    const s = setup(new Map([['aa:00:00:00:00:01', { key: keyOf(1) }], ['aa:00:00:00:00:02', { key: keyOf(2) }]]));
    expect(s.lb.handleReport(s.advert('aa:00:00:00:00:01', -61))).toBe('ignored');
    s.lb.handleReport(s.advert('aa:00:00:00:00:02', -77, 'background'));
    expect(s.gatt.calls.map((c) => c.address)).toEqual(['aa:00:00:00:00:01']); // one at a time
    await s.gatt.settle();
    expect(s.gatt.calls.map((c) => c.address)).toEqual(['aa:00:00:00:00:01', 'aa:00:00:00:00:02']);
    await s.gatt.settle();
    expect(s.gatt.maxInFlight).toBe(1);
    const hex = (n: number) => Buffer.from(bluezoneIdAt(keyOf(n), BASE_DATE, T0).id).toString('hex').toUpperCase();
    expect(s.rows()).toEqual([
      { id: hex(1), rssi: -61, timestamp: T0, platform: 'iOS' },
      { id: hex(2), rssi: -77, timestamp: T0, platform: 'iOS' },
    ]);
    expect(s.lb.stats).toMatchObject({ iosSeen: 2, iosStored: 2 });
  });

  it('caches per address until the UTC slot changes, then reads again and stores the new ID', async () => {
    const s = setup(new Map([['aa:00:00:00:00:01', { key: keyOf(1) }]]));
    s.lb.handleReport(s.advert('aa:00:00:00:00:01'));
    await s.gatt.settle();
    for (let k = 1; k <= 12; k++) {
      s.clock.now = T0 + k * 1000;
      s.lb.handleReport(s.advert('aa:00:00:00:00:01', -60 - k));
    }
    expect(s.gatt.calls).toHaveLength(1); // all from the cache
    expect(s.reader.stats.fromCache).toBe(12);
    expect(s.rows().map((r) => r.timestamp - T0)).toEqual([0, 5000, 10_000]); // the logbook's 5 s rule still applies
    expect(s.rows()[1].rssi).toBe(-65);
    // Next slot: a new read and a new ID.
    s.clock.now = T0 + SLOT_MS;
    s.lb.handleReport(s.advert('aa:00:00:00:00:01'));
    expect(s.gatt.calls).toHaveLength(2);
    await s.gatt.settle();
    const ids = [...new Set(s.rows().map((r) => r.id))];
    expect(ids).toEqual([T0, T0 + SLOT_MS].map((t) => Buffer.from(bluezoneIdAt(keyOf(1), BASE_DATE, t).id).toString('hex').toUpperCase()));
  });

  it('a phone that never answers costs one timeout, is not retried for a minute, and does not hold up Android rows', async () => {
    const s = setup(new Map([['aa:00:00:00:00:09', { key: keyOf(9), mute: true }], ['aa:00:00:00:00:01', { key: keyOf(1) }]]));
    s.lb.handleReport(s.advert('aa:00:00:00:00:09'));
    s.lb.handleReport(s.advert('aa:00:00:00:00:01'));
    // While the read hangs, Android adverts are stored at once.
    const android = { address: '11:22:33:44:55:66', advData: buildAndroidFrame(new Uint8Array(12).fill(7)), rssi: -50, timestampMs: s.clock.now };
    expect(s.lb.handleReport(android)).toBe('stored');
    expect(s.rows().map((r) => r.platform)).toEqual(['Android']);
    await s.gatt.settle(); // the mute one times out
    expect(s.reader.stats.timeouts).toBe(1);
    await s.gatt.settle(); // then the next phone is read
    expect(s.rows().map((r) => r.platform)).toEqual(['Android', 'iOS']);
    s.clock.now = T0 + IOS_RETRY_AFTER_MS - 1;
    s.lb.handleReport(s.advert('aa:00:00:00:00:09'));
    expect(s.gatt.calls.filter((c) => c.address === 'aa:00:00:00:00:09')).toHaveLength(1);
    s.clock.now = T0 + IOS_RETRY_AFTER_MS;
    s.lb.handleReport(s.advert('aa:00:00:00:00:09'));
    expect(s.gatt.calls.filter((c) => c.address === 'aa:00:00:00:00:09')).toHaveLength(2);
  });

  it('a read that straddles a slot boundary is repeated, so the stored ID always belongs to its timestamp\'s slot', async () => {
    const s = setup(new Map([['aa:00:00:00:00:01', { key: keyOf(1) }]]));
    s.clock.now = T0 + SLOT_MS - 1;
    s.lb.handleReport(s.advert('aa:00:00:00:00:01'));
    s.clock.now = T0 + SLOT_MS; // the answer comes after the boundary
    await s.gatt.settle();
    expect(s.rows()).toEqual([]);
    expect(s.reader.stats.straddled).toBe(1);
    expect(s.gatt.calls).toHaveLength(2);
    await s.gatt.settle();
    expect(s.rows().map((r) => r.id)).toEqual([Buffer.from(bluezoneIdAt(keyOf(1), BASE_DATE, T0 + SLOT_MS).id).toString('hex').toUpperCase()]);
  });

  it('a quick failure (connection refused) is retried after a few seconds, not a minute', async () => {
    const phones = new Map([['aa:00:00:00:00:01', { key: keyOf(1), refuse: true }]]);
    const s = setup(phones);
    s.lb.handleReport(s.advert('aa:00:00:00:00:01'));
    await s.gatt.settle();
    expect(s.reader.stats.failures).toBe(1);
    phones.get('aa:00:00:00:00:01')!.refuse = false;
    s.clock.now = T0 + IOS_RETRY_AFTER_FAILURE_MS - 1;
    s.lb.handleReport(s.advert('aa:00:00:00:00:01'));
    expect(s.gatt.calls).toHaveLength(1);
    s.clock.now = T0 + IOS_RETRY_AFTER_FAILURE_MS;
    s.lb.handleReport(s.advert('aa:00:00:00:00:01'));
    expect(s.gatt.calls).toHaveLength(2);
    await s.gatt.settle();
    expect(s.rows()).toHaveLength(1);
  });

  it('accepts exactly 12 bytes: 11 or 13 are not stored', async () => {
    const s = setup(new Map([['aa:00:00:00:00:01', { key: keyOf(1), bytes: 11 }], ['aa:00:00:00:00:02', { key: keyOf(2), bytes: 13 }]]));
    s.lb.handleReport(s.advert('aa:00:00:00:00:01'));
    s.lb.handleReport(s.advert('aa:00:00:00:00:02'));
    await s.gatt.settle();
    await s.gatt.settle();
    expect(s.rows()).toEqual([]);
    expect(s.reader.stats.badLength).toBe(2);
  });

  it('bounds the queue, and a duplicate address in the queue is not read twice', () => {
    const phones = new Map<string, { key: Uint8Array }>();
    const s = setup(phones);
    for (let i = 0; i < IOS_QUEUE_MAX + 5; i++) s.lb.handleReport(s.advert(`aa:00:00:00:01:${(i & 0xff).toString(16).padStart(2, '0')}`));
    s.lb.handleReport(s.advert('aa:00:00:00:01:05'));
    expect(s.reader.stats.dropped).toBe(4); // 1 in flight + IOS_QUEUE_MAX waiting
    expect(s.gatt.calls).toHaveLength(1);
  });

  it('presence for a crowd of Android and iOS phones counts both', async () => {
    const phones = new Map<string, { key: Uint8Array }>();
    for (let i = 0; i < 6; i++) phones.set(`aa:00:00:00:00:1${i}`, { key: keyOf(10 + i) });
    const s = setup(phones);
    // Ten minutes of a crowd: 8 Android phones and 6 iPhones, each advertising every 10 s.
    for (let t = 0; t < 600_000; t += 10_000) {
      s.clock.now = T0 + t;
      for (let a = 0; a < 8; a++) {
        s.lb.handleReport({ address: `11:00:00:00:00:0${a}`, advData: buildAndroidFrame(bluezoneIdAt(keyOf(100 + a), BASE_DATE, s.clock.now).id), rssi: -60, timestampMs: s.clock.now });
      }
      for (const addr of phones.keys()) s.lb.handleReport(s.advert(addr));
      while (s.gatt.pending.length) await s.gatt.settle();
    }
    s.lb.flush();
    const slot = presenceReport(s.d, Date.parse('2026-11-23T00:00:00Z'))[32]; // 08:00-08:15
    expect(slot.distinctIds).toBe(14);
    expect(slot.ios).toBe(6); // the platform split the fleet reporter sends (android 8, ios 6)
    const platforms = s.d.prepare('SELECT platform, count(DISTINCT blid_contact) AS n FROM trace_info GROUP BY platform ORDER BY platform').all();
    expect(platforms).toEqual([{ platform: 'Android', n: 8 }, { platform: 'iOS', n: 6 }]);
    expect(s.gatt.calls).toHaveLength(6); // one read per iPhone per slot, the rest from the cache
    expect(presenceEstimate(presenceReport(s.d, Date.parse('2026-11-23T00:00:00Z'))).method).toMatch(/iPhones/);
  });
});
