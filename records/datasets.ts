/**
 * The one loader of the real RSSI data sets (given with --data DIR or BLUEZONE_DATA; see
 * docs/channel-fit.md, docs/datasets.md and each folder's README): herald-edison (RSSI vs distance,
 * robot), pc-ng-rss-smartphone (people, hand/pocket/bag), mitll-static-configs (body rotation at 1.83 m).
 *
 * One parser per file format (parseHeraldMetadata, parseHeraldCsv, parsePcngCsv, parseMitllLog): they
 * check the header and every row and raise DataFileError(file, line, field) for anything malformed.
 * Two views of what they parse:
 *  - the channel fit's RealGroup[] (loadHerald, loadPcng, loadMitll, loadRealData): readings with the
 *    geometry the simulator needs to reproduce them, subsampled per distance bin, split train/test;
 *  - the classifier's observation rows with truth distance (heraldObservations, pcngObservations,
 *    mitllObservations; scripts/convert-datasets.ts writes them as observation + truth CSV).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DataFileError } from './errors.ts';
import { splitCsvRecord } from './csv.ts';
import type { Observation } from './rows.ts';

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

/** Lines without their CR (the files come with LF or CRLF endings); index + 1 is the line number. */
function splitLines(text: string): string[] {
  const ls = text.split('\n');
  for (let i = 0; i < ls.length; i++) if (ls[i].endsWith('\r')) ls[i] = ls[i].slice(0, -1);
  return ls;
}

/** A finite decimal number as the files write it (no blanks, no hex, no Infinity); NaN otherwise. */
function decimal(s: string): number {
  const x = /^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$/.test(s) ? Number(s) : NaN;
  return Number.isFinite(x) ? x : NaN;
}

/** Whole dBm as the files write it ("-55" or "-55.0"), within -130..0; NaN otherwise. */
function dbm(s: string): number {
  const r = /^-?\d{1,3}(?:\.0+)?$/.test(s) ? Number(s) : NaN;
  return r >= -130 && r <= 0 ? r : NaN;
}

/** Whole centimetres within 0..max; NaN otherwise. */
function centimetres(s: string, max: number): number {
  const cm = /^\d{1,6}$/.test(s) ? Number(s) : NaN;
  return cm <= max ? cm : NaN;
}

/** An observation row for the classifier with the truth distance (docs/interfaces.md truth CSV). */
export interface TruthObservation extends Observation {
  distanceM: number;
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

const HERALD_META_COLUMNS = ['phoneaname', 'phonebname', 'filenamephonea', 'filenamephoneb'] as const;

/**
 * herald-edison/metadata.csv: data file -> [phone A, phone B] (herald README "Files"). Rows naming no
 * file are tests whose logs were not published.
 */
export function parseHeraldMetadata(file: string, text: string): Map<string, [string, string]> {
  const ls = splitLines(text);
  const split = (ln: number): string[] => {
    try {
      return splitCsvRecord(ls[ln]);
    } catch (e) {
      throw new DataFileError(file, ln + 1, (e as Error).message);
    }
  };
  const header = split(0);
  const [ia, ib, ifa, ifb] = HERALD_META_COLUMNS.map((c) => header.indexOf(c));
  if (ia < 0 || ib < 0 || ifa < 0 || ifb < 0) throw new DataFileError(file, 1, `missing ${HERALD_META_COLUMNS.join('/')} columns`);
  const phones = new Map<string, [string, string]>();
  for (let ln = 1; ln < ls.length; ln++) {
    if (!ls[ln].trim()) continue;
    const f = split(ln);
    if (f.length < header.length) throw new DataFileError(file, ln + 1, `expected ${header.length} fields, got ${f.length}`);
    if (!f[ifa] && !f[ifb]) continue;
    for (const i of [ia, ib]) if (!f[i]) throw new DataFileError(file, ln + 1, `field '${header[i]}' is empty`);
    for (const fi of [ifa, ifb]) if (f[fi]) phones.set(f[fi], [f[ia], f[ib]]);
  }
  return phones;
}

/** One herald reading: time on the phone's clock (read as UTC), RSSI (dBm), robot distance (cm). */
export interface HeraldReading {
  tMs: number;
  rssi: number;
  distCm: number;
}

const HERALD_TIME = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)$/;

