// LE connections in the virtual air on a virtual clock: create / cancel, connection complete on
// both sides, ACL both ways with Number Of Completed Packets, disconnect, supervision timeout.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Air } from '../../../firmware/hci/air.ts';
import { FixedRssiModel, type AirModel, type ControllerInfo } from '../../../firmware/hci/airModel.ts';
import { OP, STATUS } from '../../../firmware/hci/constants.ts';
import { InvalidPacketError } from '../../../firmware/hci/errors.ts';
import { H4Framer, decodeH4Stream, encodeH4, type H4Packet } from '../../../firmware/hci/h4.ts';
import { decodeEvent, decodeReturn, encodeCommand, type DecodedEvent } from '../../../firmware/hci/packets.ts';
import { VirtualScheduler } from '../../../firmware/hci/scheduler.ts';
import { LE_ACL_PACKETS, VirtualController } from '../../../firmware/hci/virtualController.ts';

// What bleno and noble set (ble-stack-and-hci.md 2.3): LE Meta, Disconnection Complete, NOCP unmasked.
const EVENT_MASK = Uint8Array.from([0xff, 0xff, 0xfb, 0xff, 0x07, 0xf8, 0xbf, 0x3d]);
const NOBLE_LE_MASK = Uint8Array.from([0x5f, 0, 0, 0, 0, 0, 0, 0]);

/** A model whose range can be switched off per test (a peer walking away). */
class SwitchModel implements AirModel {
  on = true;
  constructor(readonly dbm = -55) {}
  rssi(_tx: ControllerInfo, _rx: ControllerInfo): number | null {
    return this.on ? this.dbm : null;
  }
  describe(): string {
    return 'switch';
  }
}

function node(scheduler: VirtualScheduler, air: Air, address: string) {
  const raw: Uint8Array[] = [];
  const errors: Error[] = [];
  const c = new VirtualController({ address, scheduler, send: (b) => raw.push(b), onError: (e) => errors.push(e) });
  air.attach(c);
  c.receive(encodeCommand('SetEventMask', { eventMask: EVENT_MASK }));
  c.receive(encodeCommand('LeSetEventMask', { leEventMask: NOBLE_LE_MASK }));
  const packets = (): H4Packet[] => {
    const f = new H4Framer(undefined, { accept: ['event', 'acl'] });
    return raw.flatMap((b) => f.push(b));
  };
  const events = (): DecodedEvent[] => packets().flatMap((p) => (p.type === 'event' ? [decodeEvent(p.code, p.params)] : []));
  const acl = () => packets().filter((p): p is Extract<H4Packet, { type: 'acl' }> => p.type === 'acl');
  const named = <N extends DecodedEvent['name']>(n: N) => events().filter((e): e is Extract<DecodedEvent, { name: N }> => e.name === n);
  return { c, raw, errors, events, acl, named };
}

function world(model: AirModel = new FixedRssiModel(-60)) {
  const scheduler = new VirtualScheduler(0);
  const air = new Air({ scheduler, model, seed: 3 });
  const periph = node(scheduler, air, 'c0:ff:ee:00:00:01');
  const central = node(scheduler, air, 'c0:ff:ee:00:00:02');
  return { scheduler, air, periph, central };
}

function advertise(c: VirtualController, type = 0) {
  c.receive(encodeCommand('LeSetAdvertisingParameters', {
    advertisingIntervalMin: 160, advertisingIntervalMax: 160, advertisingType: type, ownAddressType: 0,
    peerAddressType: 0, peerAddress: '00:00:00:00:00:00', advertisingChannelMap: 7, advertisingFilterPolicy: 0,
  }));
  c.receive(encodeCommand('LeSetAdvertisingData', { advertisingData: Uint8Array.from([2, 1, 6]) }));
  c.receive(encodeCommand('LeSetAdvertisingEnable', { advertisingEnable: 1 }));
}

