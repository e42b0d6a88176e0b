import { cli, spawnCli } from '../helpers/cli.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../firmware/protocol/hex.ts';
import { dailyIds } from '../../firmware/protocol/keys.ts';
import { formatTrace } from '../../firmware/protocol/traceFormat.ts';

const DK = '4C5224B397F8AB3896781D5AA0F3119F280513F1B592CA280EBDED6357E21084';
const DAY0_S = 1596844800;
const OWN = fromHex('000102030405060708090A0B');
const dir = mkdtempSync(join(tmpdir(), 'bz-match-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

const pub = file('push.json', JSON.stringify({ data: [{ daily_key: DK, time_start: DAY0_S, time_end: DAY0_S + 86399, max: 96 }] }));
// 8.1 rows as a phone logged them: slots 23 and 24 of DK, plus an unpublished peer.
const trace = file(
  'data_trace.txt',
  formatTrace([
    { own: OWN, contact: fromHex('B9A665D754FE65E665D76A45'), rssi: -60, timestamp: 1596866191387 },
    { own: OWN, contact: fromHex('7C3DEC4246EA6F90E38EA254'), rssi: -70, timestamp: 1596866191500 },
    { own: OWN, contact: fromHex('3AA8DFC0A15682B27216FC31'), rssi: -61, timestamp: 1596866588130 },
    { own: OWN, contact: fromHex('B9A665D754FE65E665D76A45'), rssi: -59, timestamp: 1596866299000 },
  ]),
);

describe('bluezone match', () => {
  it('the binary lists every matching slot with first/last sighting and line numbers', async () => {
    const r = await spawnCli('match', '--publication', pub, '--log', trace);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'CONTACT: 2 matching slots, 3 sightings\n' +
        'entry 0 slot 23 (day 0, slot 23) B9A665D754FE65E665D76A45 window 2020-08-08T05:45:00.000Z .. 2020-08-08T06:00:00.000Z: ' +
        '2 sightings, first 2020-08-08T05:56:31.387Z (line 1), last 2020-08-08T05:58:19.000Z (line 4), strongest -59 dBm\n' +
        'entry 0 slot 24 (day 0, slot 24) 3AA8DFC0A15682B27216FC31 window 2020-08-08T06:00:00.000Z .. 2020-08-08T06:15:00.000Z: ' +
        '1 sighting, first 2020-08-08T06:03:08.130Z (line 3), last 2020-08-08T06:03:08.130Z (line 3), strongest -61 dBm\n',
    );
    expect(r.stderr).toMatch(/timestamps in milliseconds/);
  });

  it('--json, iOS seconds, FCM wrapper', async () => {
    const ids = dailyIds(fromHex(DK)).map(toHex);
    const ios = file('ios.txt', formatTrace([{ own: OWN, contact: fromHex(ids[8]), rssi: -70, timestamp: DAY0_S + 9 * 900 }])); // = t + delta of slot 8
    const fcm = file(
      'fcm.json',
      JSON.stringify({ Type: 'KiemTraLichSuTiepXuc', DataContent: JSON.stringify({ FindGUID: 'g', InfoF: JSON.stringify({ data: [{ daily_key: DK, time_start: DAY0_S, time_end: DAY0_S + 86399, max: 96 }] }) }) }),
    );
    const r = await cli('match', '--publication', fcm, '--log', ios, '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      contact: true,
      log: { format: 'data_trace', rows: 1, timestamp_unit: 's' },
      publication: { entries: 1, slots_checked: 96 },
      matching_slots: 1,
      matches: [{ entry: 0, slot: 8, id: ids[8], count: 1, first_line: 1, window_end: '2020-08-08T02:15:00.000Z' }],
    });
    const none = await cli('match', '--publication', pub, '--log', file('none.txt', ''));
    expect([none.code, none.stdout]).toEqual([0, 'no contact: no published ID appears in the log inside its slot window\n']);
  });

  it('reads an observation CSV whose transmitter is a BluezoneID', async () => {
    const csv = file(
      'obs.csv',
      'timestamp_ms,receiver,transmitter,rssi,tx_power,receiver_model,transmitter_model\n' +
        '1596866191387,door,B9A665D754FE65E665D76A45,-60,,,\n1596866191388,door,visitor-3,-60,,,\n',
    );
    const j = JSON.parse((await cli('match', '--publication', pub, '--log', csv, '--json')).stdout);
    expect(j).toMatchObject({ log: { format: 'observation_csv', rows: 1, skipped: 1 }, matches: [{ slot: 23, first_line: 2 }] });
  });

  it.each([
    ['missing file', () => ['--publication', join(dir, 'nope.json'), '--log', trace], /--publication .*nope\.json: cannot read \(ENOENT\)/],
    ['bad key', () => ['--publication', file('bad.json', '{"data":[{"daily_key":"12","time_start":1,"time_end":2,"max":96}]}'), '--log', trace], /data\[0\]\.daily_key: expected 32 bytes/],
    ['bad log line', () => ['--publication', pub, '--log', file('bad.txt', `${'A'.repeat(24)}\t${'B'.repeat(24)}\t-60\t1596866191387\nxx\n`)], /bad\.txt: line 2, field \(line\)/],
    ['bad csv field', () => ['--publication', pub, '--log', file('bad.csv', 'timestamp_ms,receiver,transmitter,rssi,tx_power,receiver_model,transmitter_model\nsoon,a,b,-60,,,\n')], /bad\.csv:2: column 1 \(timestamp_ms\)/],
    ['mixed units', () => ['--publication', pub, '--log', file('mixed.txt', `${'A'.repeat(24)}\t${'B'.repeat(24)}\t-60\t1596866191387\n${'A'.repeat(24)}\t${'B'.repeat(24)}\t-60\t1596866191\n`)], /mixed\.txt: line 2: timestamp 1596866191 is in seconds/],
  ])('%s: exit 2 naming file and place', async (_n, args, re) => {
    const r = await cli('match', ...args());
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(re);
  });
});
