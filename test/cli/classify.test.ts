import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { WINDOWS_CSV_HEADER } from '../../records/rows.ts';
import { T0, runBluezone, spawnBluezone, writeObservations } from '../firmware/proximity/fixtures.ts';
import { DAILY_CSV_HEADER } from '../../records/rows.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bz-classify-'));
});

describe('bluezone classify', () => {
  it('writes the windows CSV and the daily CSV, and a JSON summary', async () => {
    const input = writeObservations(dir);
    const out = join(dir, 'windows.csv');
    const daily = join(dir, 'daily.csv');
    const r = await runBluezone(['classify', '--input', input, '--out', out, '--daily', daily, '--json', '--calibration', 'none']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ method: 'ours', window_ms: 900_000, observations: 120, windows: 4, contact_windows: 2, pairs: 2, close_contacts: 1 });
    const rows = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(rows[0]).toBe(WINDOWS_CSV_HEADER);
    expect(rows.slice(1).map((l) => l.split(',').filter((_, i) => [0, 1, 2, 4, 7].includes(i)).join(','))).toEqual([
      `a,b,${T0},45,1`,
      `a,c,${T0},45,0`,
      `a,b,${T0 + 900_000},15,1`,
      `a,c,${T0 + 900_000},15,0`,
    ]);
    const d = readFileSync(daily, 'utf8').trimEnd().split('\n');
    expect(d[0]).toBe(DAILY_CSV_HEADER);
    expect(d[1]).toBe(`a,b,${Date.UTC(2026, 0, 5)},20,1`);
  });

  it('honours --window and --method', async () => {
    const input = writeObservations(dir);
    const out = join(dir, 'w5.csv');
    const r = await runBluezone(['classify', '--input', input, '--out', out, '--window', '5m', '--method', 'bluezone', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ method: 'bluezone', window_ms: 300_000, windows: 8 });
  });

  it.each([
    ['unsorted timestamp', (l: string[]) => [l[0], l[3], l[1], ...l.slice(4)], /bad\.csv:3: column 1 \(timestamp_ms\): timestamp .* before/],
    ['truncated last line', (l: string[]) => [...l.slice(0, -1), l.at(-1)!.slice(0, 10)], /bad\.csv:\d+: column 1: truncated last line/],
    ['bad number', (l: string[]) => [l[0], l[1].replace('-60', '-6O'), ...l.slice(2)], /bad\.csv:2: column 4 \(rssi\): rssi "-6O" is not an integer/],
  ])('%s: exit 2 naming file, line and column; no output file left behind', async (_n, mutate, msg) => {
    const good = readFileSync(writeObservations(dir), 'utf8').trimEnd().split('\n');
    const lines = mutate(good);
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, lines.join('\n') + (_n === 'truncated last line' ? '' : '\n'));
    const out = join(dir, `never-${_n.replaceAll(' ', '-')}.csv`);
    // The first case runs the real binary (exit status and stderr as a user sees them); the rest in-process.
    const args = ['classify', '--input', bad, '--out', out];
    const r = _n === 'unsorted timestamp' ? spawnBluezone(args) : await runBluezone(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg);
    expect(r.err.startsWith('error: ')).toBe(true);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('exits 2 on a missing input file, a bad --window and an unknown method', async () => {
    const input = writeObservations(dir);
    expect(await runBluezone(['classify', '--input', join(dir, 'nope.csv'), '--out', join(dir, 'x.csv')])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/nope\.csv:0: cannot open: ENOENT/),
    });
    expect(await runBluezone(['classify', '--input', input, '--out', join(dir, 'x.csv'), '--window', '15 parsecs'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--window "15 parsecs" is not a duration/),
    });
    expect((await runBluezone(['classify', '--input', input, '--out', join(dir, 'x.csv'), '--method', 'magic'])).code).toBe(2);
    expect(existsSync(join(dir, 'x.csv'))).toBe(false);
  });

  it('has help with an example', async () => {
    const r = await runBluezone(['classify', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Examples:\n  \$ npx bluezone classify --input/);
  });
});
