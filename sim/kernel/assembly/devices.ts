// Fused engine, the tick's devices: loadTick() (the present-device list, who arrived or moved, stale
// pair-cache entries) and the neighbour grid (buildGrid, sim/engine/grid.ts build) with the counting sort
// by cell that the contact-truth grid (truth.ts) shares.
import {
  GEO_SHIFT, PAIR_SHIFT, cellM, gridNx, gridNy, nDevices, pAct, pActive, pCand, pCarriage, pCellStart, pGeo, pHx,
  pHy, pItems, pLoudFlag, pMoved, pPair, pReachTx, pStHx, pStHy, pStX, pStY, pWasActive, pX, pY,
} from './layout';
import { prefixSum } from './common';

// @ts-ignore: decorator
@inline export function clampCell(v: f64, n: i32): i32 {
  const c = Math.floor(v / cellM);
  return c < 0 ? 0 : c >= <f64>n ? n - 1 : <i32>c;
}

export let nAct: i32 = 0; // present devices (listed in pAct)
export let nMoved: i32 = 0; // of those, arrived or moved this tick (pMoved)
export let nGone: i32 = 0; // devices present the tick before, absent now

/**
 * Takes the tick's staged positions and facings of the present devices (pActive, pWasActive already
 * set) and lists the present devices. With the pair cache, the entries between a present device that
 * moved, turned or just arrived and every present device become stale. An absent device's entries are
 * never read: the one of a pair whose either device was away is made stale on its return.
 */
export function loadTick(): void {
  let na: i32 = 0;
  let gone: i32 = 0;
  for (let d = 0; d < nDevices; d++) {
    store<i32>(pAct + (<usize>na << 2), d);
    const a = <i32>load<u8>(pActive + <usize>d);
    na += a;
    gone += <i32>load<u8>(pWasActive + <usize>d) & (a ^ 1);
  }
  nAct = na;
  nGone = gone;
  let moves: i32 = 0;
  for (let i = 0; i < na; i++) {
    const o = <usize>load<i32>(pAct + (<usize>i << 2)) << 2;
    const nx = load<f32>(pStX + o), ny = load<f32>(pStY + o), nhx = load<f32>(pStHx + o), nhy = load<f32>(pStHy + o);
    // arrived or moved (the contact truth's pairs change only there), or turned (the pair cache's terms too)
    const moved = load<u8>(pWasActive + (o >> 2)) == 0 || nx != load<f32>(pX + o) || ny != load<f32>(pY + o);
    const stale = moved || nhx != load<f32>(pHx + o) || nhy != load<f32>(pHy + o);
    store<u8>(pMoved + (o >> 2), <u8>moved);
    moves += <i32>moved;
    store<f32>(pX + o, nx);
    store<f32>(pY + o, ny);
    store<f32>(pHx + o, nhx);
    store<f32>(pHy + o, nhy);
    if (stale && pPair != 0) {
      const d = o >> 2;
      const n = <usize>nDevices;
      const row = pPair + ((d * n) << PAIR_SHIFT);
      for (let j = 0; j < na; j++) {
        const e = <usize>load<i32>(pAct + (<usize>j << 2));
        store<u32>(row + (e << PAIR_SHIFT), 0);
        store<u32>(pPair + ((e * n + d) << PAIR_SHIFT), 0);
      }
    }
  }
  nMoved = moves;
}

/**
 * Counting sort of the present devices by cell (grid.ts build): cells holds each present index's cell
 * (or -1: left out); afterwards cellStart[c] .. cellStart[c + 1] are cell c's devices in items, ids
 * ascending within a cell. The cell starts serve as the scatter's cursors, then move back by one cell.
 */
export function sortByCell(cells: usize, cellStart: usize, items: usize, nc: i32): void {
  memory.fill(cellStart, 0, <usize>(nc + 1) << 2);
  for (let i = 0; i < nAct; i++) {
    const c = load<i32>(cells + (<usize>i << 2));
    if (c < 0) continue;
    const a = cellStart + (<usize>(c + 1) << 2);
    store<i32>(a, load<i32>(a) + 1);
  }
  prefixSum(cellStart + 4, nc);
  for (let i = 0; i < nAct; i++) {
    const c = load<i32>(cells + (<usize>i << 2));
    if (c < 0) continue;
    const a = cellStart + (<usize>c << 2);
    const k = load<i32>(a);
    store<i32>(items + (<usize>k << 2), load<i32>(pAct + (<usize>i << 2)));
    store<i32>(a, k + 1);
  }
  memory.copy(cellStart + 4, cellStart, <usize>nc << 2);
  store<i32>(cellStart, 0);
}

/**
 * The neighbour grid of the tick (grid.ts build): the present devices that are not loud, by cell, ids
 * ascending within a cell. pCand holds each one's cell meanwhile.
 */
export function buildGrid(): void {
  for (let i = 0; i < nAct; i++) {
    const d = <usize>load<i32>(pAct + (<usize>i << 2));
    const c = load<u8>(pLoudFlag + d) != 0
      ? -1
      : clampCell(<f64>load<f32>(pY + (d << 2)), gridNy) * gridNx + clampCell(<f64>load<f32>(pX + (d << 2)), gridNx);
    store<i32>(pCand + (<usize>i << 2), c);
  }
  sortByCell(pCand, pCellStart, pItems, gridNx * gridNy);
  // the items' geometry records, in item order (layout.ts pGeo)
  const ni = load<i32>(pCellStart + (<usize>(gridNx * gridNy) << 2));
  for (let q = 0; q < ni; q++) {
    const d = <usize>load<i32>(pItems + (<usize>q << 2));
    const g = pGeo + (<usize>q << GEO_SHIFT);
    store<f32>(g, load<f32>(pX + (d << 2)));
    store<f32>(g, load<f32>(pY + (d << 2)), 4);
    store<f32>(g, load<f32>(pHx + (d << 2)), 8);
    store<f32>(g, load<f32>(pHy + (d << 2)), 12);
    store<f32>(g, load<f32>(pReachTx + (d << 2)), 16);
    store<u32>(g, <u32>load<u8>(pCarriage + d), 20);
    store<i32>(g, <i32>d, 24);
  }
}
