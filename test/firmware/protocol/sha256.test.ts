import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../firmware/protocol/hex.ts';
import { ShortSha256 } from '../../../firmware/protocol/sha256.ts';

describe('ShortSha256 (FIPS 180-4, one block)', () => {
  const h = new ShortSha256();
  it('known answers', () => {
    const out = new Uint8Array(32);
    h.digest(new TextEncoder().encode('abc'), 3, out);
    expect(toHex(out)).toBe('BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD');
    h.digest(new Uint8Array(0), 0, out);
    expect(toHex(out)).toBe('E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855');
  });
  it('equals node:crypto for every length 0..55, in place too', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 55 }), (m) => {
        const out = new Uint8Array(64);
        out.set(m);
        h.digest(out, m.length, out);
        expect(toHex(out.subarray(0, 32))).toBe(createHash('sha256').update(m).digest('hex').toUpperCase());
      }),
      { numRuns: 2_000 },
    );
    expect(() => h.digest(new Uint8Array(56), 56, new Uint8Array(32))).toThrow(/55 bytes/);
  });
});
