// `scan report --period day|week` over a week of logbook at an agency's door (issue 17 "done when"):
// the HTML page, the CSV and the JSON; own beacon and the phone on the desk never counted; bad input exit 2.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cli, ROOT, tempDirs } from '../helpers/cli.ts';
import { Logbook, openLogbookDb } from '../../firmware/beacon/logbook.ts';
import { loadOrCreateKey } from '../../firmware/beacon/state.ts';
import { buildAndroidFrame } from '../../firmware/protocol/frames.ts';
import { bluezoneIdAt } from '../../firmware/protocol/keys.ts';
import { TZ, writeDoorLogbook, type DoorDay } from '../e2e/presenceFixture.ts';

const tmp = tempDirs('bz-cli-scanreport-');
let fixture: { dir: string; dbPath: string; days: DoorDay[] };

// the report's "now": Monday 2026-11-30 10:00 local, a day after the fixture's last day
const NOW = 'start=2026-11-30T03:00:00Z,speed=1';
const saved = process.env.BLUEZONE_TEST_CLOCK;
afterEach(() => {
  if (saved === undefined) delete process.env.BLUEZONE_TEST_CLOCK;
  else process.env.BLUEZONE_TEST_CLOCK = saved;
});

beforeAll(() => {
  // its own folder: tempDirs() empties after each test, this one lives for the file
  const dir = mkdtempSync(join(tmpdir(), 'bz-cli-scanreport-week-'));
  // Sunday 22 (the previous ISO week) to Sunday 29 November: 8 local days
  fixture = { dir, ...writeDoorLogbook(dir, '2026-11-22', 8) };
}, 120_000);
afterAll(() => rmSync(fixture.dir, { recursive: true, force: true }));

const day = (date: string) => fixture.days.find((d) => d.date === date)!;

describe('bluezone scan report --period week', () => {
  it('over 7 days of logbook writes the HTML page, the CSV and the JSON; every day holds its visitors within bounds', async () => {
    process.env.BLUEZONE_TEST_CLOCK = NOW;
    const out = join(fixture.dir, 'week');
    const csv = join(fixture.dir, 'week.csv');
    const r = await cli('scan', 'report', '--db', fixture.dbPath, '--period', 'week', '--date', '2026-11-25', '--tz', TZ, '--out', out, '--csv', csv, '--site', 'HQ lobby', '--json');
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.files).toEqual([join(out, 'plots', 'presence-week.svg'), join(out, 'plots', 'presence-week.png'), join(out, 'presence-week.html'), csv]);
    for (const f of j.files) expect(existsSync(f), f).toBe(true);
    expect(j).toMatchObject({ period: 'week', week: '2026-W48', tz: TZ, site: 'HQ lobby' });
    expect(j.days.map((d: { date: string }) => d.date)).toEqual(['2026-11-23', '2026-11-24', '2026-11-25', '2026-11-26', '2026-11-27', '2026-11-28', '2026-11-29']);
    let sum = 0;
    for (const d of j.days) {
      const want = day(d.date);
      expect(d.status).toBe('complete');
      // upper = the exact (phone, slot) pairs of the visitors: our beacon and the desk phone never counted
      expect(d.upper, d.date).toBe(want.phoneSlots);
      expect(d.lower).toBeLessThanOrEqual(want.visitors);
      expect(d.upper).toBeGreaterThanOrEqual(want.visitors);
      expect(d.stationary_excluded).toBe(['2026-11-28', '2026-11-29'].includes(d.date) ? 0 : 1);
      sum += d.phones;
    }
    expect(j.total.phones).toBe(sum);
    expect(j.previous).toMatchObject({ week: '2026-W47' }); // Sunday 22 is in the fixture
    expect(j.previous.phones).toBeGreaterThan(0);
    const lines = readFileSync(csv, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('week,date,tz,phones,lower,upper,android,ios,peak_hour_local,stationary_excluded,head_count,share_pct,complete');
    expect(lines).toHaveLength(8);
    expect(lines[1]).toMatch(new RegExp(`^2026-W48,2026-11-23,${TZ},${j.days[0].phones},${j.days[0].lower},${j.days[0].upper},`));
    const html = readFileSync(join(out, 'presence-week.html'), 'utf8');
    expect(html).toContain('2026-W48');
    expect(html).toContain('stationary');
    expect(html).toContain('previous week');
  });

  it('a week still running: days not begun are absent (not zero) from CSV, JSON and chart', async () => {
    process.env.BLUEZONE_TEST_CLOCK = 'start=2026-11-25T05:00:00Z,speed=1'; // Wednesday 12:00 local
    const out = join(fixture.dir, 'week-running');
    const r = await cli('scan', 'report', '--db', fixture.dbPath, '--period', 'week', '--tz', TZ, '--date', '2026-11-25', '--out', out, '--json', '--csv', join(fixture.dir, 'w.csv'));
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.days.map((d: { status: string }) => d.status)).toEqual(['complete', 'complete', 'partial', 'future', 'future', 'future', 'future']);
    expect(j.days[3]).not.toHaveProperty('phones');
    expect(readFileSync(join(fixture.dir, 'w.csv'), 'utf8').trimEnd().split('\n')).toHaveLength(4);
    const svg = readFileSync(join(out, 'plots', 'presence-week.svg'), 'utf8');
    expect(svg).not.toMatch(/aria-label="[^"]*Thu 26\/11; phones per day[^"]*"/); // no bar for Thursday
    expect(svg).toContain('Thu 26/11'); // but the axis has its place
    // compared with the previous week up to the same time of the week (Wednesday 12:00 local), where the
    // fixture has no rows yet (it starts on Sunday 22)
    // (the test clock runs at speed 1 from its start: "now" is a few ms past 05:00:00)
    expect(j.previous).toMatchObject({ week: '2026-W47', phones: 0 });
    expect(j.previous.up_to).toMatch(/^2026-11-18T05:00:0\d/);
  });
});

