import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TRUTH_CSV_HEADER } from '../../records/rows.ts';
import { runBluezone, writeObservations } from '../firmware/proximity/fixtures.ts';

let dir: string;
let obs: string;
let truth: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bz-eval-'));
  obs = writeObservations(dir);
  // a-b is 1 m apart, a-c 6 m.
  const lines = [TRUTH_CSV_HEADER];
  for (const l of readFileSync(obs, 'utf8').trimEnd().split('\n').slice(1)) {
    const [t, r, tx] = l.split(',');
    lines.push(`${t},${r},${tx},${tx === 'b' ? 1 : 6}`);
  }
  truth = join(dir, 'truth.csv');
  writeFileSync(truth, lines.join('\n') + '\n');
});

describe('bluezone eval', () => {
  it('runs ours and both baselines in one run, plus a windows file; writes the ROC as SVG and CSV', async () => {
    const w = join(dir, 'windows.csv');
    expect((await runBluezone(['classify', '--input', obs, '--out', w, '--method', 'gaen'])).code).toBe(0);
    const svg = join(dir, 'roc.svg');
    const rocCsv = join(dir, 'roc.csv');
    const r = await runBluezone(['eval', '--truth', truth, '--input', obs, '--windows', `gaen-file=${w}`, '--json', '--roc', svg, '--roc-csv', rocCsv]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.results.map((x: { method: string }) => x.method)).toEqual(['gaen-file', 'ours', 'gaen', 'bluezone']);
    const ours = j.results[1];
    expect(ours).toMatchObject({ windows: 4, positives: 2, negatives: 2, auc: 1, precision: 1, recall: 1, f1: 1, cost: 0 });
    // The windows file gives the same answer as running gaen in-process.
    expect({ ...j.results[0], method: 'gaen', source: '' }).toEqual({ ...j.results[2], source: '' });
    expect(readFileSync(svg, 'utf8')).toMatch(/^<svg/);
    expect(existsSync(svg.replace(/\.svg$/, '.png'))).toBe(true);
    expect(readFileSync(rocCsv, 'utf8').split('\n')[0]).toBe('method,fpr,tpr');
  });

  it('prints a table and exits 2 on a bad truth file', async () => {
    const t = await runBluezone(['eval', '--truth', truth, '--input', obs, '--methods', 'ours']);
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/^method\s+windows\s+pos\s+AUC\s+precision\s+recall\s+F1/);
    const bad = join(dir, 'badtruth.csv');
    writeFileSync(bad, `${TRUTH_CSV_HEADER}\n1,a,b,x\n`);
    const r = await runBluezone(['eval', '--truth', bad, '--input', obs]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/badtruth\.csv:2: column 4 \(distance_m\)/);
  });

  it('--fail-under exits 1 naming the metric below its threshold, 0 when met, 2 on a bad list (for CI)', async () => {
    const ok = await runBluezone(['eval', '--truth', truth, '--input', obs, '--fail-under', 'auc=0.9,f1=0.9']);
    expect(ok.code).toBe(0);
    expect(ok.err).toMatch(/ours: meets --fail-under/);
    // with --contact-m 0.5 no window is a true contact: AUC and F1 are undefined, which counts as below
    const fail = await runBluezone(['eval', '--truth', truth, '--input', obs, '--contact-m', '0.5', '--fail-under', 'auc=0.5,f1=0.1']);
    expect(fail.code).toBe(1);
    expect(fail.err).toMatch(/ours: auc n\/a < 0.5, f1 0.000 < 0.1/);
    // only the checked method's figures count: gaen alone is checked when ours is not run
    const g = await runBluezone(['eval', '--truth', truth, '--input', obs, '--methods', 'gaen', '--fail-under', 'auc=0.5']);
    expect(g.err).toMatch(/gaen: meets|gaen: auc/);
    const bad = await runBluezone(['eval', '--truth', truth, '--input', obs, '--fail-under', 'auc>0.8']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--fail-under "auc>0.8"/);
  });
});
