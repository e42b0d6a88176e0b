// Scenario -> world: the people (mobility), their phones and the beacons as struct-of-arrays, each
// device's model, TX power and RSSI correction, and its link-layer schedule in integer microseconds.
// Pure function of (scenario, seed, scale): everything random is hash32(seed, salt, device, ...).
import { hash32, hashAbsorb, hashStart, uniform01 } from '../kernel/rng.ts';
import type { Scenario } from '../scenario/schema.ts';
import { Mobility, scaledCounts } from './mobility.ts';
import { ADV_LEN, APP_BLUEZONE, APP_GAEN, HOP_GAP_US, KIND_ANDROID, KIND_BEACON, KIND_IOS, airtimeUs } from './devices.ts';
import { pickModels } from './models.ts';

const SALT_ADV_DELAY = 0x61647664; // 'advd'
const SALT_ADV_PHASE = 0x61647670;
const SALT_SCAN_PHASE = 0x73636e70;
const SALT_CH = 0x6368616e;
const SALT_CARRIAGE = 0x63617272;
const SALT_PHONE = 0x70686f6e;
const SALT_GAEN = 0x6761656e; // 'gaen'

export const SCAN_NONE = 0;
/** A window every interval (Pi; Android inside its scan sessions). */
export const SCAN_PERIODIC = 1;
/** One window per period, start jittered (iOS coalesced background scanning). */
export const SCAN_IOS = 2;

/** Advertising schedule per device (integer microseconds). */
export interface AdvSchedule {
  intUs: Int32Array;
  /** On time of the Android on/off cycle; 0 = continuous. */
  onUs: Float64Array;
  cycleUs: Float64Array;
  phaseUs: Float64Array;
  /** hash32 prefix (seed, SALT_ADV_DELAY, device) of the per-event advDelay draw. */
  delayH: Uint32Array;
  /** Air time of one packet and of one 3-packet event. */
  airUs: Int32Array;
  evSpanUs: Int32Array;
  maxAir: number;
  maxEvSpan: number;
  /**
   * Every advertising schedule time (and the tick) is a whole number of microseconds: intervals are rounded,
   * durations are whole ms (units.ts parseDuration). The WASM engine's event draw and its u32 last-logged
   * offsets are exact only then.
   */
  wholeUs: boolean;
}

/** Scan schedule per device (integer microseconds). */
export interface ScanSchedule {
  mode: Uint8Array;
  winUs: Int32Array;
  intUs: Int32Array;
  onUs: Float64Array;
  cycleUs: Float64Array;
  phaseUs: Float64Array;
  jitUs: Int32Array;
  /** First channel offset (0-2) of the scanner's channel rotation. */
  chOff: Uint8Array;
}

export interface World {
  seed: number;
  startMs: number;
  durationMs: number;
  tickMs: number;
  mob: Mobility;
  nDev: number;
  /** KIND_ANDROID / KIND_IOS / KIND_BEACON; phones first, beacons last (firstBeacon..nDev-1). */
  kind: Uint8Array;
  /** The app per device (devices.ts APP_BLUEZONE = 0, beacons too; APP_GAEN = 1), from the group's `app`; sim/engine/appLog.ts. */
  app: Uint8Array;
  /** Person carrying the device, -1 for a beacon. */
  person: Int32Array;
  /** 0 hand, 1 pocket, 2 bag, 3 fixed (CARRIAGE_NAMES). */
  carriage: Uint8Array;
  names: string[];
  models: string[];
  firstBeacon: number;
  /** Positions of the beacons (devices firstBeacon..nDev-1), which stand still. */
  beaconX: Float32Array;
  beaconY: Float32Array;
  txPower: Float32Array;
  /** dB subtracted by the kernel on this device's receptions (its GAEN RSSI correction). */
  rxCorr: Float32Array;
  adv: AdvSchedule;
  scan: ScanSchedule;
}

export interface WorldOptions {
  seed?: number;
  durationMs?: number;
  /** Scale group sizes so that about this many phones take part. */
  devices?: number;
  /** Multiply group sizes (ignored when devices is set). */
  scale?: number;
}

function pickFraction(fr: Record<string, number>, keys: readonly string[], u: number): number {
  const total = keys.reduce((a, k) => a + (fr[k] ?? 0), 0);
  let acc = 0;
  for (let i = 0; i < keys.length; i++) {
    acc += (fr[keys[i]] ?? 0) / total;
    if (u < acc) return i;
  }
  return keys.length - 1;
}

