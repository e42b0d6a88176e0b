// bleno's advertising state machine (its real gap.js) against a scripted HCI: a connect/disconnect
// re-enable landing while our start waits for its Command Complete (the race guardRestart closes).
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { guardRestart } from '../../../firmware/radio/blenoAdapter.ts';

const require = createRequire(import.meta.url);
type GapT = EventEmitter & { _advertiseState?: string; startAdvertisingWithEIRData(a: Buffer, s: Buffer): void; stopAdvertising(): void; restartAdvertising(): void };
const Gap = require('@stoprocent/bleno/lib/hci-socket/gap.js') as new (hci: EventEmitter) => GapT;

function scripted(guard: boolean) {
  const enables: boolean[] = [];
  const hci = Object.assign(new EventEmitter(), {
    setAdvertiseEnable: (on: boolean) => enables.push(on),
    setAdvertisingData: () => {},
    setScanResponseData: () => {},
  });
  const gap = new Gap(hci);
  if (guard) guardRestart(gap);
  const seen: string[] = [];
  gap.on('advertisingStart', () => seen.push('start'));
  gap.on('advertisingStop', () => seen.push('stop'));
  // Command Complete of the oldest LE Set Advertising Enable, status 0.
  const complete = () => hci.emit('leAdvertiseEnableSet', 0);
  return { gap, enables, seen, complete };
}

describe('bleno restartAdvertising vs. a pending start or stop', () => {
  it('without the guard, a re-enable during a start swallows the start callback (the bug)', () => {
    const s = scripted(false);
    s.gap.startAdvertisingWithEIRData(Buffer.from([2, 1, 6]), Buffer.alloc(0));
    s.gap.restartAdvertising(); // a peer disconnected just now
    s.complete();
    s.complete();
    expect(s.seen).toEqual([]);
  });

  it('with the guard, the start completes and advertising stays enabled', () => {
    const s = scripted(true);
    s.gap.startAdvertisingWithEIRData(Buffer.from([2, 1, 6]), Buffer.alloc(0));
    s.gap.restartAdvertising();
    s.complete();
    s.complete();
    expect(s.seen).toEqual(['start']);
    expect(s.enables).toEqual([true, true]);
  });

  it('with the guard, a re-enable during a stop is skipped: advertising ends as the host asked', () => {
    const s = scripted(true);
    s.gap.startAdvertisingWithEIRData(Buffer.from([2, 1, 6]), Buffer.alloc(0));
    s.complete();
    s.gap.stopAdvertising();
    s.gap.restartAdvertising();
    s.complete();
    expect(s.seen).toEqual(['start', 'stop']);
    expect(s.enables).toEqual([true, false]);
  });

  it('with the guard, a plain re-enable after a connection still goes out', () => {
    const s = scripted(true);
    s.gap.startAdvertisingWithEIRData(Buffer.from([2, 1, 6]), Buffer.alloc(0));
    s.complete();
    s.gap.restartAdvertising();
    expect(s.enables).toEqual([true, true]);
  });
});
