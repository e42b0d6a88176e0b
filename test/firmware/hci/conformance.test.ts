// Conformance gaps found by an independent host stack (issue 19): Supported Commands bits and
// the random-address checks of LE Set Advertising Enable / LE Set Scan Enable / LE Create Connection.
import { describe, expect, it } from 'vitest';
import { COMMANDS, OP, STATUS, supportedCommandsMask } from '../../../firmware/hci/constants.ts';
import { H4Framer } from '../../../firmware/hci/h4.ts';
import { decodeEvent, decodeReturn, encodeCommand, type DecodedEvent } from '../../../firmware/hci/packets.ts';
import { VirtualScheduler } from '../../../firmware/hci/scheduler.ts';
import { VirtualController } from '../../../firmware/hci/virtualController.ts';

function harness() {
  const scheduler = new VirtualScheduler(1000);
  const raw: Uint8Array[] = [];
  const c = new VirtualController({ address: 'c0:ff:ee:00:00:01', scheduler, send: (b) => raw.push(b) });
  const events = (): DecodedEvent[] => {
    const f = new H4Framer(undefined, { accept: ['event'] });
    return raw.flatMap((b) => f.push(b)).map((p) => (p.type === 'event' ? decodeEvent(p.code, p.params) : ({ name: 'Other', code: -1, params: new Uint8Array() } as DecodedEvent)));
  };
  const lastStatus = (): number => {
    const e = events().at(-1)!;
    if (e.name === 'CommandComplete') return e.returnParameters[0];
    if (e.name === 'CommandStatus') return e.status;
    throw new Error(`no command answer: ${e.name}`);
  };
  return { c, events, lastStatus };
}

const bit = (m: Uint8Array, octet: number, b: number) => (m[octet] >> b) & 1;

describe('Read Local Supported Commands (Vol 4 Part E 7.4.2, 6.27)', () => {
  const h = harness();
  h.c.receive(encodeCommand('ReadLocalSupportedCommands', {}));
  const e = h.events()[0];
  const mask = e.name === 'CommandComplete' ? decodeReturn('ReadLocalSupportedCommands', e.returnParameters).supportedCommands : new Uint8Array();

  it('sets the bits a host checks before using a command (positions from the 6.27 table)', () => {
    // Spot checks written out by hand from 6.27, independent of the COMMANDS table.
    expect(bit(mask, 0, 5)).toBe(1); // Disconnect
    expect(bit(mask, 5, 6)).toBe(1); // Set Event Mask
    expect(bit(mask, 5, 7)).toBe(1); // Reset
    expect(bit(mask, 14, 3)).toBe(1); // Read Local Version Information
    expect(bit(mask, 15, 1)).toBe(1); // Read BD_ADDR
    expect(bit(mask, 15, 5)).toBe(1); // Read RSSI
    expect(bit(mask, 25, 1)).toBe(1); // LE Read Buffer Size
    expect(bit(mask, 25, 4)).toBe(1); // LE Set Random Address
    expect(bit(mask, 26, 4)).toBe(1); // LE Create Connection
    expect(bit(mask, 26, 5)).toBe(1); // LE Create Connection Cancel
    expect(bit(mask, 27, 5)).toBe(1); // LE Read Remote Features
  });

  it('sets no bit for a command the controller does not implement (no extended scanning, octet 37)', () => {
    expect(mask[37]).toBe(0);
    expect(bit(mask, 27, 6)).toBe(0); // LE Encrypt
    expect(bit(mask, 28, 0)).toBe(0); // LE Enable Encryption
    expect(mask).toEqual(supportedCommandsMask());
    // Every set bit belongs to a command we answer with something other than Unknown HCI Command.
    let set = 0;
    for (let o = 0; o < 64; o++) for (let b = 0; b < 8; b++) set += bit(mask, o, b);
    expect(set).toBe(COMMANDS.filter((c) => c[3] !== null).length);
  });

  it('every command that has a 6.27 entry is answered (not Unknown HCI Command)', () => {
    for (const [name, opcode, , b] of COMMANDS) {
      if (!b) continue;
      const x = harness();
      x.c.receive(Uint8Array.from([0x01, opcode & 0xff, opcode >> 8, 0])); // empty params: may be 0x12, never 0x01
      const ev = x.events()[0];
      const st = ev.name === 'CommandComplete' ? ev.returnParameters[0] : ev.name === 'CommandStatus' ? ev.status : -1;
      expect(st, name).not.toBe(STATUS.UNKNOWN_HCI_COMMAND);
    }
  });
});

