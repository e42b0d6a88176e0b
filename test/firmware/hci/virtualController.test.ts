import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBtsnoop } from '../../../firmware/hci/btsnoop.ts';
import { COMMANDS, OP, STATUS } from '../../../firmware/hci/constants.ts';
import { InvalidPacketError } from '../../../firmware/hci/errors.ts';
import { H4Framer, decodeH4Stream, encodeH4 } from '../../../firmware/hci/h4.ts';
import { decodeEvent, decodeReturn, encodeCommand, type DecodedEvent } from '../../../firmware/hci/packets.ts';
import { VirtualScheduler } from '../../../firmware/hci/scheduler.ts';
import { VirtualController } from '../../../firmware/hci/virtualController.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function harness(address = 'c0:ff:ee:00:00:01') {
  const scheduler = new VirtualScheduler(1000);
  const raw: Uint8Array[] = [];
  const errors: Error[] = [];
  const c = new VirtualController({ address, scheduler, send: (b) => raw.push(b), onError: (e) => errors.push(e) });
  const events = (): DecodedEvent[] => {
    const f = new H4Framer(undefined, { accept: ['event'] });
    return raw.flatMap((b) => f.push(b)).map((p) => (p.type === 'event' ? decodeEvent(p.code, p.params) : ({ name: 'Other', code: -1, params: new Uint8Array() } as DecodedEvent)));
  };
  return { c, raw, events, errors, scheduler };
}

function recordedCommands(name: string): Uint8Array {
  const { records } = parseBtsnoop(new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url))));
  return Uint8Array.from(records.filter((r) => r.hostToController).flatMap((r) => [...r.packet]));
}

