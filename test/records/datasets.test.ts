// records/datasets.ts: one parser per real data-set format, two views (the fit's groups, the
// classifier's observation rows). Parsers never fail with anything but DataFileError; malformed rows
// are located by file, line and field; both views see the same readings.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDirs } from '../helpers/cli.ts';
import { DataFileError } from '../../records/errors.ts';
import {
  heraldObservations,
  loadHerald,
  loadMitll,
  loadPcng,
  mitllObservations,
  parseHeraldCsv,
  parseHeraldMetadata,
  parseMitllLog,
  parsePcngCsv,
  pcngObservations,
} from '../../records/datasets.ts';

const tmp = tempDirs('bz-datasets-');
const DATA = join(ROOT, '..', 'shared', 'data');

const HERALD_HEADER = 'time,rssi,distance';
const META_HEADER = 'testid,date,phoneaname,phonebname,distfrom,distto,diststep,durationmins,filenamephonea,filenamephoneb';
const PCNG_HEADER = 'device,elapsed,rss,mRSS10,mRSS100,dist,label';
const DEVICE_LINE = '2020-05-05 16:47:37.613,Device,iPhone12,1,Adam’s iPhone';

/** Either parses or throws DataFileError naming `file`; anything else fails the property. */
function parsesOrLocates(parse: () => unknown, file: string): void {
  try {
    parse();
  } catch (e) {
    expect(e).toBeInstanceOf(DataFileError);
    expect((e as DataFileError).file).toBe(file);
    expect((e as Error).message.startsWith(file)).toBe(true);
  }
}

const PARSERS: [string, (file: string, text: string) => unknown, string][] = [
  ['herald metadata', parseHeraldMetadata, META_HEADER],
  ['herald data', parseHeraldCsv, HERALD_HEADER],
  ['pc-ng', parsePcngCsv, PCNG_HEADER],
  ['mitll log', parseMitllLog, DEVICE_LINE],
];

/** Lines near the formats: valid rows, their fields mutated, quotes, blanks, CRs, arbitrary text. */
const nearLine = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    '2021-03-05 09:58:00,-55.0,120',
    '2021-02-30 09:58:00,-55.0,120',
    '2021-03-05 0::58:00,-55.0,120',
    '1,20210305,P2,P3,0,1,1,1,a.csv,b.csv',
    '1,20210305,"P2,P3',
    'gryphonelab,2891.07,-53,-53.4,-56.26,20,1',
    'other,2891.25,-54,-53.5,-56.3,40,1',
    'x,2891.07,-53,-53.4,-56.26,20,1',
    't,Bluetooth,U,-80,TestPhone3,8.0,610404458.869276',
    't,Bluetooth,U,127,TestPhone2,8.0,610404458.9',
    't,Bluetooth,U,-70,TestPhone9,8.0,610404458.9',
    't,Bluetooth,U,-70,Lobby,printer,8.0,1',
    't,Device,iPhone11,8,B',
    '',
    '\r',
    ',,,,,,',
  ),
  ...[
    ([r, c]: number[]) => `2021-01-01 10:00:00,${r}.0,${c}`,
    ([r, c, el]: number[]) => `a,${el},${r},0,0,${c},1`,
    ([r, , el]: number[]) => `t,Bluetooth,U,${r},TestPhone1,8.0,${el}`,
  ].map((row) => fc.tuple(fc.integer({ min: -200, max: 200 }), fc.integer({ min: -5, max: 20000 }), fc.double()).map(row)),
);

describe('each format parser on arbitrary input', () => {
  for (const [what, parse, header] of PARSERS) {
    it(`${what}: arbitrary bytes parse or throw DataFileError`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (bytes, withHeader) => {
          const text = (withHeader ? header + '\n' : '') + Buffer.from(bytes).toString('utf8');
          parsesOrLocates(() => parse('f.csv', text), 'f.csv');
        }),
        { numRuns: 300 },
      );
    });
    it(`${what}: lines near the format parse or throw DataFileError`, () => {
      fc.assert(
        fc.property(fc.array(nearLine, { maxLength: 30 }), fc.boolean(), fc.boolean(), (lines, withHeader, crlf) => {
          const text = (withHeader ? [header, ...lines] : lines).join(crlf ? '\r\n' : '\n');
          parsesOrLocates(() => parse('f.csv', text), 'f.csv');
        }),
        { numRuns: 300 },
      );
    });
  }

  it('a large input is parsed in linear time (no backtracking blow-up)', () => {
    const rows = Array.from({ length: 50_000 }, (_, i) => `2021-03-05 09:${String(Math.floor(i / 1000) % 60).padStart(2, '0')}:00,-${50 + (i % 40)}.0,${i % 350}`);
    expect(parseHeraldCsv('f.csv', [HERALD_HEADER, ...rows].join('\n'))).toHaveLength(50_000);
    expect(() => parseHeraldCsv('f.csv', `${HERALD_HEADER}\n2021-03-05 09:00:00,-${'1'.repeat(100_000)},1`)).toThrow(DataFileError);
  });
});

