import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBtsnoop } from '../../../firmware/hci/btsnoop.ts';
import { H4Framer, InvalidPacketError, decodeH4Stream, encodeH4, type H4Packet } from '../../../firmware/hci/h4.ts';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));

/** Host->controller and controller->host byte streams of a recorded real bleno/noble start-up. */
function recordedStreams(name: string): { toController: Uint8Array; toHost: Uint8Array } {
  const { records } = parseBtsnoop(fixture(name));
  const cat = (xs: Uint8Array[]) => Uint8Array.from(xs.flatMap((x) => [...x]));
  return {
    toController: cat(records.filter((r) => r.hostToController).map((r) => r.packet)),
    toHost: cat(records.filter((r) => !r.hostToController).map((r) => r.packet)),
  };
}

function chunk(bytes: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let o = 0;
  let k = 0;
  while (o < bytes.length) {
    const n = sizes[k++ % sizes.length];
    out.push(bytes.subarray(o, o + n));
    o += n;
  }
  return out;
}

const packetArb: fc.Arbitrary<H4Packet> = fc.oneof(
  fc.record({ type: fc.constant('command' as const), opcode: fc.integer({ min: 0, max: 0xffff }), params: fc.uint8Array({ maxLength: 255 }) }),
  fc.record({ type: fc.constant('event' as const), code: fc.integer({ min: 0, max: 0xff }), params: fc.uint8Array({ maxLength: 255 }) }),
  fc.record({
    type: fc.constant('acl' as const),
    handle: fc.integer({ min: 0, max: 0x0fff }),
    flags: fc.integer({ min: 0, max: 0xf }),
    data: fc.uint8Array({ maxLength: 300 }),
  }),
);

describe('H4 framer', () => {
  it('decodes the exact Reset command and its Command Complete', () => {
    expect(decodeH4Stream(Uint8Array.from([0x01, 0x03, 0x0c, 0x00]))).toEqual([{ type: 'command', opcode: 0x0c03, params: new Uint8Array(0) }]);
    expect(decodeH4Stream(Uint8Array.from([0x04, 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00]))).toEqual([
      { type: 'event', code: 0x0e, params: Uint8Array.from([0x01, 0x03, 0x0c, 0x00]) },
    ]);
  });

  it('decodes an ACL packet with handle and PB/BC flags', () => {
    const [p] = decodeH4Stream(Uint8Array.from([0x02, 0x40, 0x20, 0x02, 0x00, 0xaa, 0xbb]));
    expect(p).toEqual({ type: 'acl', handle: 0x040, flags: 0x2, data: Uint8Array.from([0xaa, 0xbb]) });
  });

  it('rejects SCO (0x03) with the offset and hex, then resynchronises on the next packet', () => {
    const errors: InvalidPacketError[] = [];
    const f = new H4Framer((e) => errors.push(e));
    const got = f.push(Uint8Array.from([0x01, 0x03, 0x0c, 0x00, 0x03, 0x01, 0x03, 0x0c, 0x00]));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(InvalidPacketError);
    expect(errors[0].offset).toBe(4);
    expect(errors[0].message).toMatch(/SCO.*byte offset 4.*bytes 0301030c00/);
    // 0x03 was skipped; the following bytes parse as a Reset again.
    expect(got.map((p) => p.type)).toEqual(['command', 'command']);
  });

  it('names an unknown packet type in hex', () => {
    expect(() => decodeH4Stream(Uint8Array.from([0x01, 0x03, 0x0c, 0x00, 0x7f]))).toThrow(/unknown H4 packet type 0x7f at byte offset 4/);
  });

  it('rejects an event on the controller side and an ACL length above the maximum', () => {
    expect(() => decodeH4Stream(Uint8Array.from([0x04, 0x0e, 0x00]), { accept: ['command', 'acl'] })).toThrow(InvalidPacketError);
    expect(() => decodeH4Stream(Uint8Array.from([0x02, 0x01, 0x00, 0xff, 0xff]), { maxAcl: 1024 })).toThrow(/ACL length 65535 exceeds/);
  });

  it('reports a truncated tail as an InvalidPacketError', () => {
    expect(() => decodeH4Stream(Uint8Array.from([0x01, 0x03, 0x0c, 0x04, 0x00]))).toThrow(/truncated packet/);
  });

  it('property: random bytes in random chunks never throw and only report InvalidPacketError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1 }), (bytes, sizes) => {
        const errs: unknown[] = [];
        const f = new H4Framer((e) => errs.push(e));
        let consumed = 0;
        for (const c of chunk(bytes, sizes)) {
          f.push(c);
          consumed += c.length;
        }
        expect(f.offset).toBe(consumed);
        for (const e of errs) expect(e).toBeInstanceOf(InvalidPacketError);
        try {
          decodeH4Stream(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(InvalidPacketError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('property: encode -> decode round-trips any packet sequence under any chunking', () => {
    fc.assert(
      fc.property(fc.array(packetArb, { maxLength: 20 }), fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1 }), (packets, sizes) => {
        const bytes = Uint8Array.from(packets.flatMap((p) => [...encodeH4(p)]));
        const f = new H4Framer(() => {
          throw new Error('no error expected');
        });
        const got = chunk(bytes, sizes).flatMap((c) => f.push(c));
        expect(got).toEqual(packets);
        expect(f.idle).toBe(true);
        // and back to the same bytes
        expect(Uint8Array.from(got.flatMap((p) => [...encodeH4(p)]))).toEqual(bytes);
      }),
      { numRuns: 200 },
    );
  });

  for (const name of ['bleno-startup.btsnoop', 'noble-startup.btsnoop']) {
    it(`property: recorded ${name} streams give the same packets in random 1-9 byte chunks`, () => {
      const { toController, toHost } = recordedStreams(name);
      const whole = {
        toController: decodeH4Stream(toController, { accept: ['command', 'acl'] }),
        toHost: decodeH4Stream(toHost, { accept: ['event', 'acl'] }),
      };
      expect(whole.toController.length).toBeGreaterThan(10);
      expect(whole.toController[0]).toEqual({ type: 'command', opcode: 0x0c03, params: new Uint8Array(0) });
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 50 }), (sizes) => {
          for (const dir of ['toController', 'toHost'] as const) {
            const f = new H4Framer();
            const got = chunk(dir === 'toController' ? toController : toHost, sizes).flatMap((c) => f.push(c));
            expect(got).toEqual(whole[dir]);
          }
        }),
        { numRuns: 100 },
      );
    });
  }
});
