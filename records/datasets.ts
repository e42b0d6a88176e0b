/**
 * Loaders for the real RSSI data sets the channel model is fitted to (given with --data DIR or BLUEZONE_DATA; see docs/channel-fit.md and each folder's
 * README): herald-edison (RSSI vs distance, robot), pc-ng-rss-smartphone (people, hand/pocket/bag),
 * mitll-static-configs (body rotation at 1.83 m). Every reading becomes one RealSample carrying the
 * geometry the simulator needs to reproduce it. Malformed rows raise DataFileError(file, line).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DataFileError } from './errors.ts';
import { splitCsvRecord } from './csv.ts';

/** How a phone is carried (the data sets' and the channel model's vocabulary). */
export type Carriage = 'hand' | 'pocket' | 'bag' | 'fixed';

/**
 * The data-set folder: --data DIR, else $BLUEZONE_DATA. Real data sets are optional inputs the user
 * gives; the product never looks for them beside the repo.
 */
export function dataDirFrom(opt: string | undefined): string {
  const dir = opt ?? process.env.BLUEZONE_DATA;
  if (!dir) throw new DataFileError('--data', 0, 'no data folder given: pass --data DIR or set BLUEZONE_DATA (a folder with herald-edison, pc-ng-rss-smartphone, mitll-static-configs)');
  return dir;
}

export type Dataset = 'herald' | 'pcng' | 'mitll';

/** Where a phone sits on its carrier; bearing is measured from the carrier's facing direction. */
export interface Carry {
  carriage: Carriage;
  /** placement of the phone around the body (rad): 0 front, pi back, +pi/2 left, -pi/2 right */
  placementRad: number;
  /** bearing of the peer relative to the carrier's facing direction (rad) */
  angleToPeerRad: number;
}

export interface RealGroup {
  dataset: Dataset;
  /** file (and direction) the readings come from */
  name: string;
  txPhone: string;
  rxPhone: string;
  tx: Carry;
  rx: Carry;
  /** environment label (mitll) */
  env: string;
  split: 'train' | 'test';
  distM: Float32Array;
  /** reception time (ms, any origin; used for shadowing epochs) */
  tMs: Float64Array;
  rssi: Float32Array;
  /** distance-bin label for reporting */
  bin: string[];
}

const FIXED: Carry = { carriage: 'fixed', placementRad: 0, angleToPeerRad: 0 };

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new DataFileError(file, 0, `cannot read: ${(e as Error).message}`);
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch (e) {
    throw new DataFileError(dir, 0, `cannot list directory: ${(e as Error).message}`);
  }
}

/** Keeps at most `cap` of `n` items, evenly spaced (deterministic subsampling). */
export function strideIndices(n: number, cap: number): number[] {
  if (n <= cap) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  for (let k = 0; k < cap; k++) out.push(Math.floor(((k + 0.5) * n) / cap));
  return out;
}

/** Subsampling keeps whole 30 s windows (fit.ts WINDOW_MS) so window medians stay meaningful. */
const KEEP_WINDOW_MS = 30_000;

function finishGroup(g: Omit<RealGroup, 'distM' | 'tMs' | 'rssi' | 'bin'>, rows: { d: number; t: number; r: number; bin: string }[], capPerBin: number): RealGroup {
  const byBin = new Map<string, (typeof rows)[]>();
  let lastKey = '';
  let cur: typeof rows = [];
  for (const row of rows) {
    const key = `${row.bin}|${Math.floor(row.t / KEEP_WINDOW_MS)}`;
    if (key !== lastKey) {
      lastKey = key;
      cur = [];
      let wins = byBin.get(row.bin);
      if (!wins) byBin.set(row.bin, (wins = []));
      wins.push(cur);
    }
    cur.push(row);
  }
  const kept: typeof rows = [];
  for (const wins of byBin.values()) {
    let total = 0;
    for (const w of wins) total += w.length;
    if (total <= capPerBin) {
      for (const w of wins) kept.push(...w);
      continue;
    }
    // evenly spaced windows until the cap is reached
    const avg = total / wins.length;
    const nWin = Math.max(1, Math.min(wins.length, Math.round(capPerBin / avg)));
    let got = 0;
    for (const i of strideIndices(wins.length, nWin)) {
      if (got >= capPerBin) break;
      kept.push(...wins[i]);
      got += wins[i].length;
    }
  }
  return {
    ...g,
    distM: Float32Array.from(kept, (x) => x.d),
    tMs: Float64Array.from(kept, (x) => x.t),
    rssi: Float32Array.from(kept, (x) => x.r),
    bin: kept.map((x) => x.bin),
  };
}

// ---------------------------------------------------------------- herald-edison

