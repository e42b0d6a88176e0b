// The sinks workers (issue 20 "writing and classification off the simulation thread"): the classifier, its
// baselines and scoring, and the report's observation samples (sinks/observers.ts) run in a worker_thread
// beside the simulation (split() below). The simulation thread packs each observation into typed-array
// batches (no per-row objects) and sends every batch to each worker; a worker feeds them, in order, to the
// same Observers class the in-thread path uses, and the parts merge as there, so every file is
// byte-identical. The worker writes windows.csv and observations.csv's and truth.csv's rows itself, into
// the staged temp files (sinkWorker.ts); without those descriptors windows.csv's lines come back in chunks
// and are written here in order. At most AHEAD batches are in flight per worker (bounded memory): the
// simulation thread blocks (Atomics.wait) when a worker falls behind.
import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import { OutputError, type OutputWriter } from '../../records/output.ts';
import type { ObservationConsumers, ObserversInit, ObserversPart } from '../sinks/observers.ts';
import type { RowFiles } from '../sinks/files.ts';
import type { FieldTable } from '../sinks/rowBytes.ts';
import { startTsWorker } from './tsWorker.ts';

/** Observations per batch: 16,384 x 36 bytes = 576 KiB, well inside L2/L3 on the worker's side. */
export const SINK_BATCH = 16_384;
/** Batches in flight at most (about 4.5 MB). */
const AHEAD = 8;

export interface SinkWorkerInit {
  init: ObserversInit;
  windowsPath: string | null;
  /**
   * Staged files this worker writes itself, straight into their temp files' descriptors (the process's
   * descriptors are every thread's): windows.csv, and observations.csv and truth.csv's rows (their
   * headers are out already). Null: windows.csv's lines go back to the simulation thread; rows stay there.
   */
  direct: { windowsFd: number | null; obsFd: number; truthFd: number; obsPath: string; truthPath: string; names: FieldTable; models: FieldTable } | null;
  ctrl: SharedArrayBuffer;
  /** This worker's index: ctrl[index] counts the batches it consumed. */
  index: number;
  /** ctrl[posted]: messages posted by any worker; ctrl[posted + 1 + index]: this worker stopped. */
  posted: number;
  port: MessagePort;
}

export interface ObsBatch {
  n: number;
  t: Float64Array;
  rx: Int32Array;
  tx: Int32Array;
  rssi: Float64Array;
  dist: Float64Array;
}

export type SinkWorkerMessage = { windows: string } | { done: ObserversPart } | { error: string; path?: string; code?: string };

export function newBatch(cap = SINK_BATCH): ObsBatch {
  return { n: 0, t: new Float64Array(cap), rx: new Int32Array(cap), tx: new Int32Array(cap), rssi: new Float64Array(cap), dist: new Float64Array(cap) };
}

/**
 * The split: one worker for everything. The three methods share one per-pair state (the classifier's
 * `methods`), and the report's pair picks need ours' labelled windows. (Until the shared state, the
 * baselines ran in a second worker: three copies of the state cost more memory and CPU than the second
 * thread saved, docs/scaling.md "The sinks workers".) The pipe still takes several.
 */
function split(init: ObserversInit): ObserversInit[] {
  return [init];
}

/** Atomics.waitAsync (V8, Node >= 16; ES2024, past this project's TypeScript lib). */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, i: number, v: number, timeoutMs: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

export class SinkPipe implements ObservationConsumers {
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private readonly ctrl: Int32Array;
  private readonly nW: number;
  private batch: ObsBatch;
  private posted = 0;
  private closed = false;
  private readonly parts: (ObserversPart | null)[];

