/**
 * Whole-simulation radio benchmark: runs the world loop (sim/run.ts runSimulation) on a
 * scenario scaled to `devices` for `hours` of simulated time, with no outputs written, and reports
 * in-range pair evaluations per wall second and the real-time factor (median of `runs` runs); with
 * `threads` > 1 the receivers are split over that many threads as `sim run --threads` splits them.
 */
import os from 'node:os';

export interface ScenarioBenchResult {
  bench: 'radio-scenario';
  scenario: string;
  kernel: string;
  fallback_reason?: string;
  devices: number | null;
  hours: number;
  /** Threads the receivers were split over (sim run --threads). */
  threads: number;
  pairs_per_s: number;
  real_time_factor: number;
  runs_pairs_per_s: number[];
  runs_real_time_factor: number[];
  runs: number;
  pair_evaluations: number;
  receptions: number;
  wall_s: number;
  node: string;
  cpu: string;
}

export async function benchScenario(
  opts: { scenario: string; devices?: number; hours?: number; kernel: 'wasm' | 'ts'; runs: number; threads?: number },
  /** Progress lines (one per run), e.g. to stderr. */
  note?: (line: string) => void,
): Promise<ScenarioBenchResult> {
  const { runSimulation } = await import('./run.ts');
  const { loadScenario } = await import('./scenario/load.ts');
  const scenario = loadScenario(opts.scenario);
  const hours = opts.hours ?? 8;
  const pps: number[] = [];
  const rtf: number[] = [];
  let last: Awaited<ReturnType<typeof runSimulation>> | undefined;
  for (let r = 0; r < opts.runs; r++) {
    last = await runSimulation(scenario, { devices: opts.devices, durationMs: hours * 3_600_000, kernel: opts.kernel, classify: false, threads: opts.threads ?? 1 });
    pps.push(last.stats.pairsPerSecond);
    rtf.push(last.stats.realTimeFactor);
    note?.(`run ${r + 1}/${opts.runs}: ${last.stats.pairsPerSecond.toExponential(3)} pairs/s, real-time factor ${last.stats.realTimeFactor.toFixed(0)}`);
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const s = last!.stats;
  return {
    bench: 'radio-scenario',
    scenario: opts.scenario,
    kernel: s.kernel,
    ...(s.kernelFallback ? { fallback_reason: s.kernelFallback } : {}),
    devices: opts.devices ?? null,
    hours,
    threads: opts.threads ?? 1,
    pairs_per_s: Math.round(med(pps)),
    real_time_factor: med(rtf),
    runs_pairs_per_s: pps.map(Math.round),
    runs_real_time_factor: rtf,
    runs: opts.runs,
    pair_evaluations: s.pairEvaluations,
    receptions: s.receptions,
    wall_s: s.wallMs / 1000,
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
  };
}
