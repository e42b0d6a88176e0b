// Test harness for the fleet: a collector (real Fastify on a real port, PGlite or PostgreSQL) behind a
// TCP proxy that can kill a connection after the collector answered (a lost reply), and beacons made of
// the real logbook + scan service on the in-memory air (firmware/radio/mockRadio.ts) with the real reporter.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { FleetReporter } from '../../firmware/beacon/fleetReporter.ts';
import { Logbook, openLogbookDb, type Db } from '../../firmware/beacon/logbook.ts';
import { ScanService } from '../../firmware/beacon/scanService.ts';
import { buildAndroidFrame } from '../../firmware/protocol/frames.ts';
import { SLOT_MS } from '../../firmware/protocol/keys.ts';
import { mulberry32 } from '../../firmware/hci/airModel.ts';
import { MockAir } from '../../firmware/radio/mockRadio.ts';
import { openFleetDb, type Sql } from '../../fleet/db.ts';
import { createCollector, listenCollector } from '../../fleet/server.ts';
import { FleetStore } from '../../fleet/store.ts';
import type { FakeTime } from '../firmware/beacon/fakeTime.ts';

/** A collector that can be stopped and started again on the same store and port. */
export class CollectorUnderTest {
  app: FastifyInstance | undefined;
  sql: Sql | undefined;
  port = 0;
  constructor(readonly target: string, readonly now: () => number) {}
  async start(): Promise<string> {
    this.sql = await openFleetDb(this.target);
    this.app = await createCollector({ sql: this.sql, now: this.now });
    const url = await listenCollector(this.app, '127.0.0.1', this.port, false);
    this.port = Number(new URL(url).port);
    return url;
  }
  get store(): FleetStore {
    return new FleetStore(this.sql!);
  }
  async stop(): Promise<void> {
    await this.app?.close();
    await this.sql?.close();
    this.app = this.sql = undefined;
  }
}

/** Forwards TCP to the collector; `killNextPresenceReply` drops the reply of the next presence upload. */
export class LossyProxy {
  killNextPresenceReply = false;
  killed = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  constructor(private readonly targetPort: () => number) {}
  async start(): Promise<string> {
    this.server = createServer((client) => {
      this.sockets.add(client);
      const up = connect(this.targetPort(), '127.0.0.1');
      this.sockets.add(up);
      let isPresence = false;
      client.on('data', (c: Buffer) => {
        if (c.toString('latin1').startsWith('POST /api/v1/presence')) isPresence = true;
        up.write(c);
      });
      up.on('data', (c: Buffer) => {
        if (isPresence && this.killNextPresenceReply) {
          // The collector has committed and answered; the beacon never sees the answer.
          this.killNextPresenceReply = false;
          this.killed++;
          client.destroy();
          up.destroy();
          return;
        }
        client.write(c);
      });
      const end = () => {
        client.destroy();
        up.destroy();
        this.sockets.delete(client);
        this.sockets.delete(up);
      };
      client.on('close', end).on('error', end);
      up.on('close', end).on('error', end);
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server?.close(r));
  }
}

export interface TestBeacon {
  id: string;
  db: Db;
  reporter: FleetReporter;
  service: ScanService;
  air: MockAir;
  /** Phones heard in slots [fromSlot, toSlot) of the day starting at dayMs; deterministic per seed. */
  visitors(dayMs: number, fromSlot: number, toSlot: number): void;
  close(): Promise<void>;
}

export async function makeBeacon(o: { id: string; time: FakeTime; url: string; token: string; seed: number; clockSkewMs?: number; dir: string }): Promise<TestBeacon> {
  const air = new MockAir({ now: o.time.now });
  const db = openLogbookDb(join(o.dir, `${o.id}.db`));
  const logbook = new Logbook({ db, receiver: o.id, flushRows: 1 });
  const service = new ScanService({ logbook, timers: o.time, createScanner: () => air.createScanner() });
  service.start();
  await o.time.advance(1);
  const rand = mulberry32(o.seed);
  const clock = { now: () => o.time.now() + (o.clockSkewMs ?? 0), setTimeout: o.time.setTimeout };
  const reporter = new FleetReporter({
    db,
    url: o.url,
    token: o.token,
    clock,
    version: '0.1.0-test',
    status: () => ({ state: 'advertising', slot: Math.floor((clock.now() % 86_400_000) / SLOT_MS), id_prefix: 'A1B2C3***', restarts: 0, last_error: null }),
    clockSync: () => 'synced',
  });
  return {
    id: o.id,
    db,
    reporter,
    service,
    air,
    visitors(dayMs, fromSlot, toSlot) {
      for (let s = fromSlot; s < toSlot; s++) {
        const n = 1 + Math.floor(rand() * 6);
        for (let p = 0; p < n; p++) {
          const id = Uint8Array.from({ length: 12 }, () => Math.floor(rand() * 256));
          const phone = air.createPeer();
          const t0 = dayMs + s * SLOT_MS + Math.floor(rand() * (SLOT_MS - 60_000));
          // Three adverts 10 s apart (each stored: the logbook keeps one row per ID per 5 s).
          for (let k = 0; k < 3; k++) phone.emitAdvert(buildAndroidFrame(id), -60 - Math.floor(rand() * 30), t0 + k * 10_000);
          // Some phones still send this slot's ID just after the boundary (Android's lag, 1.3): carried over, not counted twice.
          if (rand() < 0.3 && s + 1 < 96) phone.emitAdvert(buildAndroidFrame(id), -70, dayMs + (s + 1) * SLOT_MS + 20_000);
        }
      }
    },
    async close() {
      await reporter.stop();
      await service.stop();
      logbook.close();
      db.close();
    },
  };
}

export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function basic(name: string, pw: string): string {
  return 'Basic ' + Buffer.from(`${name}:${pw}`).toString('base64');
}
