import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CalibrationFormatError, calibrationLookup, parseCalibrationCsv, platformOf } from '../../records/calibration.ts';

const HEADER = 'oem,model,rssi correction (android rssi + rssi correction = iphone rssi),tx (as iphone would report for same power),has direct measurement';
const TABLE = fileURLToPath(new URL('../../../shared/data/gaen-calibration/en-calibration-2020-06-13.csv', import.meta.url));

describe('GAEN calibration table', () => {
  it('parses rows and looks models up case-insensitively, also as "oem model"', () => {
    const look = calibrationLookup(parseCalibrationCsv(`${HEADER}\r\nGoogle,Pixel 3,-4,-34,yes\r\nHTC,"HTC One, M9",4,-30,no\r\n`));
    expect(look('pixel 3')).toEqual({ rssiCorrection: -4, txPower: -34, measured: true });
    expect(look('Google Pixel 3')?.txPower).toBe(-34);
    expect(look('HTC One, M9')?.rssiCorrection).toBe(4);
    expect(look('Unknown Phone')).toBeUndefined();
    expect(look(undefined)).toBeUndefined();
  });
  it('names the line of a malformed row', () => {
    expect(() => parseCalibrationCsv(`${HEADER}\nGoogle,Pixel 3,x,-34,yes\n`)).toThrow(CalibrationFormatError);
    expect(() => parseCalibrationCsv(`${HEADER}\nGoogle,Pixel 3,x,-34,yes\n`)).toThrow(/line 2/);
    expect(() => parseCalibrationCsv('a,b\n')).toThrow(/no "oem" column/);
  });
  it('maps models to Bluezone platforms', () => {
    expect(platformOf('Apple iPhone 6S')).toBe('iOS');
    expect(platformOf('iPhone12,1')).toBe('iOS');
    expect(platformOf('SM-G965F')).toBe('Android');
    expect(platformOf(undefined)).toBe('Android');
  });
  it.runIf(existsSync(TABLE))('reads the shared 13 June 2020 table (9,895 models)', () => {
    const table = parseCalibrationCsv(readFileSync(TABLE, 'utf8'));
    const look = calibrationLookup(table);
    expect(look('Pixel 3')).toEqual({ rssiCorrection: -4, txPower: -34, measured: true });
    expect(look('SM-G965F')).toEqual({ rssiCorrection: -3, txPower: -25, measured: true });
    expect(look('HTC One M9')).toEqual({ rssiCorrection: 4, txPower: -30, measured: true });
  });
});
