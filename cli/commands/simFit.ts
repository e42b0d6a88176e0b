import { snakeKeys } from '../../records/json.ts';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { printJson, info, type CliContext } from '../context.ts';
import { UsageError } from '../errors.ts';

function int(what: string, min: number, max: number) {
  return (v: string) => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < min || x > max) throw new InvalidArgumentError(`${what} must be an integer in ${min}..${max}, got '${v}'`);
    return x;
  };
}

/** `bluezone sim fit`: compare the channel model with the real RSSI data sets (docs/channel-fit.md). */
export function registerSimFit(sim: Command, ctx: CliContext): void {
  sim
    .command('fit')
    .description('replay the real RSSI data sets (herald-edison, pc-ng, mitll) through the channel model and print per-distance-bin KS distances')
    .option('--data <dir>', 'folder of the real data sets (herald-edison, pc-ng-rss-smartphone, mitll-static-configs); default $BLUEZONE_DATA')
    .option('--json', 'print one JSON object')
    .option('--replicas <n>', 'simulated replicas of each real pair', int('--replicas', 1, 64), 4)
    .option('--cap <n>', 'readings kept per file and distance bin (whole 30 s windows)', int('--cap', 20, 100000), 400)
    .option('--seed <n>', 'seed of the simulated replicas', int('--seed', 0, 0xffffffff), 20260101)
    .addHelpText('after', '\nExamples:\n  $ npx bluezone sim fit --data ~/bluezone-data\n  $ BLUEZONE_DATA=~/bluezone-data npx bluezone sim fit --json > fit.json\n\nThe defaults it checks were fitted with `npm run fit` (training split only).\n')
    .action(async (o: { data?: string; json?: boolean; replicas: number; cap: number; seed: number }) => {
      // loaded here, not for --help (issue 16)
      const { DataFileError } = await import('../../records/errors.ts');
      const { dataDirFrom } = await import('../../records/datasets.ts');
      const { formatFitTable, runFitReport } = await import('../../sim/fit/report.ts');
      let r;
      try {
        const dir = dataDirFrom(o.data);
        r = await runFitReport({ dataDir: dir, replicas: o.replicas, capPerBin: o.cap, seed: o.seed });
      } catch (e) {
        if (e instanceof DataFileError) {
          throw new UsageError(e.message, e.line === 0 ? 'pass --data DIR (or set BLUEZONE_DATA) naming the folder with herald-edison, pc-ng-rss-smartphone and mitll-static-configs' : undefined);
        }
        throw e;
      }
      if (o.json) {
        // snake_case keys; the per-dataset maps keep their dataset names as keys (records/json.ts)
        const { windowMean, overallReading, overallWindow, params, ...rest } = r;
        printJson(ctx, { ...rest, window_mean: windowMean, overall_reading: overallReading, overall_window: overallWindow, params: snakeKeys(params) });
      }
      else {
        info(ctx, `data: ${r.data_dir}`);
        ctx.out.write(formatFitTable(r));
      }
    });
}
