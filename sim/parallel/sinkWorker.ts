// Entry of a sinks worker (sinkPipe.ts): feeds the simulation thread's observation batches, in order, to
// the same Observers the in-thread path uses, and posts windows.csv's lines back in chunks of about 1 MiB.
import { workerData } from 'node:worker_threads';
import { Observers } from '../sinks/observers.ts';
import type { ObsBatch, SinkWorkerInit, SinkWorkerMessage } from './sinkPipe.ts';

const { init, windowsPath, ctrl: sab, index, posted, port } = workerData as SinkWorkerInit;
const ctrl = new Int32Array(sab);
const CHUNK = 1 << 20;

function post(m: SinkWorkerMessage): void {
  port.postMessage(m);
  Atomics.add(ctrl, posted, 1);
  Atomics.notify(ctrl, posted);
}

let lines: string[] = [];
let size = 0;
function flush(): void {
  if (!lines.length) return;
  post({ windows: lines.join('\n') + '\n' });
  lines = [];
  size = 0;
}

const observers = new Observers(init, windowsPath === null ? null : {
  path: windowsPath,
  writeLine(s: string) {
    lines.push(s);
    size += s.length + 1;
    if (size >= CHUNK) flush();
  },
});

port.on('message', (m: { batch: ObsBatch } | { finish: true }) => {
  try {
    if ('batch' in m) {
      const { n, t, rx, tx, rssi, dist } = m.batch;
      for (let i = 0; i < n; i++) observers.observation(t[i], rx[i], tx[i], rssi[i], dist[i]);
      Atomics.add(ctrl, index, 1);
      Atomics.notify(ctrl, index);
    } else {
      const part = observers.finishNow();
      flush();
      post({ done: part });
      port.close();
    }
  } catch (e) {
    post({ error: (e as Error).stack ?? String(e) });
    Atomics.store(ctrl, posted + 1 + index, 1);
    port.close();
  }
});
