// Reception kernel, WebAssembly SIMD128 (AssemblyScript). Lane-wise mirror of sim/kernel/tsKernel.ts:
// keep the two in step (test/sim/kernel/kernels.test.ts checks agreement on random batches).
// Build: npm run build:wasm (asc --enable simd -O3 --runtime stub).

// rng.ts constants
const M2: u32 = 0xc2b2ae35;
const ADD: u32 = 0x165667b1;
const F1: u32 = 0x7feb352d;
const F2: u32 = 0x846ca68b;
const REHASH: u32 = 0x5bd1e995;
// tables.ts constants
export const TAG_PAIR: u32 = 0x50414952;
export const TAG_SHADOW: u32 = 0x53484457;
export const TAG_FADE: u32 = 0x46414445;
export const FADE_SHIFT: u32 = 20; // 32 - FADE_BITS
export const FADE_N: u32 = 4096;
const C0: f32 = 1.4418798685073853;
const C1: f32 = -0.708865225315094;
const C2: f32 = 0.41524556279182434;
const C3: f32 = -0.19351652264595032;
const C4: f32 = 0.04526829347014427;
const IH_MEAN: f32 = 1020.0; // 8 * 127.5

/** First free byte after static data; the JS side allocates batch arrays from here. */
export function heapBase(): usize {
  return __heap_base;
}

// @ts-ignore: decorator
@inline export function absorb(h: v128, v: v128): v128 {
  let x = i32x4.mul(v128.xor(h, v), i32x4.splat(M2));
  x = v128.xor(x, i32x4.shr_u(x, 15));
  return i32x4.add(x, i32x4.splat(ADD));
}

// @ts-ignore: decorator
@inline export function finish(h: v128): v128 {
  let x = v128.xor(h, i32x4.shr_u(h, 16));
  x = i32x4.mul(x, i32x4.splat(F1));
  x = v128.xor(x, i32x4.shr_u(x, 15));
  x = i32x4.mul(x, i32x4.splat(F2));
  return v128.xor(x, i32x4.shr_u(x, 16));
}

// @ts-ignore: decorator
@inline function byteSum(h: v128): v128 {
  return i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(h));
}

// Irwin-Hall normal of h and rehash(h); returns float lanes
// @ts-ignore: decorator
@inline export function normal1(h: v128, scale: v128): v128 {
  const h2 = finish(v128.xor(h, i32x4.splat(REHASH)));
  const s = f32x4.convert_i32x4_s(i32x4.add(byteSum(h), byteSum(h2)));
  return f32x4.mul(f32x4.sub(s, f32x4.splat(IH_MEAN)), scale);
}

// ---- scalar mirrors of the lane code, for the fused engine (engine.ts): same operations, same order ----

// @ts-ignore: decorator
@inline export function absorb1(h: u32, v: u32): u32 {
  let x = (h ^ v) * M2;
  x ^= x >>> 15;
  return x + ADD;
}

// @ts-ignore: decorator
@inline export function finish1(h: u32): u32 {
  let x = h ^ (h >>> 16);
  x *= F1;
  x ^= x >>> 15;
  x *= F2;
  return x ^ (x >>> 16);
}

// @ts-ignore: decorator
@inline function byteSum1(h: u32): i32 {
  return <i32>((h & 0xff) + ((h >>> 8) & 0xff) + ((h >>> 16) & 0xff) + (h >>> 24));
}

/** normal1 of one lane. */
// @ts-ignore: decorator
@inline export function normal1s(h: u32, scale: f32): f32 {
  const h2 = finish1(h ^ REHASH);
  return (<f32>(byteSum1(h) + byteSum1(h2)) - IH_MEAN) * scale;
}

/** Path loss (dB) at distance d (already clamped to minD) of one lane. */
// @ts-ignore: decorator
@inline export function pathLoss1(d: f32, pl1m: f32, slopeN: f32, slopeF: f32, lgB: f32): f32 {
  const bits = reinterpret<u32>(d);
  const e = <f32>(<i32>(bits >>> 23) - 127);
  const t = reinterpret<f32>((bits & 0x007fffff) | 0x3f800000) - 1.0;
  let poly: f32 = C3 + t * C4;
  poly = C2 + t * poly;
  poly = C1 + t * poly;
  poly = C0 + t * poly;
  const lg = e + t * poly;
  const pl = pl1m + slopeN * Mathf.min(lg, lgB);
  return pl + slopeF * Mathf.max(lg - lgB, 0);
}

