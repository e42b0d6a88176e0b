// The sinks worker (issue 20 "writing and classification off the simulation thread"): the classifier, its
// baselines and scoring, and the report's observation samples (sinks/observers.ts) run in a worker_thread
// beside the simulation. The simulation thread packs each observation into typed-array batches (no
// per-row objects) and transfers them; the worker feeds them, in order, to the same Observers class the
// in-thread path uses, so every file is byte-identical. windows.csv's lines come back in chunks and are
// written to the run's staged file in order. At most AHEAD batches are in flight (bounded memory): the
// simulation thread blocks (Atomics.wait) when the worker falls behind.
import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import type { OutputWriter } from '../../records/output.ts';
import type { ContactDay } from '../engine/truth.ts';
import type { ObservationConsumers, ObserversInit, ObserversResult } from '../sinks/observers.ts';
import { startTsWorker } from './tsWorker.ts';

/** Observations per batch: 16,384 x 36 bytes = 576 KiB, well inside L2/L3 on the worker's side. */
export const SINK_BATCH = 16_384;
/** Batches in flight at most (about 4.5 MB). */
const AHEAD = 8;

/** ctrl slots: batches consumed by the worker, messages posted by the worker, failed flag. */
const CONSUMED = 0;
const POSTED = 1;
const FAILED = 2;

export interface SinkWorkerInit {
  init: ObserversInit;
  windowsPath: string | null;
  ctrl: SharedArrayBuffer;
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

export type SinkWorkerMessage = { windows: string } | { done: ObserversResult } | { error: string };

export function newBatch(cap = SINK_BATCH): ObsBatch {
  return { n: 0, t: new Float64Array(cap), rx: new Int32Array(cap), tx: new Int32Array(cap), rssi: new Float64Array(cap), dist: new Float64Array(cap) };
}

export class SinkPipe implements ObservationConsumers {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly ctrl: Int32Array;
  private batch: ObsBatch;
  private posted = 0;
  private closed = false;
  private result: ObserversResult | null = null;

  /** `windows`: windows.csv staged in the run's set (init.classify), written here as the worker's chunks arrive. */
  constructor(init: ObserversInit, private readonly windows: OutputWriter | null, private readonly batchSize = SINK_BATCH) {
    this.batch = newBatch(batchSize);
    const sab = new SharedArrayBuffer(12);
    this.ctrl = new Int32Array(sab);
    const { port1, port2 } = new MessageChannel();
    const data: SinkWorkerInit = { init, windowsPath: windows?.path ?? null, ctrl: sab, port: port2 };
    this.worker = startTsWorker(new URL('./sinkWorker.ts', import.meta.url), { workerData: data, transferList: [port2] });
    this.worker.on('error', () => {});
    // a worker that dies without reporting (killed) sets the flag; its own errors come as messages
    this.worker.on('exit', (code) => {
      if (code !== 0 && !this.closed) {
        Atomics.store(this.ctrl, FAILED, 1);
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

  /** Takes the worker's messages posted so far: windows.csv chunks (written in order), its result or its error. */
  private drain(): void {
    for (;;) {
      const m = receiveMessageOnPort(this.port);
      if (!m) break;
      const msg = m.message as SinkWorkerMessage;
      if ('windows' in msg) this.windows!.write(msg.windows);
      else if ('done' in msg) this.result = msg.done;
      else throw new Error(`sim run sinks worker: ${msg.error}`);
    }
    if (Atomics.load(this.ctrl, FAILED) && !this.result) {
      // its last messages may still be on the port
      const m = receiveMessageOnPort(this.port);
      if (m && 'error' in (m.message as SinkWorkerMessage)) throw new Error(`sim run sinks worker: ${(m.message as { error: string }).error}`);
      throw new Error('sim run sinks worker stopped without a result');
    }
  }

  async finish(contacts: ContactDay[]): Promise<ObserversResult> {
    this.post();
    this.port.postMessage({ finish: contacts });
    while (!this.result) {
      const p = Atomics.load(this.ctrl, POSTED);
      this.drain();
      if (this.result) break;
      if (p === Atomics.load(this.ctrl, POSTED)) Atomics.wait(this.ctrl, POSTED, p, 100);
    }
    return this.result;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.port.close();
    await this.worker.terminate();
  }
}