describe('bluezone scan report --period day', () => {
  it('per slot in local time and UTC, peak hour, previous day, head count share; slots after now absent', async () => {
    // Tuesday 13:59:30 local: 30 s before a slot boundary, so the clock's few ms (or, on a loaded machine,
    // a second or more) of running never start the 14:00 slot (starting exactly at 14:00 it did under load)
    process.env.BLUEZONE_TEST_CLOCK = 'start=2026-11-24T06:59:30Z,speed=1';
    const out = join(fixture.dir, 'day');
    const r = await cli('scan', 'report', '--db', fixture.dbPath, '--date', '2026-11-24', '--tz', TZ, '--out', out, '--head-count', '150', '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ period: 'day', date: '2026-11-24', from_utc: '2026-11-23T17:00:00Z', to_utc: '2026-11-24T17:00:00Z', complete: false, head_count: 150 });
    expect(j.slots).toHaveLength(56); // 00:00-13:59 local; the 40 later slots are absent, not zero
    expect(j.slots[0]).toMatchObject({ start_local: '00:00', start_utc: '2026-11-23T17:00:00Z' });
    expect(j.slots.at(-1).start_local).toBe('13:45');
    expect(j.share_pct).toBe(Math.round((1000 * j.estimate.phones) / 150) / 10);
    // the day is still running: the previous day is counted up to the same time of day (13:59:30 local)
    expect(j.previous).toMatchObject({ date: '2026-11-23' });
    expect(j.previous.up_to).toMatch(/^2026-11-23T06:59:[3-5]\d/); // the test clock runs at speed 1
    const before = day('2026-11-23').slotIndexes.filter((i) => i * 900_000 < Date.parse(j.previous.up_to)).length;
    expect(before).toBeLessThan(day('2026-11-23').phoneSlots);
    expect(j.previous.upper).toBe(before);
    expect(j.peak_hour.start_local).toMatch(/^(0[89]|1[0-3]):00$/);
    expect(j.own_beacon_sightings).toBeGreaterThan(0);
    expect(j.slots.every((s: { own_beacon_ids: number }) => s.own_beacon_ids === 1)).toBe(true);
    const html = readFileSync(join(out, 'presence.html'), 'utf8');
    expect(html).toContain('Asia/Ho_Chi_Minh');
    expect(html).toContain('17:00 UTC');
    expect(html).toMatch(/share running Bluezone/);
    expect(html).toContain('2026-11-23 up to the same time (13:59)');
  });

  it('CSV to stdout with --csv -; the only-our-beacon night reports 0 phones', async () => {
    process.env.BLUEZONE_TEST_CLOCK = NOW;
    const r = await cli('scan', 'report', '--db', fixture.dbPath, '--date', '2026-11-29', '--tz', TZ, '--out', join(fixture.dir, 'd2'), '--csv', '-');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('date,tz,slot_start_local,slot_start_utc,phones,android,ios,stationary_excluded,own_beacon_ids');
    expect(lines).toHaveLength(97);
    // before 08:00 local only our beacon is on the air: 0 phones in every slot
    expect(lines.slice(1, 33).every((l) => l.split(',')[4] === '0')).toBe(true);
  });

  it('bad input: exit 2 naming the option', async () => {
    const o = join(fixture.dir, 'bad');
    const cases: [string[], RegExp][] = [
      [['--period', 'month'], /--period/],
      [['--tz', 'Mars/Olympus'], /--tz: unknown time zone "Mars\/Olympus"/],
      [['--head-count', '-3'], /--head-count: "-3"/],
      [['--date', '2026-02-30'], /--date: "2026-02-30" is not a date/],
      [['--csv', '-', '--json'], /--csv - and --json/],
    ];
    for (const [args, msg] of cases) {
      const r = await cli('scan', 'report', '--db', fixture.dbPath, '--out', o, ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
    const empty = join(fixture.dir, 'empty.db');
    openLogbookDb(empty).close();
    const none = await cli('scan', 'report', '--db', empty, '--out', o);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/has no rows yet; pass the day to report with --date/);
    const missing = await cli('scan', 'report', '--db', join(fixture.dir, 'nope.db'), '--out', o);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot open the logbook \(no such file\)/);
  });
});

describe('bluezone scan report --state-dir (the beacon key on this device)', () => {
  it('recognises our beacon in rows logged without the key', async () => {
    const dir = tmp();
    const stateDir = join(dir, 'state');
    const { key } = loadOrCreateKey(stateDir, Date.parse('2026-11-20T00:00:00Z'));
    const db = openLogbookDb(join(dir, 'logbook.db'));
    const lb = new Logbook({ db, receiver: 'door' }); // no ownIdAt: the blid column stays empty
    // our beacon heard for 40 minutes only (the scanner was started late): too short to be stationary
    for (let t = Date.parse('2026-11-24T02:00:00Z'); t < Date.parse('2026-11-24T02:40:00Z'); t += 10_000) {
      lb.handleReport({ address: 'b', advData: buildAndroidFrame(bluezoneIdAt(key.secret(), key.baseDateMs, t).id), rssi: -45, timestampMs: t });
    }
    lb.close();
    db.close();
    process.env.BLUEZONE_TEST_CLOCK = NOW;
    const args = ['scan', 'report', '--db', join(dir, 'logbook.db'), '--date', '2026-11-24', '--tz', 'UTC', '--out', join(dir, 'r'), '--json'];
    const without = JSON.parse((await cli(...args)).stdout);
    expect(without.estimate.upper).toBe(3); // counted as a phone in each of its 3 slots
    const withKey = await cli(...args, '--state-dir', stateDir);
    expect(withKey.code, withKey.stderr).toBe(0);
    const j = JSON.parse(withKey.stdout);
    expect(j.estimate).toMatchObject({ phones: 0, upper: 0 });
    expect(j.own_beacon_sightings).toBe(240);
  });
});

// Issue 17: a readable logbook in a folder the user cannot write opened read-only, not "not a Bluezone
// logbook". Tests run as root here, where permissions do not bite, so the command runs as `nobody`
// (setpriv) on a copy in a 0555 folder with the file 0644, like /var/lib/bluezone read by an operator.
const asNobody = process.getuid?.() === 0 && existsSync('/usr/bin/setpriv');
const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];
// uid 65534 runs this checkout's bin/bluezone.js, so it must be able to read it: a checkout inside a folder
// only root can enter (mktemp -d is 0700) cannot be tested this way, and the test says so and skips.
const readable = asNobody && spawnSync('/usr/bin/setpriv', [...NOBODY, 'test', '-r', join(ROOT, 'bin', 'bluezone.js')]).status === 0;
if (asNobody && !readable) console.warn(`scanReport: skipping the uid 65534 cases: ${ROOT} is not readable by uid 65534 (a parent folder is closed)`);
const asNobodyArgs = NOBODY;
describe.skipIf(!readable)('bluezone scan report without write access (as uid 65534 through setpriv)', () => {
  const setup = () => {
    const base = tmp();
    chmodSync(base, 0o755);
    const ro = join(base, 'state');
    mkdirSync(ro);
    const [only] = writeDoorLogbook(ro, '2026-11-24', 1).days;
    chmodSync(join(ro, 'logbook.db'), 0o644);
    chmodSync(ro, 0o555);
    const out = join(base, 'out');
    mkdirSync(out);
    chmodSync(out, 0o777);
    const run = (db: string) =>
      spawnSync('/usr/bin/setpriv', [...asNobodyArgs, process.execPath, 'bin/bluezone.js', 'scan', 'report', '--db', db, '--tz', TZ, '--out', join(out, 'r'), '--json'], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, HOME: out, BLUEZONE_TEST_CLOCK: NOW, TSX_DISABLE_CACHE: '1' },
      });
    return { ro, only, run };
  };

  it('reads a logbook in a 0555 folder (no -shm or -wal written beside it)', () => {
    const { ro, only, run } = setup();
    const r = run(join(ro, 'logbook.db'));
    expect(r.stderr).not.toMatch(/not a Bluezone logbook/);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ date: '2026-11-24', estimate: { upper: only.phoneSlots } });
    expect(existsSync(join(ro, 'logbook.db-shm'))).toBe(false); // nothing written beside it
    chmodSync(ro, 0o755);
  }, 120_000);

  it('says "permission denied" for a 0700 folder', () => {
    const { ro, run } = setup();
    chmodSync(ro, 0o700);
    const denied = run(join(ro, 'logbook.db'));
    expect(denied.status).toBe(2);
    expect(denied.stderr).toMatch(/permission denied/);
    chmodSync(ro, 0o755);
  }, 120_000);
});
