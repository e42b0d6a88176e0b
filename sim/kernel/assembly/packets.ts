// Fused engine, the tick's packets (buildPackets): per channel, the packet records sorted by start, each
// flagged when alone on the air, and a time index over them; the dense scan windows (scanWindow.ts) walk
// them.
import {
  PK_BUCKETS, REC_SHIFT, hopGap, maxBuckets, nDevices, pAct, pAir, pBucket, pCQ, pEDev, pEId, pESt, pEvId,
  pEvOff, pEvStart, pPk, pPkIdx, pkCap,
} from './layout';
import { prefixSum } from './common';
import { nAct } from './devices';

// the tick's packet count per channel (37, 38, 39) in pPk
export let pkN0: i32 = 0;
export let pkN1: i32 = 0;
export let pkN2: i32 = 0;

/**
 * Sorts the tick's packets with a start in [t0, t1) by start, per channel; equal starts in device order.
 * The tick's events are put in start order once, up to their time bucket (a counting sort); each
 * channel's list is built in that order, its packets offset by channel index x (airtime + hop gap), and
 * kept sorted on (start, device) by insertion: only packets of neighbouring buckets or with a longer hop
 * offset move, so the insertions stay short. Windows of scanners that hear most of the
 * air then read their candidates in time order with no per-window sort. Each packet carries its end and
 * event id, computed here once instead of per (packet, scanner) pair.
 */
export function buildPackets(t0: f64, t1: f64): void {
  pkT0 = t0;
  pkInv = <f64>PK_BUCKETS / (t1 - t0);
  // (genEvents counted the events and the devices with any)
  const ne = load<i32>(pEvOff + (<usize>nDevices << 2));
  const nb: i32 = ne < 1 ? 1 : 4 * ne > maxBuckets ? maxBuckets : 4 * ne;
  // bucket = floor((es - t0) * nb / span), clamped; the result (sorted on start, then device) does not
  // depend on the buckets, they only keep the insertions below short (four buckets an event leave few
  // events sharing one, whose order the insertions must fix)
  const inv: f64 = <f64>nb / (t1 - t0);
  memory.fill(pBucket, 0, <usize>(nb + 1) << 2);
  // pass 0 counts per bucket, pass 1 scatters
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < nAct; i++) {
      const d = load<i32>(pAct + (<usize>i << 2));
      const e0 = load<i32>(pEvOff + (<usize>d << 2));
      const e1 = load<i32>(pEvOff + (<usize>(d + 1) << 2));
      for (let j = e0; j < e1; j++) {
        if (pass == 0) {
          // the bucket, kept for pass 1 (pCQ is free until the tick's windows)
          const f = Math.floor((load<f64>(pEvStart + (<usize>j << 3)) - t0) * inv);
          const b = f < 0 ? 0 : f >= <f64>nb ? nb - 1 : <i32>f;
          store<i32>(pCQ + (<usize>j << 2), b);
          const a = pBucket + (<usize>(b + 1) << 2);
          store<i32>(a, load<i32>(a) + 1);
        } else {
          const a = pBucket + (<usize>load<i32>(pCQ + (<usize>j << 2)) << 2);
          const k = <usize>load<i32>(a);
          store<i32>(a, <i32>k + 1);
          store<f64>(pESt + (k << 3), load<f64>(pEvStart + (<usize>j << 3)));
          store<i32>(pEDev + (k << 2), d);
          store<u32>(pEId + (k << 2), load<u32>(pEvId + (<usize>j << 2)));
        }
      }
    }
    if (pass == 0) prefixSum(pBucket + 4, nb);
  }
  for (let c = 0; c < 3; c++) {
    const base = <usize>(c * pkCap);
    let n: i32 = 0;
    for (let j = 0; j < ne; j++) {
      const d = load<i32>(pEDev + (<usize>j << 2));
      const air: f64 = <f64>load<i32>(pAir + (<usize>d << 2));
      const ps: f64 = load<f64>(pESt + (<usize>j << 3)) + <f64>c * (air + hopGap);
      if (ps < t0 || ps >= t1) continue;
      const id = load<u32>(pEId + (<usize>j << 2));
      // insert at the end, moving later (start, device) keys up
      let rb = pPk + ((base + <usize>n) << REC_SHIFT);
      while (rb > pPk + (base << REC_SHIFT)) {
        const qb = rb - (1 << REC_SHIFT);
        const qs = load<f64>(qb);
        if (qs < ps || (qs == ps && load<i32>(qb, 16) < d)) break;
        v128.store(rb, v128.load(qb));
        v128.store(rb, v128.load(qb, 16), 16);
        rb = qb;
      }
      store<f64>(rb, ps);
      store<f64>(rb, ps + air, 8);
      store<i32>(rb, d, 16);
      store<u32>(rb, id, 20);
      n++;
    }
    if (c == 0) pkN0 = n;
    else if (c == 1) pkN1 = n;
    else pkN2 = n;
    // packets alone on the air: every earlier packet ends by this one's start and the next one starts at
    // or after its end (resolve() then skips the interference sums: two candidates in three in the
    // 8-hour lobby benchmark; the same for every scanner, so it is found once here)
    // and the channel's time index: packets per time bucket, then the count before each bucket
    let maxEnd: f64 = -Infinity;
    const r0 = pPk + (base << REC_SHIFT);
    const ib = pPkIdx + (<usize>(c * (PK_BUCKETS + 1)) << 2);
    memory.fill(ib, 0, (PK_BUCKETS + 1) << 2);
    for (let k: i32 = 0; k < n; k++) {
      const rec = r0 + (<usize>k << REC_SHIFT);
      const ps = load<f64>(rec);
      const pe = load<f64>(rec, 8);
      const next = k + 1 < n ? load<f64>(rec, 1 << REC_SHIFT) : Infinity;
      store<u32>(rec, <u32>(maxEnd <= ps) & <u32>(next >= pe), 28);
      maxEnd = Math.max(maxEnd, pe);
      const a = ib + (<usize>(pkBucket(ps) + 1) << 2);
      store<i32>(a, load<i32>(a) + 1);
    }
    prefixSum(ib + 4, PK_BUCKETS);
  }
}

let pkT0: f64 = 0;
let pkInv: f64 = 0;

// @ts-ignore: decorator
@inline export function pkBucket(t: f64): i32 {
  const f = Math.floor((t - pkT0) * pkInv);
  return f < 0 ? 0 : f >= <f64>PK_BUCKETS ? PK_BUCKETS - 1 : <i32>f;
}
