// Converts the real RSSI data sets (given with --data DIR or BLUEZONE_DATA; see docs/channel-fit.md and each folder's README) into the generic observation
// CSV + truth CSV (docs/interfaces.md), split into a training part (used to choose the classifier's
// parameters) and a held-out test part (used only for the README figures).
//
//   npx tsx scripts/convert-datasets.ts <data-dir> <out-dir>
//
// Writes <out-dir>/<name>/{observations.csv,truth.csv} for:
//   herald-edison-A  (train) every herald file logged by phone A     herald-edison-B (test) phone B's files
//   pc-ng-train      (train) HandHand, HandBackpack, PocketPocket     pc-ng-test (test) HandPocket,
//                                                                     PocketBackpack, BackpackBackpack
//   mitll-static-configs (all at 1.83 m: one class, test only)
// Column meaning per source: docs/classifier.md "Real data".

import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { withOutputSet } from '../records/output.ts';
import {
  OBSERVATION_CSV_HEADER,
  TRUTH_CSV_HEADER,
  csvField,
  formatObservationRow,
  type Observation,
} from '../records/rows.ts';

export interface Row extends Observation {
  distanceM: number;
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

/** Herald tests: receiver (logging phone) and transmitter per file (herald-edison/README.md "Files"). */
const HERALD_FILES: Record<string, [string, string]> = {
  '20210305-0958-A.csv': ['Netherlands', 'Denmark'],
  '20210305-0958-B.csv': ['Denmark', 'Netherlands'],
  '20210306-1803-A.csv': ['Netherlands', 'Denmark'],
  '20210308-0922-A.csv': ['Netherlands', 'Denmark'],
  '20210308-0922-B.csv': ['Denmark', 'Netherlands'],
  '20210309-1437-A.csv': ['Netherlands', 'Denmark'],
  '20210309-1437-B.csv': ['Denmark', 'Netherlands'],
  '20210311-0901-A.csv': ['P2', 'A20'],
  '20210311-0901-B.csv': ['A20', 'P2'],
  '20210312-1049-A.csv': ['P2', 'P3'],
  '20210312-1049-B.csv': ['P3', 'P2'],
  '20210313-1005-A.csv': ['6S+', '8+'],
  '20210313-1005-B.csv': ['8+', '6S+'],
  '20210314-1021-A.csv': ['Netherlands', 'P3'],
  '20210315-1040-A.csv': ['S9+', 'P2'],
  '20210315-1040-B.csv': ['P2', 'S9+'],
  '20210106-0815-A.csv': ['N8', 'P2'],
  '20210108-1423-B.csv': ['Germany', 'Denmark'],
  '20210112-2303-B.csv': ['A10', 'P2'],
};

function fail(msg: string): never {
  process.stderr.write(`error: ${msg}\n`);
  process.exit(2);
}

function lines(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  return text.split(/\r?\n/).filter((l) => l.length > 0);
}

/**
 * herald-edison: `time,rssi,distance`. time is the phone's local clock without a zone; it is read as UTC
 * (Date.UTC of the fields), which keeps it deterministic and keeps each file's spacing. RSSI "-55.0" ->
 * -55; distance cm -> m. Each phone becomes device "herald:<name>".
 */
export function convertHerald(dir: string, side: 'A' | 'B', only?: (file: string) => boolean): Row[] {
  const rows: Row[] = [];
  for (const [file, [rx, tx]] of Object.entries(HERALD_FILES)) {
    if (!file.endsWith(`-${side}.csv`) || (only && !only(file))) continue;
    const path = join(dir, file);
    const ls = lines(path);
    if (ls[0] !== 'time,rssi,distance') fail(`${path}:1: unexpected header "${ls[0]}"`);
    for (let i = 1; i < ls.length; i++) {
      const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d),(-?\d+)(?:\.0)?,(\d+)$/.exec(ls[i]);
      if (!m) fail(`${path}:${i + 1}: cannot parse "${ls[i]}"`);
      const t = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
      rows.push({
        timestampMs: t,
        receiver: `herald:${rx}`,
        transmitter: `herald:${tx}`,
        rssi: Number(m[7]),
        receiverModel: HERALD_MODELS[rx],
        transmitterModel: HERALD_MODELS[tx],
        distanceM: Number(m[8]) / 100,
      });
    }
  }
  return rows;
}

