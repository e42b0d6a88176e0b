import { describe, expect, it } from 'vitest';
import { defaultConfig, type BeaconConfig } from '../../../firmware/beacon/config.ts';
import { BeaconDaemon } from '../../../firmware/beacon/daemon.ts';
import { parseTestClock } from '../../../firmware/clock.ts';
import { BeaconKey, type StatusFile } from '../../../firmware/beacon/state.ts';
import { buildAndroidFrame, buildIBeaconFrame } from '../../../firmware/protocol/frames.ts';
import { bluezoneIdAt, dailyKey, bluezoneIdForSlot } from '../../../firmware/protocol/keys.ts';
import { MockAir, type MockAdvertiser } from '../../../firmware/radio/mockRadio.ts';
import { FakeTime } from './fakeTime.ts';

const BASE_KEY = new Uint8Array(Buffer.from('4C5224B397F8AB3896781D5AA0F3119F280513F1B592CA280EBDED6357E21084', 'hex'));
const BASE_DATE = Date.parse('2020-08-08T00:00:00Z');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();

function setup(startIso: string, tweak: (c: BeaconConfig) => void = () => {}) {
  const time = new FakeTime(Date.parse(startIso));
  const air = new MockAir({ now: time.now });
  const cfg = defaultConfig();
  tweak(cfg);
  const env = { present: true, failNextStart: 0 };
  const advertisers: MockAdvertiser[] = [];
  const statuses: StatusFile[] = [];
  const logs: string[] = [];
  const key = new BeaconKey(BASE_KEY, BASE_DATE, '/nonexistent/beacon-key.json');
  const daemon = new BeaconDaemon({
    config: cfg,
    key,
    adapterLabel: 'mock:0',
    clock: time,
    timers: time,
    realNow: time.now,
    log: (level, m) => logs.push(`${level} ${m}`),
    onStatus: (s) => statuses.push(s),
    createAdvertiser: () => {
      const a = air.createAdvertiser({ name: `adv${advertisers.length + 1}`, present: env.present });
      for (; env.failNextStart > 0; env.failNextStart--) a.failNext('startAdvertising');
      advertisers.push(a);
      return a;
    },
  });
  const onAir = () => air.recording.filter((r) => r.op === 'startAdvertising');
  return { time, air, cfg, env, advertisers, statuses, logs, daemon, onAir, last: () => advertisers[advertisers.length - 1] };
}

