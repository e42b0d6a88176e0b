/**
 * WebAssembly SIMD reception kernel (sim/kernel/assembly/kernel.ts compiled to sim/kernel/kernel.wasm by
 * `npm run build:wasm`). The module exports its memory; batches made by kernel.allocBatch() live in that
 * memory, so evaluate() reads them in place with no copy (other batches are copied in, in chunks).
 */
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import { fileURLToPath } from 'node:url';
import type { ChannelParams } from '../channel/params.ts';
import { NORMAL_IH_SCALE } from './rng.ts';
import { FADE_N, kernelTables } from './tables.ts';
import { kernelScalars } from './tsKernel.ts';
import type { PairBatch, ReceptionKernel } from './types.ts';

export const WASM_PATH = fileURLToPath(new URL('./kernel.wasm', import.meta.url));

type EvaluateFn = (
  n: number, pDist: number, pTx: number, pStatic: number, pPair: number, pEpoch: number, pEvent: number,
  pChan: number, pOut: number, pFade: number, seedState: number, pl1m: number, plSlopeNear: number,
  plSlopeFar: number, log2Break: number, sp: number,
  ss: number, kBreak: number, minD: number, sens: number, ihScale: number,
) => number;

/** Raw access to the module for sim/engine/wasmEngine.ts (the fused engine shares the kernel's memory). */
export interface WasmHost {
  memory: WebAssembly.Memory;
  exports: Record<string, unknown>;
  /** Bytes in the module's memory, 16-aligned with a vector-tail pad; may grow the memory. */
  alloc(bytes: number): number;
  /** Loads params' fading table and returns its address. */
  fadeTable(params: ChannelParams): number;
}

export interface WasmKernel extends ReceptionKernel {
  readonly host: WasmHost;
  /** A PairBatch whose arrays are views into the kernel's memory (zero-copy evaluate). */
  allocBatch(capacity: number): PairBatch;
  /** A Float32Array in the kernel's memory for evaluate's output (zero-copy). */
  allocOut(capacity: number): Float32Array;
}

const SCRATCH = 16384;
const PAD = 16; // vector tail reads up to 12 bytes past the end

