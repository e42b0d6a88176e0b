// The GAEN calibration table (Google, 13 June 2020; records/data/gaen-calibration/PROVENANCE.md): its one
// parser, the classifier's per-model lookup and the simulator's model rows. GAEN's use
// (peer-protocols.md 1.2): attenuation = TX_power - (RSSI + RSSI_correction).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { splitCsvRecord } from './csv.ts';
import { DataFileError } from './errors.ts';

/** The table shipped with the package (used unless --calibration FILE|none says otherwise). */
export const DEFAULT_CALIBRATION_CSV = fileURLToPath(new URL('./data/gaen-calibration/en-calibration-2020-06-13.csv', import.meta.url));

/** One row of the table. */
export interface DeviceModel {
  oem: string;
  name: string;
  /** calibrated TX power, dBm as an iPhone would report it */
  txPowerDbm: number;
  /** added to this phone's RSSI to give an iPhone's reading (dB) */
  rssiCorrectionDb: number;
  /** the model was measured directly (313 of 9,895 rows) */
  measured: boolean;
}

/** What the classifier needs of a model. */
export interface CalibrationEntry {
  /** Added to the RSSI this model measures, to give what a typical iPhone reports (dB). */
  rssiCorrection: number;
  /** This model's calibrated TX power on the iPhone scale (dBm), as GAEN's metadata carries it. */
  txPower: number;
  /** The row was measured directly (not extrapolated from the OEM). */
  measured: boolean;
}

export type CalibrationLookup = (model: string | undefined) => CalibrationEntry | undefined;

/**
 * Defaults for models not in the table. The table is Android-only and its correction maps onto the iPhone
 * scale, so an iPhone (or an unknown phone) gets correction 0. TX -24 dBm is the table's most common value
 * (2,075 of 9,895 rows, PROVENANCE.md).
 */
export const DEFAULT_CALIBRATION: Readonly<CalibrationEntry> = Object.freeze({
  rssiCorrection: 0,
  txPower: -24,
  measured: false,
});

const COLS = { oem: 'oem', model: 'model', corr: 'rssi correction', tx: 'tx', measured: 'has direct measurement' };

/** Parses the calibration CSV text; errors (DataFileError) name the file, line and field. */
export function parseCalibrationTable(text: string, file = 'calibration csv'): DeviceModel[] {
  const lines = text.split(/\r?\n/);
  if (lines.length < 2) throw new DataFileError(file, 1, 'empty file: expected a header and rows');
  let header: string[];
  try {
    header = splitCsvRecord(lines[0]).map((h) => h.trim().toLowerCase());
  } catch (e) {
    throw new DataFileError(file, 1, `header: ${(e as Error).message}`);
  }
  const col = (prefix: string) => {
    const i = header.findIndex((h) => h === prefix || h.startsWith(prefix + ' '));
    if (i < 0) throw new DataFileError(file, 1, `header has no '${prefix}' column (got ${header.join(', ')})`);
    return i;
  };
  const iOem = col(COLS.oem);
  const iModel = col(COLS.model);
  const iCorr = col(COLS.corr);
  const iTx = col(COLS.tx);
  const iMeas = col(COLS.measured);
  const out: DeviceModel[] = [];
  for (let ln = 1; ln < lines.length; ln++) {
    const line = lines[ln];
    if (line.trim() === '') continue;
    let f: string[];
    try {
      f = splitCsvRecord(line);
    } catch (e) {
      throw new DataFileError(file, ln + 1, (e as Error).message);
    }
    if (f.length < header.length) throw new DataFileError(file, ln + 1, `expected ${header.length} fields, got ${f.length}`);
    const num = (i: number, what: string) => {
      const s = f[i].trim();
      const v = Number(s);
      if (s === '' || !Number.isFinite(v) || Math.abs(v) > 100) throw new DataFileError(file, ln + 1, `field '${what}' is not a dB value in -100..100: '${s}'`);
      return v;
    };
    const meas = f[iMeas].trim().toLowerCase();
    if (meas !== 'yes' && meas !== 'no') throw new DataFileError(file, ln + 1, `field 'has direct measurement' must be yes or no, got '${f[iMeas]}'`);
    out.push({
      oem: f[iOem],
      name: f[iModel],
      rssiCorrectionDb: num(iCorr, 'rssi correction'),
      txPowerDbm: num(iTx, 'tx'),
      measured: meas === 'yes',
    });
  }
  if (out.length === 0) throw new DataFileError(file, 2, 'no device rows');
  return out;
}

/** Reads and parses a calibration table file (default: the shipped one). */
export function loadCalibrationTable(path: string = DEFAULT_CALIBRATION_CSV): DeviceModel[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new DataFileError(path, 0, `cannot read calibration table: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseCalibrationTable(text, path);
}

function normModel(s: string): string {
  return s.trim().toLowerCase().replace(/\s+/g, ' ');
}

/**
 * The classifier's lookup: model strings matched case-insensitively (whitespace normalised), also as
 * "oem model"; the first row wins for a duplicate string (the 2020-06-13 table has none).
 */
export function calibrationLookup(rows: readonly DeviceModel[]): CalibrationLookup {
  const table = new Map<string, CalibrationEntry>();
  for (const r of rows) {
    const entry: CalibrationEntry = { rssiCorrection: r.rssiCorrectionDb, txPower: r.txPowerDbm, measured: r.measured };
    const model = normModel(r.name);
    if (model === '') continue;
    if (!table.has(model)) table.set(model, entry);
    const both = normModel(`${r.oem} ${r.name}`);
    if (!table.has(both)) table.set(both, entry);
  }
  return (model) => (model ? table.get(normModel(model)) : undefined);
}

/** Exact (case-insensitive) model lookup, e.g. 'Pixel 3', 'SM-G965F'. */
export function findDeviceModel(models: readonly DeviceModel[], name: string): DeviceModel | undefined {
  const n = name.toLowerCase();
  return models.find((m) => m.name.toLowerCase() === n);
}

/** Bluezone platform of a device model: Apple models are iOS, everything else is taken as Android. */
export function platformOf(model: string | undefined): 'iOS' | 'Android' {
  return model && /iphone|ipad|ipod|\bios\b|apple/i.test(model) ? 'iOS' : 'Android';
}
