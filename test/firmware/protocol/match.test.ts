import { describe, expect, it } from 'vitest';
import { parseContactLog } from '../../../firmware/protocol/contactLog.ts';
import { fromHex, toHex } from '../../../firmware/protocol/hex.ts';
import { DAY_MS, SLOT_MS, dailyIds, dailyKey, generateBaseKey } from '../../../firmware/protocol/keys.ts';
import {
  ContactIndex,
  detectTimestampUnit,
  matchPublication,
  parsePublication,
  publication,
  type ParsedPushEntry,
} from '../../../firmware/protocol/match.ts';
import { formatTrace, parseTrace, type ContactLog, type TraceRow } from '../../../firmware/protocol/traceFormat.ts';

const DK_A = '4C5224B397F8AB3896781D5AA0F3119F280513F1B592CA280EBDED6357E21084';
const DK_B = '66B07D33DA4E16A359B590EDA1E8DC90892D341C86A6491376041FE44505FFB5';
const DAY0_S = 1596844800; // 2020-08-08 00:00 UTC (bluezone-protocol.md 8.1)
const DAY0_MS = DAY0_S * 1000;
const OWN = fromHex('000102030405060708090A0B');

function traceLog(rows: { id: string; t: number; rssi?: number }[]): ContactLog {
  const text = formatTrace(rows.map((r): TraceRow => ({ own: OWN, contact: fromHex(r.id), rssi: r.rssi ?? -60, timestamp: r.t })));
  const p = parseTrace(text);
  if (!p.ok) throw new Error(p.error.message);
  return p.log;
}

function run(entries: ParsedPushEntry[] | string, log: ContactLog) {
  let parsed: ParsedPushEntry[];
  if (typeof entries === 'string') {
    const p = parsePublication(entries);
    if (!p.ok) throw new Error(p.error.message);
    parsed = p.entries;
  } else parsed = entries;
  const u = detectTimestampUnit(log);
  if ('error' in u) throw new Error(u.error);
  return { unit: u.unit, ...matchPublication(parsed, ContactIndex.build(log, u.unit === 's' ? 1000 : 1)) };
}

const oneDay = (dk: string, start = DAY0_S, end = DAY0_S + 86399) =>
  JSON.stringify({ data: [{ daily_key: dk, time_start: start, time_end: end, max: 96 }] });