/**
 * 'YYYY-MM-DD HH:MM:SS' on a local clock without a zone, read as UTC: deterministic, and only
 * differences matter. NaN if malformed or not a calendar date. Second 60 is a leap second.
 */
function heraldTime(s: string): number {
  const m = HERALD_TIME.exec(s);
  if (!m) return NaN;
  const [y, mo, d, h, mi, sec] = m.slice(1).map(Number);
  // Date.UTC reads years 0..99 as 1900..1999, so only years from the Unix epoch on are taken
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return NaN;
  const t = Date.UTC(y, mo - 1, d, h, mi, sec);
  return new Date(Date.UTC(y, mo - 1, d)).getUTCDate() === d ? t : NaN;
}

/** herald-edison data file: `time,rssi,distance` (herald README "Data format"); blank lines skipped. */
export function parseHeraldCsv(file: string, text: string): HeraldReading[] {
  const ls = splitLines(text);
  if (ls[0] !== 'time,rssi,distance') throw new DataFileError(file, 1, `expected header 'time,rssi,distance', got '${ls[0].slice(0, 60)}'`);
  const out: HeraldReading[] = [];
  for (let ln = 1; ln < ls.length; ln++) {
    const line = ls[ln];
    if (!line) continue;
    const f = line.split(',');
    if (f.length !== 3) throw new DataFileError(file, ln + 1, `expected 3 fields time,rssi,distance, got ${f.length}`);
    const tMs = heraldTime(f[0]);
    const rssi = dbm(f[1]);
    const distCm = centimetres(f[2], 1000);
    if (Number.isNaN(tMs)) throw new DataFileError(file, ln + 1, `field 'time' is not YYYY-MM-DD HH:MM:SS: '${f[0].slice(0, 40)}'`);
    if (Number.isNaN(rssi)) throw new DataFileError(file, ln + 1, `field 'rssi' is not a whole dBm value in -130..0: '${f[1].slice(0, 40)}'`);
    if (Number.isNaN(distCm)) throw new DataFileError(file, ln + 1, `field 'distance' is not whole centimetres in 0..1000: '${f[2].slice(0, 40)}'`);
    out.push({ tMs, rssi, distCm });
  }
  return out;
}

/** One herald data file: the logging phone (receiver) and the phone it heard (transmitter). */
export interface HeraldFile {
  name: string;
  path: string;
  side: 'A' | 'B';
  rxPhone: string;
  txPhone: string;
}

/** The herald data files of DIR/herald-edison, with their phones from metadata.csv. */
export function heraldFiles(dir: string): HeraldFile[] {
  const hdir = join(dir, 'herald-edison');
  const metaFile = join(hdir, 'metadata.csv');
  const phones = parseHeraldMetadata(metaFile, readText(metaFile));
  // herald README "Caveats": metadata.csv has no row for test 20210315; upstream README: A = S9+, B = P2
  for (const s of ['A', 'B']) if (!phones.has(`20210315-1040-${s}.csv`)) phones.set(`20210315-1040-${s}.csv`, ['S9+', 'P2']);
  const out: HeraldFile[] = [];
  for (const name of listDir(hdir)) {
    const m = /^(\d{8}-\d{4})-([AB])\.csv$/.exec(name);
    if (!m) continue;
    const path = join(hdir, name);
    const ab = phones.get(name);
    if (!ab) throw new DataFileError(path, 0, 'file not listed in metadata.csv: cannot tell which phones made it');
    // each phone logs what it hears: file A is phone A's log of phone B and vice versa
    const side = m[2] as 'A' | 'B';
    out.push({ name, path, side, rxPhone: side === 'A' ? ab[0] : ab[1], txPhone: side === 'A' ? ab[1] : ab[0] });
  }
  if (out.length === 0) throw new DataFileError(hdir, 0, 'no YYYYMMDD-HHMM-[AB].csv files');
  return out;
}

