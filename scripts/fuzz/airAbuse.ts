// Abuse cases against the air server (issue 18 items 4-6), run by `npm run fuzz`: the server runs in
// a child process (its RSS is read from there) and a well-behaved client in a worker thread sends
// Read_BD_ADDR every 10 ms and records each answer's latency, so the abusers' own work in this
// process does not count against the server.
import { fork, type ChildProcess } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

export interface ServerMem {
  rss: number;
  peak_rss: number;
  heap: number;
  log_lines: number;
  log_bytes: number;
  served: number;
  stats: { address: string; bytesIn: number; bytesOut: number; faults: number; suppressed: number; peakPendingOutput: number; pauses: number; dropped?: string }[];
}

export interface AbuseResult {
  name: string;
  description: string;
  seconds: number;
  /** Worst and 99th-percentile answer latency of the well-behaved client, ms; answers it got. */
  worst_latency_ms: number;
  p99_latency_ms: number;
  answers: number;
  /** Server RSS before, peak during (VmHWM-like maxRSS is monotonic, so this is the peak so far), after. */
  rss_before_mb: number;
  peak_rss_mb: number;
  rss_after_mb: number;
  log_lines: number;
  log_mb: number;
  notes: string[];
}

const READ_BD_ADDR = Buffer.from([0x01, 0x09, 0x10, 0x00]); // Vol 4 Part E 7.4.6
const READ_COMMANDS = Buffer.from([0x01, 0x02, 0x10, 0x00]); // 7.4.2: 64-byte return, 71-byte event
const MB = 1024 * 1024;

export class AirServerProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(): Promise<AirServerProcess> {
    const child = fork(fileURLToPath(new URL('./airServerChild.ts', import.meta.url)), [], {
      execArgv: ['--import', 'tsx', '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const port = await new Promise<number>((res, rej) => {
      child.once('message', (m) => res((m as { port: number }).port));
      child.once('exit', (c) => rej(new Error(`air server child exited (${c})`)));
    });
    return new AirServerProcess(child, port);
  }

  private ask<T>(msg: string): Promise<T> {
    return new Promise((res) => {
      this.child.once('message', (m) => res(m as T));
      this.child.send(msg);
    });
  }

  mem(): Promise<ServerMem> {
    return this.ask('mem');
  }

  gc(): Promise<unknown> {
    return this.ask('gc');
  }

  async stop(): Promise<void> {
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.send('stop');
    await exited;
  }
}

