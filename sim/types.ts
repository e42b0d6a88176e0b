// What a simulation run takes and gives (sim/run.ts runSimulation).
import type { EngineCounters } from './engine/types.ts';
import type { ReceptionKernel } from './kernel/types.ts';
import type { StdoutSink } from '../records/output.ts';

export interface RunOptions {
  /** Overrides scenario.seed. */
  seed?: number;
  /** Overrides scenario.duration (ms). */
  durationMs?: number;
  /** Scale group sizes so that about this many phones take part. */
  devices?: number;
  /** Multiply group sizes (ignored when devices is set). */
  scale?: number;
  /** Write outputs here (summary.json, observations.csv, ...); none when undefined (benchmarks). */
  outDir?: string;
  /** pcap of the air (every advertising packet). */
  pcapPath?: string;
  /** Stop writing pcap records after this many (default 2e6). */
  pcapMaxPackets?: number;
  /** Where an output named "-" goes (default fd 1); the CLI passes its stdout stream. */
  stdout?: StdoutSink;
  /** Observation format: csv (default) or pb (length-delimited protobuf, records/proto). */
  format?: 'csv' | 'pb';
  /** A kernel, or which to load (default: wasm if available). */
  kernel?: ReceptionKernel | 'wasm' | 'ts';
  /**
   * Reception engine: 'wasm' (default with the WASM kernel) runs neighbour gathering, windows, kernel and
   * collisions fused in WebAssembly (engine/wasmReception.ts); 'js' runs them in engine/jsEngine.ts with
   * the chosen kernel (the reference the fused engine is tested against; always used with the TS kernel).
   */
  engine?: 'wasm' | 'js';
  /** Tests only: the WASM engine's last-logged rebase interval (us; small values rebase every window). */
  engineLastSpanUs?: number;
  /** Tests only: false runs the WASM engine without its pair cache (as above 1024 devices). */
  enginePairCache?: boolean;
  /** Tests only: the engine's room for a tick's receptions beyond one window's (default 65536; 0 makes scanTick stop after every window with receptions). */
  engineOutRoom?: number;
  /** Tests only: when the WASM engine's collision test uses its running interference sums (default auto). */
  engineInterfSums?: 'auto' | 'always' | 'never';
  /** Run the firmware classifier and write windows.csv (default true when outDir is set). */
  classify?: boolean;
  /**
   * Write scan_windows.csv, every reception aggregated per (receiver, transmitter, scan window); needs
   * outDir. Off by default: it runs to about ten rows per pair and second of Android scanning (478 MB for
   * office over 2 h), ten times observations.csv.
   */
  scanWindows?: boolean;
  /** Render report.html (default true; the data files do not depend on it). */
  report?: boolean;
  /**
   * Classify and sample the report in the sinks worker beside the simulation (sim/parallel/sinkPipe.ts),
   * same bytes either way. Default: when the run is large enough to pay for the worker's start.
   */
  sinkThread?: boolean;
  /** Observations per batch sent to the sinks worker (default 16,384; tests use small ones). */
  sinkBatch?: number;
  /**
   * Threads (default 1): receivers split round robin over N threads (sim/parallel), outputs
   * byte-identical for every N. Ignored with a kernel object (it cannot be sent to a worker).
   */
  threads?: number;
  /**
   * A giant run on many machines: K receiver shards as BullMQ jobs on Redis, run by `bluezone worker`,
   * replayed like --threads (sim/parallel/queueShards.ts); threads is then ignored. Not with a kernel object.
   */
  queue?: QueueShardOptions;
  /** Called after every tick. */
  onProgress?: (simMs: number, totalMs: number) => void;
}

export interface RunStats extends Omit<EngineCounters, 'windows' | 'interfSums'> {
  /** Rows written to observations.csv (after the app's logging rule). */
  observations: number;
  wallMs: number;
  simMs: number;
  realTimeFactor: number;
  pairsPerSecond: number;
  kernel: string;
  /** 'wasm' (fused engine) or 'js' (the reference engine). */
  engine: 'wasm' | 'js';
  /** WASM engine only: scan windows read from the tick's sorted packets / from the neighbours' events. */
  engineWindows?: { sortedPackets: number; neighbourEvents: number };
  /** WASM engine: collision tests decided by the running interference sums / by the exact walk. */
  engineInterfSums?: { fast: number; walk: number };
  kernelFallback?: string;
  cullRadiusM: number;
  devices: { android: number; ios: number; beacon: number; people: number };
}

export interface RunResult {
  stats: RunStats;
  summary: Record<string, unknown>;
  files: string[];
}

/** `sim run --queue URL --shards K` (RunOptions.queue; sim/parallel/queueShards.ts). */
export interface QueueShardOptions {
  /** redis://HOST:PORT */
  url: string;
  /** Receiver shards, one job each (the coordinator listens to none). */
  shards: number;
  /** Tries of a job that throws before the run stops (default 3). */
  attempts?: number;
  /** A chunk is stored once it holds this many bytes (default 4 MiB) or chunkTicks ticks (default 64). */
  chunkBytes?: number;
  chunkTicks?: number;
  /** Expiry of the chunks and pointers in Redis (default 24 h): what a coordinator that never comes leaves. */
  ttlMs?: number;
  /** Messages for stderr (run id, jobs enqueued). */
  log?: (line: string) => void;
}