/** Fit view: one group per file; phone A's logs fit, phone B's (the reverse direction plus the two B-only January files) test. */
export function loadHerald(dir: string, capPerBin: number): RealGroup[] {
  return heraldFiles(dir).map((h) => {
    const rows = parseHeraldCsv(h.path, readText(h.path)).map((x) => ({ d: x.distCm / 100, t: x.tMs, r: x.rssi, bin: heraldBin(x.distCm) }));
    return finishGroup({ dataset: 'herald', name: h.name, txPhone: h.txPhone, rxPhone: h.rxPhone, tx: FIXED, rx: FIXED, env: 'room', split: h.side === 'A' ? 'train' : 'test' }, rows, capPerBin);
  });
}

/**
 * Herald phone names (herald-edison/phones.csv) -> model strings. Android names are the Build.MODEL
 * strings of the GAEN calibration table; which Samsung variant the phones were is not recorded, so the
 * international "F" variant is assumed. Apple models are not in that table (they get the defaults).
 */
const HERALD_MODELS: Record<string, string> = {
  Germany: 'Apple iPhone 5S',
  Denmark: 'Apple iPhone 6S',
  Netherlands: 'Apple iPhone 6 Plus',
  '6S+': 'Apple iPhone 6S Plus',
  '8+': 'Apple iPhone 8 Plus',
  X: 'Apple iPhone X',
  P2: 'Pixel 2',
  P3: 'Pixel 3',
  A10: 'SM-A105F',
  A20: 'SM-A205F',
  N8: 'SM-N950F',
  'S9+': 'SM-G965F',
};

/**
 * Classifier view of the herald files of one side (A = training, B = held out), optionally only the
 * files `only` accepts. Each phone becomes device "herald:<name>"; distance cm -> m.
 */
export function heraldObservations(dir: string, side: 'A' | 'B', only?: (file: string) => boolean): TruthObservation[] {
  const rows: TruthObservation[] = [];
  for (const h of heraldFiles(dir)) {
    if (h.side !== side || (only && !only(h.name))) continue;
    for (const x of parseHeraldCsv(h.path, readText(h.path)))
      rows.push({
        timestampMs: x.tMs,
        receiver: `herald:${h.rxPhone}`,
        transmitter: `herald:${h.txPhone}`,
        rssi: x.rssi,
        receiverModel: HERALD_MODELS[h.rxPhone],
        transmitterModel: HERALD_MODELS[h.txPhone],
        distanceM: x.distCm / 100,
      });
  }
  return rows;
}

// ---------------------------------------------------------------- pc-ng-rss-smartphone

/**
 * Sub-folder -> carriage of the two phones (pc-ng README set-up) and the classifier's split: three sets
 * choose the classifier's parameters, three are held out (docs/classifier.md "How the parameters were
 * chosen"). The fit splits by distance instead (PCNG_TRAIN_CM).
 */
const PCNG_SETS: Record<string, { carry: [Carriage, Carriage]; part: 'train' | 'test' }> = {
  HandHand: { carry: ['hand', 'hand'], part: 'train' },
  HandPocket: { carry: ['pocket', 'hand'], part: 'test' },
  HandBackpack: { carry: ['bag', 'hand'], part: 'train' },
  PocketPocket: { carry: ['pocket', 'pocket'], part: 'train' },
  PocketBackpack: { carry: ['pocket', 'bag'], part: 'test' },
  BackpackBackpack: { carry: ['bag', 'bag'], part: 'test' },
};
/** Alternate distances fit / test (pc-ng README: 0.2-2.0 m by 0.2, then 3, 4, 5 m). */
const PCNG_TRAIN_CM = new Set([20, 60, 100, 140, 180, 300, 500]);
const PCNG_HEADER = 'device,elapsed,rss,mRSS10,mRSS100,dist,label';

/** One pc-ng reading: logging device, seconds since its app started, RSSI (dBm), distance (cm). */
export interface PcngReading {
  /** line in the file (1-based), for messages about blocks of rows */
  line: number;
  device: string;
  elapsedS: number;
  rssi: number;
  distCm: number;
}

/**
 * pc-ng data file: `device,elapsed,rss,mRSS10,mRSS100,dist,label` (pc-ng README). mRSS10/mRSS100 (running
 * means) and label (dist <= 2 m, which eval recomputes) are not used. Exactly two devices per file.
 * Returns the readings and the device names in order of first appearance.
 */
