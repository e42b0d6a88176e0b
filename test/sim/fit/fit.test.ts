import fc from 'fast-check';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cli, tempDirs } from '../../helpers/cli.ts';
import { DataFileError } from '../../../records/errors.ts';
import { loadCalibrationTable } from '../../../records/calibration.ts';
import { tsKernel } from '../../../sim/kernel/index.ts';
import { heraldBin, loadHerald, loadMitll, loadPcng, loadRealData } from '../../../records/datasets.ts';
import { DEFAULT_FIT, ksSummary, prepare, simulate } from '../../../sim/fit/fit.ts';
import { histIndex, ksDistance, ksSamples, NBINS } from '../../../sim/fit/ks.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const DATA = join(ROOT, '..', 'shared', 'data');

const tmp = tempDirs('bz-fit-');


describe('KS distance', () => {
  it('histogram KS equals the sample KS on whole-dBm readings', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -110, max: -20 }), { minLength: 1, maxLength: 80 }), fc.array(fc.integer({ min: -110, max: -20 }), { minLength: 1, maxLength: 80 }), (x, y) => {
        const hx = new Int32Array(NBINS);
        const hy = new Int32Array(NBINS);
        x.forEach((v) => hx[histIndex(v)]++);
        y.forEach((v) => hy[histIndex(v)]++);
        expect(ksDistance(hx, hy)).toBeCloseTo(ksSamples(x, y), 12);
      }),
    );
  });
});

