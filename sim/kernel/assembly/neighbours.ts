// Fused engine, the current scanner's neighbours (run.ts gatherNeighbours): gather() takes the candidates
// from the grid; per neighbour slot, geometry (reach, distance, static loss) and the kernel's per-pair
// terms (kernel.ts evaluate taken apart, one at a time or four); pairPower() adds a packet's fading draw.
import {
  FADE_N, FADE_SHIFT, TAG_FADE, TAG_PAIR, TAG_SHADOW, absorb, absorb1, finish, finish1, normal1, normal1s,
  pathLoss1, pathLossV,
} from './kernel';
import {
  BODY_BINS, BODY_HALF, GEO_SHIFT, NB_SHIFT, NO_EPOCH, PAIR_SHIFT, SI_SHIFT, cellM, epochUs, gridNx, gridNy, kBreak, kIhScale, kLog2Break,
  kMinD, kPl1m, kSeedState, kSlopeFar, kSlopeNear, kSp, kSs, nDevices, nLoud, normalReach, pActive, pBody,
  pCand, pCarriage, pCellStart, pEvOff, pFade, pGeo, pHx, pHy, pItems, pLoud, pNbCur, pNbDist, pNbEnd, pNbEp,
  pNbFar, pNbHF, pNbHS, pNbIdx, pNbR1, pNbR2, pNbStamp, pNbStatic, pNbTx, pPair, pReachRx, pReachTx, pRxCorr,
  pTxPow, pX, pY,
} from './layout';
import { pairIdOf, pairIdV } from './common';
import { clampCell } from './devices';
import { nActiveTx } from './events';

// JS Math.round: nearest, halves up
// @ts-ignore: decorator
@inline function jsRound(v: f64): f64 {
  const c = Math.ceil(v);
  return c - 0.5 > v ? c - 1 : c;
}

// the current scanner's own values, set by gather()
let gXr: f64 = 0;
let gYr: f64 = 0;
let gHxr: f64 = 0;
let gHyr: f64 = 0;
let gReachR: f64 = 0;
let gRxLoss: f64 = 0;
let gBodyR: i32 = 0;
export let lazy: bool = false; // transmitters looked up by id in scanWindow (sorted-packet windows)
export let gEager: bool = false; // the scanner's neighbours were all prepared by gather()
export let nLazy: i32 = 0;

export let stamp: i32 = 0; // one per gather(): pNbIdx entries stamped with it belong to the current scanner
export let gRow: usize = 0; // offset of the current scanner's row in the pair cache

// gather()'s slot n for transmitter t (in reach: geo() or geoAt() just set gDist, gStatic)
// @ts-ignore: decorator
@inline function slot(t: i32, n: i32): void {
  const o = <usize>n << 2;
  store<i32>(pNbTx + o, t);
  store<f32>(pNbDist + o, gDist);
  store<f32>(pNbStatic + o, gStatic);
}

// gather()'s bookkeeping of candidate t (events e0 .. e1) whose reach geometry found; returns 1 when it
// took neighbour slot n
// @ts-ignore: decorator
@inline function candidate(t: i32, n: i32, e0: i32, e1: i32, inReach: bool): i32 {
  if (lazy) {
    // looked up by id in the sorted-packet walk; transmitters outside the cells stay lazy there
    store<i32>(pNbStamp + (<usize>t << SI_SHIFT), stamp);
    store<i32>(pNbIdx + (<usize>t << SI_SHIFT), inReach ? n : -1);
  } else if (inReach) {
    store<i32>(pNbCur + (<usize>n << 2), e0);
    store<i32>(pNbEnd + (<usize>n << 2), e1);
  }
  return <i32>inReach;
}

/**
 * Neighbour slot n for transmitter t of the current scanner if t is in reach (run.ts gatherNeighbours'
 * loop body): transmitter, distance and static loss (body blocking of both carriers + the receiver's
 * RSSI correction). Returns false, writing nothing, when t is out of reach.
 */
// @ts-ignore: decorator
@inline export function geometry(r: i32, t: i32, n: i32): bool {
  if (!geo(t)) return false;
  slot(t, n);
  return true;
}

// geometry()'s result: distance and static loss
export let gDist: f32 = 0;
export let gStatic: f32 = 0;

/** Reach, distance and static loss of transmitter t for the current scanner (into gDist, gStatic). */
// @ts-ignore: decorator
@inline export function geo(t: i32): bool {
  const o = <usize>t << 2;
  return geoOf(load<f32>(pX + o), load<f32>(pY + o), load<f32>(pHx + o), load<f32>(pHy + o), load<f32>(pReachTx + o), <i32>load<u8>(pCarriage + <usize>t));
}