export async function wasmKernel(bytes?: Uint8Array): Promise<WasmKernel> {
  const code = new Uint8Array(bytes ?? readFileSync(WASM_PATH));
  if (!WebAssembly.validate(code)) throw new Error(`${WASM_PATH} does not validate (WebAssembly SIMD128 not supported by this runtime?)`);
  // Compile straight to optimised code: under V8's dynamic tiering the engine's functions, called from
  // inside the module, sometimes stayed on the baseline compiler for a whole run (measured: lobby x500
  // x8h took 15-23 s with tiering, 15-16 s without). The flag only affects WebAssembly compiled later.
  v8.setFlagsFromString('--no-liftoff');
  const module = await WebAssembly.compile(code);
  const instance = await WebAssembly.instantiate(module, {
    env: {
      abort: () => {
        throw new Error('wasm kernel abort');
      },
    },
  });
  const ex = instance.exports as { memory: WebAssembly.Memory; evaluate: EvaluateFn; heapBase: () => number };
  const memory = ex.memory;
  const evaluateWasm = ex.evaluate;
  let top = (ex.heapBase() + 15) & ~15;

  // Views must be rebuilt after memory.grow (the old ArrayBuffer is detached); we re-point every
  // batch we handed out, so callers should read batch.distM etc. from the batch object each tick.
  type Region = { ptr: number; rebind: () => void };
  const regions: Region[] = [];
  function alloc(bytesNeeded: number): number {
    const ptr = top;
    top = (top + bytesNeeded + PAD + 15) & ~15;
    if (top > memory.buffer.byteLength) {
      memory.grow(Math.ceil((top - memory.buffer.byteLength) / 65536));
      for (const r of regions) r.rebind();
    }
    return ptr;
  }

  function makeBatch(capacity: number): PairBatch & { ptrs: number[] } {
    const ptrs = [
      alloc(4 * capacity), alloc(4 * capacity), alloc(4 * capacity), alloc(4 * capacity),
      alloc(4 * capacity), alloc(4 * capacity), alloc(capacity),
    ];
    const b = { n: 0, ptrs } as unknown as PairBatch & { ptrs: number[] };
    const rebind = () => {
      const buf = memory.buffer;
      b.distM = new Float32Array(buf, ptrs[0], capacity);
      b.txPowerDbm = new Float32Array(buf, ptrs[1], capacity);
      b.staticLossDb = new Float32Array(buf, ptrs[2], capacity);
      b.pairId = new Uint32Array(buf, ptrs[3], capacity);
      b.epoch = new Uint32Array(buf, ptrs[4], capacity);
      b.eventId = new Uint32Array(buf, ptrs[5], capacity);
      b.channel = new Uint8Array(buf, ptrs[6], capacity);
    };
    rebind();
    regions.push({ ptr: ptrs[0], rebind });
    return b;
  }

  const outs: { arr: Float32Array; ptr: number; cap: number }[] = [];
  function makeOut(capacity: number): Float32Array {
    const ptr = alloc(4 * capacity);
    const rec = { arr: new Float32Array(memory.buffer, ptr, capacity), ptr, cap: capacity };
    regions.push({ ptr, rebind: () => (rec.arr = new Float32Array(memory.buffer, ptr, capacity)) });
    outs.push(rec);
    return rec.arr;
  }

  const fadePtr = alloc(4 * 2 * FADE_N);
  let fadeKey = '';
  const scratch = makeBatch(SCRATCH);
  const scratchOutPtr = alloc(4 * SCRATCH);

  function ownBatch(b: PairBatch): b is PairBatch & { ptrs: number[] } {
    const buf = memory.buffer;
    const p = (b as { ptrs?: number[] }).ptrs;
    return Array.isArray(p) && b.distM.buffer === buf && b.channel.buffer === buf;
  }

  function fadeTable(params: ChannelParams): number {
    const tables = kernelTables(params);
    if (tables.key !== fadeKey) {
      new Float32Array(memory.buffer, fadePtr, 2 * FADE_N).set(tables.fade);
      fadeKey = tables.key;
    }
    return fadePtr;
  }

  function evaluate(batch: PairBatch, params: ChannelParams, out: Float32Array): number {
    const n = batch.n;
    if (out.length < n) throw new RangeError(`evaluate: out has ${out.length} slots for ${n} pairs`);
    if (n === 0) return 0;
    fadeTable(params);
    const { seedState, plSlopeNear, plSlopeFar, log2Break } = kernelScalars(params);
    const run = (m: number, ptrs: number[], outPtr: number) =>
      evaluateWasm(m, ptrs[0], ptrs[1], ptrs[2], ptrs[3], ptrs[4], ptrs[5], ptrs[6], outPtr, fadePtr, seedState,
        params.pl1mDb, plSlopeNear, plSlopeFar, log2Break, params.pairSigmaDb, params.shadowSigmaDb, params.kBreakM, params.minDistM,
        params.sensitivityDbm, NORMAL_IH_SCALE);
    const outInMem = out.buffer === memory.buffer;
    if (ownBatch(batch)) {
      if (outInMem) return run(n, batch.ptrs, out.byteOffset);
      let count = 0;
      for (let s = 0; s < n; s += SCRATCH) {
        const m = Math.min(SCRATCH, n - s);
        const ptrs = batch.ptrs.map((p, k) => p + s * (k === 6 ? 1 : 4));
        count += run(m, ptrs, scratchOutPtr);
        out.set(new Float32Array(memory.buffer, scratchOutPtr, m), s);
      }
      return count;
    }
    // foreign batch: copy in chunk by chunk
    let count = 0;
    for (let s = 0; s < n; s += SCRATCH) {
      const m = Math.min(SCRATCH, n - s);
      const e = s + m;
      scratch.distM.set(batch.distM.subarray(s, e));
      scratch.txPowerDbm.set(batch.txPowerDbm.subarray(s, e));
      scratch.staticLossDb.set(batch.staticLossDb.subarray(s, e));
      scratch.pairId.set(batch.pairId.subarray(s, e));
      scratch.epoch.set(batch.epoch.subarray(s, e));
      scratch.eventId.set(batch.eventId.subarray(s, e));
      scratch.channel.set(batch.channel.subarray(s, e));
      count += run(m, scratch.ptrs, scratchOutPtr);
      out.set(new Float32Array(memory.buffer, scratchOutPtr, m), s);
    }
    return count;
  }

  return {
    name: 'wasm-simd',
    host: { memory, exports: ex as unknown as Record<string, unknown>, alloc, fadeTable },
    evaluate,
    allocBatch: (capacity: number) => {
      if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`allocBatch: bad capacity ${capacity}`);
      const b = makeBatch(capacity);
      return b;
    },
    allocOut: (capacity: number) => {
      if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`allocOut: bad capacity ${capacity}`);
      return makeOut(capacity);
    },
  };
}