/** Path loss (dB) of four distances (already clamped to minD): log2 by exponent + mantissa polynomial, two slopes. */
// @ts-ignore: decorator
@inline export function pathLossV(d: v128, vPl1m: v128, vSlopeN: v128, vSlopeF: v128, vLgB: v128): v128 {
  const bits = d;
  const e = f32x4.convert_i32x4_s(i32x4.sub(i32x4.shr_u(bits, 23), i32x4.splat(127)));
  const t = f32x4.sub(v128.or(v128.and(bits, i32x4.splat(0x007fffff)), i32x4.splat(0x3f800000)), f32x4.splat(1.0));
  let poly = f32x4.add(f32x4.splat(C3), f32x4.mul(t, f32x4.splat(C4)));
  poly = f32x4.add(f32x4.splat(C2), f32x4.mul(t, poly));
  poly = f32x4.add(f32x4.splat(C1), f32x4.mul(t, poly));
  poly = f32x4.add(f32x4.splat(C0), f32x4.mul(t, poly));
  const lg = f32x4.add(e, f32x4.mul(t, poly));
  // two slopes: near up to the break, far beyond (f32x4.min/max: no NaN here, d > 0)
  const pl = f32x4.add(vPl1m, f32x4.mul(vSlopeN, f32x4.min(lg, vLgB)));
  return f32x4.add(pl, f32x4.mul(vSlopeF, f32x4.max(f32x4.sub(lg, vLgB), f32x4.splat(0.0))));
}

/**
 * Evaluates n pairs; arrays are raw pointers into this memory. Returns the count with rssi >= sens.
 * Reads up to 3 elements past n in every input array (vector tail); never writes past n.
 */
export function evaluate(
  n: i32,
  pDist: usize, pTx: usize, pStatic: usize, pPair: usize, pEpoch: usize, pEvent: usize, pChan: usize,
  pOut: usize, pFade: usize,
  seedState: u32, pl1m: f32, plSlopeNear: f32, plSlopeFar: f32, log2Break: f32, sp: f32, ss: f32, kBreak: f32, minD: f32, sens: f32, ihScale: f32,
): i32 {
  const vSeed = i32x4.splat(seedState);
  const vMinD = f32x4.splat(minD);
  const vKBreak = f32x4.splat(kBreak);
  const vPl1m = f32x4.splat(pl1m);
  const vSlopeN = f32x4.splat(plSlopeNear);
  const vSlopeF = f32x4.splat(plSlopeFar);
  const vLgB = f32x4.splat(log2Break);
  const vSp = f32x4.splat(sp);
  const vSs = f32x4.splat(ss);
  const vSens = f32x4.splat(sens);
  const vScale = f32x4.splat(ihScale);
  const vTagPair = i32x4.splat(TAG_PAIR);
  const vTagShadow = i32x4.splat(TAG_SHADOW);
  const vTagFade = i32x4.splat(TAG_FADE);
  const vFar = i32x4.splat(FADE_N);
  let vCount = i32x4.splat(0);
  for (let i: i32 = 0; i < n; i += 4) {
    const o4 = (<usize>i) << 2;
    let d = v128.load(pDist + o4);
    d = v128.bitselect(d, vMinD, f32x4.gt(d, vMinD));
    const pl = pathLossV(d, vPl1m, vSlopeN, vSlopeF, vLgB);

    const h0 = absorb(vSeed, v128.load(pPair + o4));
    const zp = normal1(finish(absorb(h0, vTagPair)), vScale);
    const zs = normal1(finish(absorb(absorb(h0, vTagShadow), v128.load(pEpoch + o4))), vScale);
    const chan = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(pChan + <usize>i)));
    const hf = finish(absorb(absorb(absorb(h0, vTagFade), v128.load(pEvent + o4)), chan));
    const idx = i32x4.add(i32x4.shr_u(hf, FADE_SHIFT), v128.and(f32x4.ge(d, vKBreak), vFar));
    const fd = f32x4(
      load<f32>(pFade + ((<usize>i32x4.extract_lane(idx, 0)) << 2)),
      load<f32>(pFade + ((<usize>i32x4.extract_lane(idx, 1)) << 2)),
      load<f32>(pFade + ((<usize>i32x4.extract_lane(idx, 2)) << 2)),
      load<f32>(pFade + ((<usize>i32x4.extract_lane(idx, 3)) << 2)),
    );
    let r = f32x4.sub(f32x4.sub(v128.load(pTx + o4), pl), v128.load(pStatic + o4));
    r = f32x4.add(r, f32x4.mul(vSp, zp));
    r = f32x4.add(r, f32x4.mul(vSs, zs));
    r = f32x4.add(r, fd);
    const ok = f32x4.ge(r, vSens);
    if (i + 4 <= n) {
      v128.store(pOut + o4, r);
      vCount = i32x4.sub(vCount, ok);
    } else {
      const left = n - i;
      store<f32>(pOut + o4, f32x4.extract_lane(r, 0));
      if (i32x4.extract_lane(ok, 0) != 0) vCount = i32x4.add(vCount, i32x4(1, 0, 0, 0));
      if (left > 1) {
        store<f32>(pOut + o4 + 4, f32x4.extract_lane(r, 1));
        if (i32x4.extract_lane(ok, 1) != 0) vCount = i32x4.add(vCount, i32x4(0, 1, 0, 0));
      }
      if (left > 2) {
        store<f32>(pOut + o4 + 8, f32x4.extract_lane(r, 2));
        if (i32x4.extract_lane(ok, 2) != 0) vCount = i32x4.add(vCount, i32x4(0, 0, 1, 0));
      }
    }
  }
  return i32x4.extract_lane(vCount, 0) + i32x4.extract_lane(vCount, 1) + i32x4.extract_lane(vCount, 2) + i32x4.extract_lane(vCount, 3);
}
