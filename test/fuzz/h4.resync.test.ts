// The H4 framer under garbage (issue 18 item 4): a run of bytes that cannot start a packet is one
// fault, and faults are reported at most once per FAULT_REPORT_SPACING bytes (the rest are counted).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FAULT_REPORT_SPACING, H4Framer, type InvalidPacketError } from '../../firmware/hci/h4.ts';

describe('H4 framer resynchronisation', () => {
  it('100 KB of 0xff is one fault naming the run, and a Reset after it is decoded', () => {
    const errs: InvalidPacketError[] = [];
    const f = new H4Framer((e) => errs.push(e), { accept: ['command', 'acl'] });
    const bytes = new Uint8Array(100_004).fill(0xff);
    bytes.set([0x01, 0x03, 0x0c, 0x00], 100_000);
    expect(f.push(bytes)).toEqual([{ type: 'command', opcode: 0x0c03, params: new Uint8Array(0) }]);
    expect(errs).toHaveLength(1);
    expect(errs[0].message).toBe('H4: unknown H4 packet type 0xff at byte offset 0 (bytes ffffffffffffffffffffffffffffffff); skipped 100000 bytes to the next possible packet start');
    expect(f.skipped).toBe(100_000);
  });

  it('property: reported faults <= 1 + bytes / spacing, all faults counted, offsets increase', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40_000 }), fc.integer({ min: 1, max: 5000 }), (bytes, step) => {
        const errs: InvalidPacketError[] = [];
        const f = new H4Framer((e) => errs.push(e), { accept: ['command', 'acl'] });
        for (let i = 0; i < bytes.length; i += step) f.push(bytes.subarray(i, i + step));
        expect(f.offset).toBe(bytes.length);
        expect(errs.length).toBeLessThanOrEqual(1 + Math.floor(bytes.length / FAULT_REPORT_SPACING));
        expect(errs.length + f.quietFaults).toBe(f.faults);
        for (let k = 1; k < errs.length; k++) expect(errs[k].offset - errs[k - 1].offset).toBeGreaterThanOrEqual(FAULT_REPORT_SPACING);
      }),
      { numRuns: 300 },
    );
  });
});
