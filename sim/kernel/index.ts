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

export async function loadKernel(prefer: 'wasm' | 'ts' = 'wasm'): Promise<ReceptionKernel> {
  if (prefer === 'ts') return tsKernel();
  let reason: string;
  try {
    const { wasmKernel } = await import('./wasmKernel.ts');
    return await wasmKernel();
  } catch (e) {
    reason = (e as Error)?.message ?? String(e);
  }
  const k = tsKernel();
  return { ...k, fallbackReason: `WASM SIMD kernel unavailable: ${reason}` };
}

/**
 * Distance beyond which a packet is received with negligible probability: the link budget
 * maxTxDbm - sensitivity plus the upper tails (largest fading-table value plus 3.5 sigma of pair offset
 * and shadowing combined), inverted through the log-distance law (sim-radio-core.md 2.2 "culling radius").
 * maxTxDbm must be the largest txPowerDbm - staticLossDb any pair can have (include negative losses such
 * as a positive receiver RSSI correction).
 */
export function cullRadiusM(params: ChannelParams, maxTxDbm: number): number {
  const { fadeMaxDb } = kernelTables(params);
  const tail = fadeMaxDb + 3.5 * Math.hypot(params.pairSigmaDb, params.shadowSigmaDb);
  const maxLoss = maxTxDbm - params.sensitivityDbm + tail;
  const d = Math.pow(10, (maxLoss - params.pl1mDb) / (10 * params.exponent));
  return Math.max(d, params.minDistM);
}
