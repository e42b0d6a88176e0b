// Report rendering benchmark (npm run bench:report): renderRunReport (Vega-Lite compile + headless SVG) and
// writeReport (HTML + SVG + 2x PNG via resvg) on a synthetic run shaped like `sim run`'s output
// (test/report/fixture.ts: 6 people, 30 simulated minutes, 5430 scatter samples). Median of runs; JSON.
// Usage: npx tsx bench/report.ts [--runs N]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { renderRunReport, writeReport } from '../report/index.ts';
import { syntheticRunInput } from '../report/sample.ts';

const i = process.argv.indexOf('--runs');
const RUNS = i > 0 ? Number(process.argv[i + 1]) : 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const input = syntheticRunInput(1);
const dir = mkdtempSync(join(os.tmpdir(), 'bz-bench-report-'));
await renderRunReport(input); // warm-up: module loading and JIT
const render: number[] = [];
const write: number[] = [];
let bytes = 0;
for (let r = 0; r < RUNS; r++) {
  const t0 = performance.now();
  const rendered = await renderRunReport(input);
  const t1 = performance.now();
  writeReport(dir, rendered);
  const t2 = performance.now();
  render.push(t1 - t0);
  write.push(t2 - t1);
  bytes = rendered.html.length;
}
rmSync(dir, { recursive: true, force: true });
process.stdout.write(
  JSON.stringify({
    runs: RUNS,
    render_ms_median: Math.round(median(render)),
    write_ms_median: Math.round(median(write)),
    render_ms: render.map(Math.round),
    write_ms: write.map(Math.round),
    html_bytes: bytes,
    plots: 5,
    cpus: os.cpus().length,
    loadavg_1m: Number(os.loadavg()[0].toFixed(1)),
  }) + '\n',
);
