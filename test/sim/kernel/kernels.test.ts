import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CHANNEL, type ChannelParams } from '../../../sim/channel/params.ts';
import { allocBatch, cullRadiusM, distanceForPathLossM, loadKernel, pathLossDb, tsKernel, fastLog2 } from '../../../sim/kernel/index.ts';
import { FADE_BITS, FADE_N, fadingQuantilesDb, kernelTables, TAG_FADE, TAG_PAIR, TAG_SHADOW } from '../../../sim/kernel/tables.ts';
import { hash32, hashAbsorb, hashFinish, hashStart, normalFromHash, rehash } from '../../../sim/kernel/rng.ts';
import type { PairBatch } from '../../../sim/kernel/types.ts';
import { WASM_PATH } from '../../../sim/kernel/wasmKernel.ts';

const wasm = await loadKernel('wasm');

const pairArb = fc.record({
  d: fc.float({ min: 0, max: 200, noNaN: true }),
  tx: fc.float({ min: -40, max: 10, noNaN: true }),
  loss: fc.float({ min: -20, max: 40, noNaN: true }),
  pair: fc.nat({ max: 0xffffffff }),
  epoch: fc.nat({ max: 0xffffffff }),
  event: fc.nat({ max: 0xffffffff }),
  ch: fc.constantFrom(37, 38, 39),
});
const paramsArb: fc.Arbitrary<ChannelParams> = fc.record({
  seed: fc.nat({ max: 0xffffffff }),
  pl1mDb: fc.double({ min: 20, max: 70, noNaN: true }),
  exponent: fc.double({ min: 1.2, max: 4, noNaN: true }),
  exponentNear: fc.double({ min: 0.5, max: 3, noNaN: true }),
  nearBreakM: fc.double({ min: 0.5, max: 20, noNaN: true }),
  shadowSigmaDb: fc.double({ min: 0, max: 10, noNaN: true }),
  shadowEpochMs: fc.constant(10_000),
  pairSigmaDb: fc.double({ min: 0, max: 10, noNaN: true }),
  ricianK: fc.constantFrom(0, 1, 2, 6),
  kBreakM: fc.double({ min: 0, max: 5, noNaN: true }),
  sensitivityDbm: fc.double({ min: -100, max: -60, noNaN: true }),
  captureDb: fc.constant(13),
  readingSigmaDb: fc.constantFrom(0, 1.5),
  minDistM: fc.double({ min: 0.01, max: 0.5, noNaN: true }),
});

type P = { d: number; tx: number; loss: number; pair: number; epoch: number; event: number; ch: number };
function fill(b: PairBatch, pairs: P[]) {
  b.n = pairs.length;
  pairs.forEach((p, i) => {
    b.distM[i] = p.d;
    b.txPowerDbm[i] = p.tx;
    b.staticLossDb[i] = p.loss;
    b.pairId[i] = p.pair;
    b.epoch[i] = p.epoch;
    b.eventId[i] = p.event;
    b.channel[i] = p.ch;
  });
}

