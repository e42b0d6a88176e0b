import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DelimitedReadError,
  decodeMessage,
  encodeDelimited,
  encodeMessage,
  loadSchema,
  readDelimited,
  writeDelimited,
  type ObservationMsg,
} from '../../records/proto/index.ts';

const obs: ObservationMsg[] = [
  { timestampMs: 1596866191387, receiver: 'door', transmitter: 'B9A665D754FE65E665D76A45', rssi: -61, txPower: -15, receiverModel: 'rpi4', transmitterModel: 'pixel' },
  { timestampMs: 1596866191999, receiver: 'door', transmitter: 'phone-2', rssi: -90 },
];

describe('proto/bluezone.proto (package bluezone.v1)', () => {
  it('loads the schema: one message, the observation stream (sim run --format pb)', () => {
    const s = loadSchema();
    expect(s.Observation.fullName).toBe('.bluezone.v1.Observation');
    expect(Object.keys(s.root.lookup('bluezone.v1')!.toJSON().nested ?? {})).toEqual(['Observation']);
  });

  it('round-trips observations', () => {
    expect(decodeMessage('Observation', encodeMessage('Observation', obs[0]))).toEqual(obs[0]);
    expect(decodeMessage('Observation', encodeMessage('Observation', obs[1]))).toEqual(obs[1]);
  });

  it('refuses objects that do not fit, naming the field', () => {
    expect(() => encodeMessage('Observation', { ...obs[0], rssi: 'loud' as unknown as number })).toThrow(/Observation: rssi/);
  });

  it('length-delimited streams round-trip', () => {
    const bytes = writeDelimited('Observation', obs);
    expect(bytes[0]).toBe(encodeMessage('Observation', obs[0]).length);
    expect(readDelimited('Observation', bytes)).toEqual(obs);
    expect(readDelimited('Observation', new Uint8Array())).toEqual([]);
    const many = Array.from({ length: 300 }, (_, i) => ({ ...obs[0], timestampMs: obs[0].timestampMs + i, receiver: 'r'.repeat(i) }));
    expect(readDelimited('Observation', writeDelimited('Observation', many))).toEqual(many); // 2-byte varints
    const streamed = Uint8Array.from(many.flatMap((o) => [...encodeDelimited('Observation', o)]));
    expect(streamed).toEqual(writeDelimited('Observation', many));
    expect(() => writeDelimited('Observation', [obs[0], { ...obs[1], timestampMs: 'x' as unknown as number }])).toThrow(/Observation #1: timestampMs/);
  });

  it('truncated input gives a typed error with the byte offset', () => {
    const bytes = writeDelimited('Observation', obs);
    const first = bytes[0] + 1;
    try {
      readDelimited('Observation', bytes.subarray(0, bytes.length - 1));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DelimitedReadError);
      const d = e as DelimitedReadError;
      expect([d.code, d.offset, d.index, d.partial.length]).toEqual(['truncated-message', first, 1, 1]);
      expect(d.message).toContain(`at byte ${first}`);
    }
    expect(() => readDelimited('Observation', Uint8Array.of(0x80))).toThrow(expect.objectContaining({ code: 'truncated-length', offset: 0 }));
    expect(() => readDelimited('Observation', Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0x01))).toThrow(expect.objectContaining({ code: 'bad-length' }));
  });

  it('the delimited reader survives random bytes: messages or a DelimitedReadError, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.constant('Observation' as const), (b, t) => {
        try {
          readDelimited(t, b);
        } catch (e) {
          if (!(e instanceof DelimitedReadError)) throw e;
          expect(e.offset).toBeGreaterThanOrEqual(0);
          expect(e.offset).toBeLessThan(b.length);
        }
      }),
      { numRuns: 20_000 },
    );
  });
});
