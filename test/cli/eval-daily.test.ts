// eval's 15-minute rule, GAEN thinning and --params; classify --params (issue 15).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { OBSERVATION_CSV_HEADER, TRUTH_CSV_HEADER } from '../../records/rows.ts';
import { runBluezone, T0 } from '../firmware/proximity/fixtures.ts';

let dir: string;
let obs: string;
let truth: string;
let contacts: string;
const MIN = 60_000;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bz-evald-'));
  // rx hears b at 1 m (-60 dBm) for 40 min and c at 6 m (-90 dBm) for 40 min, a reading of each every 2 s.
  const o = [OBSERVATION_CSV_HEADER];
  const t = [TRUTH_CSV_HEADER];
  for (let s = 0; s < 40 * MIN; s += 1000) {
    const tx = s % 2000 ? 'c' : 'b';
    o.push(`${T0 + s},rx,${tx},${tx === 'b' ? -60 : -90},,Pixel 3,Pixel 3`);
    t.push(`${T0 + s},rx,${tx},${tx === 'b' ? 1 : 6}`);
  }
  obs = join(dir, 'obs.csv');
  truth = join(dir, 'truth.csv');
  contacts = join(dir, 'contacts_truth.csv');
  writeFileSync(obs, o.join('\n') + '\n');
  writeFileSync(truth, t.join('\n') + '\n');
  writeFileSync(contacts, 'day,device_a,device_b,minutes_within_2m,close_contact\n2026-01-05,b,rx,40.00,1\n');
});

describe('eval: the 15-minute rule per pair and day', () => {
  it('scores each method\'s daily minutes against time-based truth, beside the all-contact F1', async () => {
    const r = await runBluezone(['eval', '--truth', truth, '--input', obs, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.daily_rule.results.map((x: { method: string }) => x.method)).toEqual(['ours', 'gaen', 'bluezone']);
    const ours = j.daily_rule.results[0];
    expect(ours).toMatchObject({ windows: 2, positives: 1, negatives: 1, auc: 1, f1: 1 });
    expect(ours.all_contact_f1).toBeCloseTo(2 / 3, 6);
    const t = await runBluezone(['eval', '--truth', truth, '--input', obs]);
    expect(t.out).toMatch(/15-minute rule per pair and UTC day/);
    expect(t.out).toMatch(/all-contact F1/);
  });

  it('takes the pair-day truth from contacts_truth.csv, and names a bad one (exit 2)', async () => {
    const r = await runBluezone(['eval', '--truth', truth, '--input', obs, '--contacts-truth', contacts, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).daily_rule).toMatchObject({ truth: contacts });
    const bad = join(dir, 'bad_contacts.csv');
    writeFileSync(bad, 'day,device_a,device_b,minutes_within_2m,close_contact\n2026-01-05,b,rx,lots,1\n');
    const e = await runBluezone(['eval', '--truth', truth, '--input', obs, '--contacts-truth', bad]);
    expect(e.code).toBe(2);
    expect(e.err).toMatch(/bad_contacts\.csv:2.*minutes_within_2m/);
    expect((await runBluezone(['eval', '--truth', truth, '--windows', obs, '--contacts-truth', contacts])).code).toBe(2);
  });

  it('--thin gaen:SEED keeps a few readings per 15-minute window and still ranks b above c', async () => {
    const r = await runBluezone(['eval', '--truth', truth, '--input', obs, '--thin', 'gaen:2', '--json']);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/kept \d+ of 2400 observations/);
    const ours = JSON.parse(r.out).results.find((x: { method: string }) => x.method === 'ours');
    expect(ours.auc).toBe(1);
    expect((await runBluezone(['eval', '--truth', truth, '--input', obs, '--thin', 'gaen:x'])).code).toBe(2);
  });
});

describe('--params', () => {
  it('overrides the shipped parameters in classify and eval; a bad file exits 2 naming file and field', async () => {
    const p = join(dir, 'p.json');
    // a threshold no window reaches: nothing is a contact
    writeFileSync(p, JSON.stringify({ format_version: 1, version: 'test', provenance: {}, ours: { thresholdDbm: 0 } }));
    const w = join(dir, 'w.csv');
    const c = await runBluezone(['classify', '--input', obs, '--out', w, '--params', p, '--json']);
    expect(c.code).toBe(0);
    expect(JSON.parse(c.out)).toMatchObject({ params: 'test', contact_windows: 0 });
    const dflt = await runBluezone(['classify', '--input', obs, '--out', w, '--json']);
    expect(JSON.parse(dflt.out).contact_windows).toBeGreaterThan(0);
    const e = await runBluezone(['eval', '--truth', truth, '--input', obs, '--params', p, '--json']);
    expect(JSON.parse(e.out).results[0]).toMatchObject({ method: 'ours', tp: 0, fp: 0 });
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ format_version: 1, version: 'x', provenance: {}, ours: { thresholdDbm: 'low' } }));
    const b = await runBluezone(['classify', '--input', obs, '--out', w, '--params', bad]);
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/bad\.json: ours\.thresholdDbm: must be a finite number/);
    const missing = await runBluezone(['eval', '--truth', truth, '--input', obs, '--params', join(dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/nope\.json: \(file\): cannot read: ENOENT/);
  });
});
