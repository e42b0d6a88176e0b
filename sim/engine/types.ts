// The seam between the world loop (sim/run.ts) and the reception engines (jsEngine.ts, the reference;
// wasmReception.ts, the fused WebAssembly engine): positions in, receptions out.
import type { GattPartial } from './connections.ts';

/** Positions, facings and presence of one tick, owned by the world loop. */
export interface TickState {
  x: Float32Array;
  y: Float32Array;
  heading: Float32Array;
  /** cos / sin of heading. */
  hx: Float32Array;
  hy: Float32Array;
  active: Uint8Array;
  wasActive: Uint8Array;
  /** The present devices of the tick, ascending; the per-device work walks this list. */
  present: Int32Array;
  nPresent: number;
}

/** Where an engine delivers a tick's receptions (sim/engine/appLog.ts). */
export interface ReceptionOut {
  /** Someone reads individual receptions; otherwise logged ones may only be counted. */
  readonly wantsReceptions: boolean;
  /** A reception before the app's logging rule. tUs: packet start; [ws, we): the scan window. */
  heard(rx: number, tx: number, tUs: number, p: number, ws: number, we: number, dist: number): void;
  /** A reception the engine has passed through the app's logging rule; logged = 1 when the app kept it. */
  heardRuled(rx: number, tx: number, tUs: number, p: number, ws: number, we: number, dist: number, logged: number): void;
  /** n receptions the app logged, which nobody reads (benchmark runs). */
  countLogged(n: number): void;
  /**
   * An ID read over GATT that the app logged (not a reception: no scan window), decided in a receiver
   * shard (sim/parallel): the main thread's AppLog and a shard's recorder take these.
   */
  readLogged?(rx: number, tx: number, tUs: number, p: number, dist: number): void;
}

export interface EngineCounters {
  pairEvaluations: number;
  advEvents: number;
  receptions: number;
  lostBelowSensitivity: number;
  lostCollision: number;
  lostHalfDuplex: number;
  /** WASM engine only: scan windows read from the tick's sorted packets / from the neighbours' events. */
  windows?: { sortedPackets: number; neighbourEvents: number };
  /**
   * WASM engine only: candidates whose collision test the running interference sums decided, and those
   * the exact walk decided (sim/kernel/assembly/resolve.ts).
   */
  interfSums?: { fast: number; walk: number };
  /** A receiver shard's iOS GATT stats (sim/parallel), merged into the main thread's stage. */
  iosGatt?: GattPartial;
}

export interface ReceptionEngine {
  readonly name: 'wasm' | 'js';
  /** The engine applies the app's logging rule itself (ReceptionOut.heardRuled). */
  readonly appliesLoggingRule: boolean;
  /** Takes the tick's positions (before truthPairs and drawEvents). */
  loadTick(s: TickState): void;
  /** Pairs a < b within TRUTH_M of the loaded positions, when the engine lists them (else null). */
  truthPairs(): { n: number; a: Int32Array; b: Int32Array } | null;
  /** Draws the advertising events whose packets may start in [t0, t1) (us). */
  drawEvents(t0: number, t1: number, t0ms: number, s: TickState): void;
  /** The tick's events per device: evStart[evOff[d] .. evOff[d + 1]) (for the pcap tap). */
  events(): { evOff: Int32Array; evStart: Float64Array };
  /** Runs every listening scanner's windows over [t0, t1) and delivers the receptions. */
  receive(t0: number, t1: number, s: TickState, out: ReceptionOut): void;
  counters(): EngineCounters;
}
