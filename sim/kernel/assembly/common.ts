// Fused engine, helpers of several files: rng.ts's hash32 and types.ts's pair id, the running sum of the
// counting sorts, and the lane-compaction table of the four-at-a-time loops.
import { absorb, absorb1, finish, finish1 } from './kernel';

// rng.ts hash32
export function hash32(sd: u32, a: u32, b: u32, c: u32, d: u32): u32 {
  let h: u32 = (sd ^ 0x9e3779b9) * 0x85ebca6b ^ 0x27d4eb2f;
  h = absorb1(h, a);
  h = absorb1(h, b);
  h = absorb1(h, c);
  h = absorb1(h, d);
  return finish1(h);
}

// @ts-ignore: decorator
@inline export function pairIdOf(t: i32, r: i32): u32 {
  if (t < 65536 && r < 65536) return (<u32>t << 16) | <u32>r;
  return hash32(0x9a1f, <u32>t, <u32>r, 0, 0); // types.ts pairIdOf above 65535 devices
}

/**
 * pairIdOf() of four transmitters tv and receiver r, in lanes: lanes with t or r above 65535 take
 * hash32(0x9a1f, t, r, 0, 0), the others t << 16 | r (types.ts pairIdOf). Lets termsV() run four at a
 * time at any device count (before, above 65,536 devices the engine fell back to scalar terms: +9 %).
 */
// @ts-ignore: decorator
@inline export function pairIdV(tv: v128, r: i32): v128 {
  const small = v128.or(i32x4.shl(tv, 16), i32x4.splat(r));
  const ok = v128.and(i32x4.lt_u(tv, i32x4.splat(65536)), i32x4.splat(r < 65536 ? -1 : 0));
  if (i32x4.all_true(ok)) return small;
  // hash32's start state for seed 0x9a1f, then t, r, 0, 0 absorbed in lanes
  const h0: u32 = (<u32>0x9a1f ^ 0x9e3779b9) * 0x85ebca6b ^ 0x27d4eb2f;
  let h = absorb(i32x4.splat(h0), tv);
  h = absorb(h, i32x4.splat(r));
  h = absorb(h, i32x4.splat(0));
  h = absorb(h, i32x4.splat(0));
  return v128.bitselect(small, finish(h), ok);
}

/**
 * Running sums of the n i32 counts at p, in place. The sum stays in a local: reading back the entry just
 * stored would chain every step through a store-to-load forward.
 */
export function prefixSum(p: usize, n: i32): void {
  let sum: i32 = 0;
  for (let i = 0; i < n; i++) {
    const a = p + (<usize>i << 2);
    sum += load<i32>(a);
    store<i32>(a, sum);
  }
}

// i8x16.swizzle masks that move the lanes set in a 4-bit mask to the front, in order (candidate
// compaction in the four-at-a-time walk; 0x80 selects zero)
export const COMPACT: usize = memory.data<u8>([
  128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
  4, 5, 6, 7, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 4, 5, 6, 7, 128, 128, 128, 128, 128, 128, 128, 128,
  8, 9, 10, 11, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 8, 9, 10, 11, 128, 128, 128, 128, 128, 128, 128, 128,
  4, 5, 6, 7, 8, 9, 10, 11, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 128, 128, 128, 128,
  12, 13, 14, 15, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 12, 13, 14, 15, 128, 128, 128, 128, 128, 128, 128, 128,
  4, 5, 6, 7, 12, 13, 14, 15, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 128, 128, 128, 128,
  8, 9, 10, 11, 12, 13, 14, 15, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 128, 128, 128, 128,
  4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 128, 128, 128, 128,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
]);