/** The group scale that gives about `devices` phones. */
function scaleFor(scenario: Scenario, devices: number): number {
  const expected = scenario.groups.reduce((a, g) => {
    const f = g.phones;
    const tot = (f.android ?? 0) + (f.ios ?? 0) + (f.none ?? 0);
    return a + (g.count * ((f.android ?? 0) + (f.ios ?? 0))) / tot;
  }, 0);
  return expected > 0 ? devices / expected : 1;
}

export function buildWorld(scenario: Scenario, opts: WorldOptions = {}): World {
  const seed = (opts.seed ?? scenario.seed) >>> 0;
  const scale = opts.devices !== undefined ? scaleFor(scenario, opts.devices) : (opts.scale ?? 1);
  const counts = scaledCounts(scenario, scale);
  const mob = new Mobility(scenario, counts, seed);

  // people who carry a phone, then the beacons
  const kindL: number[] = [];
  const personL: number[] = [];
  const carriageL: number[] = [];
  const gaenL: number[] = [];
  const names: string[] = [];
  for (let p = 0; p < mob.n; p++) {
    const g = scenario.groups[mob.group[p]];
    const ph = pickFraction(g.phones, ['android', 'ios', 'none'], uniform01(hash32(seed, SALT_PHONE, p, 0, 0)));
    if (ph === 2) continue;
    kindL.push(ph === 0 ? KIND_ANDROID : KIND_IOS);
    personL.push(p);
    gaenL.push(g.app === 'gaen' ? APP_GAEN : APP_BLUEZONE);
    carriageL.push(pickFraction(g.carriage, ['hand', 'pocket', 'bag'], uniform01(hash32(seed, SALT_CARRIAGE, p, 0, 0))));
    const width = String(Math.max(1, counts[mob.group[p]] - 1)).length;
    names.push(`${g.name}-${String(mob.indexInGroup[p] + 1).padStart(width, '0')}`);
  }
  for (const b of scenario.beacons) {
    kindL.push(KIND_BEACON);
    personL.push(-1);
    gaenL.push(APP_BLUEZONE);
    carriageL.push(3);
    names.push(b.name);
  }
  const nDev = kindL.length;
  const kind = Uint8Array.from(kindL);
  const firstBeacon = nDev - scenario.beacons.length;
  const app = Uint8Array.from(gaenL);

  const models = pickModels(seed, kind);
  const txPower = new Float32Array(nDev);
  const rxCorr = new Float32Array(nDev);
  for (let d = 0; d < nDev; d++) {
    if (kind[d] === KIND_BEACON) txPower[d] = scenario.beacons[d - firstBeacon].txPowerDbm;
    else {
      txPower[d] = models.txPowerDbm[d];
      rxCorr[d] = models.rxLossDb[d];
    }
  }
  return {
    seed, startMs: Date.parse(scenario.start), durationMs: opts.durationMs ?? scenario.duration, tickMs: scenario.tick,
    mob, nDev, kind, app, person: Int32Array.from(personL), carriage: Uint8Array.from(carriageL), names, models: models.names,
    firstBeacon, beaconX: Float32Array.from(scenario.beacons, (b) => b.x), beaconY: Float32Array.from(scenario.beacons, (b) => b.y),
    txPower, rxCorr, ...schedules(scenario, seed, kind, firstBeacon, app),
  };
}