// noble's legacy LE Create Connection (hci.js createLeConnAfterReset): 7.5 ms interval, 420 ms timeout.
function create(c: VirtualController, peer = 'c0:ff:ee:00:00:01', over: Partial<Parameters<typeof encodeCommand<'LeCreateConnection'>>[1]> = {}) {
  c.receive(encodeCommand('LeCreateConnection', {
    leScanInterval: 0x60, leScanWindow: 0x30, initiatorFilterPolicy: 0, peerAddressType: 0, peerAddress: peer, ownAddressType: 0,
    connectionIntervalMin: 6, connectionIntervalMax: 18, maxLatency: 0, supervisionTimeout: 42, minCeLength: 4, maxCeLength: 6, ...over,
  }));
}

/** An L2CAP ATT frame (CID 4) split into ACL packets of at most 27 octets, host to controller. */
function l2capAcl(handle: number, payload: Uint8Array, max = 27): Uint8Array {
  const frame = new Uint8Array(4 + payload.length);
  frame[0] = payload.length & 0xff;
  frame[1] = payload.length >> 8;
  frame[2] = 0x04;
  frame.set(payload, 4);
  const out: number[] = [];
  for (let o = 0; o < frame.length; o += max) {
    out.push(...encodeH4({ type: 'acl', handle, flags: o === 0 ? 0b00 : 0b01, data: frame.slice(o, o + max) }));
  }
  return Uint8Array.from(out);
}

function connect() {
  const w = world();
  advertise(w.periph.c);
  create(w.central.c);
  w.scheduler.advance(500);
  const cc = w.central.named('LeConnectionComplete')[0];
  const pc = w.periph.named('LeConnectionComplete')[0];
  return { ...w, ch: cc.connectionHandle, ph: pc.connectionHandle, cc, pc };
}