export function parsePcngCsv(file: string, text: string): { devices: string[]; readings: PcngReading[] } {
  const ls = splitLines(text);
  if (ls[0] !== PCNG_HEADER) throw new DataFileError(file, 1, `expected header '${PCNG_HEADER}', got '${ls[0].slice(0, 60)}'`);
  const readings: PcngReading[] = [];
  const devices: string[] = [];
  for (let ln = 1; ln < ls.length; ln++) {
    const line = ls[ln];
    if (!line) continue;
    const f = line.split(',');
    if (f.length !== 7) throw new DataFileError(file, ln + 1, `expected 7 fields ${PCNG_HEADER}, got ${f.length}`);
    const elapsedS = decimal(f[1]);
    const rssi = dbm(f[2]);
    const distCm = centimetres(f[5], 10000);
    if (!f[0]) throw new DataFileError(file, ln + 1, `field 'device' is empty`);
    if (Number.isNaN(elapsedS)) throw new DataFileError(file, ln + 1, `field 'elapsed' is not a number: '${f[1].slice(0, 40)}'`);
    if (Number.isNaN(rssi)) throw new DataFileError(file, ln + 1, `field 'rss' is not a whole dBm value in -130..0: '${f[2].slice(0, 40)}'`);
    if (!(distCm > 0)) throw new DataFileError(file, ln + 1, `field 'dist' is not whole centimetres in 1..10000: '${f[5].slice(0, 40)}'`);
    if (!devices.includes(f[0])) {
      if (devices.length === 2) throw new DataFileError(file, ln + 1, `field 'device': a third device '${f[0].slice(0, 40)}' (expected the two phones ${devices.join(', ')})`);
      devices.push(f[0]);
    }
    readings.push({ line: ln + 1, device: f[0], elapsedS, rssi, distCm });
  }
  if (devices.length !== 2) throw new DataFileError(file, 0, `expected 2 device names, found ${devices.length} (${devices.join(', ')})`);
  return { devices, readings };
}

/** The one RSS_human??.csv of DIR/pc-ng-rss-smartphone/<set>, parsed. */
function readPcngSet(dir: string, set: string): { file: string; devices: string[]; readings: PcngReading[] } {
  const sub = join(dir, 'pc-ng-rss-smartphone', set);
  const files = listDir(sub).filter((f) => /^RSS_human[A-Z]{2}\.csv$/.test(f));
  if (files.length !== 1) throw new DataFileError(sub, 0, `expected one RSS_human??.csv, found ${files.length}`);
  const file = join(sub, files[0]);
  return { file, ...parsePcngCsv(file, readText(file)) };
}

function carry(c: Carriage): Carry {
  // pc-ng README set-up: the two people face each other; backpacks are worn on the back
  return { carriage: c, placementRad: c === 'bag' ? Math.PI : 0, angleToPeerRad: 0 };
}

/** Fit view: per set and logging device, one training group (PCNG_TRAIN_CM) and one test group. */
export function loadPcng(dir: string, capPerBin: number): RealGroup[] {
  const groups: RealGroup[] = [];
  for (const [set, { carry: [c1, c2] }] of Object.entries(PCNG_SETS)) {
    const { devices, readings } = readPcngSet(dir, set);
    const names = [...devices].sort();
    for (const [k, dev] of names.entries()) {
      const rows = readings.filter((x) => x.device === dev).map((x) => ({ d: x.distCm / 100, t: x.elapsedS * 1000, r: x.rssi, bin: (x.distCm / 100).toFixed(1) }));
      // the README cannot say which device is sender or logger; body loss is symmetric so it does not matter
      for (const split of ['train', 'test'] as const) {
        const part = rows.filter((x) => PCNG_TRAIN_CM.has(Math.round(x.d * 100)) === (split === 'train'));
        if (part.length) groups.push(finishGroup({ dataset: 'pcng', name: `${set}/${dev}`, txPhone: names[1 - k], rxPhone: dev, tx: carry(c1), rx: carry(c2), env: 'living-room', split }, part, capPerBin));
      }
    }
  }
  return groups;
}

