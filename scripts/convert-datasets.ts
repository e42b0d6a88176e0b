// Converts the real RSSI data sets (given as <data-dir>; see docs/datasets.md, docs/channel-fit.md and
// each folder's README) into the generic observation CSV + truth CSV (docs/interfaces.md), split into a
// training part (used to choose the classifier's parameters) and a held-out test part (used only for the
// README figures). The parsing and the meaning of each column live in records/datasets.ts; this is the
// command line and the file writing only.
//
//   npx tsx scripts/convert-datasets.ts <data-dir> <out-dir>
//
// Writes <out-dir>/<name>/{observations.csv,truth.csv} for:
//   herald-edison-A  (train) every herald file logged by phone A     herald-edison-B (test) phone B's files
//   pc-ng-train      (train) HandHand, HandBackpack, PocketPocket     pc-ng-test (test) HandPocket,
//                                                                     PocketBackpack, BackpackBackpack
//   mitll-static-configs (all at 1.83 m: one class, test only)
// Exit 2 with 'error: <file>:<line>: ...' on stderr for a malformed data file.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { withOutputSet } from '../records/output.ts';
import { heraldObservations, mitllObservations, pcngObservations, type TruthObservation } from '../records/datasets.ts';
import { DataFileError } from '../records/errors.ts';
import { OBSERVATION_CSV_HEADER, TRUTH_CSV_HEADER, csvField, formatObservationRow } from '../records/rows.ts';

function fail(msg: string): never {
  process.stderr.write(`error: ${msg}\n`);
  process.exit(2);
}

function write(outDir: string, name: string, rows: TruthObservation[]): void {
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
  if (!dataDir || !outDir || argv.length > 2) fail('usage: npx tsx scripts/convert-datasets.ts <data-dir> <out-dir>');
  for (const d of ['herald-edison', 'pc-ng-rss-smartphone', 'mitll-static-configs'])
    if (!existsSync(join(dataDir, d))) fail(`${join(dataDir, d)}: not found (expected the data-set folder with herald-edison, pc-ng-rss-smartphone, mitll-static-configs)`);
  try {
    // every set is parsed before anything is written, so a bad file leaves the output folder as it was
    const sets: [string, TruthObservation[]][] = [
      ['herald-edison-A', heraldObservations(dataDir, 'A')],
      ['herald-edison-B', heraldObservations(dataDir, 'B')],
      ['pc-ng-train', pcngObservations(dataDir, 'train')],
      ['pc-ng-test', pcngObservations(dataDir, 'test')],
      ['mitll-static-configs', mitllObservations(dataDir)],
    ];
    for (const [name, rows] of sets) write(outDir, name, rows);
  } catch (e) {
    if (e instanceof DataFileError) fail(e.message);
    throw e;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv.slice(2));