describe('real data loaders', () => {
  it('herald: metadata gives the phones, distance is binned in 25 cm, bad rows are located', () => {
    const d = tmp();
    mkdirSync(join(d, 'herald-edison'));
    writeFileSync(join(d, 'herald-edison', 'metadata.csv'), 'testid,date,phoneaname,phonebname,distfrom,distto,diststep,durationmins,filenamephonea,filenamephoneb\n1,x,P2,Denmark,0,10,1,4,20210101-0000-A.csv,20210101-0000-B.csv\n');
    writeFileSync(join(d, 'herald-edison', '20210101-0000-A.csv'), 'time,rssi,distance\n2021-01-01 10:00:00,-60.0,1\n2021-01-01 10:00:01,-61.0,30\n');
    const g = loadHerald(d, 100);
    expect(g).toHaveLength(1);
    expect(g[0]).toMatchObject({ rxPhone: 'P2', txPhone: 'Denmark', split: 'train' });
    expect(Array.from(g[0].rssi)).toEqual([-60, -61]);
    expect(g[0].bin).toEqual([heraldBin(1), heraldBin(30)]);
    expect(heraldBin(30)).toBe('0.25-0.50');
    writeFileSync(join(d, 'herald-edison', '20210101-0000-A.csv'), 'time,rssi,distance\n2021-01-01 10:00:00,-60.0,1\n2021-01-01 10:00:01,loud,3\n');
    expect(() => loadHerald(d, 100)).toThrow(/20210101-0000-A\.csv:3: field 'rssi'/);
    writeFileSync(join(d, 'herald-edison', '20210101-0000-A.csv'), 'time,rssi,distance\n2021-13-01 xx:00:00,-60.0,1\n');
    expect(() => loadHerald(d, 100)).toThrow(/:2: field 'time'/);
  });

  it('pc-ng and mitll: bad fields are located; invalid RSSI 127 is dropped', () => {
    const d = tmp();
    const sets = ['HandHand', 'HandPocket', 'HandBackpack', 'PocketPocket', 'PocketBackpack', 'BackpackBackpack'];
    for (const s of sets) {
      mkdirSync(join(d, 'pc-ng-rss-smartphone', s), { recursive: true });
      writeFileSync(join(d, 'pc-ng-rss-smartphone', s, 'RSS_humanXX.csv'), 'device,elapsed,rss,mRSS10,mRSS100,dist,label\r\na,1.0,-60,0,0,20,1\r\nb,1.5,-62,0,0,20,1\r\n');
    }
    expect(loadPcng(d, 100).length).toBe(12);
    writeFileSync(join(d, 'pc-ng-rss-smartphone', 'HandHand', 'RSS_humanXX.csv'), 'device,elapsed,rss,mRSS10,mRSS100,dist,label\r\na,1.0,-60,0,0,2x0,1\r\n');
    expect(() => loadPcng(d, 100)).toThrow(/RSS_humanXX\.csv:2: field 'dist'/);

    const m = join(d, 'mitll-static-configs', 'courtyard_2020-05-05', 'iPhone');
    mkdirSync(m, { recursive: true });
    writeFileSync(join(m, 'log_x_90.txt'), '2020-05-05 16:47:37.613,Device,iPhone12,1,A\n2020-05-05 16:47:38.871,Bluetooth,U,-80,TestPhone3,8.0,610404458.86\n2020-05-05 16:47:38.871,Bluetooth,U,127,TestPhone3,8.0,610404458.87\n2020-05-05 16:47:38.9,Bluetooth,U,-50,None,8.0,610404458.88\n');
    const g = loadMitll(d, 100);
    expect(g).toHaveLength(1);
    expect(g[0]).toMatchObject({ txPhone: 'TestPhone3', env: 'courtyard', split: 'train' });
    expect(g[0].tx.angleToPeerRad).toBeCloseTo(Math.PI / 2);
    expect(Array.from(g[0].rssi)).toEqual([-80]);
    writeFileSync(join(m, 'log_x_90.txt'), '2020-05-05 16:47:37.613,Device,iPhone12,1,A\n2020-05-05 16:47:38.871,Bluetooth,U,-80,TestPhone3\n');
    expect(() => loadMitll(d, 100)).toThrow(/log_x_90\.txt:2: Bluetooth record/);
    // the receiver's model comes from the Device line, so a log without one is malformed for both views
    writeFileSync(join(m, 'log_x_90.txt'), '2020-05-05 16:47:38.871,Bluetooth,U,-80,TestPhone3,8.0,610404458.86\n');
    expect(() => loadMitll(d, 100)).toThrow(/log_x_90\.txt:1: expected the log to start with a '<time>,Device/);
    expect(() => loadRealData(join(d, 'nope'))).toThrow(DataFileError);
  });
});

describe('loaders on arbitrary bytes', () => {
  it('either parse or throw DataFileError, never anything else', () => {
    const d = tmp();
    mkdirSync(join(d, 'herald-edison'));
    writeFileSync(join(d, 'herald-edison', 'metadata.csv'), 'testid,date,phoneaname,phonebname,distfrom,distto,diststep,durationmins,filenamephonea,filenamephoneb\n1,x,P2,P3,0,1,1,1,20210101-0000-A.csv,\n');
    const m = join(d, 'mitll-static-configs', 'x', 'iPhone');
    mkdirSync(m, { recursive: true });
    const line = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.tuple(fc.integer({ min: -130, max: 20 }), fc.integer({ min: -5, max: 900 })).map(([r, c]) => `2021-01-01 10:00:00,${r}.0,${c}`),
      fc.constantFrom('time,rssi,distance', '2021-01-01 10:00:00,-60.0,1', 'x,Bluetooth,U,-80,TestPhone2,8.0,1.5', ',,,', '\r'),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.boolean(), (lines, header) => {
        const text = (header ? ['time,rssi,distance', ...lines] : lines).join('\n');
        writeFileSync(join(d, 'herald-edison', '20210101-0000-A.csv'), text);
        writeFileSync(join(m, 'log_a_45.txt'), text);
        for (const f of [() => loadHerald(d, 50), () => loadMitll(d, 50)]) {
          try {
            f();
          } catch (e) {
            expect(e).toBeInstanceOf(DataFileError);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('fit comparison on real data (pc-ng slice)', () => {
  it('the fitted defaults match far better than a badly mis-set model', () => {
    const data = { dir: DATA, groups: loadPcng(DATA, 150) };
    const models = loadCalibrationTable();
    const k = tsKernel();
    const prep = prepare(data, models, k, { replicas: 2, seed: 5 });
    // every real reading is replayed once per replica
    const nReal = data.groups.reduce((a, g) => a + g.rssi.length, 0);
    expect(prep.batch.n).toBe(2 * nReal);
    const good = ksSummary(prep, simulate(prep, k, DEFAULT_FIT));
    const bad = ksSummary(prep, simulate(prep, k, { ...DEFAULT_FIT, channel: { ...DEFAULT_FIT.channel, pl1mDb: DEFAULT_FIT.channel.pl1mDb - 15 } }));
    expect(good.mean.pcng.all).toBeLessThan(0.35);
    expect(bad.mean.pcng.all).toBeGreaterThan(good.mean.pcng.all + 0.15);
    // simulated readings below sensitivity are censored, as real ones never reach the log
    for (const r of good.rows.filter((x) => x.kind === 'reading')) expect(r.n_sim).toBeLessThanOrEqual(2 * r.n_real);
    // deterministic: same seed, same table
    expect(ksSummary(prep, simulate(prep, k, DEFAULT_FIT))).toEqual(good);
  });

  it('sim fit exits 2 with a clear message when the data folder is missing', async () => {
    const r = await cli('sim', 'fit', '--data', join(tmp(), 'missing'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing: data directory does not exist/);
    expect(r.stderr).toMatch(/hint: pass --data/);
  });

});
