// The simulator's iOS GATT stage (sim/engine/connections.ts): readers log an iPhone only once they have read
// its ID, one read at a time, cached per slot, blind while connected; deterministic whatever the delivery
// order; and in whole runs the observations of iPhones match the reads the summary reports.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GattStage, iosGattLine, type GattOut, type IosGattParams } from '../../sim/engine/connections.ts';
import { runSimulation } from '../../sim/run.ts';
import { loadScenario } from '../../sim/scenario/load.ts';
import type { Scenario } from '../../sim/scenario/schema.ts';
import { KIND_ANDROID, KIND_BEACON, KIND_IOS } from '../../sim/world/devices.ts';
import { tempDirs } from '../helpers/cli.ts';

const tmp = tempDirs('bz-gatt-');
const P: IosGattParams = { enabled: true, connectChance: 1, answerChance: 1, timeoutMs: 10_000, readMs: [200, 200], connIntervalMs: 7.5 };
// 0: Android reader, 1: iPhone, 2: iPhone, 3: Android transmitter, 4: beacon reader
const KIND = Uint8Array.of(KIND_ANDROID, KIND_IOS, KIND_IOS, KIND_ANDROID, KIND_BEACON);
const START = Date.parse('2026-03-02T07:59:00Z');
const ADV_US = 211_250;
const S = 1_000_000;

type Ev = [kind: 'rx' | 'read', rx: number, tx: number, tUs: number, p: number];

function recorder(): { out: GattOut; ev: Ev[] } {
  const ev: Ev[] = [];
  return {
    ev,
    out: {
      reception: (rx, tx, t, p) => ev.push(['rx', rx, tx, t, p]),
      read: (rx, tx, t, p) => ev.push(['read', rx, tx, t, p]),
    },
  };
}

/** Feeds receptions [rx, tx, tUs, rssi] tick by tick (1 s ticks), in the given order within a tick. */
function drive(stage: GattStage, recs: [number, number, number, number][], untilUs: number): Ev[] {
  const { out, ev } = recorder();
  for (let t0 = 0; t0 < untilUs; t0 += S) {
    for (const [rx, tx, t, p] of recs) if (t >= t0 && t < t0 + S) stage.add(rx, tx, t, p, t0, t0 + S, 1);
    stage.flush(t0 + S, out);
  }
  return ev;
}

