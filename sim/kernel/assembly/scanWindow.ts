// Fused engine, one scan window (run.ts addWindow): its candidate packets and their received power, from
// the channel's sorted packets (dense: pair cache or neighbours found on their first packet) or from the
// neighbours' events, then sorted (sparse); resolve.ts decides them. The engine's hot loop.
import { FADE_SHIFT, absorb, finish } from './kernel';
import {
  NO_EPOCH, PAIR_OK, PAIR_SHIFT, PK_BUCKETS, REC_SHIFT, SI_SHIFT, cDenseWin, cPairs, cSens, cSparseWin, epochUs, hopGap,
  interfFloorDb, lastBase, lastSpan, maxAir, maxEvSpan, nDevices, pAir, pCOk, pCP, pCQ, pCStart, pEvId,
  pEvStart, pFade, pKey, pLast, pNbCur, pNbEnd, pNbIdx, pNbStamp, pNbTx, pPair, pPk, pPkIdx, pRC, pSP, pSR,
  pkCap, sens32, sensDbm,
} from './layout';
import { COMPACT } from './common';
import { pkBucket, pkN0, pkN1, pkN2 } from './packets';
import { gEager, gRow, geometry, lazy, nLazy, neighbour, pairPower, stamp, termsV } from './neighbours';
import { pairRx, wOut } from './pairCache';
import { rebaseLast, resolve } from './resolve';

// in-place heapsort of n distinct f64 keys (order equals any other correct sort's)
function heapSort(p: usize, n: i32): void {
  for (let start = (n >> 1) - 1; start >= 0; start--) siftDown(p, start, n);
  for (let end = n - 1; end > 0; end--) {
    const a = load<f64>(p);
    store<f64>(p, load<f64>(p + (<usize>end << 3)));
    store<f64>(p + (<usize>end << 3), a);
    siftDown(p, 0, end);
  }
}

// @ts-ignore: decorator
@inline function siftDown(p: usize, i0: i32, n: i32): void {
  let i = i0;
  const v = load<f64>(p + (<usize>i << 3));
  for (;;) {
    let c = 2 * i + 1;
    if (c >= n) break;
    let cv = load<f64>(p + (<usize>c << 3));
    if (c + 1 < n) {
      const c2 = load<f64>(p + (<usize>(c + 1) << 3));
      if (c2 > cv) {
        c++;
        cv = c2;
      }
    }
    if (cv <= v) break;
    store<f64>(p + (<usize>i << 3), cv);
    i = c;
  }
  store<f64>(p + (<usize>i << 3), v);
}

/**
 * One scan window [ws, we) of scanner r on channel ch, for packets starting in [max(t0, ws - maxAir),
 * min(t1, we)) (run.ts addWindow, then flush for this window). Neighbours come from the last gather(r);
 * their cursors advance, so a scanner's windows must come in time order. Writes the receptions (start
 * order) to the reception arrays and returns their count. When the engine applies the app's logging
 * rule (pLast set), iOS <-> iOS receptions are left out, each written one carries its logged flag, and
 * with emitAll off only the logged ones are written.
 */
