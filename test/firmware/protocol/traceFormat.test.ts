import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseContactLog } from '../../../firmware/protocol/contactLog.ts';
import { fromHex, toHex } from '../../../firmware/protocol/hex.ts';
import { TRACE_INFO_COLUMNS, TRACE_INFO_TABLE, formatTrace, formatTraceLine, parseTrace } from '../../../firmware/protocol/traceFormat.ts';

const A = 'B9A665D754FE65E665D76A45';
const B = '7C3DEC4246EA6F90E38EA254';

describe('data_trace.txt (bluezone-protocol.md 6.2)', () => {
  it('writes HEX TAB HEX TAB rssi TAB timestamp LF in upper case', () => {
    expect(formatTraceLine({ own: fromHex(A.toLowerCase()), contact: fromHex(B), rssi: -53, timestamp: 1596866191387 })).toBe(
      `${A}\t${B}\t-53\t1596866191387\n`,
    );
  });

  it('round-trips rows', () => {
    const rows = [
      { own: fromHex(A), contact: fromHex(B), rssi: -77, timestamp: 1596866191387 },
      { own: fromHex(B), contact: fromHex(A), rssi: -53, timestamp: 1596866191 },
    ];
    const p = parseTrace(formatTrace(rows));
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(p.log.length).toBe(2);
    expect(toHex(p.log.contactIds.subarray(12, 24))).toBe(A);
    expect(toHex(p.log.ownIds!.subarray(0, 12))).toBe(A);
    expect([...p.log.timestamps]).toEqual([1596866191387, 1596866191]);
    expect([...p.log.rssi]).toEqual([-77, -53]);
    expect([...p.log.lines]).toEqual([1, 2]);
  });

  it('tolerates CRLF and blank lines; skips Classic-BT rows with no contact', () => {
    const p = parseTrace(`${A}\t${B}\t-60\t1\r\n\n${A}\t\t-60\t2\n`);
    expect(p.ok && [p.log.length, p.log.skipped, p.log.lines[0]]).toEqual([1, 1, 1]);
  });

  it.each([
    [`${A}\t${B}\t-60\n`, 1, '(line)'],
    [`${A}\t${B}\t-60\t1\n${A}x\t${B}\t-60\t1\n`, 2, 'own'],
    [`${A}\t${B.slice(2)}\t-60\t1\n`, 1, 'contact'],
    [`${A}\t${B}\tloud\t1\n`, 1, 'rssi'],
    [`${A}\t${B}\t-60\tyesterday\n`, 1, 'timestamp'],
  ])('names line and field of bad input (%#)', (text, line, field) => {
    const p = parseTrace(text);
    expect(p.ok).toBe(false);
    if (!p.ok) {
      expect(p.error).toMatchObject({ line, field });
      expect(p.error.message).toMatch(new RegExp(`^line ${line}, field ${field.replace(/[()]/g, '\\$&')}:`));
    }
  });

  it('trace_info column names (4.4)', () => {
    expect(TRACE_INFO_TABLE).toBe('trace_info');
    expect(Object.values(TRACE_INFO_COLUMNS)).toEqual(['_id', 'blid', 'blid_contact', 'macid', 'rssi', 'tx_power', 'state', 'timestamp']);
  });

  it('log readers never throw on arbitrary text', () => {
    const alphabet = fc.constantFrom(...'0123456789ABCDEFabcdef\t\n\r,"- x'.split(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: alphabet, maxLength: 200 }), fc.string({ maxLength: 200 })), fc.boolean(), (s, csv) => {
        const text = csv ? `timestamp_ms,receiver,transmitter,rssi,tx_power,receiver_model,transmitter_model\n${s}` : s;
        const r = parseContactLog(text).result;
        if (!r.ok) expect(r.error.line).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 5_000 },
    );
  });
});
