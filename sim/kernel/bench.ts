/**
 * Kernel-only radio benchmark: in-range (advertisement, listening receiver) pair evaluations per second on
 * one core. Pairs are drawn like a crowd within 50 m (distance ~ area-uniform, device TX and
 * RSSI offsets from the GAEN spread, 3 channels), filled once into a reused batch; each run evaluates the
 * batch repeatedly for `seconds` (new event ids each pass so fading draws change).
 */
import os from 'node:os';
import { DEFAULT_CHANNEL, type ChannelParams } from '../channel/params.ts';
import { cullRadiusM, loadKernel } from './index.ts';
import { hash32, uniform01 } from './rng.ts';

export interface KernelBenchResult {
  bench: 'radio-kernel';
  kernel: string;
  fallback_reason?: string;
  pairs_per_s: number;
  runs_pairs_per_s: number[];
  runs: number;
  seconds_per_run: number;
  batch: number;
  received_fraction: number;
  pair_radius_m: number;
  node: string;
  cpu: string;
  cores: number;
}

export async function benchKernel(opts: { kernel: 'wasm' | 'ts'; seconds: number; runs: number; batch?: number; params?: ChannelParams }): Promise<KernelBenchResult> {
  const params = opts.params ?? DEFAULT_CHANNEL;
  const k = await loadKernel(opts.kernel);
  const n = opts.batch ?? 16384;
  const b = k.allocBatch ? k.allocBatch(n) : (await import('./types.ts')).allocBatch(n);
  const out = k.allocOut ? k.allocOut(n) : new Float32Array(n);
  // pairs spread over a 50 m disc (a crowd in a hall), or the culling radius if that is smaller
  const radius = Math.min(50, cullRadiusM(params, -8));
  for (let i = 0; i < n; i++) {
    b.distM[i] = radius * Math.sqrt(uniform01(hash32(7, i, 1, 0, 0)));
    b.txPowerDbm[i] = -24 + 8 * (uniform01(hash32(7, i, 2, 0, 0)) - 0.5);
    b.staticLossDb[i] = 12 * uniform01(hash32(7, i, 3, 0, 0));
    b.pairId[i] = hash32(7, i, 4, 0, 0) & 0xffff;
    b.epoch[i] = i >>> 10;
    b.eventId[i] = i;
    b.channel[i] = 37 + (i % 3);
  }
  b.n = n;
  // warm-up (JIT, tables)
  let received = 0;
  for (let w = 0; w < 20; w++) received = k.evaluate(b, params, out);
  const runs: number[] = [];
  for (let r = 0; r < opts.runs; r++) {
    let pairs = 0;
    let pass = 0;
    const t0 = process.hrtime.bigint();
    const limit = BigInt(Math.round(opts.seconds * 1e9));
    let dt = 0n;
    do {
      for (let rep = 0; rep < 8; rep++) {
        b.eventId[0] = pass++; // touch the batch as a world loop would
        k.evaluate(b, params, out);
        pairs += n;
      }
      dt = process.hrtime.bigint() - t0;
    } while (dt < limit);
    runs.push(pairs / (Number(dt) / 1e9));
  }
  const sorted = [...runs].sort((a, c) => a - c);
  return {
    bench: 'radio-kernel',
    kernel: k.name,
    ...(k.fallbackReason ? { fallback_reason: k.fallbackReason } : {}),
    pairs_per_s: Math.round(sorted[Math.floor(sorted.length / 2)]),
    runs_pairs_per_s: runs.map(Math.round),
    runs: opts.runs,
    seconds_per_run: opts.seconds,
    batch: n,
    received_fraction: received / n,
    pair_radius_m: radius,
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
  };
}
