// Contact truth over a large area (engine/truth.ts): devices sorted by 2 m cell instead of a grid of
// cells must give the same pairs, in the same order, with the same sums.
import { describe, expect, it } from 'vitest';
import { ContactTruth, truthGridSize } from '../../../sim/engine/truth.ts';
import type { ReceptionEngine, TickState } from '../../../sim/engine/types.ts';

// the engine lists no pairs itself (as above 2048 devices): ContactTruth scans
const engine = { truthPairs: () => null } as unknown as ReceptionEngine;

function run(widthM: number, nDev: number, dense: boolean) {
  const pairs: number[] = [];
  const truth = new ContactTruth(nDev, Date.UTC(2026, 2, 2, 23, 58), dense, widthM, widthM, {
    onTruthPair: (a, b, _n, t0ms) => pairs.push(a, b, t0ms),
  });
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const s: TickState = {
    x: new Float32Array(nDev), y: new Float32Array(nDev), heading: new Float32Array(nDev), hx: new Float32Array(nDev),
    hy: new Float32Array(nDev), active: new Uint8Array(nDev), wasActive: new Uint8Array(nDev), present: new Int32Array(nDev), nPresent: 0,
  };
  // a crowd in a 60 m square (many pairs within 2 m), some devices absent, over four minutes across midnight
  for (let tick = 0; tick < 240; tick++) {
    for (let d = 0; d < nDev; d++) {
      s.active[d] = rnd() < 0.9 ? 1 : 0;
      s.x[d] = 100 + 60 * rnd();
      s.y[d] = 3 + 60 * rnd();
    }
    truth.tick(tick * 1000, tick * 1e6, (tick + 1) * 1e6, s, engine);
  }
  return { pairs, contacts: truth.contacts(Array.from({ length: nDev }, (_, i) => `d${i}`)) };
}

describe('contact truth over a large area', () => {
  it('sorts devices by cell over 20 km x 20 km, and finds the same pairs as the grid of a 2 km block', () => {
    expect(truthGridSize(2000, 2000, 300).sparse).toBe(false);
    expect(truthGridSize(20_000, 20_000, 300).sparse).toBe(true);
    for (const dense of [true, false]) {
      const grid = run(2000, 300, dense);
      const sorted = run(20_000, 300, dense);
      expect(grid.pairs.length).toBeGreaterThan(3000);
      expect(sorted.pairs).toEqual(grid.pairs);
      expect(sorted.contacts).toEqual(grid.contacts);
      expect(new Set(grid.contacts.map((c) => c.day)).size).toBe(2);
    }
  });
});