describe('F0 matcher (bluezone-protocol.md 6.4)', () => {
  it('finds every captured 8.1 ID given the published key and a log row at the capture time', () => {
    const log = traceLog([
      { id: 'B9A665D754FE65E665D76A45', t: 1596866191387 },
      { id: '3AA8DFC0A15682B27216FC31', t: 1596866588130 },
      { id: 'B9A232358A6C89E7A00B673C', t: 1596867559031 },
      { id: '286BCE589AB994EFA5F73CAD', t: 1596887252275 },
      { id: '7C3DEC4246EA6F90E38EA254', t: 1596887252999 }, // a peer whose key was not published
    ]);
    const pub = JSON.stringify({
      data: [
        { daily_key: DK_A, time_start: DAY0_S, time_end: DAY0_S + 86399, max: 96 },
        { daily_key: DK_B, time_start: DAY0_S, time_end: DAY0_S + 86399, max: 96 },
      ],
    });
    const r = run(pub, log);
    expect(r.unit).toBe('ms');
    expect(r.stats).toEqual({ entries: 2, slotsChecked: 192 });
    expect(r.matches.map((m) => [m.entry, m.slot, m.id, m.sightings.count, m.sightings.firstLine])).toEqual([
      [0, 23, 'B9A665D754FE65E665D76A45', 1, 1],
      [0, 24, '3AA8DFC0A15682B27216FC31', 1, 2],
      [0, 25, 'B9A232358A6C89E7A00B673C', 1, 3],
      [1, 47, '286BCE589AB994EFA5F73CAD', 1, 4],
    ]);
    expect(r.matches[0].windowStartMs).toBe(DAY0_MS + 23 * SLOT_MS);
    expect(r.matches[0].windowEndMs).toBe(DAY0_MS + 24 * SLOT_MS);
  });

  describe('slot window edges: t <= ts <= t + delta, both inclusive', () => {
    const ids = dailyIds(fromHex(DK_A)).map(toHex);
    const i = 40;
    const t = DAY0_MS + i * SLOT_MS;
    const cases: [string, string, number, number[]][] = [
      ['first ms of the slot', ids[i], t, [i]],
      ['last ms of the slot', ids[i], t + SLOT_MS - 1, [i]],
      ['exactly t + delta (the app includes it)', ids[i], t + SLOT_MS, [i]],
      ['1 ms after t + delta', ids[i], t + SLOT_MS + 1, []],
      ["last ms of the previous slot with this slot's ID", ids[i], t - 1, []],
      ["first ms of the slot with the previous slot's ID", ids[i - 1], t, [i - 1]],
      ["last ms of the previous slot with the previous slot's ID", ids[i - 1], t - 1, [i - 1]],
    ];
    it.each(cases)('%s', (_name, id, ts, slots) => {
      const r = run(oneDay(DK_A), traceLog([{ id, t: ts }]));
      expect(r.matches.map((m) => m.slot)).toEqual(slots);
    });
  });

  it('reads iOS logs in seconds (unit detected) with the same inclusive bounds', () => {
    const ids = dailyIds(fromHex(DK_A)).map(toHex);
    const log = traceLog([
      { id: ids[10], t: DAY0_S + 10 * 900 },
      { id: ids[10], t: DAY0_S + 11 * 900 },
      { id: ids[12], t: DAY0_S + 12 * 900 - 1 },
    ]);
    const r = run(oneDay(DK_A), log);
    expect(r.unit).toBe('s');
    expect(r.matches).toHaveLength(1);
    expect(r.matches[0]).toMatchObject({ slot: 10, sightings: { count: 2, firstMs: (DAY0_S + 9000) * 1000, lastMs: (DAY0_S + 9900) * 1000 } });
  });

  it('advances the daily key after every `max` slots, and reports every hit with first/last/count', () => {
    const day1 = dailyIds(dailyKey(fromHex(DK_A), 1)).map(toHex);
    expect(day1[0]).toBe('64C0D2707C49D2F0D5E3E348'); // 8.2
    const day0 = dailyIds(fromHex(DK_A)).map(toHex);
    const log = traceLog([
      { id: day0[95], t: DAY0_MS + DAY_MS - 5 },
      { id: day1[0], t: DAY0_MS + DAY_MS + 30_000, rssi: -80 },
      { id: day1[1], t: DAY0_MS + DAY_MS + SLOT_MS + 1 },
      { id: day1[0], t: DAY0_MS + DAY_MS + 60_000, rssi: -55 },
      { id: day1[0], t: DAY0_MS + DAY_MS + 10_000, rssi: -90 }, // out of order: the index sorts
    ]);
    const r = run(oneDay(DK_A, DAY0_S, DAY0_S + 2 * 86400 - 1), log);
    expect(r.stats.slotsChecked).toBe(192);
    expect(r.matches.map((m) => [m.slot, m.day, m.slotOfDay, m.sightings.count])).toEqual([
      [95, 0, 95, 1],
      [96, 1, 0, 3],
      [97, 1, 1, 1],
    ]);
    expect(r.matches[1].sightings).toMatchObject({ firstMs: DAY0_MS + DAY_MS + 10_000, lastMs: DAY0_MS + DAY_MS + 60_000, firstLine: 5, lastLine: 4, maxRssi: -55 });
  });

  it('time_end is inclusive: a slot that starts exactly at time_end is checked', () => {
    const ids = dailyIds(fromHex(DK_A)).map(toHex);
    const log = traceLog([{ id: ids[4], t: DAY0_MS + 4 * SLOT_MS + 1 }]);
    expect(run(oneDay(DK_A, DAY0_S, DAY0_S + 4 * 900), log).matches).toHaveLength(1);
    expect(run(oneDay(DK_A, DAY0_S, DAY0_S + 4 * 900 - 1), log).matches).toHaveLength(0);
  });

  it('reads the generic observation CSV with BluezoneID transmitters', () => {
    const ids = dailyIds(fromHex(DK_A)).map(toHex);
    const csv = [
      'timestamp_ms,receiver,transmitter,rssi,tx_power,receiver_model,transmitter_model',
      `${DAY0_MS + 3 * SLOT_MS},"door, main",${ids[3]},-70,,,`,
      `${DAY0_MS + 3 * SLOT_MS + 5},door,phone-7,-70,,,`,
      '',
    ].join('\n');
    const p = parseContactLog(csv);
    expect(p.format).toBe('observation_csv');
    if (!p.result.ok) throw new Error(p.result.error.message);
    expect(p.result.log.skipped).toBe(1);
    const r = run(oneDay(DK_A), p.result.log);
    expect(r.matches.map((m) => [m.slot, m.sightings.firstLine])).toEqual([[3, 2]]);
  });

  it('refuses a log that mixes ms and s, naming the line', () => {
    const log = traceLog([
      { id: 'B9A665D754FE65E665D76A45', t: 1596866191387 },
      { id: 'B9A665D754FE65E665D76A45', t: 1596866191 },
    ]);
    expect(detectTimestampUnit(log)).toMatchObject({ line: 2, error: expect.stringMatching(/^line 2: .*seconds/) });
  });
});

