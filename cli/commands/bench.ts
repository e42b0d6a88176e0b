import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { info, printJson, type CliContext } from '../context.ts';
import { UsageError } from '../errors.ts';
import { intArg } from '../args.ts';

function positive(what: string, max: number) {
  return (v: string) => {
    const x = Number(v);
    if (!Number.isFinite(x) || x <= 0 || x > max) throw new InvalidArgumentError(`${what} must be a number in (0, ${max}], got '${v}'`);
    return x;
  };
}

/** `bluezone bench radio`: radio kernel throughput (docs/interfaces.md). */
export function registerBench(program: Command, ctx: CliContext): void {
  const bench = program.command('bench').description('performance benchmarks (median of several runs, one core)');
  bench
    .command('radio')
    .description('reception-kernel throughput: in-range (advertisement, listening receiver) pair evaluations per second on one core')
    .option('--json', 'print one JSON object')
    .option('--kernel <name>', 'wasm (WebAssembly SIMD, default) or ts (pure TypeScript oracle)', 'wasm')
    .option('--seconds <s>', 'duration of each run', positive('--seconds', 600), 2)
    .option('--runs <n>', 'number of runs (the median is reported)', positive('--runs', 100), 5)
    .option('--scenario <name>', 'whole-simulation benchmark on a scenario (needs the world loop)')
    .option('--devices <n>', 'scale the scenario to this many devices', positive('--devices', 1e7))
    .option('--hours <h>', 'simulated hours', positive('--hours', 24 * 365))
    .option('--threads <n>', 'with --scenario: receivers split over N threads, as sim run --threads (default 1; docs/scaling.md)', intArg('--threads', 1, 256))
    .addHelpText('after', '\nExamples:\n  $ npx bluezone bench radio --json\n  $ npx bluezone bench radio --kernel ts --seconds 1 --runs 3\n  $ npx bluezone bench radio --scenario lobby --devices 500 --hours 8 --json\n  $ npx bluezone bench radio --scenario city-block --devices 10000 --hours 0.002778 --threads 2 --runs 3\n')
    .action(async (o: { json?: boolean; kernel: string; seconds: number; runs: number; scenario?: string; devices?: number; hours?: number; threads?: number }) => {
      if (o.kernel !== 'wasm' && o.kernel !== 'ts') throw new UsageError(`--kernel must be wasm or ts, got '${o.kernel}'`);
      if (o.threads !== undefined && o.scenario === undefined) throw new UsageError('--threads needs --scenario', 'the kernel benchmark runs on one core; threads split a scenario\'s receivers');
      if (o.scenario !== undefined) {
        const { benchScenario } = await import('../../sim/bench.ts');
        const { ScenarioError, builtinNames } = await import('../../sim/scenario/load.ts');
        const r = await benchScenario({ scenario: o.scenario, devices: o.devices, hours: o.hours, kernel: o.kernel, runs: Math.max(1, Math.round(o.runs)), threads: o.threads }, (l) => info(ctx, l)).catch((e) => {
          if (e instanceof ScenarioError) throw new UsageError(e.message, `built-ins: ${builtinNames().join(', ')}; or a .yaml/.json scenario file`);
          throw e;
        });
        if (o.json) printJson(ctx, r);
        else ctx.out.write(formatHuman(r as unknown as Record<string, unknown>));
        return;
      }
      const { benchKernel } = await import('../../sim/kernel/bench.ts'); // not for --help (issue 16)
      const r = await benchKernel({ kernel: o.kernel, seconds: o.seconds, runs: Math.max(1, Math.round(o.runs)) });
      if (r.fallback_reason) ctx.err.write(`warning: ${r.fallback_reason}\n`);
      if (o.json) printJson(ctx, r);
      else ctx.out.write(formatHuman(r as unknown as Record<string, unknown>));
    });
}

function formatHuman(r: Record<string, unknown>): string {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(r)) {
    const s = typeof v === 'number' && Math.abs(v) >= 1e5 ? v.toExponential(3) : Array.isArray(v) ? v.map((x) => (typeof x === 'number' && x >= 1e5 ? x.toExponential(3) : String(x))).join(' ') : String(v);
    lines.push(`${k.padEnd(20)} ${s}`);
  }
  return lines.join('\n') + '\n';
}
