// The virtual air as a TCP service: one VirtualController (H4 over the socket) per connection,
// all sharing one Air, driven by the wall clock.
import { mkdirSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { Air, type AirDelivery } from './air.ts';
import { parseAirModel, type AirModel } from './airModel.ts';
import { BtsnoopWriter } from './btsnoop.ts';
import type { CommandName } from './constants.ts';
import type { InvalidPacketError } from './errors.ts';
import { RealTimeDriver, VirtualScheduler } from './scheduler.ts';
import { VirtualController } from './virtualController.ts';

export interface VirtualAirOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  host?: string;
  /** "fixed:-60" (default), "distance[:k=v,...]", or a model object. */
  rssiModel?: string | AirModel;
  /** Seed of the advDelay draw. */
  seed?: number;
  /** Writes DIR/controller-<n>-<address>.btsnoop per connection. */
  btsnoopDir?: string;
  /** Make every new controller fail these commands (host error-path tests). */
  inject?: { command: CommandName; status: number; count?: number }[];
  /** Informational lines (connections, malformed input). */
  log?: (line: string) => void;
  /** Called for every delivered advertising report. */
  onDelivery?: (d: AirDelivery) => void;
  /**
   * Answers queued for a client beyond this (bytes) drop the connection. Reading stops as soon as the
   * socket's buffer is full (backpressure), so only unsolicited reports can get this far. Default 1 MiB.
   */
  maxPendingOutput?: number;
  /** Closed controllers kept readable in `history` (most recent). Default 16; live ones are always there. */
  historyLimit?: number;
  /** Command log entries kept per controller. Default 2000. */
  commandLogLimit?: number;
  /** Malformed-input log lines per connection per second; the rest are counted and summarised. Default 5. */
  logLinesPerSecond?: number;
}

/**
 * One client's input is handled in pieces of INPUT_PIECE bytes for at most INPUT_SLICE_MS per event-loop
 * turn, the rest on the next turn: a flood of valid commands costs ~10-60 us each, so 64 KiB at once
 * (16,384 commands) would hold the loop for up to a second and delay every other client (issue 18 item 4).
 */
export const INPUT_PIECE = 1024;
export const INPUT_SLICE_MS = 4;
export const DEFAULT_MAX_PENDING_OUTPUT = 1 << 20;
export const DEFAULT_HISTORY_LIMIT = 16;

/** Counters of one connection, for abuse tests and the fuzz report. */
export interface ConnectionStats {
  address: string;
  bytesIn: number;
  bytesOut: number;
  /** Malformed-input faults: one per resynchronisation of the H4 framer or bad command parameters. */
  faults: number;
  /** Log lines left out by the rate limit. */
  suppressed: number;
  /** Highest socket.writableLength seen (answers not yet taken by the kernel). */
  peakPendingOutput: number;
  /** Times reading was paused because answers were not read. */
  pauses: number;
  dropped?: string;
}

export interface VirtualAir {
  host: string;
  port: number;
  air: Air;
  model: AirModel;
  /** Live controllers, in connection order. */
  readonly controllers: VirtualController[];
  /** Live controllers plus the last `historyLimit` closed ones (their command logs stay readable). */
  readonly history: VirtualController[];
  /** Connections served since start. */
  readonly served: number;
  /** Counters of live connections and of the last `historyLimit` closed ones, in connection order. */
  stats(): ConnectionStats[];
  /** Closes the TCP connection of one controller (address) or of all: simulates a dropped link. */
  drop(address?: string): number;
  close(): Promise<void>;
}

/** Address of the n-th controller (n from 1): c0:ff:ee:00:HH:LL. */
export function controllerAddress(n: number): string {
  return `c0:ff:ee:00:${((n >> 8) & 0xff).toString(16).padStart(2, '0')}:${(n & 0xff).toString(16).padStart(2, '0')}`;
}

