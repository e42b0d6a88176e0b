// Issue 18 item 9: after the controller link drops (pty bridge restarted), the beacon must find the
// returned port within 3 s and be advertising again, rather than wait out the 10 s power-on timeout
// of a radio started while the port was missing. Fake time: the figures are exact, not timed.
import { mkdtempSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adapterPresence } from '../../../firmware/beacon/adapterWatch.ts';
import { defaultConfig } from '../../../firmware/beacon/config.ts';
import { ADAPTER_POLL_MS, BeaconDaemon } from '../../../firmware/beacon/daemon.ts';
import { BeaconKey } from '../../../firmware/beacon/state.ts';
import { MockAir, type MockAdvertiser } from '../../../firmware/radio/mockRadio.ts';
import { FakeTime } from './fakeTime.ts';

const BASE_KEY = new Uint8Array(Buffer.from('4C5224B397F8AB3896781D5AA0F3119F280513F1B592CA280EBDED6357E21084', 'hex'));
const BASE_DATE = Date.parse('2020-08-08T00:00:00Z');
const POLL = ADAPTER_POLL_MS ?? 200; // (a literal fallback keeps the test finite against a daemon without the constant)

function setup() {
  const time = new FakeTime(Date.parse('2020-08-08T06:01:00.000Z'));
  const air = new MockAir({ now: time.now });
  // present: the port path exists; answers: a controller answers behind it (bleno powers on).
  const port = { present: true, answers: true };
  const advertisers: MockAdvertiser[] = [];
  const logs: string[] = [];
  const daemon = new BeaconDaemon({
    config: defaultConfig(),
    key: new BeaconKey(BASE_KEY, BASE_DATE, '/nonexistent/beacon-key.json'),
    adapterLabel: 'uart:/tmp/bz-beacon.pty',
    clock: time,
    timers: time,
    realNow: time.now,
    log: (level, m) => logs.push(`${level} ${m}`),
    adapterPresent: () => port.present,
    // A radio started while the port is missing never powers on (bleno cannot open it).
    createAdvertiser: () => {
      const a = air.createAdvertiser({ name: `adv${advertisers.length + 1}`, present: port.present && port.answers });
      advertisers.push(a);
      return a;
    },
  });
  return { time, port, advertisers, logs, daemon };
}

/** Fake ms from now until the daemon advertises, stepping 10 ms, or Infinity after `limit` ms. */
async function untilAdvertising(t: ReturnType<typeof setup>, limit: number): Promise<number> {
  for (let ms = 0; ms <= limit; ms += 10) {
    if (t.daemon.status().state === 'advertising') return ms;
    await t.time.advance(10);
  }
  return Infinity;
}

describe('controller link recovery', () => {
  it('link drops, port gone 4 s (bridge restarting), back: advertising again within 3 s of its return, 5 s of the loss budget', async () => {
    const t = setup();
    t.daemon.start();
    expect(await untilAdvertising(t, 100)).toBeLessThan(100);
    // The bridge goes away: the port vanishes and the radio's adapter powers off.
    t.port.present = false;
    t.advertisers.at(-1)!.powerOff();
    await t.time.advance(4000);
    expect(t.daemon.status().state).toBe('waiting-for-adapter');
    expect(t.advertisers).toHaveLength(1); // no radio started against a missing port
    t.port.present = true;
    const back = await untilAdvertising(t, 15_000);
    expect(back).toBeLessThanOrEqual(3000);
    expect(back).toBeLessThanOrEqual(POLL + 20);
    expect(t.logs.some((l) => /adapter uart:\/tmp\/bz-beacon.pty is gone, watching for it every 200 ms/.test(l))).toBe(true);
    expect(t.logs.some((l) => l.includes('did not reach poweredOn'))).toBe(false);
    await t.daemon.stop();
  });

  it('a short drop (port back before the back-off ends) costs the back-off only', async () => {
    const t = setup();
    t.daemon.start();
    await untilAdvertising(t, 100);
    t.advertisers.at(-1)!.powerOff(); // port still there: the link itself dropped
    const back = await untilAdvertising(t, 15_000);
    expect(back).toBeLessThanOrEqual(1000 + 20); // backoff_initial_ms
    await t.daemon.stop();
  });

  it('a radio waiting for power-on is dropped as soon as its port vanishes', async () => {
    const t = setup();
    t.daemon.start();
    await untilAdvertising(t, 100);
    t.port.present = false;
    t.advertisers.at(-1)!.powerOff();
    await t.time.advance(1000);
    // The port reappears but nothing answers behind it yet, then it goes again.
    t.port.answers = false;
    t.port.present = true;
    await t.time.advance(POLL);
    const n = t.advertisers.length;
    expect(t.daemon.status().state).toBe('waiting-for-adapter');
    t.port.present = false;
    await t.time.advance(POLL * 2);
    expect(t.daemon.status().last_error).toMatch(/vanished while powering on/);
    t.port.answers = true;
    t.port.present = true;
    expect(await untilAdvertising(t, 5000)).toBeLessThanOrEqual(POLL + 20);
    expect(t.advertisers.length).toBeGreaterThan(n);
    await t.daemon.stop();
  });
});

describe('adapterPresence', () => {
  it('uart: the port path (a dangling link counts as absent); native: sysfs when it has a Bluetooth class', () => {
    const d = mkdtempSync(join(tmpdir(), 'bz-adapter-'));
    try {
      const link = join(d, 'bz.pty');
      const uart = adapterPresence({ driver: 'uart', port: link, baudRate: 1_000_000 });
      expect(uart()).toBe(false);
      symlinkSync('/dev/null', link);
      expect(uart()).toBe(true);
      unlinkSync(link);
      symlinkSync(join(d, 'gone'), link);
      expect(uart()).toBe(false);
      expect(adapterPresence({ driver: 'native', deviceId: 0 }, join(d, 'no-sysfs'))()).toBe(true);
      expect(adapterPresence({ driver: 'native', deviceId: 0 }, d)()).toBe(false);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
