// Fused engine, the decisions on a window's candidates (run.ts flush and record): half duplex, co-channel
// interference with capture (capture.ts's linear power table), the app's logging rule, the receptions out.
import {
  PAIR_SHIFT, REC_SHIFT, SI_SHIFT, cCol, cHd, cRec, capLin, emitAll, floorBits, interfFloorDb, lastBase, linN, logAll,
  cSumFast, cSumWalk, maxAir, minAir, nDevices, outBase, pPre, sumMode, pEvOff, pEvSpan, pEvStart, pKind, pLast, pLin, pNbDist, pNbIdx, pPair, pRC, pRD,
  pRLog, pRP, pRT, pRTx, pSP,
} from './layout';
import { gRow } from './neighbours';

/**
 * Decides the window's nc candidates (positions in pRC into its m start-ordered records at recs, powers
 * in pSP) of scanner r (window start ws): half duplex, collisions with capture, the app's logging rule
 * (run.ts flush and record, one window). Writes the receptions and returns their count. The distance
 * comes from the pair cache (mode 0), the neighbour slot of the transmitter (1) or the record's (2).
 */
export function resolve(r: i32, ws: f64, recs: usize, m: i32, nc: i32, mode: i32): i32 {
  // the module's pointers and scalars in locals: a global is reloaded from the instance at every use
  const sp = pSP, rc = pRC, evs = pEvStart, lin = pLin, capL = capLin, floor = interfFloorDb, fb = floorBits, top = linN - 1;
  // the logging rule's table row and scalars
  const lastT = pLast, kinds = pKind, base = lastBase, all = logAll, emit = emitAll;
  const lastRow = lastT + ((<usize>r * <usize>nDevices) << 2);
  const kr = lastT != 0 ? load<u8>(kinds + <usize>r) : 0;
  let hj = load<i32>(pEvOff + (<usize>r << 2));
  const hEnd = load<i32>(pEvOff + (<usize>(r + 1) << 2));
  const span: f64 = <f64>load<i32>(pEvSpan + (<usize>r << 2));
  // the scanner's next own event not over before the current candidate (Infinity when none is left)
  let hs: f64 = hj < hEnd ? load<f64>(evs + (<usize>hj << 3)) : Infinity;
  let he: f64 = hs + span;
  const mAir = maxAir;
  // Running interference sums (issue 20): in a crowded window every candidate overlaps many packets,
  // and the walk below sums each of them per candidate (O(overlap) per candidate, O(N^3) in all). Prefix
  // sums of the list's linear powers (0 below the floor or out of reach) give each candidate's sum from
  // three pointers that only move forward: the packets starting before it (those starting over minAir
  // before it surely overlap, the few within maxAir - minAir are checked one by one) and those starting
  // before its end. That sum is rounded differently from the walk's, so it decides only when it is
  // clearly on one side of the capture threshold (the bound below); a candidate within the bound is
  // decided by the walk itself. The decisions are therefore the walk's, bit for bit, by construction.
  // Worth it when the candidates times their overlap exceed the list: nc * maxAir > the list's time span.
  let pre: usize = 0;
  let tot: f64 = 0;
  if (sumMode != 2 && m > 1) {
    const span = load<f64>(recs + (<usize>(m - 1) << REC_SHIFT)) - load<f64>(recs);
    if (sumMode == 1 || (m >= 64 && <f64>nc * mAir > span)) {
      pre = pPre;
      let s: f64 = 0;
      store<f64>(pre, 0);
      for (let k = 0; k < m; k++) {
        s += linIf(load<f32>(sp + (<usize>k << 2)), 1, lin, floor, fb, top);
        store<f64>(pre + (<usize>(k + 1) << 3), s);
      }
      tot = s;
    }
  }
  // |prefix-sum result - walk result| <= (6 m + 3) u tot (u = 2^-53: m-term running sums, four prefix
  // reads, the walk's own m-term sum); SUM_BOUND = 16 u with m + 8 leaves a wide margin
  const bound: f64 = (<f64>m + 8) * SUM_BOUND;
  const minA = minAir;
  let fp: i32 = 0; // first list position after the candidate starting at or after its end
  let bu: i32 = 0; // first position that may overlap the candidate from before (start + maxAir > ps)
  let bc: i32 = 0; // first position that surely does (start + minAir > ps)
  let nFast: i32 = 0;
  let nWalk: i32 = 0;
  let nHd: i32 = 0;
  let nCol: i32 = 0;
  let nRec: i32 = 0;
  let nOut: i32 = 0;
  for (let c = 0; c < nc; c++) {
    const k = load<i32>(rc + (<usize>c << 2));
    const rec = recs + (<usize>k << REC_SHIFT);
    const p32 = load<f32>(sp + (<usize>k << 2));
    const p: f64 = <f64>p32;
    const ps = load<f64>(rec);
    const pe = load<f64>(rec, 8);
    // half duplex: the receiver cannot listen while its own advertising event [hs, he) is on air
    while (he <= ps) {
      hj++;
      hs = hj < hEnd ? load<f64>(evs + (<usize>hj << 3)) : Infinity;
      he = hs + span;
    }
    if (hs < pe) {
      nHd++;
      continue;
    }
    // a packet alone on its channel (most of them) has no interference to sum
    if (load<u32>(rec, 28) == 0) {
      const sig = load<f64>(lin + (<usize>linIdxHi(p, floor, top) << 3));
      // 0: undecided, 1: lost, 2: kept
      let dec: i32 = 0;
      if (pre != 0) {
        if (fp <= k) fp = k + 1;
        while (fp < m && load<f64>(recs + (<usize>fp << REC_SHIFT)) < pe) fp++;
        while (fp > k + 1 && load<f64>(recs + (<usize>(fp - 1) << REC_SHIFT)) >= pe) fp--;
        while (bu < k && load<f64>(recs + (<usize>bu << REC_SHIFT)) + mAir <= ps) bu++;
        if (bc < bu) bc = bu;
        while (bc < k && load<f64>(recs + (<usize>bc << REC_SHIFT)) + minA <= ps) bc++;
        let a = (load<f64>(pre + (<usize>fp << 3)) - load<f64>(pre + (<usize>(k + 1) << 3)))
          + (load<f64>(pre + (<usize>k << 3)) - load<f64>(pre + (<usize>bc << 3)));
        for (let j = bu; j < bc; j++) {
          a += linIf(load<f32>(sp + (<usize>j << 2)), <i32>(load<f64>(recs + (<usize>j << REC_SHIFT), 8) > ps), lin, floor, fb, top);
        }
        const d = (tot + a) * bound;
        if ((a + d) * capL * (1 + SUM_CMP) < sig) dec = 2;
        else if ((a - d) * capL * (1 - SUM_CMP) > sig) dec = 1;
      }
      if (dec == 0) {
        nWalk++;
        // co-channel interference from overlapping packets above the floor (sim-radio-core.md 3.4 item 5),
        // in linear power from the shared table (sim/engine/capture.ts). Whether the next packet on either
        // side overlaps is close to a coin flip, so those two are added without a branch (0 when they do
        // not count); the ones beyond, rarely close enough, in loops. Same terms in the same order as one
        // loop per side.
        const kb = k > 0 ? k - 1 : k;
        const rb = recs + (<usize>kb << REC_SHIFT);
        const nearB = <i32>(k > 0) & <i32>(load<f64>(rb) + mAir > ps);
        let interf: f64 = linIf(load<f32>(sp + (<usize>kb << 2)), nearB & <i32>(load<f64>(rb, 8) > ps), lin, floor, fb, top);
        if (nearB != 0 && k > 1 && load<f64>(rb - (1 << REC_SHIFT)) + mAir > ps) {
          for (let kk = k - 2; kk >= 0; kk--) {
            const rk = recs + (<usize>kk << REC_SHIFT);
            if (load<f64>(rk) + mAir <= ps) break;
            interf += linIf(load<f32>(sp + (<usize>kk << 2)), <i32>(load<f64>(rk, 8) > ps), lin, floor, fb, top);
          }
        }
        const kf = k + 1 < m ? k + 1 : k;
        const rf = recs + (<usize>kf << REC_SHIFT);
        const nearF = <i32>(k + 1 < m) & <i32>(load<f64>(rf) < pe);
        interf += linIf(load<f32>(sp + (<usize>kf << 2)), nearF, lin, floor, fb, top);
        if (nearF != 0 && k + 2 < m && load<f64>(rf + (1 << REC_SHIFT)) < pe) {
          for (let kk = k + 2; kk < m; kk++) {
            if (load<f64>(recs + (<usize>kk << REC_SHIFT)) >= pe) break;
            interf += linIf(load<f32>(sp + (<usize>kk << 2)), 1, lin, floor, fb, top);
          }
        }
        // lost when the signal-to-interference ratio is below the capture ratio
        // (no interference: 0 > a positive power, no separate test)
        dec = interf * capL > sig ? 1 : 2;
      } else nFast++;
      if (dec == 1) {
        nCol++;
        continue;
      }
    }
    const tx = load<i32>(rec, 16);
    nRec++;
    let logged: u8 = 1;
    if (lastT != 0) {
      // appLog.ts rule() (kinds: appLog.ts ruleClass, 0-2 the Bluezone kinds, 3 GAEN): different apps do
      // not hear each other; background iOS <-> iOS does not work in Bluezone (bluezone-protocol.md 3.1);
      // coalesced iOS reports; Bluezone's 5 s dedup within a 15-min slot (4.3); GAEN keeps every reading
      const kt = load<u8>(kinds + <usize>tx);
      if (<i32>(kr == 3) != <i32>(kt == 3)) continue;
      if (kr == 1 && kt == 1) continue;
      if (kr != 3) {
        const la = lastRow + (<usize>tx << 2);
        const v = load<u32>(la);
        if (v != 0) {
          const last = base + <f64>(v - 1);
          if (kr == 1 && last >= ws) logged = 0;
          else if (!all && ps - last < 5000000 && Math.floor(ps / 900000000) == Math.floor(last / 900000000)) logged = 0;
        }
        if (logged) store<u32>(la, <u32>(ps - base) + 1);
        else if (!emit) continue;
      }
    }
    const q = <usize>(outBase + nOut);
    store<i32>(pRTx + (q << 2), tx);
    store<f64>(pRT + (q << 3), ps);
    store<f32>(pRP + (q << 2), p32);
    store<f32>(pRD + (q << 2), mode == 0
      ? load<f32>(pPair + gRow + (<usize>tx << PAIR_SHIFT) + 24)
      : load<f32>(pNbDist + (<usize>(mode == 1 ? load<i32>(pNbIdx + (<usize>tx << SI_SHIFT)) : load<i32>(rec, 24)) << 2)));
    store<u8>(pRLog + q, logged);
    nOut++;
  }
  cHd += <f64>nHd;
  cCol += <f64>nCol;
  cRec += <f64>nRec;
  cSumFast += <f64>nFast;
  cSumWalk += <f64>nWalk;
  return nOut;
}

