// App profiles in the logging rule (issue 15, part 7; docs/simulator.md "App profiles"): GAEN phones log
// like GAEN (every reading of a scan, iPhone <-> iPhone heard, no GATT), Bluezone phones like Bluezone
// (5 s dedup, background iOS <-> iOS never, iPhones read over GATT), and the two apps never log each other.
// The WASM engine's copy of the rule (sim/kernel/assembly/resolve.ts) agrees with AppLog's, and runs stay
// byte-identical per seed and across --threads.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ruleClass, RULE_GAEN } from '../../../sim/engine/appLog.ts';
import { runSimulation, type RunOptions } from '../../../sim/run.ts';
import { loadScenario, parseScenarioText } from '../../../sim/scenario/load.ts';
import type { Scenario } from '../../../sim/scenario/schema.ts';
import { buildWorld } from '../../../sim/world/build.ts';
import { tempDirs } from '../../helpers/cli.ts';

const tmp = tempDirs('apps-');

// Seven chairs 1 m apart: one Bluezone Android and two Bluezone iPhones, one GAEN Android and two GAEN
// iPhones, all seated for the whole run; a scanning Bluezone Pi beacon 2.5 m from the row.
const MIXED = `
name: apps
start: "2026-03-02T08:00:00Z"
duration: 12m
environment: lobby
area: {width: 20, height: 10}
beacons:
  - {name: pi, x: 6.5, y: 2.5, intervalMs: 100, scan: true}
places:
  entrance: {point: [6, 9], jitterM: 0}
  chairs: {points: [[4, 5], [5, 5], [6, 5], [7, 5], [8, 5], [9, 5]]}
groups:
  - {name: bza, count: 1, phones: {android: 1}, carriage: {hand: 1}, arrive: {at: "+0s"}, plan: [{sit: chairs}]}
  - {name: bzi, count: 2, phones: {ios: 1}, carriage: {hand: 1}, arrive: {at: "+0s"}, plan: [{sit: chairs}]}
  - {name: ga, count: 1, app: gaen, phones: {android: 1}, carriage: {hand: 1}, arrive: {at: "+0s"}, plan: [{sit: chairs}]}
  - {name: gi, count: 2, app: gaen, phones: {ios: 1}, carriage: {hand: 1}, arrive: {at: "+0s"}, plan: [{sit: chairs}]}
`;
const mixed = parseScenarioText(MIXED, 'apps.yaml');
/** The same without the GATT model: the WASM engine then applies the rule itself (run.ts createEngine). */
const mixedNoGatt: Scenario = { ...mixed, ios: { ...mixed.ios, gatt: { ...mixed.ios.gatt, enabled: false } } };

const appOf = (name: string) => (name === 'pi' || name.startsWith('bz') ? 'bluezone' : 'gaen');

interface Row { t: number; rx: string; tx: string }
function rows(dir: string): Row[] {
  return readFileSync(join(dir, 'observations.csv'), 'utf8').trim().split('\n').slice(1).map((l) => {
    const f = l.split(',');
    return { t: Number(f[0]), rx: f[1], tx: f[2] };
  });
}
function files(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const f of readdirSync(dir, { recursive: true }) as string[]) {
    if (f !== 'timing.json' && statSync(join(dir, f)).isFile()) out.set(f, readFileSync(join(dir, f)));
  }
  return out;
}
function expectSameFiles(a: string, b: string, what: string): void {
  const fa = files(a), fb = files(b);
  expect([...fb.keys()].sort()).toEqual([...fa.keys()].sort());
  for (const [f, buf] of fa) expect(fb.get(f)!.equals(buf), `${f} differs: ${what}`).toBe(true);
}
async function run(s: Scenario, opts: RunOptions = {}) {
  const dir = tmp();
  const r = await runSimulation(s, { seed: 3, report: false, outDir: dir, ...opts });
  const ios = new Set(readFileSync(join(dir, 'devices.csv'), 'utf8').trim().split('\n').map((l) => l.split(',')).filter((f) => f[1] === 'ios').map((f) => f[0]));
  const rs = rows(dir);
  /** Rows of an iPhone hearing an iPhone. */
  const iosIos = rs.filter((x) => ios.has(x.rx) && ios.has(x.tx)).length;
  return { dir, r, rows: rs, iosIos };
}

/** The checks every GAEN-aware run must pass (each fails on the rule that treated every phone as Bluezone). */
function expectAppRule(rs: Row[]): void {
  // GAEN iPhones hear each other (the Exposure Notification framework scans in the background)
  expect(rs.filter((r) => r.rx.startsWith('gi') && r.tx.startsWith('gi')).length).toBeGreaterThan(10);
  // Bluezone iPhones still never do (bluezone-protocol.md 3.1)
  expect(rs.filter((r) => r.rx.startsWith('bzi') && r.tx.startsWith('bzi'))).toEqual([]);
  // different apps never log each other; each app logs its own kind of peers
  expect(rs.filter((r) => appOf(r.rx) !== appOf(r.tx))).toEqual([]);
  expect(rs.some((r) => r.rx === 'ga-1' && r.tx.startsWith('gi'))).toBe(true);
  expect(rs.some((r) => r.rx.startsWith('gi') && r.tx === 'ga-1')).toBe(true);
  expect(rs.some((r) => r.rx === 'bza-1' && r.tx === 'pi')).toBe(true);
}

