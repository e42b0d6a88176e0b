// One contract, several targets (STYLE.md: node-serialport's testBinding): the in-memory fake always,
// the real bleno/noble stack only where a target is available (BZ_HCI_DEV, or the virtual air).
import { afterEach, describe, expect, it } from 'vitest';
import { RadioError, type Advertiser, type AdvertReport, type Scanner } from '../../../firmware/radio/types.ts';

export interface RadioTarget {
  advertiser: Advertiser;
  scanner: Scanner;
  /** Makes the air deliver pending adverts (the mock needs it; real radios are continuous). */
  pump: () => void;
  cleanup: () => Promise<void>;
}

// Android-style Bluezone frame (bluezone-protocol.md 2.1) with the 8.1 test-vector ID.
export const FRAME_A = Buffer.from('0201020FFFB522B9A665D754FE65E665D76A45030356 4E'.replace(/ /g, ''), 'hex');
export const FRAME_B = Buffer.from('0201020FFFB5223AA8DFC0A15682B27216FC310303564E', 'hex');

export function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs: number, pump: () => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      pump();
      const v = probe();
      if (v !== undefined) return resolve(v);
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

async function poweredOn(dev: Advertiser | Scanner, pump: () => void, timeoutMs: number): Promise<void> {
  await waitFor(`${dev.name} poweredOn`, () => (dev.state === 'poweredOn' ? true : undefined), timeoutMs, pump);
}

export function radioContract(targetName: string, make: () => Promise<RadioTarget>, opts: { timeoutMs?: number } = {}): void {
  const timeoutMs = opts.timeoutMs ?? 2000;
  describe(`radio contract: ${targetName}`, () => {
    let t: RadioTarget | undefined;
    afterEach(async () => {
      await t?.cleanup();
      t = undefined;
    });

    it('powers on asynchronously and reports poweredOn as an event', async () => {
      t = await make();
      const states: string[] = [];
      t.advertiser.on('ready', () => states.push('ready'));
      t.advertiser.on('state', (s) => states.push(s));
      t.advertiser.open();
      expect(states).toEqual([]); // never synchronously inside open()
      await poweredOn(t.advertiser, t.pump, timeoutMs);
      expect(states.indexOf('ready')).toBeGreaterThanOrEqual(0);
      expect(states.indexOf('ready')).toBeLessThan(states.indexOf('poweredOn') === -1 ? Infinity : states.indexOf('poweredOn'));
      await waitFor('state event', () => (states.includes('poweredOn') ? true : undefined), timeoutMs, t.pump);
    });

    it('refuses to advertise before poweredOn, too-long data and bad intervals', async () => {
      t = await make();
      await expect(t.advertiser.startAdvertising(FRAME_A, undefined, 100)).rejects.toMatchObject({ code: 'NOT_POWERED_ON' });
      t.advertiser.open();
      await poweredOn(t.advertiser, t.pump, timeoutMs);
      await expect(t.advertiser.startAdvertising(new Uint8Array(32), undefined, 100)).rejects.toMatchObject({ code: 'DATA_TOO_LONG' });
      await expect(t.advertiser.startAdvertising(FRAME_A, undefined, 10)).rejects.toBeInstanceOf(RadioError);
      await expect(t.advertiser.startAdvertising(FRAME_A, undefined, 20000)).rejects.toMatchObject({ code: 'BAD_INTERVAL' });
    });

    it('delivers the exact advertised bytes to a duplicate-allowing scanner, repeatedly, with an int8 RSSI', async () => {
      t = await make();
      const reports: AdvertReport[] = [];
      t.scanner.on('report', (r) => reports.push(r));
      t.advertiser.open();
      t.scanner.open();
      await poweredOn(t.advertiser, t.pump, timeoutMs);
      await poweredOn(t.scanner, t.pump, timeoutMs);
      await t.scanner.start(true);
      expect(t.scanner.scanning).toBe(true);
      await t.advertiser.startAdvertising(FRAME_A, undefined, 100);
      expect(t.advertiser.advertising).toBe(true);
      const mine = () => reports.filter((r) => Buffer.from(r.advData).equals(FRAME_A));
      await waitFor('3 reports of frame A', () => (mine().length >= 3 ? true : undefined), timeoutMs, t.pump);
      for (const r of mine()) {
        expect(Number.isInteger(r.rssi)).toBe(true);
        expect(r.rssi).toBeGreaterThanOrEqual(-127);
        expect(r.rssi).toBeLessThanOrEqual(20);
        expect(r.address).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
        expect(Math.abs(r.timestampMs - Date.now())).toBeLessThan(60_000 * 60 * 24 * 365 * 100); // a real epoch-ms number
      }
    });

    it('replaces the payload while advertising and stops when asked', async () => {
      t = await make();
      const reports: AdvertReport[] = [];
      t.scanner.on('report', (r) => reports.push(r));
      t.advertiser.open();
      t.scanner.open();
      await poweredOn(t.advertiser, t.pump, timeoutMs);
      await poweredOn(t.scanner, t.pump, timeoutMs);
      await t.scanner.start(true);
      await t.advertiser.startAdvertising(FRAME_A, undefined, 100);
      await waitFor('frame A', () => reports.find((r) => Buffer.from(r.advData).equals(FRAME_A)), timeoutMs, t.pump);
      await t.advertiser.startAdvertising(FRAME_B, undefined, 100);
      await waitFor('frame B', () => reports.find((r) => Buffer.from(r.advData).equals(FRAME_B)), timeoutMs, t.pump);
      await t.advertiser.stopAdvertising();
      expect(t.advertiser.advertising).toBe(false);
      // Allow reports already in flight, then expect silence.
      await new Promise((r) => setTimeout(r, 300));
      t.pump();
      const n = reports.length;
      await new Promise((r) => setTimeout(r, 400));
      t.pump();
      expect(reports.length).toBe(n);
    });

    it('rejects every call after close()', async () => {
      t = await make();
      t.advertiser.open();
      await poweredOn(t.advertiser, t.pump, timeoutMs);
      await t.advertiser.close();
      await expect(t.advertiser.startAdvertising(FRAME_A, undefined, 100)).rejects.toMatchObject({ code: 'CLOSED' });
      await t.scanner.close();
      await expect(t.scanner.start(true)).rejects.toMatchObject({ code: 'CLOSED' });
    });
  });
}
