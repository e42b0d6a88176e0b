// Entry of a sinks worker (sinkPipe.ts): feeds the simulation thread's observation batches, in order, to
// the same Observers the in-thread path uses. With `direct` it also writes observations.csv's and
// truth.csv's rows (rowBytes.ts, the bytes the simulation thread would write) and windows.csv straight into
// the run's staged temp files; otherwise windows.csv's lines go back in chunks of about 1 MiB.
import { writeSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { Observers } from '../sinks/observers.ts';
import { errnoText } from '../../records/output.ts';
import { RowBytes, type ByteOut } from '../sinks/rowBytes.ts';
import { CONSUMED, POSTED, STOPPED, type ObsBatch, type SinkWorkerInit, type SinkWorkerMessage } from './sinkPipe.ts';

const { init, windowsPath, direct, ctrl: sab, port } = workerData as SinkWorkerInit;
const ctrl = new Int32Array(sab);
const CHUNK = 1 << 20;

function post(m: SinkWorkerMessage): void {
  port.postMessage(m);
  Atomics.add(ctrl, POSTED, 1);
  Atomics.notify(ctrl, POSTED);
}

/** A failed write, named as the simulation thread's OutputSet names one (OutputError: exit 2). */
class WriteError extends Error {
  constructor(readonly path: string, readonly code: string, message: string) {
    super(message);
  }
}

/** Appends to a staged temp file's descriptor (the OutputSet fsyncs, closes and renames it at commit). */
function fdOut(fd: number, path: string): ByteOut {
  return {
    write(b: Uint8Array) {
      try {
        for (let off = 0; off < b.length; ) off += writeSync(fd, b, off, b.length - off);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        const code = err.code ?? 'EIO';
        throw new WriteError(path, code, `cannot write: ${errnoText(code, err.message)}`);
      }
    },
  };
}

// the simulation thread's field tables (DataFiles), the bytes it would have written
const obsRows = direct ? new RowBytes(fdOut(direct.obsFd, direct.obsPath), direct.names, direct.models) : null;
const truthRows = direct ? new RowBytes(fdOut(direct.truthFd, direct.truthPath), direct.names) : null;
const windowsOut = direct && direct.windowsFd !== null && windowsPath !== null ? fdOut(direct.windowsFd, windowsPath) : null;

let lines: string[] = [];
let size = 0;
function flush(): void {
  if (!lines.length) return;
  const text = lines.join('\n') + '\n';
  if (windowsOut) windowsOut.write(Buffer.from(text, 'utf8'));
  else post({ windows: text });
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
      if (obsRows) {
        for (let i = 0; i < n; i++) {
          obsRows.observation(t[i], rx[i], tx[i], rssi[i]);
          truthRows!.truth(t[i], rx[i], tx[i], dist[i]);
        }
      }
      for (let i = 0; i < n; i++) observers.observation(t[i], rx[i], tx[i], rssi[i], dist[i]);
      Atomics.add(ctrl, CONSUMED, 1);
      Atomics.notify(ctrl, CONSUMED);
    } else {
      obsRows?.flush();
      truthRows?.flush();
      const part = observers.finishNow();
      flush();
      post({ done: part });
      port.close();
    }
  } catch (e) {
    post(e instanceof WriteError ? { error: e.message, path: e.path, code: e.code } : { error: (e as Error).stack ?? String(e) });
    Atomics.store(ctrl, STOPPED, 1);
    port.close();
  }
});
