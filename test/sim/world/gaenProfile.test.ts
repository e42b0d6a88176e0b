// The per-group app profile (issue 15): groups with app "gaen" scan ~4 s every 3.5-5 min and advertise
// continuously every 200-270 ms; every other device keeps its schedule exactly.
import { describe, expect, it } from 'vitest';
import { BUILTIN_SCENARIOS } from '../../../sim/scenario/builtins.ts';
import { validateScenario } from '../../../sim/scenario/load.ts';
import { buildWorld } from '../../../sim/world/build.ts';

function lobby(gaenGroup: string | null) {
  const s = structuredClone(BUILTIN_SCENARIOS.lobby.scenario) as { groups: Array<{ name: string; app?: string }> };
  for (const g of s.groups) if (g.name === gaenGroup) g.app = 'gaen';
  return buildWorld(validateScenario(s, 'lobby'));
}

describe('app profiles', () => {
  const base = lobby(null);
  const group = base.names[0].replace(/-\d+$/, '');
  const w = lobby(group);
  const isG = (d: number) => d < w.firstBeacon && w.names[d].replace(/-\d+$/, '') === group;

  it('gaen phones scan 4 s every 3.5-5 min and advertise continuously every 200-270 ms', () => {
    let n = 0;
    for (let d = 0; d < w.nDev; d++) {
      if (!isG(d)) continue;
      n++;
      expect(w.scan.onUs[d]).toBe(4_000_000);
      expect(w.scan.cycleUs[d]).toBeGreaterThanOrEqual(210_000_000);
      expect(w.scan.cycleUs[d]).toBeLessThanOrEqual(300_000_000);
      expect(w.adv.intUs[d]).toBeGreaterThanOrEqual(200_000);
      expect(w.adv.intUs[d]).toBeLessThanOrEqual(270_000);
      expect(w.adv.cycleUs[d]).toBe(0);
    }
    expect(n).toBeGreaterThan(0);
    // periods differ between phones (drawn per device)
    const cycles = new Set([...Array(w.nDev).keys()].filter(isG).map((d) => w.scan.cycleUs[d]));
    expect(cycles.size).toBeGreaterThan(1);
  });

  it('every other device keeps its schedule, and the default is the Bluezone mix', () => {
    expect(w.names).toEqual(base.names);
    for (let d = 0; d < w.nDev; d++) {
      if (isG(d)) continue;
      for (const k of ['intUs', 'onUs', 'cycleUs', 'phaseUs'] as const) expect(w.adv[k][d]).toBe(base.adv[k][d]);
      for (const k of ['mode', 'winUs', 'intUs', 'onUs', 'cycleUs', 'phaseUs'] as const) expect(w.scan[k][d]).toBe(base.scan[k][d]);
    }
    expect(validateScenario(structuredClone(BUILTIN_SCENARIOS.lobby.scenario), 'lobby').groups.every((g) => g.app === 'bluezone')).toBe(true);
    expect(() => validateScenario({ ...structuredClone(BUILTIN_SCENARIOS.lobby.scenario), groups: [{ ...BUILTIN_SCENARIOS.lobby.scenario.groups![0], app: 'corona-warn' }] }, 'x')).toThrow(/app/);
  });
});