describe('BeaconDaemon', () => {
  it('advertises the Android-style frame with the current BluezoneID (test vector 8.1 slot 23)', async () => {
    const t = setup('2020-08-08T05:56:31.387Z');
    t.daemon.start();
    await t.time.advance(1);
    expect(t.last().advertising).toBe(true);
    expect(Buffer.from(t.last().currentAdvData!)).toEqual(Buffer.from(buildAndroidFrame(Buffer.from('B9A665D754FE65E665D76A45', 'hex'))));
    expect(t.last().intervalMs).toBe(100);
    const s = t.daemon.status();
    expect(s).toMatchObject({ state: 'advertising', slot: 23, id_prefix: 'B9A665***', frame: 'bluezone', last_error: null });
    await t.daemon.stop();
  });

  it('changes the ID exactly at the UTC 15-minute boundary, not a millisecond before', async () => {
    const t = setup('2020-08-08T05:59:58.000Z');
    t.daemon.start();
    await t.time.advance(1999); // 05:59:59.999
    expect(hex(t.last().currentAdvData!.subarray(7, 19))).toBe('B9A665D754FE65E665D76A45');
    await t.time.advance(1); // 06:00:00.000 = slot 24
    expect(hex(t.last().currentAdvData!.subarray(7, 19))).toBe('3AA8DFC0A15682B27216FC31');
    const change = t.daemon.history.find((h) => h.slot === 24)!;
    expect(change.atMs).toBe(Date.parse('2020-08-08T06:00:00.000Z'));
    // and the next one, 15 minutes later
    await t.time.advance(15 * 60_000);
    expect(hex(t.last().currentAdvData!.subarray(7, 19))).toBe('B9A232358A6C89E7A00B673C');
    expect(t.daemon.history.map((h) => h.slot)).toEqual([23, 24, 25]);
    await t.daemon.stop();
  });

  it('rolls over to the next daily key at UTC midnight', async () => {
    const t = setup('2020-08-08T23:59:59.000Z');
    t.daemon.start();
    await t.time.advance(1000);
    const expected = bluezoneIdForSlot(dailyKey(BASE_KEY, 1), 0);
    expect(hex(t.last().currentAdvData!.subarray(7, 19))).toBe(hex(expected));
    expect(hex(expected)).toBe('64C0D2707C49D2F0D5E3E348'); // bluezone-protocol.md 8.2
    await t.daemon.stop();
  });

  it('recovers from "Command Disallowed" with exponential back-off and reports the error', async () => {
    const t = setup('2020-08-08T06:01:00.000Z', (c) => {
      c.watchdog.backoff_initial_ms = 1000;
      c.watchdog.backoff_max_ms = 4000;
    });
    t.env.failNextStart = 1;
    t.daemon.start();
    await t.time.advance(1);
    expect(t.daemon.status().state).toBe('recovering');
    expect(t.daemon.status().last_error).toMatch(/Command Disallowed/);
    expect(t.advertisers[0].state).toBe('poweredOff'); // closed
    // Keep failing: radios are re-created after 1 s, 2 s, 4 s, 4 s (capped).
    t.env.failNextStart = 1;
    await t.time.advance(998);
    expect(t.advertisers).toHaveLength(1);
    await t.time.advance(1);
    expect(t.advertisers).toHaveLength(2);
    t.env.failNextStart = 1;
    await t.time.advance(1999);
    expect(t.advertisers).toHaveLength(2);
    await t.time.advance(1);
    expect(t.advertisers).toHaveLength(3);
    t.env.failNextStart = 1;
    await t.time.advance(4000);
    expect(t.advertisers).toHaveLength(4);
    await t.time.advance(4000); // cap: 4 s again, and this time it works
    expect(t.advertisers).toHaveLength(5);
    expect(t.daemon.status()).toMatchObject({ state: 'advertising', restarts: 4, slot: 24 });
    expect(t.logs.some((l) => l.startsWith('warn') && l.includes('Command Disallowed'))).toBe(true);
    await t.daemon.stop();
  });

  it('notices the adapter going away and comes back by itself when it returns', async () => {
    const t = setup('2020-08-08T06:01:00.000Z');
    t.daemon.start();
    await t.time.advance(1);
    expect(t.daemon.status().state).toBe('advertising');
    t.env.present = false;
    t.last().powerOff();
    await t.time.advance(1);
    expect(t.daemon.status().state).toBe('recovering');
    expect(t.daemon.status().last_error).toMatch(/poweredOff/);
    // Absent adapter: the new radio never powers on -> power-on timeout (10 s) -> retry with back-off.
    await t.time.advance(1000 + 10_000);
    expect(t.daemon.status().last_error).toMatch(/did not reach poweredOn within 10 s/);
    t.env.present = true;
    await t.time.advance(2000);
    expect(t.daemon.status().state).toBe('advertising');
    expect(t.last().advertising).toBe(true);
    await t.daemon.stop();
  });

  it('time-shares the auxiliary iBeacon but never across a slot boundary', async () => {
    const t = setup('2020-08-08T06:12:59.500Z', (c) => {
      c.advertising.ibeacon.enabled = true;
      c.advertising.ibeacon.every_s = 60;
      c.advertising.ibeacon.duration_ms = 1000;
    });
    t.daemon.start();
    await t.time.advance(60_000); // 06:13:59.5 -> iBeacon on
    expect(Buffer.from(t.last().currentAdvData!)).toEqual(Buffer.from(buildIBeaconFrame()));
    expect(t.daemon.status().frame).toBe('ibeacon');
    await t.time.advance(1000);
    expect(t.daemon.status().frame).toBe('bluezone');
    await t.time.advance(2 * 60_000); // to 06:16:00.5
    const frames = t.onAir().map((r) => (r.advData === hex(buildIBeaconFrame()) ? 'I' : 'B'));
    // 06:13:59.5 aux; 06:14:59.5 skipped (would straddle 06:15:00); 06:15:00 new ID; 06:15:59.5 aux
    expect(frames.join('')).toBe('BIBBIB');
    const boundary = t.daemon.history.find((h) => h.slot === 25 && h.frame === 'bluezone')!;
    expect(boundary.atMs).toBe(Date.parse('2020-08-08T06:15:00.000Z'));
    await t.daemon.stop();
  });

  it('puts the configured TX power in a scan response, and none by default', async () => {
    const a = setup('2020-08-08T06:01:00.000Z', (c) => {
      c.advertising.tx_power_dbm = -4;
    });
    a.daemon.start();
    await a.time.advance(1);
    expect(Buffer.from(a.last().currentScanRsp!)).toEqual(Buffer.from([0x02, 0x0a, 0xfc]));
    await a.daemon.stop();
    const b = setup('2020-08-08T06:01:00.000Z');
    b.daemon.start();
    await b.time.advance(1);
    expect(b.last().currentScanRsp).toBeUndefined();
    await b.daemon.stop();
  });

  it('stops cleanly and never puts the base key in status or logs', async () => {
    const t = setup('2020-08-08T06:01:00.000Z');
    t.daemon.start();
    await t.time.advance(5000);
    await t.daemon.stop();
    expect(t.daemon.status().state).toBe('stopped');
    expect(t.last().advertising).toBe(false);
    expect(t.time.pending()).toBe(0);
    const everything = JSON.stringify(t.statuses) + t.logs.join('\n');
    expect(everything).not.toContain(hex(BASE_KEY));
    expect(everything).not.toContain(hex(BASE_KEY).toLowerCase());
  });

  it('follows a clock step (NTP after boot) within 10 s instead of waiting for the old boundary', async () => {
    const t = setup('2020-08-08T06:01:00.000Z');
    t.daemon.start();
    await t.time.advance(1);
    expect(t.daemon.status().slot).toBe(24);
    t.time.jump(Date.parse('2020-08-08T11:50:00.000Z')); // the clock steps forward; pending timers do not notice
    await t.time.advance(10_000);
    expect(t.daemon.status().slot).toBe(47);
    expect(hex(t.last().currentAdvData!.subarray(7, 19))).toBe(hex(bluezoneIdForSlot(BASE_KEY, 47)));
    expect(t.logs.some((l) => l.startsWith('warn clock changed'))).toBe(true);
    // and the next boundary is at 12:00:00 exactly
    await t.time.advance(Date.parse('2020-08-08T12:00:00.000Z') - t.time.t);
    expect(t.daemon.history.at(-1)).toMatchObject({ slot: 48, atMs: Date.parse('2020-08-08T12:00:00.000Z') });
    await t.daemon.stop();
  });

  it('faults instead of crashing when the clock is before the key base date', async () => {
    const t = setup('2020-08-07T12:00:00.000Z');
    t.daemon.start();
    await t.time.advance(1);
    expect(t.daemon.status().state).toBe('recovering');
    expect(t.daemon.status().last_error).toMatch(/before the base date/);
    await t.daemon.stop();
  });
});

describe('test clock (BLUEZONE_TEST_CLOCK)', () => {
  it('starts at the given time and runs faster', () => {
    let real = 1000;
    const c = parseTestClock('start=2020-08-08T05:59:58Z,speed=100', () => real);
    expect(c.now()).toBe(Date.parse('2020-08-08T05:59:58Z'));
    real += 20;
    expect(c.now()).toBe(Date.parse('2020-08-08T06:00:00Z'));
    expect(bluezoneIdAt(BASE_KEY, BASE_DATE, c.now()).slot).toBe(24);
    expect(() => parseTestClock('speed=fast')).toThrow(/BLUEZONE_TEST_CLOCK/);
    // anchored: two processes started at different times read the same fake time
    const a = parseTestClock('start=2020-08-08T06:00:00Z,speed=10,anchor=500', () => real);
    expect(a.now()).toBe(Date.parse('2020-08-08T06:00:00Z') + (real - 500) * 10);
  });
});
