import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDirs } from '../helpers/cli.ts';
import { parseScenarioText } from '../../sim/scenario/load.ts';


const tmp = tempDirs('simcli-');

const TINY = `name: tiny
duration: 2m
area: {width: 10, height: 6}
beacons: [{name: pi, x: 1, y: 3}]
places:
  entrance: {point: [9, 3]}
  spots: {points: [[4, 3], [5, 3]]}
groups:
  - {name: p, count: 2, arrive: {at: "+0s"}, plan: [{sit: spots}]}
`;

describe('bluezone sim', () => {
  it('list --json names the built-ins', async () => {
    const r = await cli('sim', 'list', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).map((x: { name: string }) => x.name)).toEqual(['lobby', 'office', 'queue', 'city-block']);
  });

  it('show prints a built-in as YAML that loads back', async () => {
    const r = await cli('sim', 'show', 'queue');
    expect(r.code).toBe(0);
    expect(parseScenarioText(r.stdout, 'queue.yaml').name).toBe('queue');
  });

  it('a bad scenario file exits 2 naming file, line and field', async () => {
    const dir = tmp();
    const f = join(dir, 'bad.yaml');
    writeFileSync(f, TINY.replace('count: 2', 'count: -2'));
    const r = await cli('sim', 'run', f, '--out', join(dir, 'o'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${f.replace(/[.\\/]/g, '\\$&')}:9: groups\\[0\\]\\.count: Number must be greater than or equal to 0`));
    expect(existsSync(join(dir, 'o'))).toBe(false);
  });

  it('bad options exit 2', async () => {
    expect((await cli('sim', 'run', 'queue', '--duration', 'soon')).code).toBe(2);
    expect((await cli('sim', 'run', 'queue', '--seed', '-1')).code).toBe(2);
    expect((await cli('sim', 'run', 'no-such-scenario')).code).toBe(2);
    const r = await cli('sim', 'run', 'queue', '--out', '/dev/null/x');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\/dev\/null\/x\/observations\.csv: .*\(ENOTDIR\)/);
  });

  it('run writes the outputs and prints JSON stats', async () => {
    const dir = tmp();
    const f = join(dir, 'tiny.yaml');
    writeFileSync(f, TINY);
    const r = await cli('sim', 'run', f, '--out', join(dir, 'o'), '--seed', '3', '--json', '--pcap', join(dir, 'air.pcap'));
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.seed).toBe(3);
    expect(j.stats.sim_ms).toBe(120_000);
    for (const n of ['summary.json', 'observations.csv', 'truth.csv', 'windows.csv', 'report.html']) expect(existsSync(join(dir, 'o', n)), n).toBe(true);
    expect(existsSync(join(dir, 'air.pcap'))).toBe(true);
  }, 60_000);

  it('run --quiet prints nothing but errors (the files are the data)', async () => {
    const dir = tmp();
    const f = join(dir, 'tiny.yaml');
    writeFileSync(f, TINY);
    const r = await cli('--quiet', 'sim', 'run', f, '--out', join(dir, 'o'), '--no-classify');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
    expect(existsSync(join(dir, 'o', 'observations.csv'))).toBe(true);
  }, 60_000);
});