describe('malformed rows name their file, line and field', () => {
  const cases: [string, (file: string, text: string) => unknown, string, RegExp][] = [
    ['herald header', parseHeraldCsv, 'time,rss,distance\n', /^h\.csv:1: expected header 'time,rssi,distance'/],
    ['herald field count', parseHeraldCsv, `${HERALD_HEADER}\n2021-03-05 09:58:00,-55.0,120\n\n2021-03-05 09:58:01,-55.0\n`, /^h\.csv:4: expected 3 fields/],
    ['herald time', parseHeraldCsv, `${HERALD_HEADER}\r\n2021-03-05 09:58:00,-55.0,120\r\n2021-03-05 9:58:01,-55.0,120\r\n`, /^h\.csv:3: field 'time'/],
    ['herald calendar date', parseHeraldCsv, `${HERALD_HEADER}\n2021-02-29 09:58:00,-55.0,120\n`, /^h\.csv:2: field 'time'/],
    ['herald rssi', parseHeraldCsv, `${HERALD_HEADER}\n2021-03-05 09:58:00,-55.5,120\n`, /^h\.csv:2: field 'rssi'/],
    ['herald distance', parseHeraldCsv, `${HERALD_HEADER}\n2021-03-05 09:58:00,-55.0,12.5\n`, /^h\.csv:2: field 'distance'/],
    ['metadata columns', parseHeraldMetadata, 'testid,date\n', /^h\.csv:1: missing phoneaname/],
    ['metadata quoting', parseHeraldMetadata, `${META_HEADER}\n1,2021,"P2,P3,0,1,1,1,a.csv,b.csv\n`, /^h\.csv:2: unterminated quoted field/],
    ['metadata phone', parseHeraldMetadata, `${META_HEADER}\n1,2021,,P3,0,1,1,1,a.csv,b.csv\n`, /^h\.csv:2: field 'phoneaname' is empty/],
    ['pc-ng header', parsePcngCsv, 'device,elapsed,rss,dist\n', /^h\.csv:1: expected header/],
    ['pc-ng elapsed', parsePcngCsv, `${PCNG_HEADER}\na,1.5,-60,0,0,20,1\na,,-60,0,0,20,1\n`, /^h\.csv:3: field 'elapsed'/],
    ['pc-ng elapsed overflow', parsePcngCsv, `${PCNG_HEADER}\na,1e400,-60,0,0,20,1\n`, /^h\.csv:2: field 'elapsed' is not a number: '1e400'/],
    ['herald year', parseHeraldCsv, `${HERALD_HEADER}\n0021-03-05 09:58:00,-55.0,120\n`, /^h\.csv:2: field 'time'/],
    ['pc-ng rss', parsePcngCsv, `${PCNG_HEADER}\na,1.5,-60.5,0,0,20,1\n`, /^h\.csv:2: field 'rss'/],
    ['pc-ng dist', parsePcngCsv, `${PCNG_HEADER}\na,1.5,-60,0,0,0,1\n`, /^h\.csv:2: field 'dist'/],
    ['pc-ng third device', parsePcngCsv, `${PCNG_HEADER}\na,1,-60,0,0,20,1\nb,1,-60,0,0,20,1\nc,1,-60,0,0,20,1\n`, /^h\.csv:4: field 'device': a third device 'c'/],
    ['pc-ng one device', parsePcngCsv, `${PCNG_HEADER}\na,1,-60,0,0,20,1\n`, /^h\.csv: expected 2 device names, found 1/],
    ['mitll device line', parseMitllLog, '\nt,Bluetooth,U,-80,TestPhone3,8.0,1\n', /^h\.csv:2: expected the log to start with a '<time>,Device/],
    ['mitll fields', parseMitllLog, `${DEVICE_LINE}\nt,Gyroscope,1,2\nt,Bluetooth,U,-80,TestPhone3\n`, /^h\.csv:3: Bluetooth record/],
    ['mitll rssi', parseMitllLog, `${DEVICE_LINE}\nt,Bluetooth,U,loud,TestPhone3,8.0,1\n`, /^h\.csv:2: field 'rssi'/],
    ['mitll time', parseMitllLog, `${DEVICE_LINE}\nt,Bluetooth,U,-80,TestPhone3,8.0,soon\n`, /^h\.csv:2: field 'receive time'/],
    ['mitll phone', parseMitllLog, `${DEVICE_LINE}\nt,Bluetooth,U,-80,TestPhone5,8.0,1\n`, /^h\.csv:2: field 'name': unknown transmitter 'TestPhone5'/],
  ];
  for (const [what, parse, text, re] of cases)
    it(what, () => {
      expect(() => parse('h.csv', text)).toThrow(DataFileError);
      expect(() => parse('h.csv', text)).toThrow(re);
    });

  it('well-formed input parses: CRLF, blank lines, -55.0 dBm, the Device model with its comma, RSSI 127 dropped', () => {
    expect(parseHeraldCsv('h', `${HERALD_HEADER}\r\n2021-03-05 09:58:00,-55.0,120\r\n\r\n2021-03-05 09:58:01,-56,121\r\n`)).toEqual([
      { tMs: Date.UTC(2021, 2, 5, 9, 58, 0), rssi: -55, distCm: 120 },
      { tMs: Date.UTC(2021, 2, 5, 9, 58, 1), rssi: -56, distCm: 121 },
    ]);
    expect(parseHeraldMetadata('m', `${META_HEADER}\n1,2021,Denmark,P2,0,1,1,1,,x-B.csv\n2,2021,"N8",P2,0,1,1,1,y-A.csv,y-B.csv\n`)).toEqual(
      new Map([
        ['x-B.csv', ['Denmark', 'P2']],
        ['y-A.csv', ['N8', 'P2']],
        ['y-B.csv', ['N8', 'P2']],
      ]),
    );
    const p = parsePcngCsv('p', `${PCNG_HEADER}\nb,2.5,-60,0,0,20,1\na,2.0,-61,0,0,20,1\n`);
    expect(p.devices).toEqual(['b', 'a']);
    expect(p.readings.map((r) => [r.line, r.device, r.elapsedS, r.rssi, r.distCm])).toEqual([
      [2, 'b', 2.5, -60, 20],
      [3, 'a', 2, -61, 20],
    ]);
    const m = parseMitllLog('m', `${DEVICE_LINE}\nt,Bluetooth,U,-80,TestPhone3,8.0,610404458.5\nt,Bluetooth,U,127,TestPhone3,8.0,610404459\nt,Bluetooth,U,-50,Printer,8.0,1\nt,Bluetooth,U,-50,Lobby,printer,8.0,1\n`);
    expect(m).toEqual({ model: 'iPhone12,1', readings: [{ phone: 'TestPhone3', rssi: -80, cfS: 610404458.5 }] });
  });
});

/** A small data folder in the three layouts. */
function miniData(): string {
  const d = tmp();
  const h = join(d, 'herald-edison');
  mkdirSync(h);
  writeFileSync(join(h, 'metadata.csv'), `${META_HEADER}\n1,2021,P2,Denmark,0,10,1,4,20210101-0000-A.csv,20210101-0000-B.csv\n`);
  writeFileSync(join(h, '20210101-0000-A.csv'), `${HERALD_HEADER}\n2021-01-01 10:00:00,-60.0,1\n2021-01-01 10:00:01,-61.0,30\n`);
  writeFileSync(join(h, '20210101-0000-B.csv'), `${HERALD_HEADER}\n2021-01-01 10:00:00,-62.0,5\n`);
  for (const s of ['HandHand', 'HandPocket', 'HandBackpack', 'PocketPocket', 'PocketBackpack', 'BackpackBackpack']) {
    mkdirSync(join(d, 'pc-ng-rss-smartphone', s), { recursive: true });
    writeFileSync(join(d, 'pc-ng-rss-smartphone', s, 'RSS_humanXX.csv'), `${PCNG_HEADER}\r\nb,100.5,-60,0,0,20,1\r\nb,100.0,-59,0,0,20,1\r\na,7.0,-62,0,0,20,1\r\nb,300.0,-70,0,0,400,0\r\n`);
  }
  const m = join(d, 'mitll-static-configs', 'courtyard_2020-05-05', 'iPhone');
  mkdirSync(m, { recursive: true });
  writeFileSync(join(m, 'log_x_90.txt'), `${DEVICE_LINE}\nt,Bluetooth,U,-80,TestPhone3,8.0,610404458.5\nt,Bluetooth,U,127,TestPhone3,8.0,610404459\n`);
  return d;
}

describe('bugs of the old fit loader (each accepted or crashed before the one parser)', () => {
  const cases: [string, string, string, RegExp][] = [
    ['a metadata quote left open threw a plain Error', `${META_HEADER}\n1,x,"P2,P3,0,1,1,1,20210101-0000-A.csv,\n`, `${HERALD_HEADER}\n`, /metadata\.csv:2: unterminated quoted field/],
    ['a time with a non-digit hour was read as 10 h', `${META_HEADER}\n1,x,P2,P3,0,1,1,1,20210101-0000-A.csv,\n`, `${HERALD_HEADER}\n2021-03-05 0::58:00,-55.0,120\n`, /0000-A\.csv:2: field 'time'/],
    ['30 February was accepted', `${META_HEADER}\n1,x,P2,P3,0,1,1,1,20210101-0000-A.csv,\n`, `${HERALD_HEADER}\n2021-02-30 09:58:00,-55.0,120\n`, /0000-A\.csv:2: field 'time'/],
    ['a fractional RSSI was accepted (the converter rejected it)', `${META_HEADER}\n1,x,P2,P3,0,1,1,1,20210101-0000-A.csv,\n`, `${HERALD_HEADER}\n2021-03-05 09:58:00,-55.5,120\n`, /0000-A\.csv:2: field 'rssi'/],
  ];
  for (const [what, meta, data, re] of cases)
    it(what, () => {
      const d = tmp();
      mkdirSync(join(d, 'herald-edison'));
      writeFileSync(join(d, 'herald-edison', 'metadata.csv'), meta);
      writeFileSync(join(d, 'herald-edison', '20210101-0000-A.csv'), data);
      expect(() => loadHerald(d, 10)).toThrow(DataFileError);
      expect(() => loadHerald(d, 10)).toThrow(re);
    });
  it('an empty pc-ng elapsed field was read as 0 s', () => {
    const d = miniData();
    writeFileSync(join(d, 'pc-ng-rss-smartphone', 'HandHand', 'RSS_humanXX.csv'), `${PCNG_HEADER}\na,,-60,0,0,20,1\nb,1,-60,0,0,20,1\n`);
    expect(() => loadPcng(d, 10)).toThrow(/RSS_humanXX\.csv:2: field 'elapsed' is not a number: ''/);
  });
});

describe('the two views see the same readings', () => {
  it('herald: the metadata phones name the receiver and transmitter of both views', () => {
    const d = miniData();
    const fit = loadHerald(d, 100);
    expect(fit.map((g) => [g.name, g.rxPhone, g.txPhone, g.split, Array.from(g.rssi)])).toEqual([
      ['20210101-0000-A.csv', 'P2', 'Denmark', 'train', [-60, -61]],
      ['20210101-0000-B.csv', 'Denmark', 'P2', 'test', [-62]],
    ]);
    expect(heraldObservations(d, 'A')).toEqual([
      { timestampMs: Date.UTC(2021, 0, 1, 10), receiver: 'herald:P2', transmitter: 'herald:Denmark', rssi: -60, receiverModel: 'Pixel 2', transmitterModel: 'Apple iPhone 6S', distanceM: 0.01 },
      { timestampMs: Date.UTC(2021, 0, 1, 10, 0, 1), receiver: 'herald:P2', transmitter: 'herald:Denmark', rssi: -61, receiverModel: 'Pixel 2', transmitterModel: 'Apple iPhone 6S', distanceM: 0.3 },
    ]);
    expect(heraldObservations(d, 'B', (f) => f.startsWith('1999'))).toEqual([]);
  });

  it('pc-ng: each (device, dist) block gets its own 15-minute slot, in time order', () => {
    const d = miniData();
    const rows = pcngObservations(d, 'train');
    const base = Date.UTC(2020, 5, 1);
    // HandHand's three blocks, then HandBackpack's, then PocketPocket's
    expect(rows).toHaveLength(12);
    expect(rows.slice(0, 4).map((r) => [r.timestampMs - base, r.receiver, r.transmitter, r.rssi, r.distanceM])).toEqual([
      [0, 'pcng-HandHand:b', 'pcng-HandHand:a', -59, 0.2],
      [500, 'pcng-HandHand:b', 'pcng-HandHand:a', -60, 0.2],
      [900_000, 'pcng-HandHand:a', 'pcng-HandHand:b', -62, 0.2],
      [1_800_000, 'pcng-HandHand:b', 'pcng-HandHand:a', -70, 4],
    ]);
    expect(rows[4].receiver).toBe('pcng-HandBackpack:b');
    expect(rows[4].timestampMs - base).toBe(3 * 900_000);
    // the fit groups the same readings by logging device and alternate distance
    const fit = loadPcng(d, 100);
    expect(fit.reduce((a, g) => a + g.rssi.length, 0)).toBe(6 * 4);
    expect(fit.filter((g) => g.name === 'HandHand/b').map((g) => [g.split, Array.from(g.rssi)])).toEqual([
      ['train', [-60, -59]],
      ['test', [-70]],
    ]);
  });

  it('pc-ng: a block longer than its slot is located at its first line', () => {
    const d = miniData();
    writeFileSync(join(d, 'pc-ng-rss-smartphone', 'HandHand', 'RSS_humanXX.csv'), `${PCNG_HEADER}\na,1,-60,0,0,20,1\nb,1,-60,0,0,20,1\nb,901,-60,0,0,20,1\n`);
    expect(() => pcngObservations(d, 'train')).toThrow(/HandHand[/\\]RSS_humanXX\.csv:3: block of b at 20 cm spans 900 s/);
  });

  it('mitll: RSSI 127 dropped in both views; the fit uses time differences, the classifier Unix time', () => {
    const d = miniData();
    const fit = loadMitll(d, 100);
    // Core Foundation time is UTC: 16:47:38 on the log's EDT wall clock is 20:47:38 UTC
    expect(fit.map((g) => [g.txPhone, Array.from(g.rssi), Array.from(g.tMs)])).toEqual([['TestPhone3', [-80], [610404458.5 * 1000]]]);
    expect(mitllObservations(d)).toEqual([
      { timestampMs: Date.UTC(2020, 4, 5, 20, 47, 38, 500), receiver: 'mitll-courtyard:iPhone', transmitter: 'mitll-courtyard:TestPhone3', rssi: -80, receiverModel: 'iPhone12,1', distanceM: 1.83 },
    ]);
  });

  describe.runIf(existsSync(join(DATA, 'pc-ng-rss-smartphone')))('on the real pc-ng files', () => {
    it('the fit (without subsampling) and the classifier view hold the same readings', () => {
      const fit = loadPcng(DATA, Infinity);
      const obs = [...pcngObservations(DATA, 'train'), ...pcngObservations(DATA, 'test')];
      const hist = (xs: Iterable<number>) => {
        const h = new Map<number, number>();
        for (const x of xs) h.set(x, (h.get(x) ?? 0) + 1);
        return [...h].sort((a, b) => a[0] - b[0]);
      };
      expect(obs.length).toBeGreaterThan(100_000);
      expect(hist(fit.flatMap((g) => Array.from(g.rssi)))).toEqual(hist(obs.map((r) => r.rssi)));
    });
  });
});

describe('scripts/convert-datasets.ts', () => {
  function convert(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'scripts/convert-datasets.ts', ...args], { cwd: ROOT }, (err, stdout, stderr) => {
        resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
      });
    });
  }

  it('writes the five sets; a malformed file exits 2 naming file and line, leaving earlier output as it was', async () => {
    const d = miniData();
    const out = join(tmp(), 'out');
    const ok = await convert(d, out);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['herald-edison-A', 'herald-edison-B', 'mitll-static-configs', 'pc-ng-test', 'pc-ng-train']);
    const before = readFileSync(join(out, 'herald-edison-A', 'truth.csv'), 'utf8');
    expect(before.split('\n')[1]).toBe(`${Date.UTC(2021, 0, 1, 10)},herald:P2,herald:Denmark,0.01`);

    writeFileSync(join(d, 'mitll-static-configs', 'courtyard_2020-05-05', 'iPhone', 'log_x_90.txt'), `${DEVICE_LINE}\nt,Bluetooth,U,-80,TestPhone3,8.0,later\n`);
    writeFileSync(join(d, 'herald-edison', '20210101-0000-A.csv'), `${HERALD_HEADER}\n2021-01-01 10:00:05,-50.0,2\n`);
    const bad = await convert(d, out);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: .*log_x_90\.txt:2: field 'receive time' is not a number: 'later'\n$/);
    expect(readFileSync(join(out, 'herald-edison-A', 'truth.csv'), 'utf8')).toBe(before);
    expect((await convert(d)).code).toBe(2);
  }, 60_000);
});
