// `bluezone sim run|list|show`: thin front end over sim/ (scenarios, world loop, outputs).
import { availableParallelism } from 'node:os';
import { Command, Option } from 'commander';
import type { CliContext } from '../context.ts';
import { info, printJson, stdoutSink } from '../context.ts';
import { intArg } from '../args.ts';
import { UsageError } from '../errors.ts';
import { snakeKeys } from '../../records/json.ts';
import { createProgress } from '../progress.ts';
import { BUILTIN_SCENARIOS, DEFAULT_SCENARIO } from '../../sim/scenario/builtins.ts';
import { parseDuration } from '../../sim/scenario/units.ts';

function durationArg(name: string) {
  return (v: string) => {
    const ms = parseDuration(v);
    if (ms === undefined || ms <= 0) throw new UsageError(`${name}: expected a duration like "90s", "10m" or "8h", got "${v}"`);
    return ms;
  };
}

function scaleArg(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > 1000) throw new UsageError(`--scale: expected a number in (0, 1000], got "${v}"`);
  return n;
}

// yaml, zod, protobufjs and the simulator load when a subcommand runs, not for --help (docs/api.md, startup)
const builtinNames = (): string[] => Object.keys(BUILTIN_SCENARIOS);

async function load(nameOrPath: string) {
  const { ScenarioError, loadScenario } = await import('../../sim/scenario/load.ts');
  try {
    return loadScenario(nameOrPath);
  } catch (e) {
    if (e instanceof ScenarioError) {
      throw new UsageError(e.message, e.issues.length ? 'see the scenario format in docs/simulator.md "Scenario files"' : `built-ins: ${builtinNames().join(', ')}; or a .yaml/.json file`);
    }
    throw e;
  }
}