/** Link-layer schedules per device (integer microseconds). */
function schedules(scenario: Scenario, seed: number, kind: Uint8Array, firstBeacon: number, gaen: Uint8Array): { adv: AdvSchedule; scan: ScanSchedule } {
  const nDev = kind.length;
  const adv: AdvSchedule = {
    intUs: new Int32Array(nDev), onUs: new Float64Array(nDev), cycleUs: new Float64Array(nDev), phaseUs: new Float64Array(nDev),
    delayH: new Uint32Array(nDev), airUs: new Int32Array(nDev), evSpanUs: new Int32Array(nDev), maxAir: 0, maxEvSpan: 0, wholeUs: false,
  };
  const scan: ScanSchedule = {
    mode: new Uint8Array(nDev), winUs: new Int32Array(nDev), intUs: new Int32Array(nDev), onUs: new Float64Array(nDev),
    cycleUs: new Float64Array(nDev), phaseUs: new Float64Array(nDev), jitUs: new Int32Array(nDev), chOff: new Uint8Array(nDev),
  };
  const A = scenario.android;
  const I = scenario.ios;
  for (let d = 0; d < nDev; d++) {
    const k = kind[d];
    adv.airUs[d] = airtimeUs(ADV_LEN[k]);
    scan.chOff[d] = hash32(seed, SALT_CH, d, 0, 0) % 3;
    if (gaen[d] === 1) {
      // Exposure Notifications on either platform: continuous advertising at one interval in 200-270 ms,
      // 4 s scans at one period in 3.5-5 min per phone (scenario.gaen; the draws are per device, so
      // devices of other apps keep their schedules and outputs).
      const G = scenario.gaen;
      const u = (i: number) => uniform01(hash32(seed, SALT_GAEN, d, i, 0));
      adv.intUs[d] = Math.round((G.advIntervalMs[0] + u(1) * (G.advIntervalMs[1] - G.advIntervalMs[0])) * 1000);
      scan.mode[d] = SCAN_PERIODIC;
      scan.winUs[d] = Math.round(G.scanWindowMs * 1000);
      scan.intUs[d] = Math.round(G.scanIntervalMs * 1000);
      scan.onUs[d] = G.scanOnMs * 1000;
      scan.cycleUs[d] = Math.round(G.scanEveryMs[0] + u(2) * (G.scanEveryMs[1] - G.scanEveryMs[0])) * 1000;
    } else if (k === KIND_ANDROID) {
      // bluezone-protocol.md 2.1 (ADVERTISE_MODE_LOW_LATENCY = 100 ms, 15 s on / 15 s off) and 4.1
      // (SCAN_MODE_LOW_LATENCY, 40 s on / 260 s off).
      adv.intUs[d] = Math.round(A.advIntervalMs * 1000);
      adv.onUs[d] = A.advOnMs * 1000;
      adv.cycleUs[d] = (A.advOnMs + A.advOffMs) * 1000;
      scan.mode[d] = SCAN_PERIODIC;
      scan.winUs[d] = Math.round(A.scanWindowMs * 1000);
      scan.intUs[d] = Math.round(A.scanIntervalMs * 1000);
      scan.onUs[d] = A.scanOnMs * 1000;
      scan.cycleUs[d] = (A.scanOnMs + A.scanOffMs) * 1000;
    } else if (k === KIND_IOS) {
      // iOS advertises continuously (bluezone-protocol.md 2.3); background scanning is coalesced, a 100 ms
      // advertiser is reported every 2-4 s (radio-model.md 2.1): one short window per 2-4 s.
      adv.intUs[d] = Math.round(I.advIntervalMs * 1000);
      scan.mode[d] = SCAN_IOS;
      scan.winUs[d] = Math.round(I.scanWindowMs * 1000);
      const [lo, hi] = I.scanEveryMs;
      scan.intUs[d] = Math.round(((lo + hi) / 2) * 1000);
      // start jittered within +-(hi - lo)/4 of the slot centre, so consecutive windows are lo..hi apart
      scan.jitUs[d] = Math.round(((hi - lo) / 2) * 1000);
    } else {
      const b = scenario.beacons[d - firstBeacon];
      adv.intUs[d] = Math.round(b.intervalMs * 1000);
      scan.mode[d] = b.scan ? SCAN_PERIODIC : SCAN_NONE;
      scan.winUs[d] = Math.round(b.scanWindowMs * 1000);
      scan.intUs[d] = Math.round(b.scanIntervalMs * 1000);
    }
    if (adv.cycleUs[d] > 0) adv.phaseUs[d] = Math.floor(uniform01(hash32(seed, SALT_ADV_PHASE, d, 0, 0)) * adv.cycleUs[d]);
    const period = scan.cycleUs[d] > 0 ? scan.cycleUs[d] : scan.intUs[d];
    scan.phaseUs[d] = Math.floor(uniform01(hash32(seed, SALT_SCAN_PHASE, d, 0, 0)) * period);
    adv.delayH[d] = hashAbsorb(hashAbsorb(hashStart(seed), SALT_ADV_DELAY), d);
    adv.evSpanUs[d] = 3 * adv.airUs[d] + 2 * HOP_GAP_US;
    adv.maxAir = Math.max(adv.maxAir, adv.airUs[d]);
    adv.maxEvSpan = Math.max(adv.maxEvSpan, adv.evSpanUs[d]);
  }
  adv.wholeUs = [adv.onUs, adv.cycleUs, adv.phaseUs].every((a) => a.every(Number.isInteger)) && Number.isInteger(scenario.tick * 1000);
  return { adv, scan };
}
