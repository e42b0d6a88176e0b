import fc from 'fast-check';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createDevicePicker, findDeviceModel, IPHONE_MODEL, loadDeviceModels, parseDeviceModels, splitCsvRecord } from '../../../sim/channel/devices.ts';
import { DataFileError } from '../../../sim/channel/errors.ts';
import { bodyLossDb, channelParamsFor, DEFAULT_BODY, DEFAULT_CHANNEL, ENVIRONMENTS } from '../../../sim/channel/params.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const HEADER = 'oem,model,rssi correction (android rssi + rssi correction = iphone rssi),tx (as iphone would report for same power),has direct measurement';

describe('GAEN device models', () => {
  it('reads the shared calibration table (about 9,900 models, 313 measured)', () => {
    const models = loadDeviceModels(`${ROOT}/../shared/data/gaen-calibration/en-calibration-2020-06-13.csv`);
    // its README says 9,895 data rows; Python's csv module counts 9,896, as we do
    expect(models.length).toBe(9896);
    expect(models.filter((m) => m.measured).length).toBe(313);
    expect(findDeviceModel(models, 'pixel 3')).toMatchObject({ oem: 'Google', rssiCorrectionDb: -4, txPowerDbm: -34, measured: true });
    // quoted model names with doubled quotes survive
    expect(models.some((m) => m.name === '2T-C40AE1T"')).toBe(true);
  });

  it('parses RFC 4180 quoting and CRLF', () => {
    expect(splitCsvRecord('a,"b,""c""",d')).toEqual(['a', 'b,"c"', 'd']);
    const m = parseDeviceModels(`${HEADER}\r\nX,"Y, 1",-3,-24,yes\r\n`, 'x.csv');
    expect(m).toEqual([{ oem: 'X', name: 'Y, 1', rssiCorrectionDb: -3, txPowerDbm: -24, measured: true }]);
  });

  it('names file, line and field on bad rows', () => {
    expect(() => parseDeviceModels(`${HEADER}\nA,B,-3,-24,yes\nA,C,minus,-24,no\n`, 'cal.csv')).toThrow(/cal\.csv:3: field 'rssi correction'/);
    expect(() => parseDeviceModels(`${HEADER}\nA,B,-3,-24,maybe\n`, 'cal.csv')).toThrow(/cal\.csv:2: .*yes or no/);
    expect(() => parseDeviceModels('oem,model\nA,B\n', 'cal.csv')).toThrow(/cal\.csv:1: header has no 'rssi correction'/);
    expect(() => loadDeviceModels('/nonexistent/cal.csv')).toThrow(DataFileError);
  });

  it('never throws anything but DataFileError on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.boolean(), (s, withHeader) => {
        try {
          parseDeviceModels(withHeader ? `${HEADER}\n${s}` : s, 'f.csv');
        } catch (e) {
          expect(e).toBeInstanceOf(DataFileError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('picks models deterministically per device index, with an iPhone share', () => {
    const models = parseDeviceModels(`${HEADER}\nA,a,-1,-20,yes\nB,b,-2,-30,yes\nC,c,-3,-40,no\n`);
    const p1 = createDevicePicker(models, 7);
    const p2 = createDevicePicker(models, 7);
    for (let i = 0; i < 50; i++) expect(p1(i)).toBe(p2(i));
    const names = new Set(Array.from({ length: 200 }, (_, i) => p1(i).name));
    expect(names).toEqual(new Set(['a', 'b'])); // unmeasured 'c' excluded by default
    const half = createDevicePicker(models, 7, { iosShare: 0.5 });
    const ios = Array.from({ length: 2000 }, (_, i) => half(i)).filter((m) => m === IPHONE_MODEL).length;
    expect(ios).toBeGreaterThan(900);
    expect(ios).toBeLessThan(1100);
  });
});

describe('channel params and body loss', () => {
  it('body loss is smallest facing the peer and largest with the body in between', () => {
    expect(bodyLossDb('pocket', 0)).toBeCloseTo(DEFAULT_BODY.pocket.baseDb);
    expect(bodyLossDb('pocket', Math.PI)).toBeCloseTo(DEFAULT_BODY.pocket.baseDb + DEFAULT_BODY.pocket.blockDb);
    // a backpack sits on the back: blocked when the carrier faces the peer
    expect(bodyLossDb('bag', 0)).toBeGreaterThan(bodyLossDb('bag', Math.PI));
    expect(bodyLossDb('fixed', 1.3)).toBe(0);
    expect(() => bodyLossDb('ear' as never, 0)).toThrow(/unknown carriage/);
  });

  it('environments override the fitted defaults and are validated', () => {
    expect(channelParamsFor('open')).toEqual(DEFAULT_CHANNEL);
    expect(channelParamsFor('office').exponent).toBe(ENVIRONMENTS.office.exponent);
    expect(() => channelParamsFor('moon')).toThrow(/unknown environment 'moon'/);
    expect(() => channelParamsFor('open', { exponent: -1 })).toThrow(/exponent/);
    expect(() => channelParamsFor('open', { seed: 1.5 })).toThrow(/seed/);
  });
});
