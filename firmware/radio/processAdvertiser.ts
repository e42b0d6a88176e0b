// An Advertiser whose bleno lives in a supervised child process (advertiserWorker.ts).
// Why: bleno keeps module-level state and process handlers, reads its interval from the environment at
// power-on, and with the UART driver never reconnects once the port closes (ble-stack.md 2.2
// pt 5). Killing the child and forking a fresh one is the only reliable "re-create the bindings".
// The daemon's watchdog does exactly that on every fault.
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatHciSpec, MAX_LEGACY_AD_BYTES, quantiseIntervalMs, RadioError, type Advertiser, type HciSpec, type RadioErrorCode, type RadioState } from './types.ts';

const REQUEST_TIMEOUT_MS = 10_000;

// Compiled (dist/, the installed package): this file is .js and so is the worker; the child needs no
// loader. From the sources (development): the worker is .ts and the child runs it through tsx's ESM
// loader, resolved with plain CJS resolution (import.meta.resolve would block on the loader-hooks thread
// that tsx runs in this process). tsx is a devDependency, so it is resolved only in that case.
const COMPILED = import.meta.url.endsWith('.js');
const WORKER = fileURLToPath(new URL(COMPILED ? './advertiserWorker.js' : './advertiserWorker.ts', import.meta.url));
const childExecArgv = (): string[] =>
  COMPILED ? [] : ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href];

export interface ProcessAdvertiserOptions {
  intervalMs: number;
  /** Lines the child prints (bleno's console warnings); default: dropped. */
  onLog?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export class ProcessAdvertiser extends EventEmitter implements Advertiser {
  readonly name: string;
  state: RadioState = 'unknown';
  advertising = false;
  private child: ChildProcess | undefined;
  private closed = false;
  private nextId = 1;
  private pending = new Map<number, { resolve: () => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private readonly intervalMs: number;

  constructor(private readonly spec: HciSpec, private readonly opts: ProcessAdvertiserOptions) {
    super();
    this.intervalMs = quantiseIntervalMs(opts.intervalMs);
    this.name = `bleno-process(${formatHciSpec(spec)})`;
    this.on('error', () => {});
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  open(): void {
    if (this.closed) throw new RadioError(`${this.name} is closed`, 'CLOSED');
    if (this.child) return;
    const child = fork(WORKER, [JSON.stringify({ spec: this.spec, intervalMs: this.intervalMs })], {
      execArgv: childExecArgv(),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, ...this.opts.env },
    });
    this.child = child;
    const forward = (buf: Buffer) => {
      for (const line of buf.toString('utf8').split('\n')) if (line.trim()) this.opts.onLog?.(line.trimEnd());
    };
    child.stdout?.on('data', forward);
    child.stderr?.on('data', forward);
    child.on('message', (m: { ev: string; state?: RadioState; message?: string; id?: number; error?: { message: string; code: RadioErrorCode; hciStatus?: number } }) => {
      if (this.closed) return;
      if (m.ev === 'ready') {
        this.emit('ready');
      } else if (m.ev === 'state' && m.state) {
        this.state = m.state;
        if (m.state !== 'poweredOn') this.advertising = false;
        this.emit('state', m.state);
      } else if (m.ev === 'error') {
        this.emit('error', new RadioError(m.message ?? 'radio error', 'HCI_ERROR'));
      } else if (m.ev === 'reply' && m.id !== undefined) {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        clearTimeout(p.timer);
        if (m.error) p.reject(new RadioError(m.error.message, m.error.code, m.error.hciStatus));
        else p.resolve();
      }
    });
    child.on('exit', (code, signal) => {
      this.child = undefined;
      this.advertising = false;
      const err = new RadioError(`radio process exited (${signal ?? `code ${code}`})`, 'ADAPTER_GONE');
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(err);
      }
      this.pending.clear();
      if (this.closed) return;
      this.state = 'poweredOff';
      this.emit('state', 'poweredOff');
      this.emit('error', err);
    });
  }

  private request(op: 'start' | 'stop', extra: Record<string, unknown> = {}): Promise<void> {
    if (this.closed) return Promise.reject(new RadioError(`${this.name} is closed`, 'CLOSED'));
    const child = this.child;
    if (!child || this.state !== 'poweredOn') return Promise.reject(new RadioError(`${this.name} is ${this.state}, not poweredOn`, 'NOT_POWERED_ON'));
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RadioError(`radio process did not answer ${op} within ${REQUEST_TIMEOUT_MS} ms`, 'ADAPTER_GONE'));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      child.send({ op, id, ...extra });
    });
  }

  async startAdvertising(advData: Uint8Array, scanRsp: Uint8Array | undefined, intervalMs: number): Promise<void> {
    if (this.closed) throw new RadioError(`${this.name} is closed`, 'CLOSED');
    if (advData.length > MAX_LEGACY_AD_BYTES || (scanRsp?.length ?? 0) > MAX_LEGACY_AD_BYTES) throw new RadioError('advertising data is over the maximum of 31 bytes', 'DATA_TOO_LONG');
    quantiseIntervalMs(intervalMs);
    await this.request('start', { adv: Buffer.from(advData).toString('hex'), scan: scanRsp ? Buffer.from(scanRsp).toString('hex') : undefined, intervalMs });
    this.advertising = true;
  }

  async stopAdvertising(): Promise<void> {
    await this.request('stop');
    this.advertising = false;
  }

  /** Asks the child to stop (it resets the controller on exit), then kills it if it lingers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.advertising = false;
    this.state = 'poweredOff';
    const child = this.child;
    if (!child) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), 2000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      if (child.connected) child.send({ op: 'close', id: 0 });
      else child.kill('SIGTERM');
    });
  }
}