// The pinger runs as plain JS in a worker: its own event loop, no TypeScript loader needed.
const PINGER = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const s = net.connect(workerData.port, '127.0.0.1');
const lat = [];
let sent = 0, buf = Buffer.alloc(0), stop = false, timer;
const cmd = Buffer.from([0x01, 0x09, 0x10, 0x00]);
let outstanding = false;
function ping() { if (stop) return; sent = performance.now(); outstanding = true; s.write(cmd); }
s.on('connect', ping);
s.on('data', (d) => {
  buf = Buffer.concat([buf, d]);
  // Command Complete for Read_BD_ADDR: 04 0e 0a 01 09 10 00 + 6 address bytes = 13 bytes.
  while (buf.length >= 13) { buf = buf.subarray(13); outstanding = false; lat.push(performance.now() - sent); timer = setTimeout(ping, 10); }
});
s.on('error', () => {});
parentPort.on('message', () => {
  stop = true; clearTimeout(timer);
  // An answer still outstanding counts with its age so far.
  if (sent && outstanding) lat.push(performance.now() - sent);
  s.destroy(); parentPort.postMessage(lat);
});
`;

class Pinger {
  private readonly w: Worker;
  constructor(port: number) {
    this.w = new Worker(PINGER, { eval: true, workerData: { port } });
  }
  async stop(): Promise<number[]> {
    const r = new Promise<number[]>((res) => this.w.once('message', res));
    this.w.postMessage('stop');
    const lat = await r;
    await this.w.terminate();
    return lat;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function open(port: number): Promise<Socket> {
  return new Promise((res, rej) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => res(s)).once('error', rej);
  });
}

async function measure(srv: AirServerProcess, name: string, description: string, body: (notes: string[]) => Promise<void>, settleMs = 1000): Promise<AbuseResult> {
  await srv.gc();
  const before = await srv.mem();
  const pinger = new Pinger(srv.port);
  await sleep(100);
  const notes: string[] = [];
  const t0 = performance.now();
  await body(notes);
  await sleep(settleMs); // answers to the others must come back promptly after the burst too
  const lat = await pinger.stop();
  const seconds = (performance.now() - t0) / 1000;
  const during = await srv.mem();
  await srv.gc();
  const after = await srv.mem();
  lat.sort((a, b) => a - b);
  const logLines = after.log_lines - before.log_lines;
  return {
    name,
    description,
    seconds: +seconds.toFixed(2),
    worst_latency_ms: +(lat.at(-1) ?? NaN).toFixed(1),
    p99_latency_ms: +(lat[Math.floor(lat.length * 0.99)] ?? NaN).toFixed(1),
    answers: lat.length,
    rss_before_mb: +(before.rss / MB).toFixed(1),
    peak_rss_mb: +(during.peak_rss / MB).toFixed(1),
    rss_after_mb: +(after.rss / MB).toFixed(1),
    log_lines: logLines,
    log_mb: +((after.log_bytes - before.log_bytes) / MB).toFixed(2),
    notes,
  };
}

/** Item 4: `clients` connections each write `bytesEach` random bytes as fast as the socket takes them. */
export function garbage(srv: AirServerProcess, clients = 6, bytesEach = 800_000, seed = 1): Promise<AbuseResult> {
  return measure(srv, 'garbage', `${clients} clients x ${(bytesEach / 1e6).toFixed(1)} MB of random bytes`, async (notes) => {
    const socks = await Promise.all(Array.from({ length: clients }, () => open(srv.port)));
    const done = socks.map((s, i) => {
      const b = Buffer.alloc(bytesEach);
      randomFillSync(b); // garbage content needs no seed: any bytes are the point
      void seed;
      s.resume(); // read and discard the Unknown Command answers garbage provokes
      return new Promise<void>((res) => s.end(b, () => res()));
    });
    const t = performance.now();
    await Promise.all(done);
    notes.push(`written in ${((performance.now() - t) / 1000).toFixed(2)} s`);
    await sleep(200);
    const m = await srv.mem();
    notes.push(`server faults ${m.stats.reduce((n, s) => n + s.faults, 0)}, suppressed log lines ${m.stats.reduce((n, s) => n + s.suppressed, 0)}`);
    socks.forEach((s) => s.destroy());
  });
}

/**
 * Item 5: a client sends `commands` Read_Local_Supported_Commands (4 bytes in, 71 bytes out) and never
 * reads an answer; measured once reading is paused (loopback buffers full) or after 20 s.
 */
export function nonReader(srv: AirServerProcess, commands = 2_000_000): Promise<AbuseResult> {
  return measure(srv, 'non_reader', `1 client sends ${commands} commands (${((commands * 4) / 1e6).toFixed(0)} MB, ${((commands * 71) / 1e6).toFixed(0)} MB of answers) and never reads`, async (notes) => {
    const s = await open(srv.port);
    s.pause();
    s.write(Buffer.concat(Array.from({ length: commands }, () => READ_COMMANDS)));
    const t = performance.now();
    let me: ServerMem['stats'][number] | undefined;
    for (;;) {
      await sleep(500);
      const m = await srv.mem();
      me = m.stats.find((x) => x.bytesIn > 1e5) ?? me;
      if ((me && me.pauses > 0) || performance.now() - t > 20_000) break;
    }
    await sleep(1000);
    if (me) notes.push(`server read ${(me.bytesIn / 1e6).toFixed(2)} MB of its input, peak pending output ${(me.peakPendingOutput / 1024).toFixed(0)} KiB, paused ${me.pauses}x${me.dropped ? `, dropped: ${me.dropped}` : ''}`);
    s.destroy();
  });
}

/** Item 6: `cycles` connections, each sending `commandsEach` commands, reading the answers, closing. */
export function churn(srv: AirServerProcess, cycles = 800, commandsEach = 2000): Promise<AbuseResult> {
  return measure(srv, 'churn', `${cycles} connect/close cycles, ${commandsEach} commands each`, async (notes) => {
    const burst = Buffer.concat(Array.from({ length: commandsEach }, () => READ_BD_ADDR));
    for (let i = 0; i < cycles; i++) {
      const s = await open(srv.port);
      let got = 0;
      await new Promise<void>((res) => {
        s.on('data', (d) => {
          got += d.length;
          if (got >= commandsEach * 13) res();
        });
        s.write(burst);
      });
      s.destroy();
    }
    await sleep(200);
    const m = await srv.mem();
    notes.push(`connections served ${m.served}, controllers kept ${m.stats.length}`);
  });
}
