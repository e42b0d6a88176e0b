import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyAll, OURS_BASE, OURS_DEFAULTS, SHIPPED_PARAMS_VERSION } from '../../../firmware/proximity/classifier.ts';
import { checkParams, oursOf, ParamsError, parseParams } from '../../../firmware/proximity/params.ts';
import { paramsOrUsage } from '../../../cli/options.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { thinToSchedule } from '../../../eval/thinning.ts';
import type { Observation } from '../../../records/rows.ts';

const SHIPPED = new URL('../../../firmware/proximity/params/default.json', import.meta.url);

describe('parameter files', () => {
  it('the shipped file is valid, versioned, says where it came from, and is what the classifier runs with', () => {
    const p = parseParams(readFileSync(SHIPPED, 'utf8'), 'default.json');
    expect(p.version).toBe(SHIPPED_PARAMS_VERSION);
    expect(p.provenance.script).toBe('scripts/fit-classifier.ts');
    expect(JSON.stringify(p.provenance.training)).toMatch(/herald-edison \*-A/);
    for (const [k, v] of Object.entries(p.ours)) expect(OURS_DEFAULTS[k as keyof typeof OURS_DEFAULTS]).toBe(v);
    // absolute reading counts are not evidence (issue 15)
    expect(OURS_DEFAULTS.countDbPerDoubling).toBe(0);
  });

  it('names the field that is wrong', () => {
    const ok = { format_version: 1, version: 'x', provenance: {}, ours: { thresholdDbm: -70 } };
    expect(checkParams(ok, 'f.json').ours).toEqual({ thresholdDbm: -70 });
    const bad = (v: unknown, re: RegExp) => {
      expect(() => checkParams(v, 'f.json')).toThrow(ParamsError);
      expect(() => checkParams(v, 'f.json')).toThrow(re);
    };
    bad({ ...ok, format_version: 2 }, /^f\.json: format_version: must be 1/);
    bad({ ...ok, version: '' }, /f\.json: version:/);
    bad({ ...ok, ours: { thresholdDbm: 'x' } }, /f\.json: ours\.thresholdDbm: must be a finite number/);
    bad({ ...ok, ours: { treshold: -70 } }, /f\.json: ours\.treshold: unknown parameter/);
    bad({ ...ok, extra: 1 }, /f\.json: extra: unknown field/);
    bad([], /must be a JSON object/);
    expect(() => parseParams('{"format_version": 1,', 'f.json')).toThrow(/^f\.json: \(JSON\):/);
  });
});

describe('a parameter file stands for its values over the code base, not over the shipped file', () => {
  // A file that leaves a parameter out means the base value. Merged over the shipped file instead, an older
  // file run under a release that ships a value for that parameter silently ran the newer value (an
  // eval:matrix comparison of two parameter sets came out identical).
  const older = { format_version: 1, version: 'older', provenance: {}, ours: { thresholdDbm: -75, instanceWeight: 1 } };

  it('fields a file leaves out take the base values', () => {
    const ours = oursOf(checkParams(older, 'f.json').ours);
    for (const k of Object.keys(OURS_BASE) as (keyof typeof OURS_BASE)[]) expect(ours[k]).toBe(k in older.ours ? older.ours[k as keyof typeof older.ours] : OURS_BASE[k]);
  });

  it('classify --params / eval --params read it that way', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bz-params-'));
    try {
      const f = join(dir, 'older.json');
      writeFileSync(f, JSON.stringify(older));
      const p = paramsOrUsage(f)!;
      expect(p.version).toBe('older');
      expect(p.ours).toEqual({ ...OURS_BASE, ...older.ours });
      // and the shipped file read back through --params is what runs by default
      expect(paramsOrUsage(SHIPPED.pathname)!.ours).toEqual(OURS_DEFAULTS);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('duty-cycle invariance', () => {
  // A peer at a steady -70 dBm heard every 2 s, by a receiver that also hears a far peer (so its scans are
  // visible), for one hour: the window scores should not depend on how much of the time the phone scanned.
  const T0 = Date.UTC(2026, 0, 5, 10);
  const xs: Observation[] = [];
  for (let t = 0; t < 3_600_000; t += 1000) xs.push({ timestampMs: T0 + t, receiver: 'rx', transmitter: t % 2000 ? 'far' : 'near', rssi: t % 2000 ? -90 : -70 });
  const thinned = [...thinToSchedule(xs, 1)];
  const nearScores = (rows: Observation[], ours = {}) =>
    classifyAll(rows, { ours: { offsetPriorWindows: 0, ...ours } }).windows.filter((w) => w.transmitter === 'near').map((w) => w.score);

  it('readings per second of scanning: continuous and GAEN-thinned windows score within 0.5 dB', () => {
    // Each 4 s scan counts 4 s of scanning, not 4 s plus its extent (that double count cost thinned pairs
    // about 2 dB before 2026-12-07 and failed this at 0.5 dB).
    const a = nearScores(xs);
    const b = nearScores(thinned);
    expect(b.length).toBe(4);
    for (let i = 0; i < 4; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(0.5);
  });

  it('a single reading in one 4 s scan counts as one reading per 4 s of scanning', () => {
    const one = classifyAll([{ timestampMs: T0, receiver: 'rx', transmitter: 'tx', rssi: -70 }], { ours: { offsetPriorWindows: 0 } }).windows[0];
    const p = OURS_DEFAULTS;
    expect(one.score).toBeCloseTo(-70 + p.rateDbPerDoubling * Math.log2(1 / 4 / p.rateRefPerS), 3);
  });

  it('an absolute reading count (the old dwell term) would move them by over 10 dB', () => {
    const count = { countDbPerDoubling: 2, countRefReadings: 1, rateDbPerDoubling: 0 };
    const a = nearScores(xs, count);
    const b = nearScores(thinned, count);
    for (let i = 0; i < 4; i++) expect(a[i] - b[i]).toBeGreaterThan(10);
  });
});