  /**
   * `windows`: windows.csv staged in the run's set (ours runs): the worker writes it into the temp file, or
   * (no descriptor) posts its chunks to be written here. `rows`: observations.csv and truth.csv for the
   * worker to write (DataFiles.handRowsOff), or null to leave them to the simulation thread.
   */
  constructor(init: ObserversInit, private readonly windows: OutputWriter | null, private readonly batchSize = SINK_BATCH, rows: RowFiles | null = null) {
    this.batch = newBatch(batchSize);
    const inits = split(init);
    this.nW = inits.length;
    this.parts = inits.map(() => null);
    const sab = new SharedArrayBuffer(4 * (2 * this.nW + 1));
    this.ctrl = new Int32Array(sab);
    if (rows && (rows.obs.fd === undefined || rows.truth.fd === undefined)) throw new Error('sinks worker: the row files have no descriptor');
    for (const [index, wInit] of inits.entries()) {
      const { port1, port2 } = new MessageChannel();
      // the first worker writes the files (split() makes one)
      const direct = rows && index === 0
        ? {
          windowsFd: windows?.kind === 'atomic' && windows.fd !== undefined ? windows.fd : null,
          obsFd: rows.obs.fd!, truthFd: rows.truth.fd!, obsPath: rows.obs.path, truthPath: rows.truth.path, names: rows.names, models: rows.models,
        }
        : null;
      const data: SinkWorkerInit = { init: wInit, windowsPath: windows?.path ?? null, direct, ctrl: sab, index, posted: this.nW, port: port2 };
      const worker = startTsWorker(new URL('./sinkWorker.ts', import.meta.url), { workerData: data, transferList: [port2] });
      worker.on('error', () => {});
      // a worker that stops without reporting (terminated, killed; even with exit code 0) sets the flag;
      // its own errors come as messages. After its part it exits too: drain() reads the part first.
      worker.on('exit', () => {
        if (!this.closed) {
          Atomics.store(this.ctrl, this.nW + 1 + index, 1);
          Atomics.notify(this.ctrl, this.nW);
        }
      });
      this.workers.push(worker);
      this.ports.push(port1);
    }
  }

  observation(tsMs: number, rx: number, tx: number, rssi: number, distM: number): void {
    const b = this.batch;
    const i = b.n;
    b.t[i] = tsMs;
    b.rx[i] = rx;
    b.tx[i] = tx;
    b.rssi[i] = rssi;
    b.dist[i] = distM;
    b.n = i + 1;
    if (b.n === this.batchSize) this.post();
  }

  private post(): void {
    const b = this.batch;
    if (b.n === 0) return;
    // room: at most AHEAD batches not yet consumed by any worker
    for (let w = 0; w < this.nW; w++) {
      for (;;) {
        this.drain();
        const c = Atomics.load(this.ctrl, w);
        if (this.posted - c < AHEAD) break;
        Atomics.wait(this.ctrl, w, c, 100);
      }
    }
    // the first worker gets the buffers, the others a copy
    for (let w = this.nW - 1; w >= 1; w--) this.ports[w].postMessage({ batch: b });
    this.ports[0].postMessage({ batch: b }, [b.t.buffer, b.rx.buffer, b.tx.buffer, b.rssi.buffer, b.dist.buffer] as ArrayBuffer[]);
    this.posted++;
    this.batch = newBatch(this.batchSize);
  }

  /** Takes the workers' messages posted so far: windows.csv chunks (written in order), their parts or an error. */
  private drain(): void {
    for (let w = 0; w < this.nW; w++) {
      for (;;) {
        const m = receiveMessageOnPort(this.ports[w]);
        if (!m) break;
        const msg = m.message as SinkWorkerMessage;
        if ('windows' in msg) this.windows!.write(msg.windows);
        else if ('done' in msg) this.parts[w] = msg.done;
        else if (msg.path && msg.code) throw new OutputError(msg.path, msg.code, msg.error); // a failed write: exit 2 naming the file
        else throw new Error(`sim run sinks worker: ${msg.error}`);
      }
    }
    // a worker exits after posting its part (read above), so only an exit without one is a failure
    for (let w = 0; w < this.nW; w++) if (!this.parts[w] && Atomics.load(this.ctrl, this.nW + 1 + w)) throw new Error('sim run sinks worker stopped without a result');
  }

  /**
   * Sends the last batch and the finish message now, and resolves with the workers' parts: the caller
   * writes its own tables meanwhile (the event loop polls the ports; windows.csv's chunks still arrive in order).
   */
  finish(): Promise<ObserversPart[]> {
    this.post();
    for (const p of this.ports) p.postMessage({ finish: true });
    return new Promise((resolve, reject) => {
      const check = () => {
        // the count of messages posted, read before draining: a message after it changes it, so the wait
        // below returns at once instead of missing it
        const seen = Atomics.load(this.ctrl, this.nW);
        try {
          this.drain();
        } catch (e) {
          reject(e);
          return;
        }
        if (this.parts.every((p) => p)) {
          resolve(this.parts as ObserversPart[]);
          return;
        }
        // sleep until a worker posts (or stops: its exit handler notifies the same cell); polling every
        // few ms took CPU from the worker on a 2-core machine. The timeout is only a safety net.
        const w = waitAsync(this.ctrl, this.nW, seen, 1000);
        if (w.async) void w.value.then(check);
        else setImmediate(check);
      };
      check();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.ports) p.close();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
