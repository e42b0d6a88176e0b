// Arbitrary (small) report inputs never crash the renderer, and text from the input never becomes markup.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderRunReport } from '../../report/index.ts';
import type { RunReportInput } from '../../report/types.ts';

const num = fc.oneof(fc.double({ min: -1e4, max: 1e4, noNaN: true }), fc.constantFrom(NaN, Infinity, -Infinity, 0, -0));
const name = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('<script>x</script>', '"a"&\'b\'', 'ü🙂', ''));
const pt = fc.record({ tMs: num, x: num, y: num });

const input: fc.Arbitrary<RunReportInput> = fc.record({
  title: name,
  scenario: fc.record({
    name,
    seed: fc.integer(),
    durationMs: num,
    devices: fc.dictionary(name, fc.integer({ min: 0, max: 1000 }), { maxKeys: 3 }),
    environment: name,
    figures: fc.array(fc.record({ label: name, value: fc.oneof(num, name), unit: fc.option(name, { nil: undefined }) }), { maxLength: 3 }),
  }),
  floorPlan: fc.record({
    rooms: fc.array(
      fc.oneof(
        fc.record({ name, x: num, y: num, width: num, height: num }),
        fc.record({ name, polygon: fc.array(fc.tuple(num, num), { minLength: 1, maxLength: 5 }) }),
      ),
      { maxLength: 3 },
    ),
    beacons: fc.array(fc.record({ name, x: num, y: num }), { maxLength: 2 }),
  }),
  tracks: fc.array(fc.record({ device: name, points: fc.array(pt, { maxLength: 6 }) }), { maxLength: 3 }),
  pairs: fc.array(
    fc.record({ receiver: name, transmitter: name, points: fc.array(fc.record({ tMs: num, rssiDbm: num, distanceM: num }), { maxLength: 6 }) }),
    { maxLength: 2 },
  ),
  scatter: fc.array(fc.record({ distanceM: num, rssiDbm: num }), { maxLength: 10 }),
  contacts: fc.array(
    fc.record({
      person: name,
      truth: fc.array(fc.record({ startMs: num, endMs: num }), { maxLength: 2 }),
      detected: fc.array(fc.record({ startMs: num, endMs: num }), { maxLength: 2 }),
    }),
    { maxLength: 3 },
  ),
  roc: fc.array(fc.record({ method: name, auc: num, points: fc.array(fc.record({ fpr: num, tpr: num }), { maxLength: 4 }) }), { maxLength: 2 }),
  metrics: fc.record({ columns: fc.array(name, { maxLength: 3 }), rows: fc.array(fc.dictionary(name, fc.oneof(num, name), { maxKeys: 3 }), { maxLength: 2 }) }),
});

describe('renderRunReport on arbitrary input', () => {
  it('never throws and never lets input text become markup', async () => {
    await fc.assert(
      fc.asyncProperty(input, async (inp) => {
        const r = await renderRunReport(inp);
        expect(r.html).toMatch(/^<!DOCTYPE html>/);
        expect(r.html).not.toContain('<script');
        for (const svg of Object.values(r.svgs)) {
          expect(svg.startsWith('<svg')).toBe(true);
          expect(svg).not.toContain('<script');
          expect(svg).not.toMatch(/NaN|Infinity/);
        }
      }),
      { numRuns: 12, seed: 42 },
    );
  });
});