/** Synthetic day the pc-ng blocks are laid out on (the data have no absolute time). */
const PCNG_BASE_MS = Date.UTC(2020, 5, 1);
const PCNG_SLOT_MS = 15 * 60_000;

/**
 * Classifier view of the pc-ng sets of one part. `device` is taken as the logging phone (receiver;
 * upstream does not say) and the file's other name as the transmitter; names double as model strings
 * ("HTC One M9" and "ASUS_Z00AD" are in the GAEN table). elapsed is only comparable inside one run of
 * rows with the same (device, dist), so each such block is laid out at the start of its own 15-minute
 * slot of a synthetic day (one block = one classifier window), keeping the spacing inside the block.
 */
export function pcngObservations(dir: string, part: 'train' | 'test'): TruthObservation[] {
  const rows: TruthObservation[] = [];
  let slot = 0;
  for (const [set, p] of Object.entries(PCNG_SETS)) {
    if (p.part !== part) continue;
    const { file, devices, readings } = readPcngSet(dir, set);
    let i = 0;
    while (i < readings.length) {
      let j = i;
      let t0 = Infinity;
      let t1 = -Infinity;
      for (; j < readings.length && readings[j].device === readings[i].device && readings[j].distCm === readings[i].distCm; j++) {
        t0 = Math.min(t0, readings[j].elapsedS);
        t1 = Math.max(t1, readings[j].elapsedS);
      }
      const span = t1 - t0;
      if (span * 1000 >= PCNG_SLOT_MS) throw new DataFileError(file, readings[i].line, `block of ${readings[i].device} at ${readings[i].distCm} cm spans ${span} s, more than a 15-minute slot`);
      const base = PCNG_BASE_MS + slot * PCNG_SLOT_MS;
      const rx = readings[i].device;
      const tx = devices.find((n) => n !== rx)!;
      const block: TruthObservation[] = [];
      for (let k = i; k < j; k++)
        block.push({
          timestampMs: base + Math.round((readings[k].elapsedS - t0) * 1000),
          receiver: `pcng-${set}:${rx}`,
          transmitter: `pcng-${set}:${tx}`,
          rssi: readings[k].rssi,
          receiverModel: rx,
          transmitterModel: tx,
          distanceM: readings[k].distCm / 100,
        });
      for (const r of block.sort((a, b) => a.timestampMs - b.timestampMs)) rows.push(r);
      slot++;
      i = j;
    }
  }
  return rows;
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
/** mitll README: RSSI 127 is iOS's "not available"; one line has it. */
const MITLL_RSSI_INVALID = 127;

/** One mitll reading of a TestPhone: RSSI (dBm) and receive time (Core Foundation absolute time, s). */
export interface MitllReading {
  phone: string;
  rssi: number;
  /** seconds since 2001-01-01 00:00 UTC */
  cfS: number;
}

/**
 * mitll iPhone log (mitll README "Data format"): `<time>,<type>,...` lines; the first is
 * `<time>,Device,<model>,<name>` (the model may contain a comma, "iPhone12,1"), Bluetooth lines are
 * `<time>,Bluetooth,<uuid>,<rssi>,<name>,<txpower>,<receive time>`. Only the TestPhones' Bluetooth lines
 * are kept (other names are the building's devices); RSSI 127 is dropped; other line types are skipped.
 */
export function parseMitllLog(file: string, text: string): { model: string; readings: MitllReading[] } {
  const ls = splitLines(text);
  const first = ls.findIndex((l) => l.length > 0);
  const dev = first < 0 ? [] : ls[first].split(',');
  if (dev[1] !== 'Device' || dev.length < 4) throw new DataFileError(file, first + 1 || 1, `expected the log to start with a '<time>,Device,<model>,<name>' line`);
  const model = dev.slice(2, -1).join(',');
  const readings: MitllReading[] = [];
  for (let ln = first + 1; ln < ls.length; ln++) {
    const f = ls[ln].split(',');
    if (f[1] !== 'Bluetooth') continue;
    if (f.length < 7) throw new DataFileError(file, ln + 1, `Bluetooth record: expected uuid, rssi, name, txpower, time; got ${f.length - 2} fields`);
    const phone = f[4];
    if (!phone.startsWith('TestPhone')) continue;
    if (f.length !== 7) throw new DataFileError(file, ln + 1, `Bluetooth record of ${phone.slice(0, 40)}: expected uuid, rssi, name, txpower, time; got ${f.length - 2} fields`);
    if (!MITLL_PHONES[phone]) throw new DataFileError(file, ln + 1, `field 'name': unknown transmitter '${phone.slice(0, 40)}'`);
    if (f[3] === String(MITLL_RSSI_INVALID)) continue;
    const rssi = dbm(f[3]);
    const cfS = decimal(f[6]);
    if (Number.isNaN(rssi)) throw new DataFileError(file, ln + 1, `field 'rssi' is not a whole dBm value in -130..0: '${f[3].slice(0, 40)}'`);
    if (Number.isNaN(cfS)) throw new DataFileError(file, ln + 1, `field 'receive time' is not a number: '${f[6].slice(0, 40)}'`);
    readings.push({ phone, rssi, cfS });
  }
  return { model, readings };
}

/** One mitll log: environment folder, rotation of the user (degrees, from the file name), path. */
interface MitllFile {
  env: string;
  name: string;
  deg: number;
  path: string;
}

function mitllFiles(dir: string): MitllFile[] {
  const mdir = join(dir, 'mitll-static-configs');
  const envs = listDir(mdir).filter((e) => existsSync(join(mdir, e, 'iPhone')));
  if (envs.length === 0) throw new DataFileError(mdir, 0, 'no <environment>/iPhone folders');
  const out: MitllFile[] = [];
  for (const env of envs) {
    const idir = join(mdir, env, 'iPhone');
    for (const name of listDir(idir)) {
      const m = /^log_.*_(\d+)\.txt$/.exec(name);
      if (m) out.push({ env, name, deg: Number(m[1]), path: join(idir, name) });
    }
  }
  return out;
}

/** Fit view: one group per log and TestPhone; rotations 0/90/180/270 fit, the diagonals test. */
export function loadMitll(dir: string, capPerBin: number): RealGroup[] {
  const groups: RealGroup[] = [];
  for (const { env, name, deg, path } of mitllFiles(dir)) {
    const byPhone = new Map<string, { d: number; t: number; r: number; bin: string }[]>();
    for (const x of parseMitllLog(path, readText(path)).readings) {
      const spec = MITLL_PHONES[x.phone];
      let a = byPhone.get(x.phone);
      if (!a) byPhone.set(x.phone, (a = []));
      a.push({ d: MITLL_DIST_M, t: x.cfS * 1000, r: x.rssi, bin: `${spec.carriage}${spec.placementRad === 0 ? '' : spec.placementRad > 0 ? (spec.placementRad > 2 ? '-back' : '-left') : '-right'}@${deg}` });
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
  return groups;
}

/** Core Foundation's epoch, 2001-01-01 00:00 UTC, in Unix seconds. */
const CF_EPOCH_S = 978_307_200;

/**
 * Classifier view of every mitll log (one class: all at 6 ft, so test only). Receiver
 * "mitll-<environment>:iPhone" with the model from the Device line; transmitters
 * "mitll-<environment>:TestPhoneN" (no model known). The advertised TX power level (8) is the radio's
 * setting, not a GAEN calibrated TX power, so txPower is left out. Truth distance 1.83 m as the README
 * rounds 6 ft (the fit uses the exact MITLL_DIST_M; the classifier's 2 m label is the same either way).
 */
export function mitllObservations(dir: string): TruthObservation[] {
  const rows: TruthObservation[] = [];
  for (const { env, path } of mitllFiles(dir)) {
    const envName = env.replace(/_\d{4}-\d\d-\d\d$/, '');
    const { model, readings } = parseMitllLog(path, readText(path));
    for (const x of readings)
      rows.push({
        timestampMs: Math.round((x.cfS + CF_EPOCH_S) * 1000),
        receiver: `mitll-${envName}:iPhone`,
        transmitter: `mitll-${envName}:${x.phone}`,
        rssi: x.rssi,
        receiverModel: model,
        distanceM: 1.83,
      });
  }
  return rows;
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
