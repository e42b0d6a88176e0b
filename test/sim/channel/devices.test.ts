import { describe, expect, it } from 'vitest';
import { parseCalibrationTable } from '../../../records/calibration.ts';
import { createDevicePicker, IPHONE_MODEL } from '../../../sim/channel/devices.ts';
import { bodyLossDb, channelParamsFor, DEFAULT_BODY, DEFAULT_CHANNEL, ENVIRONMENTS } from '../../../sim/channel/params.ts';

const HEADER = 'oem,model,rssi correction (android rssi + rssi correction = iphone rssi),tx (as iphone would report for same power),has direct measurement';

describe('GAEN device models', () => {
  it('picks models deterministically per device index, with an iPhone share', () => {
    const models = parseCalibrationTable(`${HEADER}\nA,a,-1,-20,yes\nB,b,-2,-30,yes\nC,c,-3,-40,no\n`);
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
