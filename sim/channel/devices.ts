/**
 * Device models: per-model calibrated TX power and RSSI correction from Google's Exposure Notifications
 * calibration table (shared data gaen-calibration/en-calibration-2020-06-13.csv; its README "Format").
 * In the channel model a device's txPowerDbm goes into PairBatch.txPowerDbm and the receiver's reading is
 * `iPhone-scale power - rssiCorrectionDb` (android rssi + correction = iphone rssi), so the receiver's
 * correction is added to PairBatch.staticLossDb.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hash32, uniform01 } from '../kernel/rng.ts';
import { DataFileError } from './errors.ts';

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

/** ../shared/data/gaen-calibration/en-calibration-2020-06-13.csv relative to the repo root. */
export const DEFAULT_DEVICES_CSV = fileURLToPath(
  new URL('../../../shared/data/gaen-calibration/en-calibration-2020-06-13.csv', import.meta.url),
);

/**
 * An iPhone on the GAEN scale: RSSI correction 0 by definition (the table maps Android readings onto an
 * iPhone's). Its TX power is not in the table; IPHONE_TX_DBM is fitted on herald-edison iPhone pairs
 * (sim fit, README "Channel fit").
 */
export const IPHONE_TX_DBM = -8;
export const IPHONE_MODEL: DeviceModel = { oem: 'Apple', name: 'iPhone', txPowerDbm: IPHONE_TX_DBM, rssiCorrectionDb: 0, measured: true };

/** Exact (case-insensitive) model lookup, e.g. 'Pixel 3', 'SM-G965F'. */
export function findDeviceModel(models: DeviceModel[], name: string): DeviceModel | undefined {
  const n = name.toLowerCase();
  return models.find((m) => m.name.toLowerCase() === n);
}

/** Splits one CSV record (RFC 4180 quoting, "" is a literal quote). */
export function splitCsvRecord(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    if (line[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new Error('unterminated quoted field');
        v += line.slice(i, q);
        if (line[q + 1] === '"') {
          v += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      out.push(v);
      if (i >= n) return out;
      if (line[i] !== ',') throw new Error(`expected ',' after quoted field at column ${i + 1}`);
      i++;
    } else {
      const c = line.indexOf(',', i);
      if (c < 0) {
        out.push(line.slice(i));
        return out;
      }
      out.push(line.slice(i, c));
      i = c + 1;
    }
  }
}

const COLS = {
  oem: 'oem',
  model: 'model',
  corr: 'rssi correction',
  tx: 'tx',
  measured: 'has direct measurement',
};

/** Parses the calibration CSV text; errors name the file, line and field. */
export function parseDeviceModels(text: string, file = 'calibration csv'): DeviceModel[] {
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

export function loadDeviceModels(path: string = DEFAULT_DEVICES_CSV): DeviceModel[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new DataFileError(path, 0, `cannot read device calibration table: ${(e as Error).message}`);
  }
  return parseDeviceModels(text, path);
}

/**
 * Seeded, order-independent picker: device i of a run gets models[f(seed, i)]. By default only directly
 * measured models are drawn (the others are copies of OEM defaults and would understate the spread);
 * with iosShare > 0 that fraction of devices are iPhones (IPHONE_MODEL).
 */
export function createDevicePicker(models: DeviceModel[], seed: number, opts: { measuredOnly?: boolean; iosShare?: number; iphone?: DeviceModel } = {}) {
  const pool = opts.measuredOnly === false ? models : models.filter((m) => m.measured);
  if (pool.length === 0) throw new RangeError('device picker: no models to draw from');
  const ios = opts.iosShare ?? 0;
  if (!(ios >= 0 && ios <= 1)) throw new RangeError(`device picker: iosShare must be in [0, 1], got ${ios}`);
  const iphone = opts.iphone ?? IPHONE_MODEL;
  return (deviceIndex: number): DeviceModel => {
    if (ios > 0 && uniform01(hash32(seed, 0x105, deviceIndex >>> 0, 0, 0)) < ios) return iphone;
    return pool[Math.floor(uniform01(hash32(seed, 0xde71ce, deviceIndex >>> 0, 0, 0)) * pool.length)];
  };
}
