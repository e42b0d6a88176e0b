// Issue 16: snake_case JSON keys everywhere. sim run --json printed its stats camelCase (pairEvaluations,
// wallMs, ...), eval --json had costs.falseAlarm, summary.json the channel parameters (pl1mDb, ...).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { snakeCase, snakeKeys } from '../../records/json.ts';
import { cli, tempDirs } from '../helpers/cli.ts';

const tmp = tempDirs('bz-json-keys-');

/** Every object key of a JSON value that is not snake_case, with its path. */
function camelKeys(v: unknown, path = '', out: string[] = []): string[] {
  if (Array.isArray(v)) v.forEach((x, i) => camelKeys(x, `${path}[${i}]`, out));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (!/^[a-z0-9_]+$/.test(k)) out.push(`${path}.${k}`);
      camelKeys(x, `${path}.${k}`, out);
    }
  }
  return out;
}

describe('snakeKeys', () => {
  it('converts camelCase keys, nested and in arrays, and leaves values alone', () => {
    expect(snakeCase('pl1mDb')).toBe('pl1m_db');
    expect(snakeCase('kBreakM')).toBe('k_break_m');
    expect(snakeCase('already_snake')).toBe('already_snake');
    expect(snakeKeys({ wallMs: 1, engineWindows: { sortedPackets: 2 }, list: [{ iosSeen: 'keepThisValue' }] }))
      .toEqual({ wall_ms: 1, engine_windows: { sorted_packets: 2 }, list: [{ ios_seen: 'keepThisValue' }] });
  });
});

describe('--json outputs and JSON files have snake_case keys', () => {
  it('sim run --json, summary.json, timing.json, classify --json, eval --json', async () => {
    const d = tmp();
    const sim = await cli('sim', 'run', 'queue', '--duration', '10s', '--out', d, '--json');
    expect(sim.code, sim.stderr).toBe(0);
    const s = JSON.parse(sim.stdout);
    expect(s.stats.pair_evaluations).toBeGreaterThan(0);
    expect(camelKeys(s)).toEqual([]);
    for (const f of ['summary.json', 'timing.json']) expect(camelKeys(JSON.parse(readFileSync(join(d, f), 'utf8'))), f).toEqual([]);

    const cl = await cli('classify', '--input', join(d, 'observations.csv'), '--out', join(d, 'w.csv'), '--json');
    expect(cl.code, cl.stderr).toBe(0);
    expect(camelKeys(JSON.parse(cl.stdout))).toEqual([]);

    for (const args of [['--windows', join(d, 'w.csv')], ['--input', join(d, 'observations.csv')]]) {
      const ev = await cli('eval', '--truth', join(d, 'truth.csv'), ...args, '--json');
      expect(ev.code, ev.stderr).toBe(0);
      const j = JSON.parse(ev.stdout);
      expect(j.costs).toEqual({ miss: 5, false_alarm: 1 });
      expect(camelKeys(j)).toEqual([]);
    }
  }, 120_000);
});
