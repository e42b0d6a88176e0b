// Fused engine, the scanners' windows of a tick (run.ts's window loop): scanBegin() / scanTick() walk each
// present scanner's windows (periodic, iOS-jittered, Android sessions) and hand each to scanWindow(),
// resuming where they stopped when the output arrays fill.
import {
  evSeed, maxAir, outBase, outCap, pAct, pChOff, pScanCycle, pScanInt, pScanJit, pScanMode, pScanOn,
  pScanPhase, pScanWin, pWE, pWQ, pWR, pWS, pkCap, scanIntegral,
} from './layout';
import { hash32 } from './common';
import { nAct } from './devices';
import { gather } from './neighbours';
import { scanWindow } from './scanWindow';

// where scanTick stopped: present-device index, window index, neighbour count (-1: not gathered)
export let sI: i32 = 0;
let sK: f64 = 0;
let sNb: i32 = -1;
export let sIn: bool = false;

const SALT_IOS_JITTER: u32 = 0x696f736a; // run.ts
const SCAN_IOS: u8 = 2;

// run.ts's ((v % c) + c) % c; for whole microseconds (below 2^53) floor(v / c) is exact and this form
// avoids AssemblyScript's software fmod
// @ts-ignore: decorator
@inline function posMod(v: f64, c: f64): f64 {
  return scanIntegral ? v - Math.floor(v / c) * c : ((v % c) + c) % c;
}

/** Starts the scan windows of the tick (before the first scanTick). */
export function scanBegin(): void {
  sI = 0;
  sIn = false;
}

/**
 * run.ts's window loop for the tick [t0, t1): every present scanner's windows overlapping
 * [t0 - maxAir, t1) in run.ts's order, each decided by scanWindow(). The receptions go to the rx* arrays
 * from 0 on, the windows that have any to pWR / pWS / pWE / pWQ. Returns the window count, or -(count + 1)
 * when it stopped before the arrays could overflow: the caller reads them and calls again to go on.
 */
export function scanTick(t0: f64, t1: f64): i32 {
  let nWin: i32 = 0;
  outBase = 0;
  const early = t0 - maxAir;
  for (; sI < nAct; sI++) {
    const r = load<i32>(pAct + (<usize>sI << 2));
    const mode = load<u8>(pScanMode + <usize>r);
    if (mode == 0) continue;
    const o4 = <usize>r << 2;
    const o8 = <usize>r << 3;
    const win: f64 = <f64>load<i32>(pScanWin + o4);
    const per: f64 = <f64>load<i32>(pScanInt + o4);
    const ph = load<f64>(pScanPhase + o8);
    const cyc = load<f64>(pScanCycle + o8);
    const on = load<f64>(pScanOn + o8);
    const jit = load<i32>(pScanJit + o4);
    if (!sIn) {
      sK = mode == SCAN_IOS ? Math.floor((t0 - maxAir - win - <f64>jit - ph) / per) : Math.floor((t0 - maxAir - win + ph) / per);
      if (cyc > 0) {
        // Android: skip the scanner when no scan session overlaps this tick
        const A = t0 - maxAir - win;
        const cA = posMod(A + ph, cyc);
        if (cA >= on && A + (cyc - cA) >= t1) continue;
      }
      sNb = -1; // neighbours gathered lazily, once per tick
      sIn = true;
    }
    for (let k = sK; ; k++) {
      let ws: f64;
      if (mode == SCAN_IOS) {
        const u = (<f64>hash32(evSeed, SALT_IOS_JITTER, <u32>r, <u32><i64>k, 0) + 0.5) / 4294967296;
        ws = k * per + ph + Math.floor(u * <f64>jit) - <f64>(jit >> 1);
      } else ws = k * per - ph;
      if (ws >= t1) break;
      let we = ws + win;
      if (we <= early) continue;
      if (cyc > 0) {
        // Android scan sessions: listen only inside [session start, start + on)
        const inCycle = posMod(ws + ph, cyc);
        if (inCycle >= on) continue;
        we = Math.min(we, ws - inCycle + on);
      }
      // one window writes at most pkCap receptions
      if (outBase + pkCap > outCap) {
        sK = k;
        store<i32>(pWQ + (<usize>nWin << 2), outBase);
        return -(nWin + 1);
      }
      if (sNb < 0) sNb = gather(r, win * 2 >= per, t0);
      if (sNb == 0) break;
      const ch = 37 + <i32>(((<i64>k + <i64>load<u8>(pChOff + <usize>r)) % 3 + 3) % 3);
      const nr = scanWindow(r, ws, we, ch, sNb, t0, t1);
      if (nr > 0) {
        store<i32>(pWR + (<usize>nWin << 2), r);
        store<f64>(pWS + (<usize>nWin << 3), ws);
        store<f64>(pWE + (<usize>nWin << 3), we);
        store<i32>(pWQ + (<usize>nWin << 2), outBase);
        nWin++;
        outBase += nr;
      }
    }
    sIn = false;
  }
  store<i32>(pWQ + (<usize>nWin << 2), outBase);
  return nWin;
}