export function registerSim(program: Command, ctx: CliContext): void {
  const sim = program.command('sim').description('multi-device radio simulator: scenarios, runs, outputs');

  sim
    .command('run')
    .description('run a scenario (a built-in name or a YAML/JSON file) and write the outputs to --out')
    .argument('[scenario]', `built-in name (${builtinNames().join(', ')}) or scenario file`, DEFAULT_SCENARIO)
    .option('--seed <n>', 'seed (default: the scenario\'s)', intArg('--seed', 0, 0xffffffff))
    .option('--out <dir>', 'output directory', 'out')
    .option('--pcap <file>', 'also write the air as pcap (LINKTYPE_BLUETOOTH_LE_LL_WITH_PHDR; "-": stdout); for small runs')
    .option('--duration <d>', 'simulated time, e.g. 10m, 8h (default: the scenario\'s)', durationArg('--duration'))
    .option('--devices <n>', 'scale the groups to about this many phones', intArg('--devices', 1, 1_000_000))
    .option('--scale <f>', 'multiply every group size by f', scaleArg)
    .addOption(new Option('--format <fmt>', 'observations as csv, or pb (length-delimited bluezone.v1.Observation)').choices(['csv', 'pb']).default('csv'))
    .addOption(new Option('--kernel <k>', 'reception kernel').choices(['wasm', 'ts']).default('wasm'))
    .option('--no-classify', 'skip the classifier (no windows.csv)')
    .option('--scan-windows', 'also write scan_windows.csv: every reception aggregated per receiver, transmitter and scan window (large: about 10 rows per pair and second of Android scanning)')
    .option('--threads <n>', 'threads: receivers split over N threads, outputs byte-identical for every N (default 1; pays when cores are free: with outputs a sinks worker takes one, docs/scaling.md)', intArg('--threads', 1, 256))
    .option('--queue <url>', 'one giant run on many machines: the receivers split into --shards jobs on BullMQ through Redis at redis://HOST:PORT, run by `bluezone worker`; outputs byte-identical to --threads 1 (docs/scaling.md)')
    .option('--shards <k>', 'with --queue: receiver shards, one job each (default 2; about the worker threads available)', intArg('--shards', 1, 4096))
    .option('--json', 'print the summary as JSON on stdout')
    .addHelpText(
      'after',
      '\nExamples:\n  $ npx bluezone sim run                         # lobby, 1 simulated hour, outputs in out/\n' +
        '  $ npx bluezone sim run office --seed 7 --out out/office\n' +
        '  $ npx bluezone sim run queue --duration 5m --pcap out/air.pcap\n' +
        '  $ npx bluezone sim run city-block --devices 20000 --duration 2s --json\n' +
        '  $ npx bluezone sim run city-block --devices 100000 --queue redis://10.0.0.5:6379 --shards 16   # with `bluezone worker` on other machines\n' +
        '  $ npx bluezone sim run my-scenario.yaml\n',
    )
    .action(async (scenarioArg: string, o) => {
      const scenario = await load(scenarioArg);
      if (o.json && o.pcap === '-') throw new UsageError('--json and --pcap - would both write to stdout', 'give --pcap a file name, or drop --json');
      if (o.shards !== undefined && !o.queue) throw new UsageError('--shards needs --queue', 'on one machine, split the receivers with --threads');
      if (o.queue && o.threads !== undefined) throw new UsageError('--threads and --queue do not go together', 'with --queue the shards run on the workers: give --shards');
      // --out DIR is created (and every file staged) by runSimulation's output set: a bad --out or --pcap
      // is an OutputError (exit 2, one line) before the first tick
      const durationMs: number = o.duration ?? scenario.duration;
      const progress = createProgress(ctx, `sim ${scenario.name}`, Math.round(durationMs / 1000));
      let lastS = -1;
      const { runSimulation } = await import('../../sim/run.ts');
      const r = await runSimulation(scenario, {
        seed: o.seed,
        durationMs,
        devices: o.devices,
        scale: o.scale,
        outDir: o.out,
        pcapPath: o.pcap,
        stdout: stdoutSink(ctx),
        format: o.format,
        kernel: o.kernel,
        classify: o.classify,
        scanWindows: o.scanWindows,
        threads: o.threads ?? 1,
        queue: o.queue ? { url: o.queue, shards: o.shards ?? 2, log: (l) => info(ctx, l) } : undefined,
        onProgress: (simMs) => {
          const s = Math.floor(simMs / 1000);
          if (s !== lastS) progress.update((lastS = s));
        },
      }).catch(async (e: Error) => {
        progress.done();
        if (o.queue && e instanceof (await import('../../sim/parallel/queueConn.ts')).QueueError) throw new UsageError(e.message);
        throw e;
      });
      progress.done();
      const st = r.stats;
      if (o.json) {
        printJson(ctx, { scenario: scenario.name, seed: r.summary.seed, stats: snakeKeys(st), ios_gatt: r.summary.ios_gatt, files: r.files });
        return;
      }
      if (ctx.quiet) return; // --quiet: the written files are the data; errors still reach stderr
      const h = (ms: number) => (ms >= 3_600_000 ? `${(ms / 3_600_000).toFixed(2)} h` : ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 1000).toFixed(1)} s`);
      // a message, not data (issue 16): stderr; the data are the files, and --json is the summary on stdout
      ctx.err.write(
        [
          `scenario ${scenario.name}, seed ${r.summary.seed}: ${st.devices.android} Android + ${st.devices.ios} iOS phones, ${st.devices.beacon} beacons (${st.devices.people} people scheduled)`,
          `simulated ${h(st.simMs)} in ${(st.wallMs / 1000).toFixed(1)} s (real-time factor ${st.realTimeFactor}x), kernel ${st.kernel}`,
          `${st.pairEvaluations} in-range pair evaluations (${st.pairsPerSecond.toExponential(2)}/s), ${st.receptions} receptions, ` +
            `lost ${st.lostBelowSensitivity} below sensitivity, ${st.lostCollision} to collisions, ${st.lostHalfDuplex} while transmitting`,
          `${st.observations} observations logged`,
          ...(r.summary.ios_gatt ? [(await import('../../sim/engine/connections.ts')).iosGattLine(r.summary.ios_gatt)] : []),
          ...r.files.filter((f) => !/plots[\\/]/.test(f)).map((f) => `wrote ${f === '-' ? 'stdout' : f}`),
          '',
        ].join('\n'),
      );
      if (st.kernelFallback) info(ctx, `note: ${st.kernelFallback}`);
    });

  sim
    .command('sweep')
    .description('run a grid of scenarios x seeds x parameters (a YAML file) and write a summary table and a report comparing them')
    .argument('<file>', 'sweep file (.yaml or .json; format in docs/scaling.md)')
    .option('--out <dir>', 'output directory (summary.csv, summary.json, report.html, timing.json)', 'out/sweep')
    .option('--jobs <n>', 'local pool: jobs at once (default: all cores)', intArg('--jobs', 1, 1024))
    .option('--queue <url>', 'run on BullMQ workers (`bluezone worker`) through Redis at redis://HOST:PORT instead of the local pool')
    .option('--no-report', 'skip report.html')
    .option('--json', 'print the summary table as JSON on stdout')
    .addHelpText(
      'after',
      '\nExamples:\n  $ npx bluezone sim sweep density.yaml --out out/density\n' +
        '  $ npx bluezone sim sweep density.yaml --jobs 2\n' +
        '  $ npx bluezone sim sweep density.yaml --queue redis://10.0.0.5:6379   # with `bluezone worker` on other machines\n',
    )
    .action(async (file: string, o) => {
      const { runSweep } = await import('../../sim/sweep/sweep.ts');
      const { SweepError } = await import('../../sim/sweep/spec.ts');
      const { QueueError } = await import('../../sim/sweep/queue.ts');
      const r = await runSweep(file, {
        outDir: o.out, jobs: o.jobs ?? availableParallelism(), queue: o.queue, report: o.report,
        onJob: (j, done, total) => info(ctx, `job ${j.index} (${j.id}) done in ${j.wallS.toFixed(1)} s [${done}/${total}]`),
      }).catch((e: Error) => {
        if (e instanceof SweepError || e instanceof QueueError) throw new UsageError(e.message, e instanceof SweepError ? 'see the sweep file format in docs/scaling.md' : undefined);
        throw e;
      });
      if (o.json) {
        printJson(ctx, { sweep: r.spec.name, jobs: r.table.rows.length, columns: r.table.columns, rows: r.table.rows, files: r.files });
        return;
      }
      if (ctx.quiet) return;
      ctx.err.write(`sweep ${r.spec.name}: ${r.table.rows.length} jobs in ${r.wallS.toFixed(1)} s (${o.queue ? `queue ${o.queue}` : `local pool of ${o.jobs ?? availableParallelism()}`})\n` +
        r.files.filter((f) => !/plots[\\/]/.test(f)).map((f) => `wrote ${f}\n`).join(''));
    });

  sim
    .command('list')
    .description('list the built-in scenarios')
    .option('--json', 'print as JSON')
    .addHelpText('after', '\nExamples:\n  $ npx bluezone sim list\n  $ npx bluezone sim run office\n')
    .action((o) => {
      const rows = Object.entries(BUILTIN_SCENARIOS).map(([name, b]) => ({ name, summary: b.summary }));
      if (o.json) return printJson(ctx, rows);
      const w = Math.max(...rows.map((r) => r.name.length));
      for (const r of rows) ctx.out.write(`${r.name.padEnd(w)}  ${r.summary}\n`);
    });

  sim
    .command('show')
    .description('print a built-in scenario as YAML (a starting point for your own file)')
    .argument('<name>', builtinNames().join(' | '))
    .option('--json', 'print as JSON')
    .addHelpText('after', '\nExamples:\n  $ npx bluezone sim show lobby > my-lobby.yaml\n  $ npx bluezone sim run my-lobby.yaml\n')
    .action(async (name: string, o) => {
      const b = BUILTIN_SCENARIOS[name];
      if (!b) throw new UsageError(`unknown built-in scenario "${name}"`, `built-ins: ${builtinNames().join(', ')}`);
      if (o.json) return printJson(ctx, b.scenario);
      ctx.out.write((await import('yaml')).stringify(b.scenario));
    });

  sim
    .command('validate')
    .description('check a scenario file and print what it contains')
    .argument('<file>', 'scenario file (.yaml, .yml or .json)')
    .option('--json', 'print the normalised scenario as JSON')
    .addHelpText('after', '\nExamples:\n  $ npx bluezone sim validate my-scenario.yaml\n')
    .action(async (file: string, o) => {
      const s = await load(file);
      if (o.json) return printJson(ctx, s);
      const people = s.groups.reduce((a, g) => a + g.count, 0);
      ctx.out.write(`${file}: ok: "${s.name}", ${people} people in ${s.groups.length} groups, ${s.beacons.length} beacons, ${s.duration / 60_000} min\n`);
    });

}