const PCNG_SETS: Record<string, 'train' | 'test'> = {
  HandHand: 'train',
  HandBackpack: 'train',
  PocketPocket: 'train',
  HandPocket: 'test',
  PocketBackpack: 'test',
  BackpackBackpack: 'test',
};
/** Synthetic day the pc-ng blocks are laid out on (the data have no absolute time). */
const PCNG_BASE_MS = Date.UTC(2020, 5, 1);
const SLOT_MS = 15 * 60_000;

/**
 * pc-ng-rss-smartphone: `device,elapsed,rss,mRSS10,mRSS100,dist,label`. `device` is taken as the logging
 * phone (receiver; upstream does not say) and the file's other name as the transmitter; names double as
 * model strings ("HTC One M9" and "ASUS_Z00AD" are in the GAEN table). elapsed is only comparable inside
 * one (device, dist) block, so each block is laid out at the start of its own 15-minute slot of a
 * synthetic day (one block = one window), keeping the spacing inside the block. dist cm -> m.
 * mRSS10/mRSS100/label are not used (label = dist <= 2 m, which eval recomputes).
 */
export function convertPcng(dir: string, part: 'train' | 'test'): Row[] {
  const rows: Row[] = [];
  let slot = 0;
  for (const [set, p] of Object.entries(PCNG_SETS)) {
    if (p !== part) continue;
    const sub = join(dir, set);
    const file = readdirSync(sub).find((f) => f.endsWith('.csv'));
    if (!file) fail(`${sub}: no CSV file`);
    const path = join(sub, file);
    const ls = lines(path);
    if (ls[0] !== 'device,elapsed,rss,mRSS10,mRSS100,dist,label') fail(`${path}:1: unexpected header "${ls[0]}"`);
    const recs = ls.slice(1).map((l, i) => {
      const f = l.split(',');
      const el = Number(f[1]);
      const rss = Number(f[2]);
      const dist = Number(f[5]);
      if (f.length !== 7 || !Number.isFinite(el) || !Number.isInteger(rss) || !Number.isFinite(dist))
        fail(`${path}:${i + 2}: cannot parse "${l}"`);
      return { device: f[0], el, rss, dist };
    });
    const names = [...new Set(recs.map((r) => r.device))];
    if (names.length !== 2) fail(`${path}: expected two device names, found ${names.join(', ')}`);
    let i = 0;
    while (i < recs.length) {
      let j = i;
      while (j < recs.length && recs[j].device === recs[i].device && recs[j].dist === recs[i].dist) j++;
      const block = recs.slice(i, j);
      const t0 = Math.min(...block.map((r) => r.el));
      const span = Math.max(...block.map((r) => r.el)) - t0;
      if (span * 1000 >= SLOT_MS) fail(`${path}: block ${recs[i].device}/${recs[i].dist} spans ${span} s, more than a slot`);
      const base = PCNG_BASE_MS + slot * SLOT_MS;
      const rx = recs[i].device;
      const tx = names.find((n) => n !== rx)!;
      const blockRows = block
        .map((r) => ({
          timestampMs: base + Math.round((r.el - t0) * 1000),
          receiver: `pcng-${set}:${rx}`,
          transmitter: `pcng-${set}:${tx}`,
          rssi: r.rss,
          receiverModel: rx,
          transmitterModel: tx,
          distanceM: r.dist / 100,
        }))
        .sort((a, b) => a.timestampMs - b.timestampMs);
      rows.push(...blockRows);
      slot++;
      i = j;
    }
  }
  return rows;
}

