import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CsvError,
  observationReader,
  parseAll,
  truthReader,
  windowsReader,
  type TypedCsvReader,
} from '../../records/csv.ts';
import { OBSERVATION_CSV_HEADER, TRUTH_CSV_HEADER, WINDOWS_CSV_HEADER, formatObservationRow } from '../../records/rows.ts';

const H = OBSERVATION_CSV_HEADER;

function errorOf(text: string): CsvError {
  try {
    parseAll(observationReader('obs.csv'), text);
  } catch (e) {
    if (e instanceof CsvError) return e;
    throw e;
  }
  throw new Error('expected a CsvError');
}

describe('observation CSV reader', () => {
  it('reads rows, optional fields, quoted fields and CRLF line ends', () => {
    const text = `${H}\r\n1000,a,"b,""x""",-60,,Pixel 3,\r\n1000,a,b,-127,-24,,iPhone\r\n`;
    expect(parseAll(observationReader('o'), text)).toEqual([
      { timestampMs: 1000, receiver: 'a', transmitter: 'b,"x"', rssi: -60, receiverModel: 'Pixel 3' },
      { timestampMs: 1000, receiver: 'a', transmitter: 'b', rssi: -127, txPower: -24, transmitterModel: 'iPhone' },
    ]);
  });

  it('round-trips formatObservationRow, including a newline inside a quoted name', () => {
    const o = { timestampMs: 5, receiver: 'line\nbreak', transmitter: 't', rssi: -70, txPower: 4, receiverModel: 'm', transmitterModel: 'n' };
    expect(parseAll(observationReader('o'), `${H}\n${formatObservationRow(o)}\n`)).toEqual([o]);
  });

  it.each([
    ['wrong header', 'timestamp,receiver\n', 1, 1, /bad header/],
    ['bad number', `${H}\n1000,a,b,-6x,,,\n`, 2, 4, /rssi "-6x" is not an integer/],
    ['rssi out of range', `${H}\n1000,a,b,127,,,\n`, 2, 4, /out of range -127..20/],
    ['unsorted timestamp', `${H}\n2000,a,b,-60,,,\n1999,a,b,-60,,,\n`, 3, 1, /before the previous row's 2000/],
    ['wrong column count', `${H}\n1000,a,b,-60,,\n`, 3 - 1, 6, /6 columns, expected 7/],
    ['truncated last line', `${H}\n1000,a,b,-60,,,\n1001,a,b,-6`, 3, 4, /truncated last line/],
    ['empty receiver', `${H}\n1000,,b,-60,,,\n`, 2, 2, /receiver is empty/],
    ['bad tx power', `${H}\n1000,a,b,-60,1.5,,\n`, 2, 5, /tx_power/],
    ['stray quote', `${H}\n1000,a"b,b,-60,,,\n`, 2, 2, /quote/],
  ])('%s -> CsvError with line and column', (_name, text, line, column, msg) => {
    const e = errorOf(text);
    expect(e.line).toBe(line);
    expect(e.column).toBe(column);
    expect(e.message).toMatch(msg);
    expect(e.message).toMatch(new RegExp(`^obs\\.csv:${line}: column ${column}`));
  });

  it('reports an empty file and an unterminated quote', () => {
    expect(errorOf('').message).toMatch(/empty file/);
    expect(errorOf(`${H}\n1,"a,b,-60,,,\n`).message).toMatch(/unterminated quoted field/);
  });

  it('gives the same rows whatever the chunking', () => {
    const text = `${H}\r\n` + Array.from({ length: 50 }, (_, i) => `${i},"r,${i}",t,-${40 + i},,m,\r\n`).join('');
    const whole = parseAll(observationReader('o'), text);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 30 }), (sizes) => {
        const r = observationReader('o');
        const rows = [];
        let pos = 0;
        let k = 0;
        while (pos < text.length) {
          const n = sizes[k++ % sizes.length];
          rows.push(...r.feed(text.slice(pos, pos + n)));
          pos += n;
        }
        r.end();
        expect(rows).toEqual(whole);
      }),
      { numRuns: 100 },
    );
  });
});

describe('truth and windows readers', () => {
  it('reads truth rows and checks distances', () => {
    expect(parseAll(truthReader('t'), `${TRUTH_CSV_HEADER}\n1,a,b,1.5\n2,a,b,0\n`)).toEqual([
      { timestampMs: 1, receiver: 'a', transmitter: 'b', distanceM: 1.5 },
      { timestampMs: 2, receiver: 'a', transmitter: 'b', distanceM: 0 },
    ]);
    expect(() => parseAll(truthReader('t'), `${TRUTH_CSV_HEADER}\n1,a,b,-1\n`)).toThrow(/t:2: column 4 \(distance_m\): distance_m -1 is negative/);
  });
  it('reads windows rows and checks the contact flag and window bounds', () => {
    expect(parseAll(windowsReader('w'), `${WINDOWS_CSV_HEADER}\na,b,0,900000,3,-70.5,1.2,1\n`)).toEqual([
      { receiver: 'a', transmitter: 'b', windowStartMs: 0, windowEndMs: 900000, nObs: 3, score: -70.5, estDistanceM: 1.2, contact: true },
    ]);
    expect(() => parseAll(windowsReader('w'), `${WINDOWS_CSV_HEADER}\na,b,0,900000,3,-70.5,1.2,yes\n`)).toThrow(/column 8 \(contact\)/);
    expect(() => parseAll(windowsReader('w'), `${WINDOWS_CSV_HEADER}\na,b,5,5,3,-70.5,1.2,1\n`)).toThrow(/not after/);
  });
});

describe('readers never crash or hang on arbitrary bytes', () => {
  const readers: Array<[string, () => TypedCsvReader<unknown>, string]> = [
    ['observations', () => observationReader('x'), H],
    ['truth', () => truthReader('x'), TRUTH_CSV_HEADER],
    ['windows', () => windowsReader('x'), WINDOWS_CSV_HEADER],
  ];
  for (const [name, make, header] of readers) {
    it(`${name}: only CsvError, for random bytes and for mutated valid files`, () => {
      const decoder = new TextDecoder();
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), fc.integer({ min: 1, max: 64 }), (bytes, withHeader, chunk) => {
          const body = decoder.decode(bytes);
          const text = withHeader ? `${header}\n${body}` : body;
          const r = make();
          try {
            for (let i = 0; i < text.length; i += chunk) r.feed(text.slice(i, i + chunk));
            r.end();
          } catch (e) {
            if (!(e instanceof CsvError)) throw e;
            expect(e.line).toBeGreaterThanOrEqual(1);
          }
        }),
        { numRuns: 400 },
      );
    });
  }
});