describe('publication parsing (bluezone-protocol.md 6.3)', () => {
  const entry = { daily_key: DK_A, time_start: DAY0_S, time_end: DAY0_S + 86399, max: 96 };

  it('accepts the push format and the FCM wrapper with JSON strings', () => {
    const plain = parsePublication(JSON.stringify({ data: [entry] }));
    expect(plain.ok && plain.entries[0]).toMatchObject({ timeStartS: DAY0_S, timeEndS: DAY0_S + 86399, max: 96 });
    const fcm = JSON.stringify({
      data: { Type: 'KiemTraLichSuTiepXuc', DataContent: JSON.stringify({ FindGUID: 'x', Numberdays: 14, InfoF: JSON.stringify({ data: [entry] }) }) },
    });
    const r = parsePublication(fcm);
    expect(r.ok && toHex(r.entries[0].dailyKey)).toBe(DK_A);
  });

  it.each([
    ['not json', '{', '(top level)'],
    ['no data', '{}', 'data'],
    ['bad key', JSON.stringify({ data: [entry, { ...entry, daily_key: 'abc' }] }), 'data[1].daily_key'],
    ['missing time', JSON.stringify({ data: [{ ...entry, time_start: undefined }] }), 'data[0].time_start'],
    ['ms instead of s', JSON.stringify({ data: [{ ...entry, time_end: DAY0_MS }] }), 'data[0].time_end'],
    ['end before start', JSON.stringify({ data: [{ ...entry, time_end: DAY0_S - 1 }] }), 'data[0].time_end'],
    ['bad max', JSON.stringify({ data: [{ ...entry, max: 7 }] }), 'data[0].max'],
    ['huge span', JSON.stringify({ data: [{ ...entry, time_end: DAY0_S + 1000 * 86400 }] }), 'data[0].time_end'],
    ['bad inner json', JSON.stringify({ DataContent: JSON.stringify({ InfoF: '{oops' }) }), 'DataContent.InfoF'],
  ])('%s -> error at %s', (_n, text, path) => {
    const r = parsePublication(text);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.path).toBe(path);
      expect(r.error.message).toContain(path);
    }
  });
});

describe('publication() for our own beacon', () => {
  it('gives one entry per UTC day with that day key and a window the matcher finds', () => {
    const base = generateBaseKey();
    const baseDate = DAY0_MS;
    const from = DAY0_MS + 3 * DAY_MS + 9 * 3600_000; // day 3, 09:00
    const to = DAY0_MS + 4 * DAY_MS + 2 * 3600_000; // day 4, 02:00
    const p = publication(base, baseDate, from, to);
    expect(p).toEqual([
      { daily_key: toHex(dailyKey(base, 3)), time_start: DAY0_S + 3 * 86400, time_end: DAY0_S + 4 * 86400 - 1, max: 96 },
      { daily_key: toHex(dailyKey(base, 4)), time_start: DAY0_S + 4 * 86400, time_end: DAY0_S + 4 * 86400 + 7199, max: 96 },
    ]);
    for (const e of p) expect(e.daily_key).not.toBe(toHex(base));
    // A visitor logged the beacon at day 4 01:50 (slot 7): found. At 02:10 (slot 8, after the window): not.
    const ids4 = dailyIds(dailyKey(base, 4)).map(toHex);
    const r = run(JSON.stringify({ data: p }), traceLog([
      { id: ids4[7], t: DAY0_MS + 4 * DAY_MS + 110 * 60_000 },
      { id: ids4[8], t: DAY0_MS + 4 * DAY_MS + 130 * 60_000 },
    ]));
    expect(r.matches.map((m) => [m.entry, m.slot])).toEqual([[1, 7]]);
  });

  it('rejects an empty window or one before the base date', () => {
    const base = generateBaseKey();
    expect(() => publication(base, DAY0_MS, DAY0_MS + 10, DAY0_MS + 10)).toThrow(/from < to/);
    expect(() => publication(base, DAY0_MS, DAY0_MS - DAY_MS, DAY0_MS)).toThrow(/before the base date/);
  });

  it('never publishes the base key itself: the base date (DK_0 = base key, 1.2) is refused (9.2)', () => {
    const base = generateBaseKey();
    expect(() => publication(base, DAY0_MS, DAY0_MS + 9 * 3600_000, DAY0_MS + 10 * 3600_000)).toThrow(/base key/);
    expect(publication(base, DAY0_MS, DAY0_MS + DAY_MS, DAY0_MS + DAY_MS + 3600_000)[0].daily_key).toBe(toHex(dailyKey(base, 1)));
  });
});
