import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CALIBRATION_CSV, calibrationLookup, findDeviceModel, loadCalibrationTable, parseCalibrationTable, platformOf,
} from '../../records/calibration.ts';
import { splitCsvRecord } from '../../records/csv.ts';
import { DataFileError } from '../../records/errors.ts';

const HEADER = 'oem,model,rssi correction (android rssi + rssi correction = iphone rssi),tx (as iphone would report for same power),has direct measurement';

describe('GAEN calibration table (records/calibration.ts, the one parser)', () => {
  it('ships with the package and reads without ../shared (9,896 records, 313 measured)', () => {
    expect(DEFAULT_CALIBRATION_CSV).toMatch(/records[\\/]data[\\/]gaen-calibration/);
    const models = loadCalibrationTable();
    // its README says 9,895 data rows; Python's csv module counts 9,896, as we do
    expect(models.length).toBe(9896);
    expect(models.filter((m) => m.measured).length).toBe(313);
    expect(findDeviceModel(models, 'pixel 3')).toMatchObject({ oem: 'Google', rssiCorrectionDb: -4, txPowerDbm: -34, measured: true });
    // quoted model names with doubled quotes survive
    expect(models.some((m) => m.name === '2T-C40AE1T"')).toBe(true);
    const look = calibrationLookup(models);
    expect(look('Pixel 3')).toEqual({ rssiCorrection: -4, txPower: -34, measured: true });
    expect(look('SM-G965F')).toEqual({ rssiCorrection: -3, txPower: -25, measured: true });
    expect(look('HTC One M9')).toEqual({ rssiCorrection: 4, txPower: -30, measured: true });
  });

  it('parses RFC 4180 quoting and CRLF; looks models up case-insensitively, also as "oem model"', () => {
    expect(splitCsvRecord('a,"b,""c""",d')).toEqual(['a', 'b,"c"', 'd']);
    const m = parseCalibrationTable(`${HEADER}\r\nX,"Y, 1",-3,-24,yes\r\nHTC,"HTC One, M9",4,-30,no\r\n`, 'x.csv');
    expect(m[0]).toEqual({ oem: 'X', name: 'Y, 1', rssiCorrectionDb: -3, txPowerDbm: -24, measured: true });
    const look = calibrationLookup(m);
    expect(look('y, 1')).toEqual({ rssiCorrection: -3, txPower: -24, measured: true });
    expect(look('X Y, 1')?.txPower).toBe(-24);
    expect(look('HTC One, M9')?.rssiCorrection).toBe(4);
    expect(look('Unknown Phone')).toBeUndefined();
    expect(look(undefined)).toBeUndefined();
  });

  it('names file, line and field on bad rows', () => {
    expect(() => parseCalibrationTable(`${HEADER}\nA,B,-3,-24,yes\nA,C,minus,-24,no\n`, 'cal.csv')).toThrow(/cal\.csv:3: field 'rssi correction'/);
    expect(() => parseCalibrationTable(`${HEADER}\nA,B,-3,-24,maybe\n`, 'cal.csv')).toThrow(/cal\.csv:2: .*yes or no/);
    expect(() => parseCalibrationTable('oem,model\nA,B\n', 'cal.csv')).toThrow(/cal\.csv:1: header has no 'rssi correction'/);
    expect(() => loadCalibrationTable('/nonexistent/cal.csv')).toThrow(DataFileError);
  });

  it('never throws anything but DataFileError on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.boolean(), (s, withHeader) => {
        try {
          parseCalibrationTable(withHeader ? `${HEADER}\n${s}` : s, 'f.csv');
        } catch (e) {
          expect(e).toBeInstanceOf(DataFileError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('maps models to Bluezone platforms', () => {
    expect(platformOf('Apple iPhone 6S')).toBe('iOS');
    expect(platformOf('iPhone12,1')).toBe('iOS');
    expect(platformOf('SM-G965F')).toBe('Android');
    expect(platformOf(undefined)).toBe('Android');
  });
});
