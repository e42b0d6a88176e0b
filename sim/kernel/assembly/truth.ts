// Fused engine, contact truth (run.ts): the tick's pairs a < b of present devices within truthM, on a
// grid of truthM cells (truthPairs), updated from the tick before when few devices moved.
import {
  nDevices, pAct, pActive, pMoved, pTA, pTA2, pTB, pTB2, pTCellD, pTCellOf, pTCellStart, pTIX, pTIY, pTItems,
  pTNA, pTNB, pTNK, pX, pY, tCellM, tNx, tNy,
} from './layout';
import { COMPACT } from './common';
import { nAct, nGone, nMoved, sortByCell } from './devices';

// sim/engine/grid.ts cellX / cellY, on the truth grid
// @ts-ignore: decorator
@inline function tCell(v: f64, n: i32): i32 {
  const c = Math.floor(v / tCellM);
  return c < 0 ? 0 : c >= <f64>n ? n - 1 : <i32>c;
}

/**
 * The tick's pairs (a, b), a < b, both present, at most limit metres apart, in run.ts's order: a
 * ascending, then the 3 x 3 cells around a row by row, then b ascending (ascending key a, b's cell, b).
 * Positions and presence are the ones of the last loadTick. Returns the pair count (pTA / pTB); the
 * output holds every pair of nDevices.
 */
export function truthPairs(limit: f64): i32 {
  // from the tick before when few devices moved: the pairs between devices that stayed put and stayed
  // are the same, only those of a device that arrived or moved are searched again
  if (tN >= 0 && nGone == 0 && nMoved == 0) return tN;
  truthGrid();
  if (tN < 0 || nMoved * 4 > nAct) tN = truthScan(limit);
  else tN = truthUpdate(limit);
  return tN;
}

// the tick's pair list (pTA / pTB) holds tN pairs, -1 before the first tick
export let tN: i32 = -1;

/**
 * The contact-truth grid: present ids by cell, ascending within a cell, their positions beside them
 * (f64, as the JS loop computes); each device's cell in pTCellD, each present index's in pTCellOf.
 */
function truthGrid(): void {
  const na = nAct;
  for (let i = 0; i < na; i++) {
    const d = <usize>load<i32>(pAct + (<usize>i << 2));
    const c = tCell(<f64>load<f32>(pY + (d << 2)), tNy) * tNx + tCell(<f64>load<f32>(pX + (d << 2)), tNx);
    store<i32>(pTCellOf + (<usize>i << 2), c);
    store<i32>(pTCellD + (d << 2), c);
  }
  sortByCell(pTCellOf, pTCellStart, pTItems, tNx * tNy);
  for (let k = 0; k < na; k++) {
    const d = <usize>load<i32>(pTItems + (<usize>k << 2));
    store<f64>(pTIX + (<usize>k << 3), <f64>load<f32>(pX + (d << 2)));
    store<f64>(pTIY + (<usize>k << 3), <f64>load<f32>(pY + (d << 2)));
  }
}

// the 3 x 3 truth cells around cell c0, clamped to the grid (truthCells)
let tGx0: i32 = 0;
let tGx1: i32 = 0;
let tGy0: i32 = 0;
let tGy1: i32 = 0;

// @ts-ignore: decorator
@inline function truthCells(c0: i32): void {
  const cx = c0 % tNx;
  const cy = c0 / tNx;
  tGx0 = max(0, cx - 1);
  tGx1 = min(tNx - 1, cx + 1);
  tGy0 = max(0, cy - 1);
  tGy1 = min(tNy - 1, cy + 1);
}

// the order of the pair list: a, then b's cell, then b (truthPairs)
// @ts-ignore: decorator
@inline function truthKey(a: i32, b: i32): f64 {
  return (<f64>a * <f64>(tNx * tNy) + <f64>load<i32>(pTCellD + (<usize>b << 2))) * <f64>nDevices + <f64>b;
}

/**
 * The pair list from the last one: the pairs whose devices are both still present and did not move are
 * kept (in order); the pairs of each device that arrived or moved are searched in the 3 x 3 cells around
 * it (a pair of two such devices from the lower id), sorted, and merged in.
 */