/** geo() of the grid item whose geometry record is at g (layout.ts pGeo). */
// @ts-ignore: decorator
@inline function geoAt(g: usize): bool {
  return geoOf(load<f32>(g), load<f32>(g, 4), load<f32>(g, 8), load<f32>(g, 12), load<f32>(g, 16), load<i32>(g, 20));
}

/** geo() of a transmitter at (xt, yt) facing (hxt, hyt), with reach factor reachT and carriage carr. */
// @ts-ignore: decorator
@inline function geoOf(xt: f32, yt: f32, hxt: f32, hyt: f32, reachT: f32, carr: i32): bool {
  const dx: f64 = gXr - <f64>xt;
  const dy: f64 = gYr - <f64>yt;
  const d2 = dx * dx + dy * dy;
  const reach: f64 = <f64>reachT * gReachR;
  if (d2 > reach * reach) return false;
  const dist = Math.sqrt(d2);
  const inv: f64 = dist > 0 ? 1 / dist : 0;
  const ux = dx * inv;
  const uy = dy * inv;
  const ct = ux * <f64>hxt + uy * <f64>hyt;
  const cr = -(ux * gHxr + uy * gHyr);
  const bt = carr * BODY_BINS + <i32>jsRound((ct + 1) * BODY_HALF);
  const br = gBodyR + <i32>jsRound((cr + 1) * BODY_HALF);
  const lossTx: f64 = <f64>load<f32>(pBody + (<usize>bt << 2));
  const lossRx: f64 = <f64>load<f32>(pBody + (<usize>br << 2));
  gDist = <f32>dist;
  gStatic = <f32>(lossTx + lossRx + gRxLoss);
  return true;
}

/**
 * The kernel's per-pair terms of neighbour slot n (kernel.ts evaluate: path loss, pair offset, hash
 * prefixes), and the shadowing term of epoch ep unless ep is NO_EPOCH (pairPower then adds it on the
 * first packet; set here, its check rarely fires: a predictable branch).
 */
// @ts-ignore: decorator
@inline function terms(r: i32, n: i32, ep: u32): void {
  const o = <usize>n << 2;
  termsOf(r, load<i32>(pNbTx + o), load<f32>(pNbDist + o), load<f32>(pNbStatic + o));
  store<f32>(pNbR1 + o, tR1);
  store<u32>(pNbHS + o, tHS);
  const h = <usize>n << NB_SHIFT;
  store<u32>(pNbHF + h, tHF);
  store<u32>(pNbFar + h, tFar);
  store<u32>(pNbEp + h, ep);
  if (ep != NO_EPOCH) store<f32>(pNbR2 + h, shadowed(tR1, tHS, ep));
}

// termsOf()'s result
let tR1: f32 = 0;
let tHS: u32 = 0;
let tHF: u32 = 0;
let tFar: u32 = 0;

/** The per-pair terms of transmitter t at distance dist32 with static loss st (kernel.ts evaluate). */
// @ts-ignore: decorator
@inline function termsOf(r: i32, t: i32, dist32: f32, st: f32): void {
  const d: f32 = dist32 > kMinD ? dist32 : kMinD;
  const h0 = absorb1(kSeedState, pairIdOf(t, r));
  const zp = normal1s(finish1(absorb1(h0, TAG_PAIR)), kIhScale);
  const r0: f32 = load<f32>(pTxPow + (<usize>t << 2)) - pathLoss1(d, kPl1m, kSlopeNear, kSlopeFar, kLog2Break);
  tR1 = (r0 - st) + kSp * zp;
  tHS = absorb1(h0, TAG_SHADOW);
  tHF = absorb1(h0, TAG_FADE);
  tFar = d >= kBreak ? FADE_N : 0;
}