export async function startVirtualAir(o: VirtualAirOptions = {}): Promise<VirtualAir> {
  const host = o.host ?? '127.0.0.1';
  const model = typeof o.rssiModel === 'object' ? o.rssiModel : parseAirModel(o.rssiModel ?? 'fixed:-60');
  const scheduler = new VirtualScheduler(Date.now());
  const driver = new RealTimeDriver(scheduler);
  const air = new Air({ scheduler, model, seed: o.seed });
  air.onDelivery = o.onDelivery;
  const log = o.log ?? (() => {});
  if (o.btsnoopDir) mkdirSync(o.btsnoopDir, { recursive: true });

  const live = new Map<Socket, VirtualController>();
  const closedRing: { c: VirtualController; st: ConnectionStats }[] = [];
  const liveStats = new Map<VirtualController, ConnectionStats>();
  const historyLimit = o.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  const maxPending = o.maxPendingOutput ?? DEFAULT_MAX_PENDING_OUTPUT;
  const linesPerSecond = o.logLinesPerSecond ?? 5;
  let count = 0;

  const server = createServer((socket) => {
    const n = ++count;
    const address = controllerAddress(n);
    socket.setNoDelay(true);
    const st: ConnectionStats = { address, bytesIn: 0, bytesOut: 0, faults: 0, suppressed: 0, peakPendingOutput: 0, pauses: 0 };
    const snoop = o.btsnoopDir ? new BtsnoopWriter(join(o.btsnoopDir, `controller-${n}-${address.replaceAll(':', '')}.btsnoop`)) : undefined;

    // Log lines about bad input: at most `linesPerSecond` per connection, then one summary line.
    let windowStart = 0;
    let windowLines = 0;
    const flushSuppressed = (why: string) => {
      if (st.suppressed > 0) log(`controller ${address}: ${st.suppressed} more malformed-input line(s) suppressed${why}`);
      st.suppressed = 0;
    };
    const logFault = (line: string) => {
      const now = Date.now();
      if (now - windowStart >= 1000) {
        flushSuppressed(' in the last second');
        windowStart = now;
        windowLines = 0;
      }
      if (windowLines < linesPerSecond) {
        windowLines++;
        log(line);
      } else st.suppressed++;
    };

    // Flow control: input is queued and handled for INPUT_SLICE_MS per turn; reading pauses while
    // input is queued or answers are unread (socket.write returned false), and resumes on 'drain'.
    const queue: Uint8Array[] = [];
    let outputBlocked = false;
    let pumpScheduled = false;
    const flow = () => {
      if (socket.destroyed) return;
      const hold = outputBlocked || queue.length > 0;
      if (hold && !socket.isPaused()) socket.pause();
      else if (!hold && socket.isPaused()) socket.resume();
    };
    const drop = (why: string) => {
      if (st.dropped) return;
      st.dropped = why;
      log(`controller ${address}: dropped: ${why}`);
      queue.length = 0;
      socket.destroy();
    };

    const c = new VirtualController({
      address,
      scheduler,
      logLimit: o.commandLogLimit,
      send: (b) => {
        if (socket.destroyed) return;
        st.bytesOut += b.length;
        const ok = socket.write(b);
        const pending = socket.writableLength;
        if (pending > st.peakPendingOutput) st.peakPendingOutput = pending;
        if (pending > maxPending) return drop(`${pending} bytes of answers not read by the host (limit ${maxPending})`);
        if (!ok && !outputBlocked) {
          outputBlocked = true;
          st.pauses++;
          flow();
        }
      },
      trace: snoop ? (dir, b) => snoop.write(b, dir === 'host-to-controller', Date.now()) : undefined,
      onError: (e: InvalidPacketError) => {
        st.faults++;
        logFault(`controller ${address}: ${e.message}`);
      },
    });
    for (const i of o.inject ?? []) c.injectStatus(i.command, i.status, i.count ?? Infinity);
    live.set(socket, c);
    liveStats.set(c, st);
    air.attach(c);
    log(`controller ${address} connected (${socket.remoteAddress}:${socket.remotePort})`);

    const pump = () => {
      pumpScheduled = false;
      const deadline = performance.now() + INPUT_SLICE_MS;
      driver.sync();
      socket.cork(); // one writev for all answers of this slice, not one write per event
      while (queue.length > 0 && !outputBlocked && !socket.destroyed) {
        const d = queue[0];
        const k = Math.min(d.length, INPUT_PIECE);
        c.receive(k === d.length ? d : d.subarray(0, k));
        if (k === d.length) queue.shift();
        else queue[0] = d.subarray(k);
        if (performance.now() >= deadline) break;
      }
      if (!socket.destroyed) socket.uncork();
      if (queue.length > 0 && !outputBlocked && !socket.destroyed) {
        pumpScheduled = true;
        setImmediate(pump); // the rest next turn: other connections' input and timers go first
      }
      flow();
    };
    socket.on('data', (d: Buffer) => {
      st.bytesIn += d.byteLength;
      queue.push(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
      if (!pumpScheduled && !outputBlocked) pump();
      else flow();
    });
    socket.on('drain', () => {
      if (!outputBlocked) return;
      outputBlocked = false;
      // Next turn, not now: 'drain' can fire from the nextTick queue right after a write that the kernel
      // took at once, so pumping here chained slice after slice without ever returning to I/O, and a
      // non-reading flood stalled every other connection for 0.5-0.9 s (issue 18 item 5).
      if (!pumpScheduled) {
        pumpScheduled = true;
        setImmediate(pump);
      }
    });
    const gone = () => {
      if (!live.has(socket)) return;
      live.delete(socket);
      liveStats.delete(c);
      queue.length = 0;
      c.close();
      air.detach(c);
      snoop?.close();
      flushSuppressed('');
      // Keep only the last few closed controllers: each holds its command log (up to ~1.4 MB).
      closedRing.push({ c, st });
      if (closedRing.length > historyLimit) closedRing.splice(0, closedRing.length - historyLimit);
      log(`controller ${address} disconnected`);
    };
    socket.on('close', gone);
    socket.on('error', (e) => {
      log(`controller ${address}: socket error ${e.message}`);
      socket.destroy();
    });
  });

  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(o.port ?? 0, host, () => {
      server.off('error', rej);
      res();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (o.port ?? 0);

  return {
    host,
    port,
    air,
    model,
    get controllers() {
      return [...live.values()];
    },
    get history() {
      return [...closedRing.map((e) => e.c), ...live.values()].sort((a, b) => a.address.localeCompare(b.address));
    },
    get served() {
      return count;
    },
    stats() {
      return [...closedRing.map((e) => ({ ...e.st })), ...[...liveStats.values()].map((st) => ({ ...st }))].sort((a, b) => a.address.localeCompare(b.address));
    },
    drop(address?: string): number {
      let n = 0;
      for (const [s, c] of live) {
        if (address === undefined || c.address === address) {
          s.destroy();
          n++;
        }
      }
      return n;
    },
    async close() {
      const closed = new Promise<void>((res) => server.close(() => res()));
      for (const s of live.keys()) s.destroy();
      await closed;
      driver.stop();
      air.close();
    },
  };
}
