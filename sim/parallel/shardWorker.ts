// Entry of a `sim run --threads N` worker (pool.ts): runs one receiver shard and posts its ticks.
import { workerData } from 'node:worker_threads';
import { runReceiverShard } from '../run.ts';
import type { ShardInit } from './pool.ts';

const init = workerData as ShardInit;
const ctrl = new Int32Array(init.ctrl);
const w = init.shard - 1;
const nW = init.nShards - 1;
try {
  await runReceiverShard(init, ctrl);
} catch (e) {
  init.port.postMessage({ error: (e as Error).stack ?? String(e) });
  Atomics.store(ctrl, nW + 1 + w, 1);
  Atomics.notify(ctrl, w);
}
init.port.close();