/** 25 cm bins over 0-350 cm (herald README: distances 0-350 cm, casing to casing). */
const binCache = new Map<number, string>();
export function heraldBin(cm: number): string {
  let b = binCache.get(cm);
  if (b === undefined) binCache.set(cm, (b = heraldBinUncached(cm)));
  return b;
}
function heraldBinUncached(cm: number): string {
  const lo = Math.min(13, Math.floor(cm / 25)) * 25;
  return `${(lo / 100).toFixed(2)}-${((lo + 25) / 100).toFixed(2)}`;
}

let lastDay = '';
let lastDayMs = NaN;
const d2 = (s: string, i: number) => (s.charCodeAt(i) - 48) * 10 + (s.charCodeAt(i + 1) - 48);
/** 'YYYY-MM-DD HH:MM:SS' on a local clock, read as UTC (only differences matter); NaN if malformed. */
function parseLocalTime(s: string): number {
  if (s.length !== 19 || s[10] !== ' ' || s[13] !== ':' || s[16] !== ':') return NaN;
  const day = s.slice(0, 10);
  if (day !== lastDay) {
    lastDay = day;
    lastDayMs = /^\d{4}-\d{2}-\d{2}$/.test(day) ? Date.parse(day + 'T00:00:00Z') : NaN;
  }
  const h = d2(s, 11);
  const m = d2(s, 14);
  const sec = d2(s, 17);
  if (!(h >= 0 && h < 24 && m >= 0 && m < 60 && sec >= 0 && sec < 61)) return NaN;
  return lastDayMs + ((h * 60 + m) * 60 + sec) * 1000;
}

export function loadHerald(dir: string, capPerBin: number): RealGroup[] {
  const hdir = join(dir, 'herald-edison');
  const meta = readText(join(hdir, 'metadata.csv')).split(/\r?\n/);
  const phones = new Map<string, [string, string]>(); // file -> [phone A, phone B]
  const mh = splitCsvRecord(meta[0]);
  const ia = mh.indexOf('phoneaname');
  const ib = mh.indexOf('phonebname');
  const ifa = mh.indexOf('filenamephonea');
  const ifb = mh.indexOf('filenamephoneb');
  if (ia < 0 || ib < 0 || ifa < 0 || ifb < 0) throw new DataFileError(join(hdir, 'metadata.csv'), 1, 'missing phoneaname/phonebname/filenamephonea/filenamephoneb columns');
  for (let ln = 1; ln < meta.length; ln++) {
    if (!meta[ln].trim()) continue;
    const f = splitCsvRecord(meta[ln]);
    for (const fi of [ifa, ifb]) if (f[fi]) phones.set(f[fi], [f[ia], f[ib]]);
  }
  // herald README "Caveats": metadata.csv has no row for test 20210315; upstream README: A = S9+, B = P2
  for (const s of ['A', 'B']) if (!phones.has(`20210315-1040-${s}.csv`)) phones.set(`20210315-1040-${s}.csv`, ['S9+', 'P2']);

  const groups: RealGroup[] = [];
  for (const name of listDir(hdir)) {
    const m = /^(\d{8}-\d{4})-([AB])\.csv$/.exec(name);
    if (!m) continue;
    const file = join(hdir, name);
    const ab = phones.get(name);
    if (!ab) throw new DataFileError(file, 0, 'file not listed in metadata.csv: cannot tell which phones made it');
    const rxPhone = m[2] === 'A' ? ab[0] : ab[1];
    const txPhone = m[2] === 'A' ? ab[1] : ab[0];
    const lines = readText(file).split('\n');
    if (!/^time,rssi,distance\r?$/.test(lines[0])) throw new DataFileError(file, 1, `expected header 'time,rssi,distance', got '${lines[0].slice(0, 60)}'`);
    const rows: { d: number; t: number; r: number; bin: string }[] = [];
    for (let ln = 1; ln < lines.length; ln++) {
      const line = lines[ln];
      if (line.length < 2) continue;
      const c1 = line.indexOf(',');
      const c2 = line.indexOf(',', c1 + 1);
      if (c1 < 0 || c2 < 0) throw new DataFileError(file, ln + 1, 'expected 3 fields time,rssi,distance');
      const t = parseLocalTime(line.slice(0, c1));
      const r = Number(line.slice(c1 + 1, c2));
      const cm = Number(line.slice(c2 + 1));
      if (!Number.isFinite(t)) throw new DataFileError(file, ln + 1, `field 'time' is not YYYY-MM-DD HH:MM:SS: '${line.slice(0, c1)}'`);
      if (!Number.isFinite(r) || r > 0 || r < -130) throw new DataFileError(file, ln + 1, `field 'rssi' is not a dBm value: '${line.slice(c1 + 1, c2)}'`);
      if (!Number.isInteger(cm) || cm < 0 || cm > 1000) throw new DataFileError(file, ln + 1, `field 'distance' is not whole centimetres: '${line.slice(c2 + 1)}'`);
      rows.push({ d: cm / 100, t, r, bin: heraldBin(cm) });
    }
    // split: logs of phone A fit, logs of phone B test (the reverse direction of the same tests plus
    // the two B-only January files)
    groups.push(finishGroup({ dataset: 'herald', name, txPhone, rxPhone, tx: FIXED, rx: FIXED, env: 'room', split: m[2] === 'A' ? 'train' : 'test' }, rows, capPerBin));
  }
  if (groups.length === 0) throw new DataFileError(hdir, 0, 'no YYYYMMDD-HHMM-[AB].csv files');
  return groups;
}

