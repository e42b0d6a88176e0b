// Entry of kernel.wasm (npm run build:wasm): the reception kernel and the fused engine around it.
export { heapBase, evaluate } from './kernel';
export { setup, counter, buildPackets, truthPairs, genEvents, advEvents, loadTick, buildGrid, scanBegin, scanTick, pairInit } from './engine';
