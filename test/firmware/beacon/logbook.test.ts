import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  exportObservations,
  exportPresence,
  exportTrace,
  Logbook,
  openLogbookDb,
  openLogbookReadonly,
  presenceEstimate,
  presenceReport,
  TX_POWER_NOT_PRESENT,
} from '../../../firmware/beacon/logbook.ts';
import { buildAndroidFrame, buildIBeaconFrame, buildIosFrame } from '../../../firmware/protocol/frames.ts';
import { MockAir } from '../../../firmware/radio/mockRadio.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'bz-logbook-'));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const ID = (n: number) => {
  const b = Buffer.alloc(12, 0xab);
  b.writeUInt32BE(n, 8);
  return new Uint8Array(b);
};
const DAY = Date.parse('2026-11-23T00:00:00Z');
const AT = (hhmmss: string) => Date.parse(`2026-11-23T${hhmmss}Z`);
const report = (id: Uint8Array, ts: number, rssi = -70) => ({ address: '11:22:33:44:55:66', advData: buildAndroidFrame(id), rssi, timestampMs: ts });

describe('Logbook', () => {
  it('stores Bluezone Android sightings once per ID per 5 s, in the trace_info layout', () => {
    const db = openLogbookDb(join(tmp(), 'l.db'));
    const own = ID(999);
    const lb = new Logbook({ db, receiver: 'door-1', ownIdAt: () => own });
    const t = AT('08:00:00');
    expect(lb.handleReport(report(ID(1), t))).toBe('stored');
    expect(lb.handleReport(report(ID(1), t + 4999))).toBe('duplicate');
    expect(lb.handleReport(report(ID(2), t + 100))).toBe('stored');
    expect(lb.handleReport(report(ID(1), t + 5000))).toBe('stored');
    expect(lb.handleReport({ ...report(ID(3), t), advData: buildIBeaconFrame() })).toBe('ignored');
    expect(lb.handleReport({ ...report(ID(3), t), advData: buildIosFrame() })).toBe('ignored');
    expect(lb.handleReport({ ...report(ID(3), t), advData: new Uint8Array([0xff, 0x00, 0x01]) })).toBe('ignored');
    lb.close();
    expect(lb.stats).toMatchObject({ reports: 7, stored: 3, committed: 3, duplicates: 1, iosSeen: 1, otherFrames: 2 });
    const rows = db.prepare('SELECT * FROM trace_info ORDER BY _id').all() as Record<string, unknown>[];
    expect(Object.keys(rows[0])).toEqual(['_id', 'blid', 'blid_contact', 'macid', 'rssi', 'tx_power', 'state', 'timestamp', 'receiver', 'platform']);
    expect(rows.map((r) => (r.blid_contact as Buffer).readUInt32BE(8))).toEqual([1, 2, 1]);
    expect(rows[0]).toMatchObject({ macid: null, rssi: -70, tx_power: TX_POWER_NOT_PRESENT, state: 0, timestamp: t, receiver: 'door-1', platform: 'Android' });
    expect(Buffer.from(rows[0].blid as Buffer)).toEqual(Buffer.from(own));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
  });

  it('commits in batches: at flush_rows, and after flush_ms at the latest', async () => {
    const path = join(tmp(), 'b.db');
    const db = openLogbookDb(path);
    const commits: number[] = [];
    const lb = new Logbook({ db, receiver: 'r', flushRows: 3, flushMs: 30, onCommit: (n) => commits.push(n) });
    const reader = new Database(path, { readonly: true });
    const count = () => (reader.prepare('SELECT count(*) AS n FROM trace_info').get() as { n: number }).n;
    for (let i = 0; i < 4; i++) lb.handleReport(report(ID(i), AT('09:00:00') + i));
    expect(commits).toEqual([3]);
    expect(count()).toBe(3); // another connection sees the committed batch
    await new Promise((r) => setTimeout(r, 80));
    expect(commits).toEqual([3, 4]);
    expect(count()).toBe(4);
    reader.close();
  });

  it('through the mock radio: a scanner feeding the logbook', async () => {
    const db = openLogbookDb(join(tmp(), 'm.db'));
    const lb = new Logbook({ db, receiver: 'r' });
    const air = new MockAir({ now: () => AT('10:00:00') });
    const sc = air.createScanner();
    sc.on('report', (r) => lb.handleReport(r));
    sc.open();
    await new Promise((r) => setTimeout(r, 0));
    await sc.start(true);
    const phone = air.createPeer();
    for (let i = 0; i < 10; i++) phone.emitAdvert(buildAndroidFrame(ID(7)), -55, AT('10:00:00') + i * 1000);
    lb.flush();
    expect((db.prepare('SELECT timestamp FROM trace_info').all() as { timestamp: number }[]).map((r) => r.timestamp - AT('10:00:00'))).toEqual([0, 5000]);
  });

  it('loses nothing it acknowledged when killed with SIGKILL mid-stream', async () => {
    const path = join(tmp(), 'k.db');
    const fixture = fileURLToPath(new URL('./fixtures/logbookWriter.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), fixture, path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let acked = 0;
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const killedAt = await new Promise<number>((resolve, reject) => {
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`writer never acknowledged 2000 rows: ${err}`));
      }, 30_000);
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines) {
          const m = /^committed (\d+)$/.exec(l);
          if (m) acked = Number(m[1]);
        }
        if (acked >= 2000 && child.exitCode === null && !child.killed) {
          clearTimeout(t);
          child.kill('SIGKILL'); // no chance to flush or close
          resolve(acked);
        }
      });
    });
    await new Promise((r) => child.once('exit', r));
    expect(child.signalCode).toBe('SIGKILL');
    const db = new Database(path);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const n = (db.prepare('SELECT count(*) AS n FROM trace_info').get() as { n: number }).n;
    expect(n).toBeGreaterThanOrEqual(killedAt);
    // Committed rows are whole batches in order: ids 0..n-1 without gaps.
    const max = (db.prepare('SELECT max(_id) AS m FROM trace_info').get() as { m: number }).m;
    expect(max).toBe(n);
    db.close();
  });
});