// ---------------------------------------------------------------- pc-ng-rss-smartphone

const PCNG_SETS: Record<string, [Carriage, Carriage]> = {
  HandHand: ['hand', 'hand'],
  HandPocket: ['pocket', 'hand'],
  HandBackpack: ['bag', 'hand'],
  PocketPocket: ['pocket', 'pocket'],
  PocketBackpack: ['pocket', 'bag'],
  BackpackBackpack: ['bag', 'bag'],
};
/** Alternate distances fit / test (pc-ng README: 0.2-2.0 m by 0.2, then 3, 4, 5 m). */
const PCNG_TRAIN_CM = new Set([20, 60, 100, 140, 180, 300, 500]);

function carry(c: Carriage): Carry {
  // pc-ng README set-up: the two people face each other; backpacks are worn on the back
  return { carriage: c, placementRad: c === 'bag' ? Math.PI : 0, angleToPeerRad: 0 };
}

export function loadPcng(dir: string, capPerBin: number): RealGroup[] {
  const pdir = join(dir, 'pc-ng-rss-smartphone');
  const groups: RealGroup[] = [];
  for (const [set, [c1, c2]] of Object.entries(PCNG_SETS)) {
    const sub = join(pdir, set);
    const files = listDir(sub).filter((f) => /^RSS_human[A-Z]{2}\.csv$/.test(f));
    if (files.length !== 1) throw new DataFileError(sub, 0, `expected one RSS_human??.csv, found ${files.length}`);
    const file = join(sub, files[0]);
    const lines = readText(file).split('\n');
    const header = lines[0].replace(/\r$/, '').split(',');
    const iDev = header.indexOf('device');
    const iEl = header.indexOf('elapsed');
    const iRss = header.indexOf('rss');
    const iDist = header.indexOf('dist');
    if (iDev < 0 || iEl < 0 || iRss < 0 || iDist < 0) throw new DataFileError(file, 1, `header must have device, elapsed, rss, dist (got '${lines[0].trim()}')`);
    const byDev = new Map<string, { d: number; t: number; r: number; bin: string }[]>();
    for (let ln = 1; ln < lines.length; ln++) {
      const line = lines[ln].replace(/\r$/, '');
      if (!line) continue;
      const f = line.split(',');
      if (f.length < header.length) throw new DataFileError(file, ln + 1, `expected ${header.length} fields, got ${f.length}`);
      const el = Number(f[iEl]);
      const r = Number(f[iRss]);
      const cm = Number(f[iDist]);
      if (!Number.isFinite(el)) throw new DataFileError(file, ln + 1, `field 'elapsed' is not a number: '${f[iEl]}'`);
      if (!Number.isFinite(r) || r > 0 || r < -130) throw new DataFileError(file, ln + 1, `field 'rss' is not a dBm value: '${f[iRss]}'`);
      if (!Number.isInteger(cm) || cm <= 0 || cm > 10000) throw new DataFileError(file, ln + 1, `field 'dist' is not whole centimetres: '${f[iDist]}'`);
      let a = byDev.get(f[iDev]);
      if (!a) byDev.set(f[iDev], (a = []));
      a.push({ d: cm / 100, t: el * 1000, r, bin: (cm / 100).toFixed(1) });
    }
    const names = [...byDev.keys()].sort();
    if (names.length !== 2) throw new DataFileError(file, 0, `expected 2 device names, found ${names.length} (${names.join(', ')})`);
    for (const [k, dev] of names.entries()) {
      const rows = byDev.get(dev)!;
      // the README cannot say which device is sender or logger; body loss is symmetric so it does not matter
      for (const split of ['train', 'test'] as const) {
        const part = rows.filter((x) => PCNG_TRAIN_CM.has(Math.round(x.d * 100)) === (split === 'train'));
        if (part.length) groups.push(finishGroup({ dataset: 'pcng', name: `${set}/${dev}`, txPhone: names[1 - k], rxPhone: dev, tx: carry(c1), rx: carry(c2), env: 'living-room', split }, part, capPerBin));
      }
    }
  }
  return groups;
}