/**
 * mitll-static-configs: iPhone receiver logs, `Bluetooth` lines from TestPhone1..4 only. Time is the Core
 * Foundation absolute time field (seconds since 2001-01-01 UTC, so already UTC); RSSI 127 (invalid) is
 * dropped. Receiver "mitll-<environment>:iPhone" with the model from the log's Device line; transmitters
 * "mitll-<environment>:TestPhoneN" (no model known). The advertised TX power level (8) is the radio's
 * setting, not a GAEN calibrated TX power, so tx_power is left empty. Distance 1.83 m (6 ft) everywhere.
 */
export function convertMitll(dir: string): Row[] {
  const rows: Row[] = [];
  const CF_EPOCH_S = 978_307_200;
  for (const env of readdirSync(dir).sort()) {
    const sub = join(dir, env, 'iPhone');
    if (!existsSync(sub)) continue;
    const envName = env.replace(/_\d{4}-\d\d-\d\d$/, '');
    for (const file of readdirSync(sub).sort()) {
      const path = join(sub, file);
      const ls = lines(path);
      const dev = ls[0].split(',');
      if (dev[1] !== 'Device') fail(`${path}:1: expected a Device line`);
      // "iPhone12,1" contains a comma, so the model is everything between the type and the last field.
      const model = dev.slice(2, -1).join(',');
      for (let i = 1; i < ls.length; i++) {
        const f = ls[i].split(',');
        if (f[1] !== 'Bluetooth' || !f[4]?.startsWith('TestPhone')) continue;
        const rssi = Number(f[3]);
        const cf = Number(f[6]);
        if (!Number.isInteger(rssi) || !Number.isFinite(cf)) fail(`${path}:${i + 1}: cannot parse "${ls[i]}"`);
        if (rssi === 127) continue;
        rows.push({
          timestampMs: Math.round((cf + CF_EPOCH_S) * 1000),
          receiver: `mitll-${envName}:iPhone`,
          transmitter: `mitll-${envName}:${f[4]}`,
          rssi,
          receiverModel: model,
          distanceM: 1.83,
        });
      }
    }
  }
  return rows;
}

function write(outDir: string, name: string, rows: Row[]): void {
  // Stable sort by time; ties keep source order.
  const sorted = rows.map((r, i) => [r, i] as const).sort((a, b) => a[0].timestampMs - b[0].timestampMs || a[1] - b[1]);
  const dir = join(outDir, name);
  const obs = [OBSERVATION_CSV_HEADER];
  const truth = [TRUTH_CSV_HEADER];
  for (const [r] of sorted) {
    obs.push(formatObservationRow(r));
    truth.push(`${r.timestampMs},${csvField(r.receiver)},${csvField(r.transmitter)},${r.distanceM}`);
  }
  // both files or neither: truth.csv rows pair with observations.csv rows by position
  withOutputSet((set) => {
    set.writeFile(join(dir, 'observations.csv'), obs.join('\n') + '\n', { mkdir: true });
    set.writeFile(join(dir, 'truth.csv'), truth.join('\n') + '\n');
  });
  process.stdout.write(`${name}: ${rows.length} observations -> ${dir}\n`);
}

function main(argv: string[]): void {
  const [dataDir, outDir] = argv;
  if (!dataDir || !outDir) fail('usage: npx tsx scripts/convert-datasets.ts <data-dir> <out-dir>');
  for (const d of ['herald-edison', 'pc-ng-rss-smartphone', 'mitll-static-configs'])
    if (!existsSync(join(dataDir, d))) fail(`${join(dataDir, d)}: not found (expected the data-set folder with herald-edison, pc-ng-rss-smartphone, mitll-static-configs)`);
  write(outDir, 'herald-edison-A', convertHerald(join(dataDir, 'herald-edison'), 'A'));
  write(outDir, 'herald-edison-B', convertHerald(join(dataDir, 'herald-edison'), 'B'));
  write(outDir, 'pc-ng-train', convertPcng(join(dataDir, 'pc-ng-rss-smartphone'), 'train'));
  write(outDir, 'pc-ng-test', convertPcng(join(dataDir, 'pc-ng-rss-smartphone'), 'test'));
  write(outDir, 'mitll-static-configs', convertMitll(join(dataDir, 'mitll-static-configs')));
}

// Run only as a script, so tests can import the converters.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv.slice(2));