// r1 plus the shadowing term of epoch ep
// @ts-ignore: decorator
@inline export function shadowed(r1: f32, hs: u32, ep: u32): f32 {
  return r1 + kSs * normal1s(finish1(absorb1(hs, ep)), kIhScale);
}
/** terms() for slots [q0, n), four at a time (same lane operations as kernel.ts evaluate; pairIdV's ids). */
export function termsV(r: i32, q0: i32, n: i32, ep: u32): void {
  const vSeed = i32x4.splat(kSeedState);
  const vMinD = f32x4.splat(kMinD);
  const vScale = f32x4.splat(kIhScale);
  const vPl1m = f32x4.splat(kPl1m);
  const vSlopeN = f32x4.splat(kSlopeNear);
  const vSlopeF = f32x4.splat(kSlopeFar);
  const vLgB = f32x4.splat(kLog2Break);
  const vEp = i32x4.splat(ep);
  let q: i32 = q0;
  for (; q + 4 <= n; q += 4) {
    const o = <usize>q << 2;
    let d = v128.load(pNbDist + o);
    d = v128.bitselect(d, vMinD, f32x4.gt(d, vMinD));
    const pl = pathLossV(d, vPl1m, vSlopeN, vSlopeF, vLgB);
    const tv = v128.load(pNbTx + o);
    const h0 = absorb(vSeed, pairIdV(tv, r));
    const zp = normal1(finish(absorb(h0, i32x4.splat(TAG_PAIR))), vScale);
    const tx = f32x4(
      load<f32>(pTxPow + (<usize>i32x4.extract_lane(tv, 0) << 2)),
      load<f32>(pTxPow + (<usize>i32x4.extract_lane(tv, 1) << 2)),
      load<f32>(pTxPow + (<usize>i32x4.extract_lane(tv, 2) << 2)),
      load<f32>(pTxPow + (<usize>i32x4.extract_lane(tv, 3) << 2)),
    );
    const r1 = f32x4.add(f32x4.sub(f32x4.sub(tx, pl), v128.load(pNbStatic + o)), f32x4.mul(f32x4.splat(kSp), zp));
    const hs = absorb(h0, i32x4.splat(TAG_SHADOW));
    const zs = normal1(finish(absorb(hs, vEp)), vScale);
    v128.store(pNbR1 + o, r1);
    v128.store(pNbHS + o, hs);
    // the four slots' records (r2, epoch, fading prefix, far offset): a 4x4 transpose
    const a = f32x4.add(r1, f32x4.mul(f32x4.splat(kSs), zs));
    const c = absorb(h0, i32x4.splat(TAG_FADE));
    const f = v128.and(f32x4.ge(d, f32x4.splat(kBreak)), i32x4.splat(FADE_N));
    const ab01 = i32x4.shuffle(a, vEp, 0, 4, 1, 5);
    const ab23 = i32x4.shuffle(a, vEp, 2, 6, 3, 7);
    const cf01 = i32x4.shuffle(c, f, 0, 4, 1, 5);
    const cf23 = i32x4.shuffle(c, f, 2, 6, 3, 7);
    const h = pNbR2 + (<usize>q << NB_SHIFT);
    v128.store(h, i32x4.shuffle(ab01, cf01, 0, 1, 4, 5));
    v128.store(h, i32x4.shuffle(ab01, cf01, 2, 3, 6, 7), 16);
    v128.store(h, i32x4.shuffle(ab23, cf23, 0, 1, 4, 5), 32);
    v128.store(h, i32x4.shuffle(ab23, cf23, 2, 3, 6, 7), 48);
  }
  for (; q < n; q++) terms(r, q, ep);
}

/** geometry() then terms(): one neighbour found on its first packet. */
// @ts-ignore: decorator
@inline export function neighbour(r: i32, t: i32, n: i32, ep: u32): bool {
  if (!geometry(r, t, n)) return false;
  terms(r, n, ep);
  return true;
}

/**
 * Received power (dBm) of neighbour q's packet: event id ev, channel ch, shadowing epoch ep. The epoch's
 * term is cached per neighbour (packets arrive in time order, so it changes at most once per epoch).
 */
// @ts-ignore: decorator
@inline export function pairPower(q: i32, ev: u32, ch: u32, ep: u32): f32 {
  const o = <usize>q << 2;
  const h = <usize>q << NB_SHIFT;
  if (load<u32>(pNbEp + h) != ep) {
    store<u32>(pNbEp + h, ep);
    store<f32>(pNbR2 + h, shadowed(load<f32>(pNbR1 + o), load<u32>(pNbHS + o), ep));
  }
  return load<f32>(pNbR2 + h) + fadeDb(load<u32>(pNbHF + h), ev, ch, load<u32>(pNbFar + h));
}

/**
 * The fading draw (kernel.ts evaluate): the pair's fading hash prefix hf absorbs event id ev and channel
 * ch; the top bits index the fade table's half at far (0 or FADE_N).
 */