describe('exports and presence', () => {
  function fixture() {
    const path = join(tmp(), 'e.db');
    const db = openLogbookDb(path);
    const lb = new Logbook({ db, receiver: 'door', ownIdAt: (ms) => (ms < AT('08:15:00') ? ID(100) : ID(101)) });
    // Phone A: IDs 1 (slot 32) then 2 (slot 33), and its old ID 1 lingers 30 s past 08:15 (Android lag).
    lb.handleReport(report(ID(1), AT('08:10:00'), -60));
    lb.handleReport(report(ID(1), AT('08:14:00'), -58));
    lb.handleReport(report(ID(1), AT('08:15:30'), -61));
    lb.handleReport(report(ID(2), AT('08:16:00'), -62));
    // Phone B in slot 33 only; phone C in slot 40; phone D the previous day (not counted).
    lb.handleReport(report(ID(3), AT('08:20:00'), -80));
    lb.handleReport(report(ID(4), AT('10:00:00'), -75));
    lb.handleReport(report(ID(5), DAY - 1000, -75));
    lb.close();
    db.close();
    return openLogbookReadonly(path);
  }

  it('data_trace.txt: HEX(own) TAB HEX(contact) TAB rssi TAB timestamp_ms, one day', () => {
    const db = fixture();
    const lines = [...exportTrace(db, DAY)];
    expect(lines).toHaveLength(6);
    expect(lines[0]).toBe(`${Buffer.from(ID(100)).toString('hex').toUpperCase()}\t${Buffer.from(ID(1)).toString('hex').toUpperCase()}\t-60\t${AT('08:10:00')}\n`);
    expect([...exportTrace(db)]).toHaveLength(7);
  });

  it('observation CSV in the shared format', () => {
    const db = fixture();
    const lines = [...exportObservations(db, DAY)];
    expect(lines[0]).toBe('timestamp_ms,receiver,transmitter,rssi,tx_power,receiver_model,transmitter_model\n');
    expect(lines[1]).toBe(`${AT('08:10:00')},door,ABABABABABABABAB00000001,-60,,,bluezone-android\n`);
  });

  it('presence: distinct IDs per slot, lagging IDs not double counted, estimate bounds', () => {
    const db = fixture();
    const rows = presenceReport(db, DAY);
    expect(rows).toHaveLength(96);
    expect(rows[32]).toMatchObject({ slot: 32, distinctIds: 1, sightings: 2, strongestRssi: -58 });
    expect(rows[33]).toMatchObject({ distinctIds: 2, carriedOver: 1, sightings: 3 });
    expect(rows[40]).toMatchObject({ distinctIds: 1, sightings: 1 });
    expect(rows[0].distinctIds).toBe(0);
    const e = presenceEstimate(rows, 2);
    expect(e).toMatchObject({ lower: 2, upper: 4 });
    expect(e.visitors).toBe(Math.round(4 / (1 + 2 / 15)));
    expect(presenceEstimate(rows, 60).visitors).toBe(2); // long stays: clamped to the busiest slot
    const csv = [...exportPresence(db, DAY)];
    expect(csv[0]).toBe('date,slot,start_utc,end_utc,distinct_ids,carried_over,sightings,strongest_rssi\n');
    expect(csv[34]).toBe('2026-11-23,33,08:15,08:30,2,1,3,-61\n');
    expect(csv[96]).toBe('2026-11-23,95,23:45,24:00,0,0,0,\n');
    expect(rows[33]).toMatchObject({ slot: 33, startMs: AT('08:15:00'), distinctIds: 2 });
  });

  it('refuses a file that is not a logbook', () => {
    const p = join(tmp(), 'other.db');
    new Database(p).exec('CREATE TABLE x (a)');
    expect(() => openLogbookReadonly(p)).toThrow(/not a Bluezone logbook/);
    expect(() => openLogbookReadonly(join(tmp(), 'missing.db'))).toThrow(/cannot open the logbook/);
  });
});
