// The sinks worker (issue 20 "writing and classification off the simulation thread"): the classifier, its
// baselines and scoring, and the report's observation samples (sinks/observers.ts) run in one worker_thread
// beside the simulation. The three methods share one per-pair state (the classifier's `methods`), and the
// report's pair picks need ours' labelled windows, so one worker does it all (until the shared state the
// baselines ran in a second worker with their own copies of the state: more memory and CPU than the
// second thread saved, docs/scaling.md "The sinks workers"). The simulation thread packs each observation
// into typed-array batches (no per-row objects) and sends them; the worker feeds them, in order, to the
// same Observers class the in-thread path uses, and its part merges as there, so every file is
// byte-identical. The worker writes windows.csv and observations.csv's and truth.csv's rows itself, into
// the staged temp files (sinkWorker.ts); without those descriptors windows.csv's lines come back in chunks
// and are written here in order. At most AHEAD batches are in flight (bounded memory): the simulation
// thread blocks (Atomics.wait) when the worker falls behind.
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
   * Staged files the worker writes itself, straight into their temp files' descriptors (the process's
   * descriptors are every thread's): windows.csv, and observations.csv and truth.csv's rows (their
   * headers are out already). Null: windows.csv's lines go back to the simulation thread; rows stay there.
   */
  direct: { windowsFd: number | null; obsFd: number; truthFd: number; obsPath: string; truthPath: string; names: FieldTable; models: FieldTable } | null;
  /** Int32 cells CONSUMED, POSTED and STOPPED below. */
  ctrl: SharedArrayBuffer;
  port: MessagePort;
}

/** ctrl cells: batches the worker consumed; messages it posted; 1 once it stopped on an error. */
export const CONSUMED = 0;
export const POSTED = 1;
export const STOPPED = 2;

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

/** Atomics.waitAsync (V8, Node >= 16; ES2024, past this project's TypeScript lib). */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, i: number, v: number, timeoutMs: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

export class SinkPipe implements ObservationConsumers {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(4 * 3));
  private batch: ObsBatch;
  private posted = 0;
  private closed = false;
  private part: ObserversPart | null = null;

  /**
   * `windows`: windows.csv staged in the run's set (ours runs): the worker writes it into the temp file, or
   * (no descriptor) posts its chunks to be written here. `rows`: observations.csv and truth.csv for the
   * worker to write (DataFiles.handRowsOff), or null to leave them to the simulation thread.
   */
  constructor(init: ObserversInit, private readonly windows: OutputWriter | null, private readonly batchSize = SINK_BATCH, rows: RowFiles | null = null) {
    this.batch = newBatch(batchSize);
    if (rows && (rows.obs.fd === undefined || rows.truth.fd === undefined)) throw new Error('sinks worker: the row files have no descriptor');
    const { port1, port2 } = new MessageChannel();
    const direct = rows
      ? {
        windowsFd: windows?.kind === 'atomic' && windows.fd !== undefined ? windows.fd : null,
        obsFd: rows.obs.fd!, truthFd: rows.truth.fd!, obsPath: rows.obs.path, truthPath: rows.truth.path, names: rows.names, models: rows.models,
      }
      : null;
    const data: SinkWorkerInit = { init, windowsPath: windows?.path ?? null, direct, ctrl: this.ctrl.buffer as SharedArrayBuffer, port: port2 };
    this.worker = startTsWorker(new URL('./sinkWorker.ts', import.meta.url), { workerData: data, transferList: [port2] });
    this.worker.on('error', () => {});
    // a worker that stops without reporting (terminated, killed; even with exit code 0) sets the flag;
    // its own errors come as messages. After its part it exits too: drain() reads the part first.
    this.worker.on('exit', () => {
      if (!this.closed) {
        Atomics.store(this.ctrl, STOPPED, 1);
        Atomics.notify(this.ctrl, POSTED);
      }
    });
    this.port = port1;
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
    // room: at most AHEAD batches not yet consumed
    for (;;) {
      this.drain();
      const c = Atomics.load(this.ctrl, CONSUMED);
      if (this.posted - c < AHEAD) break;
      Atomics.wait(this.ctrl, CONSUMED, c, 100);
    }
    this.port.postMessage({ batch: b }, [b.t.buffer, b.rx.buffer, b.tx.buffer, b.rssi.buffer, b.dist.buffer] as ArrayBuffer[]);
    this.posted++;
    this.batch = newBatch(this.batchSize);
  }

  /** Takes the worker's messages posted so far: windows.csv chunks (written in order), its part or an error. */
  private drain(): void {
    for (;;) {
      const m = receiveMessageOnPort(this.port);
      if (!m) break;
      const msg = m.message as SinkWorkerMessage;
      if ('windows' in msg) this.windows!.write(msg.windows);
      else if ('done' in msg) this.part = msg.done;
      else if (msg.path && msg.code) throw new OutputError(msg.path, msg.code, msg.error); // a failed write: exit 2 naming the file
      else throw new Error(`sim run sinks worker: ${msg.error}`);
    }
    // the worker exits after posting its part (read above), so only an exit without one is a failure
    if (!this.part && Atomics.load(this.ctrl, STOPPED)) throw new Error('sim run sinks worker stopped without a result');
  }

  /**
   * Sends the last batch and the finish message now, and resolves with the worker's part: the caller
   * writes its own tables meanwhile (the event loop polls the port; windows.csv's chunks still arrive in order).
   */
  finish(): Promise<ObserversPart[]> {
    this.post();
    this.port.postMessage({ finish: true });
    return new Promise((resolve, reject) => {
      const check = () => {
        // the count of messages posted, read before draining: a message after it changes it, so the wait
        // below returns at once instead of missing it
        const seen = Atomics.load(this.ctrl, POSTED);
        try {
          this.drain();
        } catch (e) {
          reject(e);
          return;
        }
        if (this.part) {
          resolve([this.part]);
          return;
        }
        // sleep until the worker posts (or stops: its exit handler notifies the same cell); polling every
        // few ms took CPU from the worker on a 2-core machine. The timeout is only a safety net.
        const w = waitAsync(this.ctrl, POSTED, seen, 1000);
        if (w.async) void w.value.then(check);
        else setImmediate(check);
      };
      check();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.port.close();
    await this.worker.terminate();
  }
}
