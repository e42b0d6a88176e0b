import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDirs } from '../../helpers/cli.ts';

const tmp = tempDirs('simeval-');

// Issue 14: one run used to show three AUCs for our classifier (report.html, eval --windows, eval --input),
// from two window labellings, two ROC implementations and a classifier without calibration in the simulator.
describe('sim run = simulate + classify + eval', () => {
  it('summary.json reports exactly what eval --input and eval --windows report on the same files', async () => {
    const dir = tmp();
    const out = join(dir, 'o');
    const r = await cli('sim', 'run', 'lobby', '--duration', '20m', '--seed', '5', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    const sim = summary.evaluation.results as { method: string; windows: number; auc: number; f1: number; precision: number; recall: number }[];
    expect(sim.map((x) => x.method)).toEqual(['ours', 'gaen', 'bluezone']);
    expect(sim[0].windows).toBe(summary.classifier.windows);
    const e = await cli('eval', '--truth', join(out, 'truth.csv'), '--input', join(out, 'observations.csv'), '--windows', `file=${join(out, 'windows.csv')}`, '--json');
    expect(e.code, e.stderr).toBe(0);
    const ev = JSON.parse(e.stdout).results as typeof sim;
    const pick = (x: (typeof sim)[number]) => ({ windows: x.windows, auc: x.auc, f1: x.f1, precision: x.precision, recall: x.recall });
    expect(pick(ev[0])).toEqual(pick(sim[0])); // eval --windows windows.csv
    for (let i = 0; i < 3; i++) expect(pick(ev[i + 1])).toEqual(pick(sim[i])); // eval --input, each method
    // the report's table shows the same figures for all three methods
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    for (const m of sim) expect(html).toContain(m.auc.toFixed(3));
  });
});
