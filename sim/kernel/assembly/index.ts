// Entry of kernel.wasm (npm run build:wasm): the reception kernel and the fused engine around it.
export { heapBase, evaluate } from './kernel';
export { setup, counter, gather, scanWindow, buildPackets, truthPairs, genEvents, advEvents, loadTick, buildGrid } from './engine';