export function scanWindow(r: i32, ws: f64, we: f64, ch: i32, nNb: i32, t0: f64, t1: f64): i32 {
  const lo: f64 = Math.max(t0, ws - maxAir);
  const hi: f64 = Math.min(t1, we);
  if (pLast != 0 && hi - lastBase > lastSpan) rebaseLast(t0);
  const chU = <u32>ch;
  let n: i32 = 0; // packets evaluated (in reach)
  let m: i32 = 0; // packets of the window's list
  let nc: i32 = 0; // of those, inside the window and at or above sensitivity
  let nOk: i32 = 0; // in reach and inside the window
  // shadowing epoch: one division per window unless the window straddles an epoch boundary
  const epLo = Math.floor(lo / epochUs);
  const epOne = epLo == Math.floor(hi / epochUs);
  const epConst = <u32><i64>epLo;
  // scanners whose candidates are at least 4/5 of the transmitters walk the channel's sorted packets
  // (already in start order); the others walk their neighbours' events, then sort (the same candidates;
  // only ties in start may order differently)
  const dense = lazy;
  const tableWin = dense && pPair != 0;
  let recs: usize = pSR; // the window's records
  if (dense) {
    cDenseWin++;
    const c = ch - 37;
    const base = <usize>(c * pkCap);
    const np = c == 0 ? pkN0 : c == 1 ? pkN1 : pkN2;
    // first packet starting at or after lo: from the time index's entry, a short scan
    let a: i32 = load<i32>(pPkIdx + (<usize>(c * (PK_BUCKETS + 1) + pkBucket(lo)) << 2));
    while (a < np && load<f64>(pPk + ((base + <usize>a) << REC_SHIFT)) < lo) a++;
    recs = pPk + ((base + <usize>a) << REC_SHIFT);
    const left = np - a; // records from recs to the channel's end
    wOut = 0;
    if (tableWin && epOne) {
      // the common case, in three stretches so that most packets need no window test: starts before ws
      // (interferers only), starts up to we - maxAir (inside the window whatever their airtime), the rest
      const row = gRow;
      let k: i32 = 0;
      for (; k < left; k++) {
        const rec = recs + (<usize>k << REC_SHIFT);
        const ps = load<f64>(rec);
        if (ps >= ws || ps >= hi) break;
        store<f32>(pSP + (<usize>k << 2), pairRx(r, row, load<i32>(rec, 16), load<u32>(rec, 20), chU, epConst));
      }
      const kB = k;
      const outB = wOut;
      const bLim = Math.min(hi, we - maxAir);
      // four packets at a time while the fourth is still in this stretch: their four cache entries
      // transposed into lanes, the fading hash in lanes, the candidates appended by a compaction shuffle
      const vEp = i32x4.splat(epConst);
      const vCh = i32x4.splat(chU);
      const vSens = f32x4.splat(sens32);
      // the module's pointers in locals: a global is reloaded from the instance at every use
      const pairRow = pPair + row, fade = pFade, sp = pSP, rc = pRC;
      for (; k + 4 <= left; k += 4) {
        const r0 = recs + (<usize>k << REC_SHIFT);
        const ps3 = load<f64>(r0, 3 << REC_SHIFT);
        if (ps3 > bLim || ps3 >= hi) break;
        const e0 = v128.load(pairRow + (<usize>load<i32>(r0, 16) << PAIR_SHIFT));
        const e1 = v128.load(pairRow + (<usize>load<i32>(r0, 48) << PAIR_SHIFT));
        const e2 = v128.load(pairRow + (<usize>load<i32>(r0, 80) << PAIR_SHIFT));
        const e3 = v128.load(pairRow + (<usize>load<i32>(r0, 112) << PAIR_SHIFT));
        const a01 = i32x4.shuffle(e0, e1, 0, 4, 1, 5);
        const a23 = i32x4.shuffle(e2, e3, 0, 4, 1, 5);
        const st = i32x4.shuffle(a01, a23, 0, 1, 4, 5);
        const ef = i32x4.shuffle(a01, a23, 2, 3, 6, 7);
        if (!i32x4.all_true(v128.and(i32x4.eq(st, i32x4.splat(PAIR_OK)), i32x4.eq(i32x4.shr_u(ef, 1), vEp)))) {
          // a stale or out-of-reach entry, or one of an earlier epoch, among the four: one by one
          for (let j = 0; j < 4; j++) {
            const rec = r0 + (<usize>j << REC_SHIFT);
            nc += placeInside(k + j, nc, pairRx(r, row, load<i32>(rec, 16), load<u32>(rec, 20), chU, epConst));
          }
          continue;
        }
        const b01 = i32x4.shuffle(e0, e1, 2, 6, 3, 7);
        const b23 = i32x4.shuffle(e2, e3, 2, 6, 3, 7);
        const hf = i32x4.shuffle(b01, b23, 0, 1, 4, 5);
        const r2 = i32x4.shuffle(b01, b23, 2, 3, 6, 7);
        let ev = i32x4.splat(load<u32>(r0, 20));
        ev = i32x4.replace_lane(ev, 1, load<u32>(r0, 52));
        ev = i32x4.replace_lane(ev, 2, load<u32>(r0, 84));
        ev = i32x4.replace_lane(ev, 3, load<u32>(r0, 116));
        // fadeDb() in lanes
        const h = finish(absorb(absorb(hf, ev), vCh));
        const idx = i32x4.add(i32x4.shr_u(h, FADE_SHIFT), i32x4.shl(v128.and(ef, i32x4.splat(1)), 12));
        let fd = f32x4.splat(load<f32>(fade + (<usize>i32x4.extract_lane(idx, 0) << 2)));
        fd = f32x4.replace_lane(fd, 1, load<f32>(fade + (<usize>i32x4.extract_lane(idx, 1) << 2)));
        fd = f32x4.replace_lane(fd, 2, load<f32>(fade + (<usize>i32x4.extract_lane(idx, 2) << 2)));
        fd = f32x4.replace_lane(fd, 3, load<f32>(fade + (<usize>i32x4.extract_lane(idx, 3) << 2)));
        const p = f32x4.add(r2, fd);
        v128.store(sp + (<usize>k << 2), p);
        const mask = i32x4.bitmask(f32x4.ge(p, vSens));
        const kv = i32x4.add(i32x4.splat(k), i32x4(0, 1, 2, 3));
        v128.store(rc + (<usize>nc << 2), i8x16.swizzle(kv, v128.load(COMPACT + (<usize>mask << 4))));
        nc += <i32>popcnt<u32>(<u32>mask);
      }
      for (; k < left; k++) {
        const rec = recs + (<usize>k << REC_SHIFT);
        const ps = load<f64>(rec);
        if (ps > bLim || ps >= hi) break;
        nc += placeInside(k, nc, pairRx(r, row, load<i32>(rec, 16), load<u32>(rec, 20), chU, epConst));
      }
      nOk = (k - kB) - (wOut - outB);
      for (; k < left; k++) {
        const rec = recs + (<usize>k << REC_SHIFT);
        const ps = load<f64>(rec);
        if (ps >= hi) break;
        const v = place(k, nc, ps, rec, pairRx(r, row, load<i32>(rec, 16), load<u32>(rec, 20), chU, epConst), ws, we);
        nc += v >> 1;
        nOk += v & 1;
      }
      m = k;
    } else {
      if (!tableWin && !gEager) {
        // a short window hears most transmitters once or twice: find the ones seen first here, then
        // compute their terms four at a time
        const q0 = nLazy;
        for (let k = 0; k < left; k++) {
          const rec = recs + (<usize>k << REC_SHIFT);
          if (load<f64>(rec) >= hi) break;
          const t = load<i32>(rec, 16);
          const sa = pNbStamp + (<usize>t << SI_SHIFT);
          if (load<i32>(sa) == stamp) continue;
          store<i32>(sa, stamp);
          store<i32>(pNbIdx + (<usize>t << SI_SHIFT), t != r && geometry(r, t, nLazy) ? nLazy++ : -1);
        }
        termsV(r, q0, nLazy, epOne ? epConst : NO_EPOCH);
      }
      let k: i32 = 0;
      for (; k < left; k++) {
        const rec = recs + (<usize>k << REC_SHIFT);
        const ps = load<f64>(rec);
        if (ps >= hi) break;
        const t = load<i32>(rec, 16);
        const ev = load<u32>(rec, 20);
        const ep = epOne ? epConst : <u32><i64>Math.floor(ps / epochUs);
        let p: f32;
        if (tableWin) p = pairRx(r, gRow, t, ev, chU, ep);
        else {
          // a transmitter's reach is checked once per scanner and tick, on its first packet
          const sa = pNbStamp + (<usize>t << SI_SHIFT);
          let q: i32;
          if (load<i32>(sa) != stamp) {
            store<i32>(sa, stamp);
            q = t != r && neighbour(r, t, nLazy, ep) ? nLazy++ : -1;
            store<i32>(pNbIdx + (<usize>t << SI_SHIFT), q);
          } else q = load<i32>(pNbIdx + (<usize>t << SI_SHIFT));
          if (q < 0) wOut++;
          p = q < 0 ? -Infinity : pairPower(q, ev, chU, ep);
        }
        const v = place(k, nc, ps, rec, p, ws, we);
        nc += v >> 1;
        nOk += v & 1;
      }
      m = k;
    }
    n = m - wOut;
  } else {
    cSparseWin++;
    const floor = interfFloorDb;
    const sens = sensDbm;
    const chIdx: f64 = <f64>(ch - 37);
    let weak: i32 = 0;
    for (let q = 0; q < nNb; q++) {
      const qo = <usize>q << 2;
      const t = load<i32>(pNbTx + qo);
      const e1 = load<i32>(pNbEnd + qo);
      const air = load<i32>(pAir + (<usize>t << 2));
      const off: f64 = chIdx * (<f64>air + hopGap);
      let j = load<i32>(pNbCur + qo);
      while (j < e1 && load<f64>(pEvStart + (<usize>j << 3)) + maxEvSpan < lo) j++;
      store<i32>(pNbCur + qo, j);
      for (; j < e1; j++) {
        const ps: f64 = load<f64>(pEvStart + (<usize>j << 3)) + off;
        if (ps >= hi) break;
        if (ps < lo) continue;
        n++;
        const p = pairPower(q, load<u32>(pEvId + (<usize>j << 2)), chU, epOne ? epConst : <u32><i64>Math.floor(ps / epochUs));
        const ok: u8 = ps >= ws && ps + <f64>air <= we ? 1 : 0;
        if (<f64>p >= floor) {
          const o = <usize>m << 2;
          store<i32>(pCQ + o, q);
          store<f64>(pCStart + (<usize>m << 3), ps);
          store<u8>(pCOk + <usize>m, ok);
          store<f32>(pCP + o, p);
          // sort key: (start - ws + maxAir) * 2^20 + index, exact and distinct
          store<f64>(pKey + (<usize>m << 3), (ps - ws + maxAir) * 1048576 + <f64>m);
          m++;
        } else weak += ok;
      }
    }
    if (m > 32) heapSort(pKey, m);
    else {
      for (let a = 1; a < m; a++) {
        const v = load<f64>(pKey + (<usize>a << 3));
        let b = a - 1;
        while (b >= 0 && load<f64>(pKey + (<usize>b << 3)) > v) {
          store<f64>(pKey + (<usize>(b + 1) << 3), load<f64>(pKey + (<usize>b << 3)));
          b--;
        }
        store<f64>(pKey + (<usize>(b + 1) << 3), v);
      }
    }
    // the window's own records, in start order
    for (let k = 0; k < m; k++) {
      const key = load<f64>(pKey + (<usize>k << 3));
      const i = <i32>(key - Math.floor(key * (1.0 / 1048576)) * 1048576);
      const o = <usize>i << 2;
      const q = load<i32>(pCQ + o);
      const p = load<f32>(pCP + o);
      if (load<u8>(pCOk + <usize>i) != 0) {
        if (<f64>p >= sens) { store<i32>(pRC + (<usize>nc << 2), k); nc++; }
        else weak++;
      }
      const ps = load<f64>(pCStart + (<usize>i << 3));
      const t = load<i32>(pNbTx + (<usize>q << 2));
      const rec = pSR + (<usize>k << REC_SHIFT);
      store<f64>(rec, ps);
      store<f64>(rec, ps + <f64>load<i32>(pAir + (<usize>t << 2)), 8);
      store<i32>(rec, t, 16);
      store<i32>(rec, q, 24);
      store<u32>(rec, 0, 28);
      store<f32>(pSP + (<usize>k << 2), p);
    }
    nOk = weak + nc;
  }
  cPairs += <f64>n;
  cSens += <f64>(nOk - nc);
  if (nc == 0) return 0;
  return resolve(r, ws, recs, m, nc, tableWin ? 0 : dense ? 1 : 2);
}

/**
 * Position k of the window's list for a packet inside the window: stores its power p and k as list
 * position nc (kept only when counted). Returns 1 when p is at or above sensitivity (a candidate).
 */
// @ts-ignore: decorator
@inline function placeInside(k: i32, nc: i32, p: f32): i32 {
  store<f32>(pSP + (<usize>k << 2), p);
  store<i32>(pRC + (<usize>nc << 2), k);
  return <i32>(<f64>p >= sensDbm);
}

/**
 * placeInside() for a packet (start ps, record rec) that may lie outside the window. Returns bit 0 when
 * it lies inside the window and in reach (out of reach, -Infinity, was not evaluated), bit 1 when it is
 * also a candidate.
 */
// @ts-ignore: decorator
@inline function place(k: i32, nc: i32, ps: f64, rec: usize, p: f32, ws: f64, we: f64): i32 {
  const hear = placeInside(k, nc, p);
  const ok = <i32>(ps >= ws) & <i32>(load<f64>(rec, 8) <= we) & <i32>(p != -Infinity);
  return ok | ((ok & hear) << 1);
}
