// Issue 18, repros 1-3 and the stream limits: hostile shapes are refused with a message naming the
// limit (exit 2), and readers stay linear whatever the shape. The time bounds are 10-100x the measured
// figures (docs/hardening.md): they catch the quadratic or unbounded behaviour, not small slow-downs.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseContactLog } from '../../firmware/protocol/contactLog.ts';
import { MAX_ENTRIES, MAX_JSON_DEPTH, MAX_TOTAL_SLOTS, jsonDepthExceeded, parsePublication } from '../../firmware/protocol/match.ts';
import { OBSERVATION_CSV_HEADER } from '../../records/rows.ts';
import { parseTrace } from '../../firmware/protocol/traceFormat.ts';
import { MAX_EMPTY_RUN, readDelimited, writeDelimited } from '../../records/proto/index.ts';
import { cli, tempDirs } from '../helpers/cli.ts';

const DK = 'AB'.repeat(32);
const tmp = tempDirs('bz-limits-');
const deep = (n: number) => '{"data":[' + '['.repeat(n) + ']'.repeat(n) + ']}';

describe('publication limits (repros 1 and 2)', () => {
  it('deep JSON is refused with exit 2 naming the depth limit, by match and scan match (was a stack overflow, exit 1)', async () => {
    const d = tmp();
    const pub = join(d, 'deep.json');
    writeFileSync(pub, deep(10000));
    const log = join(d, 't.txt');
    writeFileSync(log, '');
    for (const args of [['match', '--publication', pub, '--log', log], ['scan', 'match', '--db', join(d, 'none.db'), '--publication', pub]]) {
      const r = await cli(...args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`JSON nested deeper than the limit of ${MAX_JSON_DEPTH} levels`);
    }
  });

  it('depth counts across FCM string wrappers, and strings with brackets do not count', () => {
    const inner = JSON.stringify({ data: [[[[[[[[[[1]]]]]]]]]] });
    const wrapped = JSON.stringify({ data: { DataContent: JSON.stringify({ InfoF: JSON.stringify(JSON.parse(deep(MAX_JSON_DEPTH))) }) } });
    expect(parsePublication(wrapped)).toMatchObject({ ok: false, error: { message: expect.stringContaining('nested deeper') } });
    expect(parsePublication(inner)).toMatchObject({ ok: false, error: { path: 'data[0]' } }); // shallow: an ordinary field error
    expect(jsonDepthExceeded('{"a":"[[[[[[\\"[[["}', 2)).toBe(-1);
    expect(jsonDepthExceeded('[[[', 2)).toBe(2);
  });

  it('a 1-second-slot entry over 400 days is refused naming the slot limit (was 161 s of work)', async () => {
    const d = tmp();
    const pub = join(d, 'slots.json');
    writeFileSync(pub, JSON.stringify({ data: [{ daily_key: DK, time_start: 1767225600, time_end: 1801785600, max: 86400 }] }));
    const log = join(d, 't.txt');
    writeFileSync(log, '');
    const r = await cli('match', '--publication', pub, '--log', log);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`data[0]: the publication's slots (86400/max per day over each entry's window) reach 34560001, above the limit of ${MAX_TOTAL_SLOTS}`);
  });

  it('slots add up across entries; entries are capped', () => {
    const day = (i: number) => ({ daily_key: DK, time_start: 1767225600, time_end: 1767225600 + 86399, max: 96 });
    const fits = Math.floor(MAX_TOTAL_SLOTS / 96);
    expect(parsePublication(JSON.stringify({ data: Array.from({ length: fits }, (_, i) => day(i)) })).ok).toBe(true);
    const over = parsePublication(JSON.stringify({ data: Array.from({ length: fits + 1 }, (_, i) => day(i)) }));
    expect(over).toMatchObject({ ok: false, error: { path: `data[${fits}]`, message: expect.stringContaining(`above the limit of ${MAX_TOTAL_SLOTS}`) } });
    const many = parsePublication(JSON.stringify({ data: Array.from({ length: MAX_ENTRIES + 1 }, () => 0) }));
    expect(many).toMatchObject({ ok: false, error: { path: 'data', message: `data: ${MAX_ENTRIES + 1} entries exceed the limit of ${MAX_ENTRIES} per publication` } });
  });
});

describe('readers are linear in input size whatever its shape (repro 3)', () => {
  it('data_trace.txt: 4 MB of blank lines, CRLFs or lone tabs (1 MB of newlines took 29.5 s)', { timeout: 20_000 }, () => {
    for (const unit of ['\n', '\r\n', '\t\n', ' \n']) {
      const r = parseTrace(unit.repeat(4e6 / unit.length));
      expect(r).toMatchObject({ ok: true, log: { length: 0 } }); // whitespace-only lines count as blank
    }
  });

  it('observation CSV: an open quote then 1 MB of newlines ends in the open-quote error (200 KB took 25 s)', { timeout: 20_000 }, () => {
    const r = parseContactLog(`${OBSERVATION_CSV_HEADER}\n"` + '\n'.repeat(1 << 20), 'obs.csv');
    expect(r.result).toMatchObject({ ok: false, error: { line: 2, message: expect.stringMatching(/quoted field longer than 1 MiB|unterminated quoted field/) } });
  });
});

describe('protobuf streams', () => {
  const obs = { timestampMs: 1, receiver: 'r', transmitter: 't', rssi: -60 };

  it(`a run of more than ${MAX_EMPTY_RUN} empty messages is refused at its first byte`, () => {
    const head = writeDelimited('Observation', [obs as never]);
    const bytes = new Uint8Array(head.length + (1 << 20));
    bytes.set(head);
    expect(() => readDelimited('Observation', bytes)).toThrow(expect.objectContaining({ code: 'empty-run', offset: head.length, index: 1 }));
    expect(readDelimited('Observation', bytes.subarray(0, head.length + MAX_EMPTY_RUN))).toHaveLength(1 + MAX_EMPTY_RUN);
  });

  it('maxMessages bounds the count', () => {
    const b = writeDelimited('Observation', [obs, obs, obs] as never[]);
    expect(readDelimited('Observation', b, { maxMessages: 3 })).toHaveLength(3);
    expect(() => readDelimited('Observation', b, { maxMessages: 2 })).toThrow(expect.objectContaining({ code: 'too-many', index: 2 }));
  });
});
