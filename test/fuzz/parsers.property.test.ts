// Property tests of every parser that reads outside input (issue 18): random bytes, random strings of
// each format's structural characters, and seeded mutations of valid inputs never crash a parser:
// it accepts or refuses with its documented error. ~10^5 cases per target (BZ_FUZZ_RUNS overrides);
// `npm run fuzz` runs 10^6 of each kind (scripts/fuzz.ts).
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { TARGETS, mutate, rng, type FuzzTarget } from '../../scripts/fuzz/targets.ts';

const RUNS = Number(process.env.BZ_FUZZ_RUNS ?? 100_000);

function inputs(t: FuzzTarget): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.uint8Array({ maxLength: 512 }),
    fc.array(fc.constantFrom(...t.alphabet), { maxLength: 512 }).map((a) => Uint8Array.from(a)),
    fc.integer().map((seed) => mutate(t, rng(seed))),
  );
}

describe('parsers never crash on hostile input', () => {
  for (const t of TARGETS) {
    const numRuns = Math.max(100, Math.round(RUNS * (t.share ?? 1)));
    it(`${t.name}: ${numRuns} cases`, { timeout: 600_000 }, () => {
      fc.assert(
        fc.property(inputs(t), (b) => t.run(b)),
        { numRuns, seed: 18 },
      );
    });
  }
});