// @ts-ignore: decorator
@inline export function fadeDb(hf: u32, ev: u32, ch: u32, far: u32): f32 {
  const h = finish1(absorb1(absorb1(hf, ev), ch));
  return load<f32>(pFade + (<usize>((h >>> FADE_SHIFT) + far) << 2));
}
/**
 * Prepares scanner r's windows of the tick starting at t0. The candidates are the grid cells within
 * normalReach * reachRx[r] plus the loud transmitters (run.ts gatherNeighbours). When they are at least
 * four fifths of the transmitters on air, the windows walk the tick's sorted packets and look transmitters up by
 * id. A scanner that listens most of the time (eager: it will hear nearly every candidate) gets all its
 * neighbours now, their terms four at a time; otherwise each transmitter is checked for reach on its
 * first packet (lazy: an iPhone's short window hears few). With the pair cache neither is needed: the
 * windows read each transmitter's entry, refilled only when it is stale. When the candidates are fewer, the
 * neighbours in reach are listed now and the windows walk their events. Returns the candidate count
 * (sorted-packet walk) or the neighbour count; 0 means nothing to hear.
 */
export function gather(r: i32, eager: bool, t0: f64): i32 {
  gXr = <f64>load<f32>(pX + (<usize>r << 2));
  gYr = <f64>load<f32>(pY + (<usize>r << 2));
  gHxr = <f64>load<f32>(pHx + (<usize>r << 2));
  gHyr = <f64>load<f32>(pHy + (<usize>r << 2));
  gReachR = <f64>load<f32>(pReachRx + (<usize>r << 2));
  gRxLoss = <f64>load<f32>(pRxCorr + (<usize>r << 2));
  gBodyR = <i32>load<u8>(pCarriage + <usize>r) * BODY_BINS;
  const search: f64 = normalReach * gReachR;
  const span: f64 = Math.ceil(search / cellM);
  const cx = clampCell(gXr, gridNx);
  const cy = clampCell(gYr, gridNy);
  const gx0 = <i32>Math.max(0, <f64>cx - span);
  const gx1 = <i32>Math.min(<f64>(gridNx - 1), <f64>cx + span);
  const gy0 = <i32>Math.max(0, <f64>cy - span);
  const gy1 = <i32>Math.min(<f64>(gridNy - 1), <f64>cy + span);
  let nCand: i32 = 0;
  for (let gy = gy0; gy <= gy1; gy++) {
    const row = gy * gridNx;
    nCand += load<i32>(pCellStart + (<usize>(row + gx1 + 1) << 2)) - load<i32>(pCellStart + (<usize>(row + gx0) << 2));
  }
  for (let k = 0; k < nLoud; k++) if (load<u8>(pActive + <usize>load<i32>(pLoud + (<usize>k << 2))) != 0) nCand++;
  stamp++;
  nLazy = 0;
  gEager = eager;
  // The sorted-packet walk visits every packet on the channel, in reach or not; the neighbour walk only the
  // neighbours' (but sorts each window's). Below 4/5 the neighbour walk wins: 3 x 10^4 phones over 25 and
  // 100 km^2 cost 1.5x and 2.4x less per pair (issue 20, docs/scaling.md "How cost grows"); at 1/2 with
  // the grid's former cells every window took the sorted walk up to 400 km^2.
  lazy = nCand * 5 >= nActiveTx * 4;
  if (lazy && pPair != 0) {
    // windows look their transmitters up in the pair cache
    gRow = (<usize>r * <usize>nDevices) << PAIR_SHIFT;
    return nCand;
  }
  if (lazy && !eager) return nCand;
  // the candidates, in grid-cell order (their geometry records read in order) then the loud ones (this
  // order is the neighbours' order)
  let n: i32 = 0;
  for (let gy = gy0; gy <= gy1; gy++) {
    const row = gy * gridNx;
    const q1 = load<i32>(pCellStart + (<usize>(row + gx1 + 1) << 2));
    for (let q = load<i32>(pCellStart + (<usize>(row + gx0) << 2)); q < q1; q++) {
      const g = pGeo + (<usize>q << GEO_SHIFT);
      const t = load<i32>(g, 24);
      const e0 = load<i32>(pEvOff + (<usize>t << 2));
      const e1 = load<i32>(pEvOff + (<usize>(t + 1) << 2));
      if (t == r || e0 == e1) continue;
      const inReach = geoAt(g);
      if (inReach) slot(t, n);
      n += candidate(t, n, e0, e1, inReach);
    }
  }
  for (let k = 0; k < nLoud; k++) {
    const t = load<i32>(pLoud + (<usize>k << 2));
    if (load<u8>(pActive + <usize>t) == 0) continue;
    const e0 = load<i32>(pEvOff + (<usize>t << 2));
    const e1 = load<i32>(pEvOff + (<usize>(t + 1) << 2));
    if (t == r || e0 == e1) continue;
    n += candidate(t, n, e0, e1, geometry(r, t, n));
  }
  const ep = <u32><i64>Math.floor(t0 / epochUs);
  termsV(r, 0, n, ep);
  if (lazy) {
    nLazy = n;
    return nCand;
  }
  return n;
}