describe('reception kernels', () => {
  it('loads the WASM SIMD kernel in Node 20', () => {
    expect(wasm.name).toBe('wasm-simd');
    expect(wasm.fallbackReason).toBeUndefined();
  });

  it('WASM SIMD and the TS oracle agree on random batches (1e-3 dB, same decisions off the threshold)', () => {
    fc.assert(
      fc.property(fc.array(pairArb, { minLength: 1, maxLength: 67 }), paramsArb, (pairs, params) => {
        const bt = allocBatch(pairs.length);
        const bw = wasm.allocBatch!(pairs.length);
        fill(bt, pairs);
        fill(bw, pairs);
        const ot = new Float32Array(pairs.length);
        const ow = new Float32Array(pairs.length); // not in WASM memory: exercises the copy path
        const ct = tsKernel().evaluate(bt, params, ot);
        const cw = wasm.evaluate(bw, params, ow);
        let nearThreshold = 0;
        for (let i = 0; i < pairs.length; i++) {
          expect(Math.abs(ot[i] - ow[i])).toBeLessThan(1e-3);
          if (Math.abs(ot[i] - params.sensitivityDbm) < 1e-3) nearThreshold++;
          else expect(ow[i] >= params.sensitivityDbm).toBe(ot[i] >= params.sensitivityDbm);
        }
        expect(Math.abs(ct - cw)).toBeLessThanOrEqual(nearThreshold);
      }),
      { numRuns: 150 },
    );
  });

  it('the inlined TS kernel computes exactly the model written with rng.ts and pathLossDb', () => {
    const p: ChannelParams = { ...DEFAULT_CHANNEL, seed: 99, ricianK: 3, kBreakM: 2 };
    const tables = kernelTables(p);
    const n = 500;
    const b = allocBatch(n);
    b.n = n;
    for (let i = 0; i < n; i++) {
      b.distM[i] = 0.05 + (i % 97) * 0.37;
      b.txPowerDbm[i] = -20 + (i % 7);
      b.staticLossDb[i] = (i % 5) * 2.5;
      b.pairId[i] = hash32(1, i, 0, 0, 0);
      b.epoch[i] = i >> 3;
      b.eventId[i] = i * 3;
      b.channel[i] = 37 + (i % 3);
    }
    const out = new Float32Array(n);
    tsKernel().evaluate(b, p, out);
    for (let i = 0; i < n; i++) {
      const h0 = hashAbsorb(hashStart(p.seed), b.pairId[i]);
      const hp = hashFinish(hashAbsorb(h0, TAG_PAIR));
      const hs = hashFinish(hashAbsorb(hashAbsorb(h0, TAG_SHADOW), b.epoch[i]));
      const hf = hashFinish(hashAbsorb(hashAbsorb(hashAbsorb(h0, TAG_FADE), b.eventId[i]), b.channel[i]));
      const d = Math.max(b.distM[i], p.minDistM);
      const fade = tables.fade[(d >= p.kBreakM ? FADE_N : 0) + (hf >>> (32 - FADE_BITS))];
      const want = b.txPowerDbm[i] - pathLossDb(p, d) - b.staticLossDb[i] + p.pairSigmaDb * normalFromHash(hp, rehash(hp)) + p.shadowSigmaDb * normalFromHash(hs, rehash(hs)) + fade;
      expect(Math.abs(out[i] - want)).toBeLessThan(2e-3);
    }
  });

  it('gives the same power for a pair whatever its position in the batch (counter-based RNG)', () => {
    const n = 1000;
    const b = wasm.allocBatch!(n);
    const out = wasm.allocOut!(n);
    for (let i = 0; i < n; i++) {
      b.distM[i] = 1 + (i % 17);
      b.txPowerDbm[i] = -20;
      b.staticLossDb[i] = 0;
      b.pairId[i] = i * 7919;
      b.epoch[i] = 3;
      b.eventId[i] = i;
      b.channel[i] = 37 + (i % 3);
    }
    b.n = n;
    wasm.evaluate(b, DEFAULT_CHANNEL, out);
    const ref = Float32Array.from(out);
    // the same pairs, reversed, in a foreign (copied) batch, evaluated by the oracle
    const r = allocBatch(n);
    for (let i = 0; i < n; i++) {
      const j = n - 1 - i;
      r.distM[j] = b.distM[i];
      r.txPowerDbm[j] = b.txPowerDbm[i];
      r.staticLossDb[j] = b.staticLossDb[i];
      r.pairId[j] = b.pairId[i];
      r.epoch[j] = b.epoch[i];
      r.eventId[j] = b.eventId[i];
      r.channel[j] = b.channel[i];
    }
    r.n = n;
    const o2 = new Float32Array(n);
    tsKernel().evaluate(r, DEFAULT_CHANNEL, o2);
    for (let i = 0; i < n; i++) expect(Math.abs(o2[n - 1 - i] - ref[i])).toBeLessThan(1e-3);
  });

  it('reproduces the model statistics: median path loss law and pair/shadow/fading spread', () => {
    const p: ChannelParams = { ...DEFAULT_CHANNEL, pl1mDb: 50, exponent: 2, exponentNear: 1, nearBreakM: 5, pairSigmaDb: 4, shadowSigmaDb: 3, ricianK: 0, kBreakM: 0, readingSigmaDb: 0 };
    const n = 40000;
    const b = allocBatch(n);
    for (let i = 0; i < n; i++) {
      b.distM[i] = 10;
      b.txPowerDbm[i] = 0;
      b.staticLossDb[i] = 0;
      b.pairId[i] = i;
      b.epoch[i] = 0;
      b.eventId[i] = 0;
      b.channel[i] = 37;
    }
    b.n = n;
    const out = new Float32Array(n);
    tsKernel().evaluate(b, p, out);
    let m = 0;
    for (const v of out) m += v;
    m /= n;
    let v2 = 0;
    for (const v of out) v2 += (v - m) ** 2;
    const sd = Math.sqrt(v2 / n);
    // mean of Rayleigh power in dB is -2.51 dB (10 log10 e * -gamma), sd 5.57 dB
    // two slopes: 10 log10(5) at n = 1, then 20 log10(10 / 5)
    expect(m).toBeCloseTo(-50 - 10 * Math.log10(5) - 20 * Math.log10(2) - 2.51, 0);
    expect(sd).toBeCloseTo(Math.sqrt(16 + 9 + 5.57 ** 2), 0);
  });

  it('has an accurate fast log2 and sane fading tables', () => {
    for (const x of [0.01, 0.1, 0.5, 1, 1.5, 2, 3.3, 100, 12345]) expect(Math.abs(fastLog2(x) - Math.log2(x))).toBeLessThan(3e-5);
    const ray = fadingQuantilesDb(0, 0);
    expect(ray.length).toBe(FADE_N);
    // Rayleigh power median ln 2 -> -1.59 dB; mean power 1
    expect(ray[FADE_N / 2]).toBeCloseTo(10 * Math.log10(Math.LN2), 1);
    let mp = 0;
    for (const v of ray) mp += 10 ** (v / 10);
    expect(mp / FADE_N).toBeCloseTo(1, 2);
    for (let i = 1; i < FADE_N; i++) expect(ray[i]).toBeGreaterThanOrEqual(ray[i - 1]);
    const ric = fadingQuantilesDb(6, 0);
    expect(ric[0]).toBeGreaterThan(ray[0]); // LOS component makes deep fades rarer
  });

  it('culling radius covers the upper tail of the link budget', () => {
    const p = { ...DEFAULT_CHANNEL, pl1mDb: 46, exponent: 2, exponentNear: 1.2, nearBreakM: 5, sensitivityDbm: -95 };
    const r = cullRadiusM(p, -7);
    expect(r).toBeGreaterThan(5);
    const maxLossAtR = 46 + 12 * Math.log10(5) + 20 * Math.log10(r / 5);
    expect(maxLossAtR).toBeCloseTo(-7 + 95 + kernelTables(p).fadeMaxDb + 3.5 * Math.hypot(p.pairSigmaDb, p.shadowSigmaDb), 6);
    expect(cullRadiusM({ ...p, exponent: 3 }, -7)).toBeLessThan(r);
    for (const d of [0.3, 1, 4.9, 5, 7, 80]) expect(distanceForPathLossM(p, pathLossDb(p, d))).toBeCloseTo(d, 6);
  });

  it('falls back to TS when asked or when WASM cannot load, saying why', async () => {
    expect((await loadKernel('ts')).name).toBe('ts');
    const k = await loadKernel('wasm', { wasmBytes: new Uint8Array([0, 0x61, 0x73, 0x6d, 9, 9]) });
    expect(k.name).toBe('ts');
    expect(k.fallbackReason).toMatch(/WASM SIMD kernel unavailable: .*does not validate/);
    const b = allocBatch(1);
    b.n = 1;
    b.distM[0] = 2;
    expect(k.evaluate(b, DEFAULT_CHANNEL, new Float32Array(1))).toBeGreaterThanOrEqual(0);
    expect(WebAssembly.validate(new Uint8Array(readFileSync(WASM_PATH)))).toBe(true);
  });
});