// ---------------------------------------------------------------- mitll-static-configs

/** TestPhone -> carriage and placement (mitll README "Configuration"). */
const MITLL_PHONES: Record<string, { carriage: Carriage; placementRad: number }> = {
  TestPhone1: { carriage: 'pocket', placementRad: 0 }, // front trouser pocket
  TestPhone2: { carriage: 'bag', placementRad: -Math.PI / 2 }, // purse, right side
  TestPhone3: { carriage: 'pocket', placementRad: Math.PI }, // back trouser pocket
  TestPhone4: { carriage: 'hand', placementRad: Math.PI / 2 }, // held to the left ear
};
const MITLL_TRAIN_DEG = new Set([0, 90, 180, 270]);
/** 1.83 m: "Range,6" (feet) in every file. */
export const MITLL_DIST_M = 6 * 0.3048;

export function loadMitll(dir: string, capPerBin: number): RealGroup[] {
  const mdir = join(dir, 'mitll-static-configs');
  const groups: RealGroup[] = [];
  const envs = listDir(mdir).filter((e) => existsSync(join(mdir, e, 'iPhone')));
  if (envs.length === 0) throw new DataFileError(mdir, 0, 'no <environment>/iPhone folders');
  for (const env of envs) {
    const idir = join(mdir, env, 'iPhone');
    for (const name of listDir(idir)) {
      const m = /^log_.*_(\d+)\.txt$/.exec(name);
      if (!m) continue;
      const deg = Number(m[1]);
      const file = join(idir, name);
      const lines = readText(file).split('\n');
      const byPhone = new Map<string, { d: number; t: number; r: number; bin: string }[]>();
      for (let ln = 0; ln < lines.length; ln++) {
        const line = lines[ln];
        const k = line.indexOf(',Bluetooth,');
        if (k < 0) continue;
        const f = line.slice(k + 11).split(',');
        if (f.length < 5) throw new DataFileError(file, ln + 1, `Bluetooth record: expected uuid, rssi, name, txpower, time; got ${f.length} fields`);
        const phone = f[2];
        if (!phone.startsWith('TestPhone')) continue;
        const r = Number(f[1]);
        const t = Number(f[4]) * 1000;
        if (!Number.isFinite(r)) throw new DataFileError(file, ln + 1, `field 'rssi' is not a number: '${f[1]}'`);
        if (r >= 0) continue; // mitll README: one line has RSSI 127, an invalid value
        if (!Number.isFinite(t)) throw new DataFileError(file, ln + 1, `field 'receive time' is not a number: '${f[4]}'`);
        const spec = MITLL_PHONES[phone];
        if (!spec) throw new DataFileError(file, ln + 1, `unknown transmitter '${phone}'`);
        let a = byPhone.get(phone);
        if (!a) byPhone.set(phone, (a = []));
        a.push({ d: MITLL_DIST_M, t, r, bin: `${spec.carriage}${spec.placementRad === 0 ? '' : spec.placementRad > 0 ? (spec.placementRad > 2 ? '-back' : '-left') : '-right'}@${deg}` });
      }
      for (const [phone, rows] of byPhone) {
        const spec = MITLL_PHONES[phone];
        const rot = (deg * Math.PI) / 180;
        groups.push(
          finishGroup(
            {
              dataset: 'mitll',
              name: `${env}/${basename(name)}/${phone}`,
              txPhone: phone,
              rxPhone: `iPhone-${env.endsWith('05-01') ? 'XR' : '11'}`,
              // user rotation r: 0 = front faces the receiver, 90 = left side towards it
              tx: { carriage: spec.carriage, placementRad: spec.placementRad, angleToPeerRad: rot },
              rx: FIXED,
              env: env.replace(/_\d{4}-\d{2}-\d{2}$/, ''),
              split: MITLL_TRAIN_DEG.has(deg) ? 'train' : 'test',
            },
            rows,
            capPerBin,
          ),
        );
      }
    }
  }
  return groups;
}

export interface RealData {
  dir: string;
  groups: RealGroup[];
}

export function loadRealData(dir: string, opts: { capPerBin?: number; datasets?: Dataset[] } = {}): RealData {
  if (!existsSync(dir)) throw new DataFileError(dir, 0, 'data directory does not exist');
  const cap = opts.capPerBin ?? 300;
  const want = new Set(opts.datasets ?? ['herald', 'pcng', 'mitll']);
  const groups: RealGroup[] = [];
  if (want.has('herald')) groups.push(...loadHerald(dir, cap));
  if (want.has('pcng')) groups.push(...loadPcng(dir, cap));
  if (want.has('mitll')) groups.push(...loadMitll(dir, cap));
  return { dir, groups };
}
