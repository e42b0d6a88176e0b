/**
 * Reception kernels (sim-interface.md). tsKernel() is the pure-TS oracle; loadKernel() returns the
 * WebAssembly SIMD kernel when the runtime supports it, else the TS one with fallbackReason set.
 */
import type { ChannelParams } from '../channel/params.ts';
import { kernelTables } from './tables.ts';
import { tsKernel } from './tsKernel.ts';
import type { ReceptionKernel } from './types.ts';

export { tsKernel, fastLog2 } from './tsKernel.ts';
export { allocBatch, pairIdOf } from './types.ts';
export type { PairBatch, ReceptionKernel } from './types.ts';
export { hash32, uniform01, normalFromHash } from './rng.ts';

/** opts.wasmBytes replaces the committed kernel.wasm (tests use it to exercise the fallback). */
export async function loadKernel(prefer: 'wasm' | 'ts' = 'wasm', opts: { wasmBytes?: Uint8Array } = {}): Promise<ReceptionKernel> {
  if (prefer === 'ts') return tsKernel();
  let reason: string;
  try {
    const { wasmKernel } = await import('./wasmKernel.ts');
    return await wasmKernel(opts.wasmBytes);
  } catch (e) {
    reason = (e as Error)?.message ?? String(e);
  }
  const k = tsKernel();
  return { ...k, fallbackReason: `WASM SIMD kernel unavailable: ${reason}` };
}

/**
 * Distance beyond which a packet is received with negligible probability: the link budget
 * maxTxDbm - sensitivity plus the upper tails (largest fading-table value plus tailSigmas (3.5) sigma of
 * pair offset and shadowing combined), inverted through the log-distance law (radio-model.md 2.2 "culling radius").
 * maxTxDbm must be the largest txPowerDbm - staticLossDb any pair can have (include negative losses such
 * as a positive receiver RSSI correction).
 */
export function cullRadiusM(params: ChannelParams, maxTxDbm: number, tailSigmas = 3.5): number {
  const { fadeMaxDb } = kernelTables(params);
  // P(N(0,1) > 3.5) = 2.3e-4: pairs beyond the radius are received that rarely (3.0 gives 1.3e-3)
  const tail = fadeMaxDb + tailSigmas * Math.hypot(params.pairSigmaDb, params.shadowSigmaDb);
  const maxLoss = maxTxDbm - params.sensitivityDbm + tail;
  return Math.max(distanceForPathLossM(params, maxLoss), params.minDistM);
}

/** Median path loss PL(d) (dB) of the two-slope law, without the kernel's float approximations. */
export function pathLossDb(params: ChannelParams, d: number): number {
  const dd = Math.max(d, params.minDistM);
  const b = Math.max(params.nearBreakM, params.minDistM);
  return params.pl1mDb + 10 * params.exponentNear * Math.log10(Math.min(dd, b)) + 10 * params.exponent * Math.log10(Math.max(dd / b, 1));
}

/** Inverse of pathLossDb: the distance (m) at which the median path loss reaches lossDb. */
export function distanceForPathLossM(params: ChannelParams, lossDb: number): number {
  const b = Math.max(params.nearBreakM, params.minDistM);
  const atBreak = pathLossDb(params, b);
  if (lossDb <= atBreak) return Math.max(params.minDistM, Math.pow(10, (lossDb - params.pl1mDb) / (10 * params.exponentNear)));
  return b * Math.pow(10, (lossDb - atBreak) / (10 * params.exponent));
}
