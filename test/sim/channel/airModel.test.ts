import { describe, expect, it } from 'vitest';
import { allocBatch, pairIdOf } from '../../../sim/kernel/types.ts';
import { evaluateTs } from '../../../sim/kernel/tsKernel.ts';
import { ChannelAirModel, parseChannelAirModel } from '../../../sim/channel/airModel.ts';

const A = { address: 'c0:ff:ee:00:00:01', publicAddress: 'c0:ff:ee:00:00:01', index: 0 };
const B = { address: 'c0:ff:ee:00:00:02', publicAddress: 'c0:ff:ee:00:00:02', index: 1 };

// Issue 14 "one air model, not three": the virtual air's RSSI is the simulator's channel model.
describe('the virtual air on the simulator\'s channel model', () => {
  it('gives exactly what the simulator\'s reception kernel gives for the same pair, packet and epoch', () => {
    const m = new ChannelAirModel({ environment: 'office', seed: 4, txPowerDbm: -8 });
    m.setPosition(B.address, { x: 2.5, y: 0 });
    for (let k = 0; k < 9; k++) {
      const got = m.rssi(A, B, 30_000);
      const b = allocBatch(1);
      b.n = 1;
      b.distM[0] = 2.5;
      b.txPowerDbm[0] = -8;
      b.staticLossDb[0] = 0;
      b.pairId[0] = pairIdOf(0, 1);
      b.epoch[0] = Math.floor(30_000 / m.params.shadowEpochMs);
      b.eventId[0] = Math.floor(k / 3);
      b.channel[0] = 37 + (k % 3);
      const out = new Float32Array(1);
      evaluateTs(b, m.params, out);
      expect(got).toBe(out[0]);
    }
  });

  it('falls with distance, drops below sensitivity, and is seeded', () => {
    const mean = (d: number, seed = 1) => {
      const m = new ChannelAirModel({ seed });
      m.setPosition(B.address, { x: d, y: 0 });
      let s = 0;
      for (let i = 0; i < 600; i++) s += m.rssi(A, B, i * 1000) ?? NaN;
      return s / 600;
    };
    expect(mean(1)).toBeGreaterThan(mean(4) + 5);
    const far = new ChannelAirModel();
    far.setPosition(B.address, { x: 5000, y: 0 });
    expect(far.rssi(A, B, 0)).toBeNull();
    const seq = (seed: number) => {
      const m = new ChannelAirModel({ seed });
      return Array.from({ length: 20 }, (_, i) => m.rssi(A, B, i * 100));
    };
    expect(seq(3)).toEqual(seq(3));
    expect(seq(3)).not.toEqual(seq(4));
  });

  it('parses its spec and names a bad part', () => {
    expect(parseChannelAirModel('channel:env=office,seed=2,tx=-8,spacing=2').txPowerDbm).toBe(-8);
    expect(() => parseChannelAirModel('channel:env=moon')).toThrow(/bad parameter "env=moon"/);
    expect(() => parseChannelAirModel('channel:q=1')).toThrow(/bad parameter "q=1"/);
  });
});
