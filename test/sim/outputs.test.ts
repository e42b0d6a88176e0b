// sim run's one OutputSet (sim/run.ts, docs/outputs.md): a run that fails half-way publishes nothing,
// leaves no temp or .partial file, keeps the previous run's files as they were, and removes a folder it
// created; a run that succeeds replaces them all.
import { readFileSync, readdirSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSimulation } from '../../sim/run.ts';
import { loadScenario } from '../../sim/scenario/load.ts';
import { tempDirs } from '../helpers/cli.ts';

const tmp = tempDirs('bz-sim-outputs-');

describe('sim run outputs are one set', () => {
  it('a failure in the middle of the run: nothing published, no temp file, old files kept, new folder removed', async () => {
    const d = tmp();
    const out = join(d, 'run');
    mkdirSync(out);
    writeFileSync(join(out, 'summary.json'), 'previous run\n');
    const boom = (simMs: number) => {
      if (simMs >= 30_000) throw new Error('interrupted');
    };
    const opts = { durationMs: 60_000, seed: 1, report: false, scanWindows: true, onProgress: boom };
    await expect(runSimulation(loadScenario('queue'), { ...opts, outDir: out, pcapPath: join(out, 'air.pcap') })).rejects.toThrow('interrupted');
    expect(readdirSync(out)).toEqual(['summary.json']);
    expect(readFileSync(join(out, 'summary.json'), 'utf8')).toBe('previous run\n');

    // a folder the run had to create goes again
    await expect(runSimulation(loadScenario('queue'), { ...opts, outDir: join(d, 'fresh/deeper') })).rejects.toThrow('interrupted');
    expect(existsSync(join(d, 'fresh'))).toBe(false);
    expect(readdirSync(d)).toEqual(['run']);
  }, 60_000);

  it('a run that succeeds replaces every file, with no temp file left', async () => {
    const d = tmp();
    writeFileSync(join(d, 'summary.json'), 'previous run\n');
    const r = await runSimulation(loadScenario('queue'), { durationMs: 20_000, seed: 1, report: false, outDir: d, pcapPath: join(d, 'air.pcap') });
    expect(JSON.parse(readFileSync(join(d, 'summary.json'), 'utf8')).seed).toBe(1);
    const names = readdirSync(d).sort();
    expect(names.filter((n) => n.startsWith('.') || n.endsWith('.partial'))).toEqual([]);
    expect(names).toEqual(['air.pcap', 'contacts_truth.csv', 'devices.csv', 'ids.csv', 'observations.csv', 'summary.json', 'timing.json', 'truth.csv', 'windows.csv']);
    expect(r.files.map((f) => f.slice(d.length + 1)).sort()).toEqual(names);
  }, 60_000);
});
