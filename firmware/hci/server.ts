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
}

export interface VirtualAir {
  host: string;
  port: number;
  air: Air;
  model: AirModel;
  /** Live controllers, in connection order. */
  readonly controllers: VirtualController[];
  /** Every controller ever created, including closed ones (their command logs stay readable). */
  readonly history: VirtualController[];
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
  const history: VirtualController[] = [];
  let count = 0;

  const server = createServer((socket) => {
    const n = ++count;
    const address = controllerAddress(n);
    socket.setNoDelay(true);
    const snoop = o.btsnoopDir ? new BtsnoopWriter(join(o.btsnoopDir, `controller-${n}-${address.replaceAll(':', '')}.btsnoop`)) : undefined;
    const c = new VirtualController({
      address,
      scheduler,
      send: (b) => {
        if (!socket.destroyed) socket.write(b);
      },
      trace: snoop ? (dir, b) => snoop.write(b, dir === 'host-to-controller', Date.now()) : undefined,
      onError: (e: InvalidPacketError) => log(`controller ${address}: ${e.message}`),
    });
    for (const i of o.inject ?? []) c.injectStatus(i.command, i.status, i.count ?? Infinity);
    live.set(socket, c);
    history.push(c);
    air.attach(c);
    log(`controller ${address} connected (${socket.remoteAddress}:${socket.remotePort})`);
    socket.on('data', (d: Buffer) => {
      driver.sync();
      c.receive(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    });
    const gone = () => {
      if (!live.has(socket)) return;
      live.delete(socket);
      c.close();
      air.detach(c);
      snoop?.close();
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
    history,
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