describe('GattStage', () => {
  it('an iPhone is logged only after its ID is read, from the cache afterwards, read again in the next slot; the scanner is blind meanwhile', () => {
    const st = new GattStage(P, KIND, 7, START, 120_000, 211.25);
    const ev = drive(st, [
      [0, 1, 100_000, -60], // trigger: nothing logged
      [0, 3, 150_000, -70], // Android advert before CONNECT_IND: logged
      [0, 3, 400_000, -71], // during the connection: lost
      [0, 1, 450_000, -61], // during the connection: lost
      [0, 1, 2_000_000, -62], // cached: logged
      [0, 1, 61_000_000, -63], // 08:00:01, a new slot: read again
      [0, 1, 65_000_000, -64], // cached in the new slot
    ], 70 * S);
    const conn = (t: number) => ev.find((e) => e[0] === 'read' && e[3] > t)![3];
    const r1 = conn(0);
    // CONNECT_IND after the iPhone's next advert (+ advDelay < 10 ms), then 200 ms of read
    expect(r1 - 100_000 - ADV_US - 200_000).toBeGreaterThanOrEqual(0);
    expect(r1 - 100_000 - ADV_US - 200_000).toBeLessThan(10_000);
    expect(ev).toEqual([
      ['rx', 0, 3, 150_000, -70],
      ['read', 0, 1, r1, -60], // the triggering advert's RSSI (bluezone-protocol.md 3.1)
      ['rx', 0, 1, 2_000_000, -62],
      ['read', 0, 1, conn(2_000_000), -63],
      ['rx', 0, 1, 65_000_000, -64],
    ]);
    expect(st.stats.receptions_lost_while_connected).toEqual({ android: 1, ios: 1, beacon: 0 });
    expect([st.stats.reads_attempted, st.stats.reads_ok, st.stats.cached_receptions]).toEqual([2, 2, 2]);
    const sum = st.summary() as { slots: unknown[]; scanner_blind_ms: number };
    expect(sum.slots).toEqual([
      { slot_start: '2026-03-02T07:45:00.000Z', iphones_heard: 1, iphones_read: 1, pairs_heard: 1, pairs_read: 1 },
      { slot_start: '2026-03-02T08:00:00.000Z', iphones_heard: 1, iphones_read: 1, pairs_heard: 1, pairs_read: 1 },
    ]);
    expect(sum.scanner_blind_ms).toBe(400);
    expect(iosGattLine(sum)).toMatch(/^iOS GATT reads: 2 of 2 ok .* 2 of 2 \(reader, iPhone, slot\) IDs obtained; 1 Android\/beacon and 1 iOS receptions lost/);
  });

  it('one read at a time: a second iPhone heard while the first is read waits for an advert after the read', () => {
    const st = new GattStage(P, KIND, 7, START, 60_000, 211.25);
    const ev = drive(st, [
      [0, 1, 100_000, -60],
      [0, 2, 120_000, -65], // before CONNECT_IND, but the reader is busy: no second read
      [0, 2, 900_000, -66], // after the first read: its read starts
      [0, 2, 3_000_000, -67],
    ], 4 * S);
    expect(ev.map((e) => [e[0], e[2]])).toEqual([['read', 1], ['read', 2], ['rx', 2]]);
    expect(ev[1][4]).toBe(-66);
  });

  it('a peer that never answers costs the 10 s timeout; the beacon then leaves it alone for a minute, Android retries at once', () => {
    const mute = { ...P, answerChance: 0 };
    const recs: [number, number, number, number][] = [];
    for (let t = 0; t < 80 * S; t += S / 2) recs.push([0, 1, t + 1000, -60], [4, 1, t + 2000, -60], [4, 3, t + 3000, -60]);
    const st = new GattStage(mute, KIND, 7, START, 80_000, 211.25);
    const ev = drive(st, recs, 80 * S);
    expect(ev.filter((e) => e[0] === 'read')).toEqual([]);
    // Android: a read every ~10 s (timeout, then the next advert); the beacon: 10 s + 60 s pause, so 2
    expect(st.stats.timeouts).toBe(8 + 2);
    // the beacon hears the Android phone only outside its two 10 s connections
    const beaconHeard = ev.filter((e) => e[1] === 4 && e[2] === 3).length;
    expect(st.stats.receptions_lost_while_connected.android).toBe(160 - beaconHeard);
    expect(160 - beaconHeard).toBeGreaterThan(35);
    expect(160 - beaconHeard).toBeLessThan(41);
  });

  it('the same outcome whatever order the engine delivers a tick in, and another seed draws differently', () => {
    const p = { ...P, connectChance: 0.6, answerChance: 0.8, readMs: [112, 420] as [number, number] };
    const recs: [number, number, number, number][] = [];
    for (let t = 0; t < 600 * S; t += 150_000) for (const rx of [0, 4]) for (const tx of [1, 2, 3]) recs.push([rx, tx, t + tx * 7 + rx, -60 - tx]);
    const a = drive(new GattStage(p, KIND, 3, START, 600_000, 211.25), recs, 600 * S);
    const b = drive(new GattStage(p, KIND, 3, START, 600_000, 211.25), [...recs].reverse(), 600 * S);
    const c = drive(new GattStage(p, KIND, 4, START, 600_000, 211.25), recs, 600 * S);
    const sort = (e: Ev[]) => [...e].sort((x, y) => x[3] - y[3] || x[1] - y[1] || x[2] - y[2]);
    expect(sort(b)).toEqual(sort(a));
    expect(sort(c)).not.toEqual(sort(a));
    expect(a.filter((e) => e[0] === 'read').length).toBeGreaterThan(2);
  });

  it('readers split over stages (--threads shards) merge into the summary of one stage', () => {
    const p = { ...P, connectChance: 0.7, answerChance: 0.8, readMs: [112, 420] as [number, number] };
    const recs: [number, number, number, number][] = [];
    // 20 min from 07:59: three slots; both readers hear both iPhones, so the slots' iPhones heard and read overlap across shards
    for (let t = 0; t < 1200 * S; t += 170_000) for (const rx of [0, 4]) for (const tx of [1, 2, 3]) recs.push([rx, tx, t + tx * 7 + rx, -60 - tx]);
    const one = new GattStage(p, KIND, 3, START, 1_200_000, 211.25);
    drive(one, recs, 1200 * S);
    const main = new GattStage(p, KIND, 3, START, 1_200_000, 211.25);
    const shard = new GattStage(p, KIND, 3, START, 1_200_000, 211.25);
    drive(main, recs.filter((r) => r[0] === 0), 1200 * S);
    drive(shard, recs.filter((r) => r[0] === 4), 1200 * S);
    // through JSON, as a giant run's shard sends it
    main.merge(JSON.parse(JSON.stringify(shard.partial())));
    const sum = one.summary() as unknown as { slots: unknown[]; reads_attempted: number; scanner_blind_ms: number };
    expect(sum.slots.length).toBe(3);
    expect(sum.reads_attempted).toBeGreaterThan(4);
    expect(sum.scanner_blind_ms).toBeGreaterThan(0);
    expect(main.summary()).toEqual(one.summary());
  });
});