function truthUpdate(limit: f64): i32 {
  let m: i32 = 0;
  for (let i = 0; i < tN; i++) {
    const a = load<i32>(pTA + (<usize>i << 2));
    const b = load<i32>(pTB + (<usize>i << 2));
    store<i32>(pTA2 + (<usize>m << 2), a);
    store<i32>(pTB2 + (<usize>m << 2), b);
    const keep = <i32>load<u8>(pActive + <usize>a) & <i32>load<u8>(pActive + <usize>b)
      & (<i32>load<u8>(pMoved + <usize>a) ^ 1) & (<i32>load<u8>(pMoved + <usize>b) ^ 1);
    m += keep;
  }
  const lim2 = limit * limit;
  let nn: i32 = 0;
  for (let i = 0; i < nAct; i++) {
    const d = load<i32>(pAct + (<usize>i << 2));
    if (load<u8>(pMoved + <usize>d) == 0) continue;
    const xd: f64 = <f64>load<f32>(pX + (<usize>d << 2));
    const yd: f64 = <f64>load<f32>(pY + (<usize>d << 2));
    truthCells(load<i32>(pTCellOf + (<usize>i << 2)));
    const gx0 = tGx0, gx1 = tGx1;
    for (let gy = tGy0; gy <= tGy1; gy++) {
      const row = gy * tNx;
      const qEnd = load<i32>(pTCellStart + (<usize>(row + gx1 + 1) << 2));
      for (let q = load<i32>(pTCellStart + (<usize>(row + gx0) << 2)); q < qEnd; q++) {
        const b = load<i32>(pTItems + (<usize>q << 2));
        // run.ts's test with a the lower id: dx = x[b] - x[a] (the same square either way)
        const dx: f64 = load<f64>(pTIX + (<usize>q << 3)) - xd;
        const dy: f64 = load<f64>(pTIY + (<usize>q << 3)) - yd;
        const lo = min(b, d), hi = max(b, d);
        store<i32>(pTNA + (<usize>nn << 2), lo);
        store<i32>(pTNB + (<usize>nn << 2), hi);
        nn += <i32>(b != d) & (<i32>(load<u8>(pMoved + <usize>b) == 0) | <i32>(b > d)) & <i32>!(dx * dx + dy * dy > lim2);
      }
    }
  }
  // the new pairs by key (few: insertion)
  for (let i = 0; i < nn; i++) store<f64>(pTNK + (<usize>i << 3), truthKey(load<i32>(pTNA + (<usize>i << 2)), load<i32>(pTNB + (<usize>i << 2))));
  for (let i = 1; i < nn; i++) {
    const k = load<f64>(pTNK + (<usize>i << 3));
    const a = load<i32>(pTNA + (<usize>i << 2));
    const b = load<i32>(pTNB + (<usize>i << 2));
    let j = i - 1;
    while (j >= 0 && load<f64>(pTNK + (<usize>j << 3)) > k) {
      store<f64>(pTNK + (<usize>(j + 1) << 3), load<f64>(pTNK + (<usize>j << 3)));
      store<i32>(pTNA + (<usize>(j + 1) << 2), load<i32>(pTNA + (<usize>j << 2)));
      store<i32>(pTNB + (<usize>(j + 1) << 2), load<i32>(pTNB + (<usize>j << 2)));
      j--;
    }
    store<f64>(pTNK + (<usize>(j + 1) << 3), k);
    store<i32>(pTNA + (<usize>(j + 1) << 2), a);
    store<i32>(pTNB + (<usize>(j + 1) << 2), b);
  }
  // merge the kept pairs (already in key order: their devices kept their cells) with the new ones
  let i: i32 = 0;
  let j: i32 = 0;
  let n: i32 = 0;
  let ki: f64 = m > 0 ? truthKey(load<i32>(pTA2), load<i32>(pTB2)) : Infinity;
  while (i < m || j < nn) {
    const kj = j < nn ? load<f64>(pTNK + (<usize>j << 3)) : Infinity;
    if (ki < kj) {
      store<i32>(pTA + (<usize>n << 2), load<i32>(pTA2 + (<usize>i << 2)));
      store<i32>(pTB + (<usize>n << 2), load<i32>(pTB2 + (<usize>i << 2)));
      i++;
      ki = i < m ? truthKey(load<i32>(pTA2 + (<usize>i << 2)), load<i32>(pTB2 + (<usize>i << 2))) : Infinity;
    } else {
      store<i32>(pTA + (<usize>n << 2), load<i32>(pTNA + (<usize>j << 2)));
      store<i32>(pTB + (<usize>n << 2), load<i32>(pTNB + (<usize>j << 2)));
      j++;
    }
    n++;
  }
  return n;
}

/** Every pair from scratch (truthGrid first). */
function truthScan(limit: f64): i32 {
  const na = nAct;
  const lim2 = f64x2.splat(limit * limit);
  const lane = i32x4(0, 1, 2, 3);
  let n: i32 = 0;
  for (let i = 0; i < na; i++) {
    const a = load<i32>(pAct + (<usize>i << 2));
    const xa = f64x2.splat(<f64>load<f32>(pX + (<usize>a << 2)));
    const ya = f64x2.splat(<f64>load<f32>(pY + (<usize>a << 2)));
    const va = i32x4.splat(a);
    truthCells(load<i32>(pTCellOf + (<usize>i << 2)));
    const gx0 = tGx0, gx1 = tGx1;
    for (let gy = tGy0; gy <= tGy1; gy++) {
      // the row's cells are contiguous in items: four at a time, the pairs kept (b > a, within the
      // limit: dx * dx + dy * dy > limit^2 is false, as in run.ts) moved to the front by a shuffle, in
      // order; lanes past the row's end are masked off (the arrays have room for them)
      const row = gy * tNx;
      const qEnd = load<i32>(pTCellStart + (<usize>(row + gx1 + 1) << 2));
      const vEnd = i32x4.splat(qEnd);
      for (let q = load<i32>(pTCellStart + (<usize>(row + gx0) << 2)); q < qEnd; q += 4) {
        const ids = v128.load(pTItems + (<usize>q << 2));
        const o = pTIX + (<usize>q << 3);
        const dx0 = f64x2.sub(v128.load(o), xa);
        const dx1 = f64x2.sub(v128.load(o, 16), xa);
        const oy = pTIY + (<usize>q << 3);
        const dy0 = f64x2.sub(v128.load(oy), ya);
        const dy1 = f64x2.sub(v128.load(oy, 16), ya);
        const far0 = f64x2.gt(f64x2.add(f64x2.mul(dx0, dx0), f64x2.mul(dy0, dy0)), lim2);
        const far1 = f64x2.gt(f64x2.add(f64x2.mul(dx1, dx1), f64x2.mul(dy1, dy1)), lim2);
        const far = i32x4.shuffle(far0, far1, 0, 2, 4, 6);
        const live = v128.and(i32x4.gt_s(ids, va), i32x4.lt_s(i32x4.add(i32x4.splat(q), lane), vEnd));
        const mask = <usize>i32x4.bitmask(v128.andnot(live, far));
        v128.store(pTB + (<usize>n << 2), i8x16.swizzle(ids, v128.load(COMPACT + (mask << 4))));
        v128.store(pTA + (<usize>n << 2), va);
        n += <i32>popcnt<u32>(<u32>mask);
      }
    }
  }
  return n;
}