describe('VirtualController', () => {
  it('answers Reset with exactly 04 0e 04 01 03 0c 00 (ncmd 1), as the UART driver requires', () => {
    const h = harness();
    h.c.receive(Uint8Array.from([0x01, 0x03, 0x0c, 0x00]));
    expect(h.raw.map(hex)).toEqual(['040e0401030c00']);
  });

  for (const [fixture, expected] of [
    ['bleno-startup.btsnoop', ['Reset', 'SetEventMask', 'LeSetEventMask', 'ReadLocalVersionInformation', 'WriteLeHostSupported', 'ReadLeHostSupported', 'ReadBdAddr', 'LeReadBufferSize', 'LeSetAdvertisingEnable', 'LeSetAdvertisingParameters']],
    ['noble-startup.btsnoop', ['Reset', 'Reset', 'Reset', 'LeReadLocalSupportedFeatures', 'SetEventMask', 'LeSetEventMask', 'ReadLocalVersionInformation', 'ReadBdAddr']],
  ] as const) {
    it(`answers the recorded ${fixture} burst pipelined in one write, in order, all successful`, () => {
      const h = harness();
      const bytes = recordedCommands(fixture);
      h.c.receive(bytes); // one chunk: commands back-to-back, no waiting (ble-stack 2.2 point 8)
      const cmds = decodeH4Stream(bytes, { accept: ['command'] });
      const evs = h.events();
      expect(evs).toHaveLength(cmds.length);
      evs.forEach((e, i) => {
        expect(e.name).toBe('CommandComplete');
        if (e.name !== 'CommandComplete') return;
        expect(e.ncmd).toBe(1);
        expect(e.opcode).toBe((cmds[i] as { opcode: number }).opcode);
        expect(e.returnParameters[0]).toBe(STATUS.SUCCESS);
      });
      expect(h.c.commandLog.slice(0, expected.length).map((l) => l.name)).toEqual(expected);
      expect(h.errors).toEqual([]);
    });
  }

  it('returns what bleno/noble need: HCI version >= 6, its BD_ADDR, LE features all zero, LE buffer', () => {
    const h = harness('c0:ff:ee:00:00:07');
    for (const name of ['ReadLocalVersionInformation', 'ReadBdAddr', 'LeReadLocalSupportedFeatures', 'LeReadBufferSize'] as const) {
      h.c.receive(encodeCommand(name, {} as never));
    }
    const ret = h.events().map((e) => (e.name === 'CommandComplete' ? e.returnParameters : new Uint8Array()));
    expect(decodeReturn('ReadLocalVersionInformation', ret[0]).hciVersion).toBeGreaterThanOrEqual(6);
    expect(decodeReturn('ReadBdAddr', ret[1]).bdAddr).toBe('c0:ff:ee:00:00:07');
    expect(decodeReturn('LeReadLocalSupportedFeatures', ret[2]).leFeatures).toEqual(new Uint8Array(8));
    expect(decodeReturn('LeReadBufferSize', ret[3]).leAclDataPacketLength).toBeGreaterThan(0);
  });

  it('stores advertising parameters, data, scan response and enable; Reset clears them', () => {
    const h = harness();
    h.c.receive(encodeCommand('LeSetAdvertisingParameters', {
      advertisingIntervalMin: 160, advertisingIntervalMax: 160, advertisingType: 3, ownAddressType: 0, peerAddressType: 0,
      peerAddress: '00:00:00:00:00:00', advertisingChannelMap: 7, advertisingFilterPolicy: 0,
    }));
    h.c.receive(encodeCommand('LeSetAdvertisingData', { advertisingData: Uint8Array.from([2, 1, 6]) }));
    h.c.receive(encodeCommand('LeSetScanResponseData', { scanResponseData: Uint8Array.from([2, 0x0a, 4]) }));
    h.c.receive(encodeCommand('LeSetAdvertisingEnable', { advertisingEnable: 1 }));
    expect(h.c.advParams).toMatchObject({ intervalMin: 160, type: 3, channelMap: 7 });
    expect(h.c.advData).toEqual(Uint8Array.from([2, 1, 6]));
    expect(h.c.scanResponseData).toEqual(Uint8Array.from([2, 0x0a, 4]));
    expect(h.c.advertising).toBe(true);
    h.c.receive(encodeCommand('Reset', {}));
    expect(h.c.advertising).toBe(false);
    expect(h.c.advData).toEqual(new Uint8Array(0));
  });

  it('Command Disallowed (0x0C) for advertising parameters while advertising, scan parameters while scanning', () => {
    const h = harness();
    const params = {
      advertisingIntervalMin: 160, advertisingIntervalMax: 160, advertisingType: 0, ownAddressType: 0, peerAddressType: 0,
      peerAddress: '00:00:00:00:00:00', advertisingChannelMap: 7, advertisingFilterPolicy: 0,
    };
    h.c.receive(encodeCommand('LeSetAdvertisingEnable', { advertisingEnable: 1 }));
    h.c.receive(encodeCommand('LeSetAdvertisingParameters', params));
    h.c.receive(encodeCommand('LeSetScanEnable', { leScanEnable: 1, filterDuplicates: 0 }));
    h.c.receive(encodeCommand('LeSetScanParameters', { leScanType: 1, leScanInterval: 18, leScanWindow: 18, ownAddressType: 0, scanningFilterPolicy: 0 }));
    h.c.receive(encodeCommand('LeSetRandomAddress', { randomAddress: 'c1:02:03:04:05:06' }));
    const st = h.events().map((e) => (e.name === 'CommandComplete' ? e.returnParameters[0] : -1));
    expect(st).toEqual([0, 0x0c, 0, 0x0c, 0x0c]);
    expect(h.c.commandLog.map((l) => l.status)).toEqual([0, 0x0c, 0, 0x0c, 0x0c]);
  });

  it('Invalid HCI Command Parameters (0x12) for a bad interval, bad scan window, or a wrong parameter length', () => {
    const h = harness();
    h.c.receive(encodeCommand('LeSetAdvertisingParameters', {
      advertisingIntervalMin: 0x10, advertisingIntervalMax: 0x10, advertisingType: 0, ownAddressType: 0, peerAddressType: 0,
      peerAddress: '00:00:00:00:00:00', advertisingChannelMap: 7, advertisingFilterPolicy: 0,
    }));
    h.c.receive(encodeCommand('LeSetScanParameters', { leScanType: 1, leScanInterval: 16, leScanWindow: 32, ownAddressType: 0, scanningFilterPolicy: 0 }));
    h.c.receive(Uint8Array.from([0x01, 0x0c, 0x20, 0x01, 0x01])); // Scan Enable with 1 byte instead of 2
    const st = h.events().map((e) => (e.name === 'CommandComplete' ? e.returnParameters[0] : -1));
    expect(st).toEqual([0x12, 0x12, 0x12]);
    expect(h.errors[0].message).toMatch(/LeSetScanEnable: field filterDuplicates needs 1 byte/);
  });

  it('unknown opcode -> Command Status 0x01, and the controller carries on', () => {
    const h = harness();
    h.c.receive(Uint8Array.from([0x01, 0x34, 0xfc, 0x01, 0x00, 0x01, 0x03, 0x0c, 0x00]));
    const evs = h.events();
    expect(evs[0]).toEqual({ name: 'CommandStatus', status: STATUS.UNKNOWN_HCI_COMMAND, ncmd: 1, opcode: 0xfc34 });
    expect(evs[1]).toMatchObject({ name: 'CommandComplete', opcode: OP.Reset });
    expect(h.c.commandLog[0].name).toBe('0xfc34');
  });

  it('garbage bytes are reported, skipped, and later commands still answered', () => {
    const h = harness();
    h.c.receive(Uint8Array.from([0x09, 0x04, 0x0e, 0x01, 0x03, 0x0c, 0x00]));
    expect(h.errors.length).toBeGreaterThanOrEqual(1);
    expect(h.raw.map(hex)).toEqual(['040e0401030c00']);
  });

  it('injectStatus makes the next command fail with the given status (host error paths)', () => {
    const h = harness();
    h.c.injectStatus('LeSetAdvertisingEnable', STATUS.COMMAND_DISALLOWED, 1);
    h.c.receive(encodeCommand('LeSetAdvertisingEnable', { advertisingEnable: 1 }));
    h.c.receive(encodeCommand('LeSetAdvertisingEnable', { advertisingEnable: 1 }));
    expect(h.raw.map(hex)).toEqual(['040e04010a200c', '040e04010a2000']);
    expect(h.c.advertising).toBe(true);
  });

  it('delivers reports only while scanning, with LE Meta unmasked, filtering duplicates when asked', () => {
    const h = harness();
    const r = { eventType: 0, addressType: 0, address: 'c0:ff:ee:00:00:09', data: Uint8Array.from([2, 1, 6]), rssi: -60 };
    expect(h.c.deliverReport(r)).toBe(false); // not scanning
    h.c.receive(encodeCommand('LeSetScanEnable', { leScanEnable: 1, filterDuplicates: 0 }));
    expect(h.c.deliverReport(r)).toBe(false); // default event mask has no LE Meta (7.3.1)
    h.c.receive(encodeCommand('LeSetScanEnable', { leScanEnable: 0, filterDuplicates: 0 }));
    h.c.receive(encodeCommand('SetEventMask', { eventMask: Uint8Array.from([0xff, 0xff, 0xfb, 0xff, 0x07, 0xf8, 0xbf, 0x3d]) }));
    h.c.receive(encodeCommand('LeSetScanEnable', { leScanEnable: 1, filterDuplicates: 1 }));
    expect(h.c.deliverReport(r)).toBe(true);
    expect(h.c.deliverReport(r)).toBe(false); // duplicate
    expect(h.c.deliverReport({ ...r, eventType: 4 })).toBe(true); // SCAN_RSP is a different report
    h.c.receive(encodeCommand('LeSetScanEnable', { leScanEnable: 1, filterDuplicates: 1 })); // re-enable resets the filter
    expect(h.c.deliverReport(r)).toBe(true);
    h.c.receive(encodeCommand('LeSetScanEnable', { leScanEnable: 1, filterDuplicates: 0 }));
    expect(h.c.deliverReport(r)).toBe(true);
    expect(h.c.deliverReport(r)).toBe(true);
    const reports = h.events().filter((e) => e.name === 'LeAdvertisingReport');
    expect(reports).toHaveLength(5);
    expect(reports[0]).toEqual({ name: 'LeAdvertisingReport', reports: [r] });
  });

  it('property: arbitrary bytes never throw; faults are InvalidPacketErrors and every output is a valid event', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const h = harness();
        h.c.receive(bytes);
        for (const e of h.errors) expect(e).toBeInstanceOf(InvalidPacketError);
        const out = Uint8Array.from(h.raw.flatMap((b) => [...b]));
        expect(() => decodeH4Stream(out, { accept: ['event'] })).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });

  it('property: every framed command, known or not, with any parameters gets exactly one answer with ncmd 1, in order', () => {
    const opcode = fc.oneof(fc.constantFrom(...COMMANDS.map((c) => c[1])), fc.integer({ min: 0, max: 0xffff }));
    fc.assert(
      fc.property(fc.array(fc.tuple(opcode, fc.uint8Array({ maxLength: 40 })), { maxLength: 30 }), (cmds) => {
        const h = harness();
        h.c.receive(Uint8Array.from(cmds.flatMap(([op, params]) => [...encodeH4({ type: 'command', opcode: op, params })])));
        const evs = h.events();
        expect(evs).toHaveLength(cmds.length);
        evs.forEach((e, i) => {
          expect(['CommandComplete', 'CommandStatus']).toContain(e.name);
          expect((e as { ncmd: number }).ncmd).toBe(1);
          expect((e as { opcode: number }).opcode).toBe(cmds[i][0]);
        });
      }),
      { numRuns: 200 },
    );
  });
});