// resolve()'s running-sum bound: 16 u per list entry (u = 2^-53), and the comparisons' relative margin
const SUM_BOUND: f64 = 1.0 / 562949953421312.0; // 2^-49
const SUM_CMP: f64 = 1.0 / 1099511627776.0; // 2^-40

/**
 * Moves lastBase to a minute before t0 (every packet still to come starts at or after t0). An entry
 * older than the new base becomes 0, "never": a log over a minute old decides nothing (the dedup looks
 * 5 s back, an iPhone's coalescing one scan window back).
 */
export function rebaseLast(t0: f64): void {
  const nb = Math.max(0, t0 - 60000000);
  const n = <usize>nDevices * <usize>nDevices;
  for (let i: usize = 0; i < n; i++) {
    const a = pLast + (i << 2);
    const v = load<u32>(a);
    if (v == 0) continue;
    const last = lastBase + <f64>(v - 1);
    store<u32>(a, last < nb ? 0 : <u32>(last - nb) + 1);
  }
  lastBase = nb;
}

// capture.ts linIndex (nearest 1/16 dB step above the floor, halves up, clamped) for p at or above the
// floor, without data-dependent branches: rounding up or down is a coin flip, a branch on it is
// mispredicted half the time. ceil(v), minus one where JS Math.round goes down; then the top clamp.
// @ts-ignore: decorator
@inline function linIdxHi(p: f64, floor: f64, top: i32): i32 {
  const v = (p - floor) * 16;
  const c = Math.ceil(v);
  // c is a whole number in [0, 2^31): adding 2^52 puts it in the low mantissa bits, read back without
  // a float-to-int conversion (whose range check the JIT emits as a compare-and-branch round trip)
  const i = <i32>reinterpret<i64>(c + 4503599627370496.0) - <i32>(c - 0.5 > v);
  return select<i32>(top, i, i > top);
}

// Linear power of a packet of power pk (f32) where cond holds and pk is at or above the interference
// floor, else 0 (times 0: exact, and no branch). A power below the floor is replaced by the floor's f32
// (fb, floorBits) before the table look-up (lin: pLin, top: linN - 1), so the index stays in range.
// @ts-ignore: decorator
@inline function linIf(pk: f32, cond: i32, lin: usize, floor: f64, fb: i32, top: i32): f64 {
  const ok = cond & <i32>(<f64>pk >= floor);
  const pv: f64 = <f64>reinterpret<f32>(select<i32>(reinterpret<i32>(pk), fb, ok));
  return load<f64>(lin + (<usize>linIdxHi(pv, floor, top) << 3)) * <f64>ok;
}
