// What the simulator's iOS GATT stage (sim/engine/connections.ts) costs: the same run with ios.gatt on and
// off, in alternation (A, B, A, B ...), medians and their ratio. With the stage on, the WASM engine hands
// every reception to AppLog instead of applying the logging rule itself.
//   npx tsx bench/simGatt.ts [--scenario lobby] [--devices 300] [--minutes 30] [--rounds 3] [--out] [--json]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runSimulation } from '../sim/run.ts';
import { loadScenario } from '../sim/scenario/load.ts';

const { values: a } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'lobby' },
    devices: { type: 'string', default: '300' },
    minutes: { type: 'string', default: '30' },
    rounds: { type: 'string', default: '3' },
    out: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});

const base = loadScenario(a.scenario!);
const median = (x: number[]) => [...x].sort((p, q) => p - q)[Math.floor(x.length / 2)];
const wall: Record<'on' | 'off', number[]> = { on: [], off: [] };
const obs: Record<'on' | 'off', number> = { on: 0, off: 0 };
for (let r = 0; r < Number(a.rounds); r++) {
  for (const mode of ['on', 'off'] as const) {
    const scenario = { ...base, ios: { ...base.ios, gatt: { ...base.ios.gatt, enabled: mode === 'on' } } };
    const dir = a.out ? mkdtempSync(join(tmpdir(), 'bz-bench-gatt-')) : undefined;
    const t = performance.now();
    const res = await runSimulation(scenario, { seed: 1, devices: Number(a.devices), durationMs: Number(a.minutes) * 60_000, outDir: dir, report: false });
    wall[mode].push(performance.now() - t);
    obs[mode] = res.stats.observations;
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
const out = {
  scenario: a.scenario, devices: Number(a.devices), minutes: Number(a.minutes), rounds: Number(a.rounds), outputs: a.out,
  median_ms_on: Math.round(median(wall.on)), median_ms_off: Math.round(median(wall.off)),
  ratio_on_off: Math.round((median(wall.on) / median(wall.off)) * 100) / 100,
  observations_on: obs.on, observations_off: obs.off,
};
if (a.json) console.log(JSON.stringify(out));
else console.log(`${out.scenario}, ${out.devices} devices, ${out.minutes} min, ${out.rounds} rounds${a.out ? ', with outputs' : ''}: ios.gatt on ${out.median_ms_on} ms, off ${out.median_ms_off} ms (median), ratio ${out.ratio_on_off}`);