function queue(gatt?: Partial<IosGattParams>): Scenario {
  const s = loadScenario('queue');
  return { ...s, ios: { ...s.ios, gatt: { ...s.ios.gatt, ...gatt } } };
}

describe('iOS GATT reads in a run', () => {
  it('every (reader, iPhone, slot) in observations.csv is a read the summary counts, and the run is deterministic', async () => {
    const opts = { seed: 5, durationMs: 4 * 60_000, report: false, classify: false };
    const d1 = tmp();
    const r1 = await runSimulation(queue(), { ...opts, outDir: d1 });
    const g = r1.summary.ios_gatt as { slots: { pairs_read: number }[]; reads_ok: number; receptions_lost_while_connected: Record<string, number> };
    expect(g.reads_ok).toBeGreaterThan(5);
    const kinds = new Map(readFileSync(join(d1, 'devices.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').slice(0, 2) as [string, string]));
    const triples = new Set<string>();
    for (const l of readFileSync(join(d1, 'observations.csv'), 'utf8').trim().split('\n').slice(1)) {
      const [ts, rx, tx] = l.split(',');
      if (kinds.get(tx) === 'ios' && kinds.get(rx) !== 'ios') triples.add(`${rx}/${tx}/${Math.floor(Number(ts) / 900_000)}`);
    }
    expect(triples.size).toBe(g.slots.reduce((a, s) => a + s.pairs_read, 0));
    const d2 = tmp();
    await runSimulation(queue(), { ...opts, outDir: d2, engine: 'js' });
    for (const f of ['observations.csv', 'summary.json', 'truth.csv']) expect(readFileSync(join(d2, f)).equals(readFileSync(join(d1, f))), `${f}: WASM engine vs JS engine`).toBe(true);
    // switched off: no ios_gatt block, and iPhones are logged at every advert again
    const d3 = tmp();
    const off = await runSimulation(queue({ enabled: false }), { ...opts, outDir: d3 });
    expect(off.summary.ios_gatt).toBeUndefined();
    expect(off.stats.observations).toBeGreaterThan(r1.stats.observations);
  }, 120_000);

  it('with the model off the WASM engine applies the logging rule itself (iOS rules included), as the JS path does', async () => {
    // with iPhones and the stage on, the rule runs in AppLog; this keeps the in-module rule covered on a crowd with iPhones
    const s = loadScenario('lobby');
    const off: Scenario = { ...s, ios: { ...s.ios, gatt: { ...s.ios.gatt, enabled: false } } };
    const opts = { seed: 4, devices: 60, durationMs: 4 * 60_000, report: false, classify: false };
    const a = tmp();
    const b = tmp();
    const wasm = await runSimulation(off, { ...opts, outDir: a, engine: 'wasm' });
    await runSimulation(off, { ...opts, outDir: b, engine: 'js' });
    expect(wasm.stats.engine).toBe('wasm');
    expect(wasm.stats.devices.ios).toBeGreaterThan(0);
    expect(wasm.stats.observations).toBeGreaterThan(50);
    for (const f of ['observations.csv', 'summary.json']) expect(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), f).toBe(true);
  }, 60_000);

  it('a crowd without iPhones runs no stage: outputs identical with the model on and off', async () => {
    const s = loadScenario('queue');
    const noIos = (enabled: boolean): Scenario => ({ ...s, groups: s.groups.map((g) => ({ ...g, phones: { android: 1 } })), ios: { ...s.ios, gatt: { ...s.ios.gatt, enabled } } });
    const opts = { seed: 2, durationMs: 60_000, report: false };
    const a = tmp();
    const b = tmp();
    const ra = await runSimulation(noIos(true), { ...opts, outDir: a });
    await runSimulation(noIos(false), { ...opts, outDir: b });
    expect(ra.stats.devices.ios).toBe(0);
    expect(ra.summary.ios_gatt).toBeUndefined();
    for (const f of ['observations.csv', 'summary.json', 'windows.csv']) expect(readFileSync(join(a, f)).equals(readFileSync(join(b, f)))).toBe(true);
  }, 60_000);
});