describe('app profiles in the logging rule', () => {
  it('World.app marks GAEN phones; the WASM rule class is the kind without GAEN, 3 for GAEN phones', () => {
    const w = buildWorld(mixed);
    expect(w.names.map((n, d) => [n, w.app[d]])).toEqual(w.names.map((n) => [n, appOf(n) === 'gaen' ? 1 : 0]));
    const cls = ruleClass(w.kind, w.app);
    for (let d = 0; d < w.nDev; d++) expect(cls[d]).toBe(w.app[d] ? RULE_GAEN : w.kind[d]);
    const bz = buildWorld(loadScenario('lobby'));
    expect(ruleClass(bz.kind, bz.app)).toBe(bz.kind);
  });

  it('GAEN logs iPhone <-> iPhone and every reading of a scan; Bluezone does neither; the apps do not log each other', async () => {
    const { rows: rs } = await run(mixed);
    expectAppRule(rs);
    // Bluezone: a peer at most once per 5 s (bluezone-protocol.md 4.3); GAEN: many readings per 4 s scan
    const gaps = (app: string) => {
      const last = new Map<string, number>();
      const out: number[] = [];
      for (const r of rs) {
        if (appOf(r.rx) !== app) continue;
        const k = `${r.rx}>${r.tx}`;
        if (last.has(k)) out.push(r.t - last.get(k)!);
        last.set(k, r.t);
      }
      return out;
    };
    expect(gaps('bluezone').filter((g) => g < 5000)).toEqual([]);
    const g = gaps('gaen');
    expect(g.filter((x) => x < 1000).length).toBeGreaterThan(g.length / 2);
    // GAEN phones only log in their 4 s scans: no pair is heard over more than 4 s in a row
    // (readings of one scan are under 1 s apart; scans are 3.5-5 min apart)
    expect(g.every((x) => x < 4000 || x > 200_000)).toBe(true);
  }, 60_000);

  it('no GATT reads at GAEN iPhones, and a GAEN phone never reads anyone', async () => {
    const { r } = await run(mixed);
    const st = r.summary.ios_gatt as { readers: number; iphones: number; reads_ok: number; slots: { iphones_heard: number }[] };
    // readers: bza-1 and pi; iPhones to read: bzi-1, bzi-2
    expect([st.readers, st.iphones]).toEqual([2, 2]);
    expect(st.reads_ok).toBeGreaterThan(0);
    for (const s of st.slots) expect(s.iphones_heard).toBeLessThanOrEqual(2);
    // GAEN everywhere: nobody to read, no stage at all
    const all = structuredClone(loadScenario('lobby'));
    for (const gr of all.groups) gr.app = 'gaen';
    const g = await runSimulation(all, { seed: 2, durationMs: 4 * 60_000 });
    expect(g.summary.ios_gatt).toBeUndefined();
  }, 60_000);

  it('JS and WASM engines agree (the WASM engine applying the rule itself: no GATT stage)', async () => {
    for (const s of [mixedNoGatt, lobbyGaen()]) {
      const js = await run(s, { kernel: 'wasm', engine: 'js', scanWindows: true, durationMs: 20 * 60_000 });
      const wasm = await run(s, { kernel: 'wasm', engine: 'wasm', scanWindows: true, durationMs: 20 * 60_000 });
      expectSameFiles(js.dir, wasm.dir, `${s.name}: JS vs WASM engine`);
      expect(wasm.r.summary.ios_gatt).toBeUndefined();
      if (s === mixedNoGatt) expectAppRule(wasm.rows);
      else expect(wasm.iosIos).toBeGreaterThan(10);
    }
  }, 120_000);

  it('same seed, same bytes; --threads 1 and 2 write the same bytes (GAEN lobby)', async () => {
    const s = lobbyGaen();
    const a = await run(s, { durationMs: 20 * 60_000, threads: 1 });
    const b = await run(s, { durationMs: 20 * 60_000, threads: 1 });
    const c = await run(s, { durationMs: 20 * 60_000, threads: 2 });
    expectSameFiles(a.dir, b.dir, 'same seed');
    expectSameFiles(a.dir, c.dir, '--threads 2');
    expect(a.iosIos).toBeGreaterThan(10);
    const m1 = await run(mixed, { threads: 1 });
    const m2 = await run(mixed, { threads: 2 });
    expectSameFiles(m1.dir, m2.dir, 'mixed apps, --threads 2');
    expectAppRule(m2.rows);
  }, 120_000);
});

/** The built-in lobby with app gaen in every group (as docs/classifier.md's lobby-gaen). */
function lobbyGaen(): Scenario {
  const s = structuredClone(loadScenario('lobby'));
  for (const g of s.groups) g.app = 'gaen';
  return s;
}
