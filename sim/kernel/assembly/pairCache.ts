// Fused engine, the pair cache (small runs, pPair != 0; entry layout in layout.ts): per (scanner,
// transmitter) the neighbour terms kept across ticks. pairInit() sets the constant hashes once, pairRx()
// reads an entry and refills a stale one (pairFill).
import { FADE_N, TAG_FADE, TAG_PAIR, TAG_SHADOW, absorb1, finish1, normal1s, pathLoss1 } from './kernel';
import {
  PAIR_OK, PAIR_OUT, PAIR_SHIFT, kBreak, kIhScale, kLog2Break, kMinD, kPl1m, kSeedState, kSlopeFar,
  kSlopeNear, kSp, nDevices, pPair, pTxPow,
} from './layout';
import { pairIdOf } from './common';
import { fadeDb, gDist, gStatic, geo, shadowed } from './neighbours';

/**
 * Fills pair-cache entry at offset o (scanner r, transmitter t) for epoch ep: geo(), then termsOf()'s
 * geometry-dependent part; the pair's hashes and offset never change and come from pairInit.
 */
function pairFill(r: i32, t: i32, o: usize, ep: u32): void {
  const h = pPair + o;
  if (t == r || !geo(t)) {
    store<u32>(h, PAIR_OUT);
    return;
  }
  // termsOf(): tR1 = (r0 - st) + kSp * zp, with kSp * zp (an f32 product) kept at +28
  const d: f32 = gDist > kMinD ? gDist : kMinD;
  const r0: f32 = load<f32>(pTxPow + (<usize>t << 2)) - pathLoss1(d, kPl1m, kSlopeNear, kSlopeFar, kLog2Break);
  const r1: f32 = (r0 - gStatic) + load<f32>(h + 28);
  store<u32>(h, PAIR_OK);
  store<u32>(h + 4, ep << 1 | <u32>(d >= kBreak));
  store<f32>(h + 12, shadowed(r1, load<u32>(h + 20), ep));
  store<f32>(h + 16, r1);
  store<f32>(h + 24, gDist);
}

/**
 * The pair cache's per-pair constants (termsOf's hashes): fading hash prefix (+8), shadowing hash prefix
 * (+20) and the pair offset kSp * zp (+28) of every (scanner, transmitter) entry, once at the start.
 */
export function pairInit(): void {
  const n = nDevices;
  for (let r = 0; r < n; r++) {
    for (let t = 0; t < n; t++) {
      const h = pPair + ((<usize>r * <usize>n + <usize>t) << PAIR_SHIFT);
      const h0 = absorb1(kSeedState, pairIdOf(t, r));
      store<u32>(h + 8, absorb1(h0, TAG_FADE));
      store<u32>(h + 20, absorb1(h0, TAG_SHADOW));
      store<f32>(h + 28, kSp * normal1s(finish1(absorb1(h0, TAG_PAIR)), kIhScale));
    }
  }
}

/** pairPower() for the pair-cache entry at offset o. */
// @ts-ignore: decorator
@inline function pairPowerT(o: usize, ev: u32, ch: u32, ep: u32): f32 {
  const h = pPair + o;
  let ef = load<u32>(h + 4);
  if (ef >>> 1 != ep) {
    ef = ep << 1 | (ef & 1);
    store<u32>(h + 4, ef);
    store<f32>(h + 12, shadowed(load<f32>(h + 16), load<u32>(h + 20), ep));
  }
  return load<f32>(h + 12) + fadeDb(load<u32>(h + 8), ev, ch, (ef & 1) * FADE_N);
}

// packets of the current window found out of reach (they are not evaluated)
export let wOut: i32 = 0;

/**
 * Received power of transmitter t's packet (event ev, channel ch, shadowing epoch ep) at scanner r from
 * the pair cache (row: r's row), refilling a stale entry; -Infinity when t is out of reach.
 */
// @ts-ignore: decorator
@inline export function pairRx(r: i32, row: usize, t: i32, ev: u32, ch: u32, ep: u32): f32 {
  const o = row + (<usize>t << PAIR_SHIFT);
  let st = load<u32>(pPair + o);
  if (st != PAIR_OK) {
    if (st == 0) {
      pairFill(r, t, o, ep);
      st = load<u32>(pPair + o);
    }
    if (st == PAIR_OUT) {
      wOut++;
      return -Infinity;
    }
  }
  return pairPowerT(o, ev, ch, ep);
}
