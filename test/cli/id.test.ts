import { cli, spawnCli } from '../helpers/cli.ts';
import { describe, expect, it } from 'vitest';

const DK = '4C5224B397F8AB3896781D5AA0F3119F280513F1B592CA280EBDED6357E21084';

describe('bluezone id (shared/docs/interfaces.md "Identifiers and frames")', () => {
  it('the binary prints exactly 24 upper-case hex and a newline; bad key exits 2', async () => {
    const [ok, bad] = await Promise.all([spawnCli('id', '--daily-key', DK, '--slot', '23'), spawnCli('id', '--daily-key', DK.slice(2), '--slot', '1')]);
    expect(ok).toEqual({ code: 0, stdout: 'B9A665D754FE65E665D76A45\n', stderr: '' }); // 8.1
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^error: --daily-key: expected 32 bytes \(64 hex digits\), got 31\n/);
  });

  it('8.2 vectors, lower-case input, and the base-key form across a day boundary', async () => {
    expect((await cli('id', '--daily-key', DK.toLowerCase(), '--slot', '0')).stdout).toBe('29ABD013B41C90269332AB5D\n');
    expect((await cli('id', '--daily-key', DK, '--slot', '95')).stdout).toBe('B0A3CA441EEC82955E4E6252\n');
    const r = await cli('id', '--base-key', DK, '--base-date', '2020-08-08', '--at', '2020-08-09T00:14:59.999Z');
    expect(r).toEqual({ code: 0, stdout: '64C0D2707C49D2F0D5E3E348\n', stderr: '' }); // next day, slot 0 (8.2)
  });

  it('--json gives id, slot and the slot window', async () => {
    // 8.1: own ID at 1596887252275 ms (11:47:32.275 UTC) under DK 66B07D33...; a time without zone is UTC.
    const base = await cli('id', '--base-key', '66B07D33DA4E16A359B590EDA1E8DC90892D341C86A6491376041FE44505FFB5', '--base-date', '2020-08-08', '--at', '2020-08-08T11:47:32.275', '--json');
    expect(base.code).toBe(0);
    expect(JSON.parse(base.stdout)).toEqual({
      id: '286BCE589AB994EFA5F73CAD',
      slot: 47,
      slot_start: '2020-08-08T11:45:00.000Z',
      slot_end: '2020-08-08T12:00:00.000Z',
      slot_start_ms: 1596887100000,
      slot_end_ms: 1596888000000,
      day_index: 0,
      day_start: '2020-08-08T00:00:00.000Z',
      daily_key: '66B07D33DA4E16A359B590EDA1E8DC90892D341C86A6491376041FE44505FFB5',
    });
    expect(JSON.parse((await cli('id', '--daily-key', DK, '--slot', '24', '--json')).stdout)).toEqual({
      id: '3AA8DFC0A15682B27216FC31',
      slot: 24,
      slot_start: '06:00',
      slot_end: '06:15',
    });
    expect(JSON.parse((await cli('id', '--daily-key', DK, '--slot', '95', '--date', '2020-08-08', '--json')).stdout)).toMatchObject({
      slot_start: '2020-08-08T23:45:00.000Z',
      slot_end: '2020-08-09T00:00:00.000Z',
    });
  });

  it.each([
    [['--daily-key', DK, '--slot', '96'], /--slot "96" must be an integer 0..95/],
    [['--daily-key', DK, '--slot', '1.5'], /--slot "1.5"/],
    [['--daily-key', DK], /--slot is missing/],
    [['--daily-key', 'X' + DK.slice(1), '--slot', '1'], /--daily-key: invalid hex character "X" at offset 0/],
    [['--base-key', DK, '--base-date', '2020-02-30', '--at', '2020-08-08T00:00Z'], /--base-date "2020-02-30" is not a date/],
    [['--base-key', DK, '--base-date', '2020-08-08', '--at', 'noon'], /--at "noon" is not an ISO 8601 time/],
    [['--base-key', DK, '--base-date', '2020-08-08', '--at', '2020-08-07T23:59Z'], /before --base-date/],
    [['--base-key', DK, '--base-date', '2020-08-08'], /--at is missing/],
    [['--daily-key', DK, '--slot', '1', '--base-key', DK], /not both/],
    [[], /missing key/],
  ])('bad input %j exits 2 naming the argument', async (args, re) => {
    const r = await cli('id', ...args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(re);
  });
});
