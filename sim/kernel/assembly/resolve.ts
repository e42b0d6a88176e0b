// Fused engine, the decisions on a window's candidates (run.ts flush and record): half duplex, co-channel
// interference with capture (capture.ts's linear power table), the app's logging rule, the receptions out.
import {
  PAIR_SHIFT, REC_SHIFT, cCol, cHd, cRec, capLin, emitAll, floorBits, interfFloorDb, lastBase, linN, logAll,
  maxAir, nDevices, outBase, pEvOff, pEvSpan, pEvStart, pKind, pLast, pLin, pNbDist, pNbIdx, pPair, pRC, pRD,
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
      if (interf * capL > load<f64>(lin + (<usize>linIdxHi(p, floor, top) << 3))) {
        nCol++;
        continue;
      }
    }
    const tx = load<i32>(rec, 16);
    nRec++;
    let logged: u8 = 1;
    if (lastT != 0) {
      // run.ts record(): background iOS <-> iOS does not work (bluezone-protocol.md 3.1); coalesced iOS
      // reports; the app's 5 s dedup within a 15-min slot (4.3)
      if (kr == 1 && load<u8>(kinds + <usize>tx) == 1) continue;
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
    const q = <usize>(outBase + nOut);
    store<i32>(pRTx + (q << 2), tx);
    store<f64>(pRT + (q << 3), ps);
    store<f32>(pRP + (q << 2), p32);
    store<f32>(pRD + (q << 2), mode == 0
      ? load<f32>(pPair + gRow + (<usize>tx << PAIR_SHIFT) + 24)
      : load<f32>(pNbDist + (<usize>(mode == 1 ? load<i32>(pNbIdx + (<usize>tx << 2)) : load<i32>(rec, 24)) << 2)));
    store<u8>(pRLog + q, logged);
    nOut++;
  }
  cHd += <f64>nHd;
  cCol += <f64>nCol;
  cRec += <f64>nRec;
  return nOut;
}

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