describe('own address type random before LE Set Random Address (0x12)', () => {
  const advParams = (ownAddressType: number) => encodeCommand('LeSetAdvertisingParameters', {
    advertisingIntervalMin: 160, advertisingIntervalMax: 160, advertisingType: 0, ownAddressType, peerAddressType: 0,
    peerAddress: '00:00:00:00:00:00', advertisingChannelMap: 7, advertisingFilterPolicy: 0,
  });
  const scanParams = (leScanType: number, ownAddressType: number) =>
    encodeCommand('LeSetScanParameters', { leScanType, leScanInterval: 18, leScanWindow: 18, ownAddressType, scanningFilterPolicy: 0 });

  for (const own of [1, 3]) {
    it(`LE Set Advertising Enable after Reset with own address type ${own} fails 0x12 (7.8.9), works once the address is set`, () => {
      const h = harness();
      h.c.receive(encodeCommand('Reset', {}));
      h.c.receive(advParams(own));
      h.c.receive(encodeCommand('LeSetAdvertisingEnable', { advertisingEnable: 1 }));
      expect(h.lastStatus()).toBe(STATUS.INVALID_HCI_COMMAND_PARAMETERS);
      expect(h.c.advertising).toBe(false);
      h.c.receive(encodeCommand('LeSetRandomAddress', { randomAddress: 'd1:02:03:04:05:06' }));
      h.c.receive(encodeCommand('LeSetAdvertisingEnable', { advertisingEnable: 1 }));
      expect(h.lastStatus()).toBe(STATUS.SUCCESS);
      expect(h.c.ownAddress(own)).toEqual({ address: 'd1:02:03:04:05:06', type: 1 });
    });

    it(`active LE Set Scan Enable with own address type ${own} and no random address fails 0x12 (7.8.11)`, () => {
      const h = harness();
      h.c.receive(encodeCommand('Reset', {}));
      h.c.receive(scanParams(1, own));
      h.c.receive(encodeCommand('LeSetScanEnable', { leScanEnable: 1, filterDuplicates: 0 }));
      expect(h.lastStatus()).toBe(STATUS.INVALID_HCI_COMMAND_PARAMETERS);
      expect(h.c.scanning).toBe(false);
    });
  }

  it('passive scanning sends nothing, so it needs no random address (7.8.11)', () => {
    const h = harness();
    h.c.receive(scanParams(0, 1));
    h.c.receive(encodeCommand('LeSetScanEnable', { leScanEnable: 1, filterDuplicates: 0 }));
    expect(h.lastStatus()).toBe(STATUS.SUCCESS);
  });

  it('disabling is always accepted, and Reset forgets the random address', () => {
    const h = harness();
    h.c.receive(encodeCommand('LeSetRandomAddress', { randomAddress: 'd1:02:03:04:05:06' }));
    h.c.receive(advParams(1));
    h.c.receive(encodeCommand('LeSetAdvertisingEnable', { advertisingEnable: 1 }));
    expect(h.lastStatus()).toBe(0);
    h.c.receive(encodeCommand('LeSetAdvertisingEnable', { advertisingEnable: 0 }));
    expect(h.lastStatus()).toBe(0);
    h.c.receive(encodeCommand('Reset', {}));
    h.c.receive(advParams(1));
    h.c.receive(encodeCommand('LeSetAdvertisingEnable', { advertisingEnable: 1 }));
    expect(h.lastStatus()).toBe(STATUS.INVALID_HCI_COMMAND_PARAMETERS);
  });

  it('LE Create Connection with own address type random and no random address: Command Status 0x12 (7.8.12)', () => {
    const h = harness();
    h.c.receive(encodeCommand('LeCreateConnection', {
      leScanInterval: 0x60, leScanWindow: 0x30, initiatorFilterPolicy: 0, peerAddressType: 0, peerAddress: 'c0:ff:ee:00:00:02',
      ownAddressType: 1, connectionIntervalMin: 6, connectionIntervalMax: 18, maxLatency: 0, supervisionTimeout: 42, minCeLength: 4, maxCeLength: 6,
    }));
    expect(h.events().at(-1)).toEqual({ name: 'CommandStatus', status: 0x12, ncmd: 1, opcode: OP.LeCreateConnection });
    expect(h.c.initiating).toBeUndefined();
  });
});