describe('LE connections in the virtual air', () => {
  it('LE Create Connection: Command Status 0, then LE Connection Complete on both sides at the next connectable advert', () => {
    const w = connect();
    expect(w.central.events()[2]).toEqual({ name: 'CommandStatus', status: 0, ncmd: 1, opcode: OP.LeCreateConnection });
    expect(w.cc).toMatchObject({ status: 0, role: 0, peerAddressType: 0, peerAddress: 'c0:ff:ee:00:00:01', connectionInterval: 6, supervisionTimeout: 42, enhanced: false });
    expect(w.pc).toMatchObject({ status: 0, role: 1, peerAddressType: 0, peerAddress: 'c0:ff:ee:00:00:02', connectionInterval: 6 });
    // The advertising set ends with the connection (Vol 4 Part E 7.8.9); the initiator is idle again.
    expect(w.periph.c.advertising).toBe(false);
    expect(w.central.c.initiating).toBeUndefined();
    expect(w.air.stats.connections).toBe(1);
  });

  it('a non-connectable advert never becomes a connection; Cancel gives Command Complete then status 0x02 (7.8.13)', () => {
    const w = world();
    advertise(w.periph.c, 3); // ADV_NONCONN_IND
    create(w.central.c);
    w.scheduler.advance(1000);
    expect(w.central.named('LeConnectionComplete')).toEqual([]);
    create(w.central.c); // a second create while one is pending
    expect(w.central.events().at(-1)).toMatchObject({ name: 'CommandStatus', status: STATUS.COMMAND_DISALLOWED });
    w.central.c.receive(encodeCommand('LeCreateConnectionCancel', {}));
    const evs = w.central.events().slice(-2);
    expect(evs[0]).toMatchObject({ name: 'CommandComplete', opcode: OP.LeCreateConnectionCancel });
    expect(evs[1]).toMatchObject({ name: 'LeConnectionComplete', status: STATUS.UNKNOWN_CONNECTION_IDENTIFIER });
    w.central.c.receive(encodeCommand('LeCreateConnectionCancel', {}));
    const last = w.central.events().at(-1)!;
    expect(last.name === 'CommandComplete' && last.returnParameters[0]).toBe(STATUS.COMMAND_DISALLOWED);
  });

  it('sends LE Enhanced Connection Complete instead when the host unmasks it (7.7.65.10)', () => {
    const w = world();
    w.central.c.receive(encodeCommand('LeSetEventMask', { leEventMask: Uint8Array.from([0x5f, 0x02, 0, 0, 0, 0, 0, 0]) }));
    advertise(w.periph.c);
    create(w.central.c);
    w.scheduler.advance(500);
    expect(w.central.named('LeConnectionComplete')[0]).toMatchObject({ enhanced: true, status: 0, peerAddress: 'c0:ff:ee:00:00:01' });
    expect(w.periph.named('LeConnectionComplete')[0]).toMatchObject({ enhanced: false });
  });

  it('rejects bad parameters (0x12) and a second connection to the same peer (0x0B)', () => {
    const w = connect();
    create(w.central.c, 'c0:ff:ee:00:00:01');
    expect(w.central.events().at(-1)).toMatchObject({ name: 'CommandStatus', status: STATUS.CONNECTION_ALREADY_EXISTS });
    const x = world();
    // 40 ms is not > (1 + latency 0) * 22.5 ms * 2 (7.8.12); interval 5 < 6; window > interval.
    create(x.central.c, 'c0:ff:ee:00:00:01', { supervisionTimeout: 4 });
    create(x.central.c, 'c0:ff:ee:00:00:01', { connectionIntervalMin: 5 });
    create(x.central.c, 'c0:ff:ee:00:00:01', { leScanWindow: 0x61 });
    expect(x.central.named('CommandStatus').map((e) => e.status)).toEqual([0x12, 0x12, 0x12]);
  });

  it('carries a 40-octet ATT frame both ways in 27-octet packets, with Number Of Completed Packets to the sender', () => {
    const w = connect();
    const payload = Uint8Array.from({ length: 40 }, (_, i) => i);
    w.central.c.receive(l2capAcl(w.ch, payload));
    w.periph.c.receive(l2capAcl(w.ph, payload.slice(0, 5)));
    w.scheduler.advance(50);
    const got = w.periph.acl();
    expect(got.map((p) => p.flags)).toEqual([0b10, 0b01]); // controller to host: first flushable, then continuation
    expect(got.every((p) => p.handle === w.ph)).toBe(true);
    expect(Uint8Array.from(got.flatMap((p) => [...p.data])).slice(4)).toEqual(payload);
    expect(w.central.named('NumberOfCompletedPackets').flatMap((e) => e.pairs)).toEqual([[w.ch, 2]]);
    expect(w.central.acl().map((p) => p.data.length)).toEqual([9]);
    expect(w.periph.named('NumberOfCompletedPackets').flatMap((e) => e.pairs)).toEqual([[w.ph, 1]]);
  });

  it('flow control: more than LE_ACL_PACKETS unacknowledged packets give Data Buffer Overflow and are dropped', () => {
    const w = connect();
    const one = l2capAcl(w.ch, Uint8Array.from([1, 2, 3]));
    for (let i = 0; i < LE_ACL_PACKETS + 2; i++) w.central.c.receive(one);
    expect(w.central.events().filter((e) => e.name === 'Other' && e.code === 0x1a)).toHaveLength(2);
    w.scheduler.advance(100);
    expect(w.periph.acl()).toHaveLength(LE_ACL_PACKETS);
    const done = w.central.named('NumberOfCompletedPackets').flatMap((e) => e.pairs).reduce((a, [, n]) => a + n, 0);
    expect(done).toBe(LE_ACL_PACKETS);
    // Credits are back: the next packet goes through.
    w.central.c.receive(one);
    w.scheduler.advance(20);
    expect(w.periph.acl()).toHaveLength(LE_ACL_PACKETS + 1);
  });

  it('ACL for an unknown handle, with broadcast flags, or over 27 octets is reported and dropped', () => {
    const w = connect();
    w.central.c.receive(encodeH4({ type: 'acl', handle: 0x777, flags: 0, data: Uint8Array.from([1, 0, 4, 0, 9]) }));
    w.central.c.receive(encodeH4({ type: 'acl', handle: w.ch, flags: 0b0100, data: Uint8Array.from([1, 0, 4, 0, 9]) }));
    w.central.c.receive(encodeH4({ type: 'acl', handle: w.ch, flags: 0, data: new Uint8Array(28) }));
    w.scheduler.advance(50);
    expect(w.periph.acl()).toEqual([]);
    expect(w.central.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/ACL handle 0x777: no such connection/),
      expect.stringMatching(/broadcast flag 1/),
      expect.stringMatching(/28 octets > LE_ACL_Data_Packet_Length 27/),
    ]);
  });

  it('Disconnect: Command Status, then Disconnection Complete 0x16 locally and the given reason at the peer', () => {
    const w = connect();
    w.central.c.receive(encodeCommand('Disconnect', { connectionHandle: w.ch, reason: 0x13 }));
    expect(w.central.events().at(-1)).toMatchObject({ name: 'CommandStatus', status: 0, opcode: OP.Disconnect });
    w.scheduler.advance(20);
    expect(w.central.named('DisconnectionComplete')).toEqual([{ name: 'DisconnectionComplete', status: 0, connectionHandle: w.ch, reason: 0x16 }]);
    expect(w.periph.named('DisconnectionComplete')).toEqual([{ name: 'DisconnectionComplete', status: 0, connectionHandle: w.ph, reason: 0x13 }]);
    expect(w.central.c.links.size + w.periph.c.links.size).toBe(0);
    w.central.c.receive(encodeCommand('Disconnect', { connectionHandle: w.ch, reason: 0x13 }));
    expect(w.central.events().at(-1)).toMatchObject({ name: 'CommandStatus', status: STATUS.UNKNOWN_CONNECTION_IDENTIFIER });
    w.periph.c.receive(encodeCommand('Disconnect', { connectionHandle: w.ph, reason: 0x00 }));
    expect(w.periph.events().at(-1)).toMatchObject({ name: 'CommandStatus', status: STATUS.UNKNOWN_CONNECTION_IDENTIFIER });
  });

  it('supervision timeout: a peer that vanishes (closed controller) ends the link with 0x08 after the timeout, not before', () => {
    const w = connect();
    w.periph.c.close();
    w.scheduler.advance(400); // timeout is 420 ms
    expect(w.central.named('DisconnectionComplete')).toEqual([]);
    w.scheduler.advance(40);
    expect(w.central.named('DisconnectionComplete')).toEqual([{ name: 'DisconnectionComplete', status: 0, connectionHandle: w.ch, reason: STATUS.CONNECTION_TIMEOUT }]);
  });

  it('supervision timeout when the peer goes out of range, and when the peer host resets its controller', () => {
    const model = new SwitchModel();
    const w = world(model);
    advertise(w.periph.c);
    create(w.central.c);
    w.scheduler.advance(500);
    model.on = false;
    w.scheduler.advance(500);
    expect(w.central.named('DisconnectionComplete').map((e) => e.reason)).toEqual([0x08]);
    expect(w.periph.named('DisconnectionComplete').map((e) => e.reason)).toEqual([0x08]);

    const x = connect();
    x.periph.c.receive(encodeCommand('Reset', {}));
    x.scheduler.advance(500);
    expect(x.central.named('DisconnectionComplete').map((e) => e.reason)).toEqual([0x08]);
    expect(x.periph.named('DisconnectionComplete')).toEqual([]); // its host reset: it hears nothing
  });

  it('Read RSSI on a connection, LE Read Remote Features, LE Connection Update', () => {
    const w = connect();
    w.central.c.receive(encodeCommand('ReadRssi', { handle: w.ch }));
    const rr = w.central.events().at(-1)!;
    expect(rr.name === 'CommandComplete' && decodeReturn('ReadRssi', rr.returnParameters)).toEqual({ status: 0, handle: w.ch, rssi: -60 });
    w.central.c.receive(encodeCommand('LeReadRemoteFeatures', { connectionHandle: w.ch }));
    w.central.c.receive(encodeCommand('LeConnectionUpdate', {
      connectionHandle: w.ch, connectionIntervalMin: 24, connectionIntervalMax: 40, maxLatency: 0, supervisionTimeout: 200, minCeLength: 0, maxCeLength: 0,
    }));
    w.periph.c.receive(encodeCommand('LeConnectionUpdate', {
      connectionHandle: w.ph, connectionIntervalMin: 24, connectionIntervalMax: 40, maxLatency: 0, supervisionTimeout: 200, minCeLength: 0, maxCeLength: 0,
    }));
    expect(w.periph.events().at(-1)).toMatchObject({ name: 'CommandStatus', status: STATUS.COMMAND_DISALLOWED });
    w.scheduler.advance(20);
    expect(w.central.named('LeReadRemoteFeaturesComplete')).toEqual([{ name: 'LeReadRemoteFeaturesComplete', status: 0, connectionHandle: w.ch, leFeatures: new Uint8Array(8) }]);
    expect(w.central.named('LeConnectionUpdateComplete')[0]).toMatchObject({ connectionInterval: 24, supervisionTimeout: 200 });
    // bleno's LE mask (0x1f) has bit 2 too: the peripheral hears the update.
    expect(w.periph.named('LeConnectionUpdateComplete')[0]).toMatchObject({ connectionInterval: 24 });
  });

  it('the peripheral host may advertise again while connected, and a second central can connect', () => {
    const w = connect();
    const third = node(w.scheduler, w.air, 'c0:ff:ee:00:00:03');
    advertise(w.periph.c);
    create(third.c);
    w.scheduler.advance(500);
    expect(third.named('LeConnectionComplete')[0]).toMatchObject({ status: 0, role: 0 });
    expect(w.periph.c.links.size).toBe(2);
    expect(new Set([...w.periph.c.links.keys()]).size).toBe(2);
  });

  it('a connection made from a random own address reports that address and type to the peripheral', () => {
    const w = world();
    advertise(w.periph.c);
    w.central.c.receive(encodeCommand('LeSetRandomAddress', { randomAddress: 'd4:00:00:00:00:09' }));
    create(w.central.c, 'c0:ff:ee:00:00:01', { ownAddressType: 1 });
    w.scheduler.advance(500);
    expect(w.periph.named('LeConnectionComplete')[0]).toMatchObject({ peerAddressType: 1, peerAddress: 'd4:00:00:00:00:09' });
  });

  it('property: random host bytes on a connected controller never throw; outputs stay valid H4', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 8 }), (chunks) => {
        const w = connect();
        for (const ch of chunks) {
          w.central.c.receive(Uint8Array.from([0x02, w.ch & 0xff, w.ch >> 8, ...ch]));
          w.scheduler.advance(10);
        }
        w.scheduler.advance(600);
        for (const e of w.central.errors) expect(e).toBeInstanceOf(InvalidPacketError);
        for (const n of [w.central, w.periph]) {
          const out = Uint8Array.from(n.raw.flatMap((b) => [...b]));
          expect(() => decodeH4Stream(out, { accept: ['event', 'acl'] })).not.toThrow();
        }
      }),
      { numRuns: 150 },
    );
  });

  it('property: decodeEvent on any code and parameters returns or throws InvalidPacketError, never anything else', () => {
    fc.assert(
      fc.property(fc.constantFrom(0x05, 0x0e, 0x0f, 0x13, 0x1a, 0x3e, 0xff), fc.uint8Array({ maxLength: 64 }), fc.constantFrom(0x01, 0x02, 0x03, 0x04, 0x0a, 0x00), (code, params, sub) => {
        const p = code === 0x3e && params.length > 0 ? Uint8Array.from([sub, ...params.subarray(1)]) : params;
        try {
          decodeEvent(code, p);
        } catch (e) {
          expect(e).toBeInstanceOf(InvalidPacketError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
