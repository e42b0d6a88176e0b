// Fused reception engine (WebAssembly): per scanner, its neighbours and their per-tick kernel terms; per
// scan window, the candidate packets, their received power, then sensitivity, half duplex, collisions with
// capture and the app's logging rule. Mirror of sim/engine/run.ts's JS path (gatherNeighbours, addWindow,
// flush, record), so both give the same receptions (test/sim/engine/engines.test.ts). One licence: packets
// starting in the same microsecond may be visited in another order; the candidate set and every decision
// stay the same, only a sum of three or more such interferers could round differently.
// It exists because that JS path, not the kernel, dominated whole-simulation time (docs/reception-kernel.md).
// Small runs keep those per-pair terms across ticks in a pair cache (pPair), refreshed after a move.
// Received power is kernel.ts's evaluate() taken apart: the terms that hold for a (transmitter, scanner)
// pair over a tick (path loss, pair offset, static loss) and over a shadowing epoch are computed once per
// neighbour (terms, termsV); per packet only the fading draw is left (pairPower). Same f32 operations in
// the same order, so the result is bit-identical to the kernel's.
//
// The engine is split by concern (docs/sim-engine.md): layout.ts (memory layout: the config block's
// pointers and scalars, record layouts, counters), setup.ts (setup, counter), common.ts (shared helpers),
// devices.ts (present devices, neighbour grid), events.ts (advertising events), packets.ts (the tick's sorted
// packets), neighbours.ts (a scanner's neighbours and their terms), pairCache.ts, scan.ts (window
// schedule), scanWindow.ts (one window's candidates), resolve.ts (half duplex, capture, logging rule),
// truth.ts (contact truth). This file lists the entry points the JS side calls (sim/engine/wasmEngine.ts).
export { setup, counter } from './setup';
export { genEvents, advEvents } from './events';
export { loadTick, buildGrid } from './devices';
export { buildPackets } from './packets';
export { pairInit } from './pairCache';
export { scanBegin, scanTick } from './scan';
export { truthPairs } from './truth';
