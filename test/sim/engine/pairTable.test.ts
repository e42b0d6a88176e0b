import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PairTable } from '../../../sim/engine/pairTable.ts';

describe('PairTable', () => {
  it('behaves like a Map under sets, gets and prunes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 1000 }), fc.boolean()), { maxLength: 400 }),
        (ops) => {
          const t = new PairTable(4);
          const m = new Map<number, number>();
          for (const [k, v, prune] of ops) {
            if (prune) {
              t.prune(v);
              for (const [mk, mv] of m) if (mv < v) m.delete(mk);
            } else {
              t.set(k, v);
              m.set(k, v);
            }
            expect(t.size).toBe(m.size);
          }
          for (const [k, v] of m) expect(t.get(k)).toBe(v);
          expect(t.get(2 ** 41)).toBeNaN();
        },
      ),
      { numRuns: 200 },
    );
  });
});
