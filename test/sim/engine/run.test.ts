import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyAdvert } from '../../../firmware/protocol/frames.ts';
import { toHex } from '../../../firmware/protocol/hex.ts';
import { runSimulation, type RunResult } from '../../../sim/run.ts';
import { parseScenarioText } from '../../../sim/scenario/load.ts';
import { crc24 } from '../../../sim/sinks/pcap.ts';
import { readDelimited } from '../../../records/proto/index.ts';

// One Android phone, two iPhones seated 1 m apart, a scanning Pi beacon 3 m away; 20 simulated minutes.
const SCENARIO = `
name: seated
start: "2026-03-02T08:00:00Z"
duration: 20m
environment: lobby
area: {width: 20, height: 10}
beacons:
  - {name: pi, x: 2.5, y: 5, intervalMs: 100, scan: true}
places:
  entrance: {point: [6, 9], jitterM: 0}
  chairs: {points: [[5, 5], [6, 5], [7, 5]]}
groups:
  - {name: and, count: 1, phones: {android: 1}, carriage: {hand: 1}, arrive: {at: "+0s"}, plan: [{sit: chairs}]}
  - {name: ios, count: 2, phones: {ios: 1}, carriage: {pocket: 1}, arrive: {at: "+0s"}, plan: [{sit: chairs}]}
`;

const scenario = parseScenarioText(SCENARIO, 'seated.yaml');

interface Row {
  t: number;
  rx: string;
  tx: string;
  rssi: number;
}
function readRows(dir: string): Row[] {
  return readFileSync(join(dir, 'observations.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => {
      const f = l.split(',');
      return { t: Number(f[0]), rx: f[1], tx: f[2], rssi: Number(f[3]) };
    });
}
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

async function run(seed: number, extra: Partial<Parameters<typeof runSimulation>[1]> = {}): Promise<{ dir: string; r: RunResult }> {
  const dir = mkdtempSync(join(tmpdir(), 'sim-'));
  const r = await runSimulation(scenario, { seed, outDir: dir, pcapPath: join(dir, 'air.pcap'), report: false, ...extra });
  return { dir, r };
}

describe('runSimulation', () => {
  let a: { dir: string; r: RunResult };
  it('runs and writes the agreed files', async () => {
    a = await run(5);
    for (const f of ['summary.json', 'timing.json', 'observations.csv', 'truth.csv', 'windows.csv', 'contacts_truth.csv', 'ids.csv', 'devices.csv']) {
      expect(readFileSync(join(a.dir, f)).length).toBeGreaterThan(0);
    }
    expect(readFileSync(join(a.dir, 'observations.csv'), 'utf8').split('\n')[0]).toBe('timestamp_ms,receiver,transmitter,rssi,tx_power,receiver_model,transmitter_model');
    expect(a.r.stats.pairEvaluations).toBeGreaterThan(1000);
    expect(a.r.stats.observations).toBeGreaterThan(100);
  }, 30_000);

  it('is byte-identical for the same seed and differs for another seed', async () => {
    const b = await run(5);
    for (const f of ['observations.csv', 'truth.csv', 'windows.csv', 'contacts_truth.csv', 'ids.csv', 'devices.csv', 'summary.json', 'air.pcap']) {
      expect(sha(join(b.dir, f)), f).toBe(sha(join(a.dir, f)));
    }
    const c = await run(6);
    expect(sha(join(c.dir, 'observations.csv'))).not.toBe(sha(join(a.dir, 'observations.csv')));
  }, 60_000);

  it('the report is byte-identical for the same seed too (wall-clock figures stay in timing.json)', async () => {
    const [p, q] = [await run(5, { report: true, durationMs: 120_000 }), await run(5, { report: true, durationMs: 120_000 })];
    expect(readFileSync(join(p.dir, 'report.html'), 'utf8')).toContain('<svg');
    expect(sha(join(q.dir, 'report.html'))).toBe(sha(join(p.dir, 'report.html')));
  }, 60_000);

  it('observations are sorted by time and truth.csv has the same rows with true distances', () => {
    const rows = readRows(a.dir);
    for (let i = 1; i < rows.length; i++) expect(rows[i].t).toBeGreaterThanOrEqual(rows[i - 1].t);
    const truth = readFileSync(join(a.dir, 'truth.csv'), 'utf8').trim().split('\n').slice(1);
    expect(truth.length).toBe(rows.length);
    truth.forEach((l, i) => {
      const [t, rx, tx, d] = l.split(',');
      expect([Number(t), rx, tx]).toEqual([rows[i].t, rows[i].rx, rows[i].tx]);
      // seated on chairs 1 m apart (or the beacon 2-4 m away) once they sat down after ~5 s
      if (rows[i].t - Date.parse('2026-03-02T08:00:00Z') > 20_000) expect([1, 2, 2.5, 3.5, 4.5]).toContain(Number(d));
    });
  });

  it('logs a peer at most once per 5 s, as Bluezone does (bluezone-protocol.md 4.3)', () => {
    const last = new Map<string, number>();
    for (const r of readRows(a.dir)) {
      const k = `${r.rx}>${r.tx}`;
      const p = last.get(k);
      if (p !== undefined && Math.floor(p / 900_000) === Math.floor(r.t / 900_000)) expect(r.t - p).toBeGreaterThanOrEqual(5000);
      last.set(k, r.t);
    }
  });

  it('Android scans 40 s in every 300 s; background iOS never logs iOS', () => {
    const rows = readRows(a.dir);
    const android = rows.filter((r) => r.rx === 'and-1').map((r) => r.t);
    expect(android.length).toBeGreaterThan(10);
    const clusters: number[][] = [];
    for (const t of android) {
      const c = clusters[clusters.length - 1];
      if (c && t - c[c.length - 1] < 60_000) c.push(t);
      else clusters.push([t]);
    }
    expect(clusters.length).toBeGreaterThanOrEqual(3);
    expect(clusters.length).toBeLessThanOrEqual(5);
    for (const c of clusters) expect(c[c.length - 1] - c[0]).toBeLessThanOrEqual(40_000);
    expect(rows.filter((r) => r.rx.startsWith('ios') && r.tx.startsWith('ios'))).toEqual([]);
    expect(rows.some((r) => r.rx.startsWith('ios') && r.tx === 'and-1')).toBe(true);
    expect(rows.some((r) => r.rx === 'and-1' && r.tx.startsWith('ios'))).toBe(true);
  });

  it('ground truth: 20 min seated 1 m apart is a close contact, the beacon 2+ m away is not', () => {
    const s = a.r.summary as { contacts_truth: { close_contacts: { a: string; b: string; minutes: number }[] } };
    const cc = s.contacts_truth.close_contacts;
    expect(cc.length).toBeGreaterThanOrEqual(2);
    for (const c of cc) {
      expect(c.minutes).toBeGreaterThanOrEqual(15);
      expect([c.a, c.b]).not.toContain('pi');
    }
    const csv = readFileSync(join(a.dir, 'contacts_truth.csv'), 'utf8').split('\n');
    expect(csv[0]).toBe('day,device_a,device_b,minutes_within_2m,close_contact');
  });

  it('the pcap holds every advertising packet with a valid CRC and the real rotating BluezoneID', () => {
    const b = readFileSync(join(a.dir, 'air.pcap'));
    const ids = new Map<string, Set<string>>();
    for (const l of readFileSync(join(a.dir, 'ids.csv'), 'utf8').trim().split('\n').slice(1)) {
      const [dev, , , id] = l.split(',');
      if (!ids.has(dev)) ids.set(dev, new Set());
      ids.get(dev)!.add(id);
    }
    const allIds = new Set([...ids.values()].flatMap((s) => [...s]));
    let o = 24;
    let n = 0;
    const kinds = new Map<string, number>();
    let lastUs = 0;
    const bad: string[] = [];
    while (o < b.length) {
      const us = b.readUInt32LE(o) * 1e6 + b.readUInt32LE(o + 4);
      if (us < lastUs) bad.push(`record ${n}: time goes back`);
      lastUs = us;
      const len = b.readUInt32LE(o + 8);
      const rec = b.subarray(o + 16, o + 16 + len);
      if (rec[0] !== 0 && rec[0] !== 12 && rec[0] !== 39) bad.push(`record ${n}: RF channel ${rec[0]}`);
      const pkt = rec.subarray(10);
      if (pkt.readUInt32LE(0) !== 0x8e89bed6) bad.push(`record ${n}: access address`);
      const pduLen = pkt[5];
      const crc = crc24(pkt.subarray(4, 6 + pduLen));
      if ((pkt[6 + pduLen] | (pkt[7 + pduLen] << 8) | (pkt[8 + pduLen] << 16)) !== crc) bad.push(`record ${n}: CRC`);
      if (n % 97 === 0) {
        const cls = classifyAdvert(pkt.subarray(12, 6 + pduLen));
        kinds.set(cls.kind, (kinds.get(cls.kind) ?? 0) + 1);
        if (cls.kind === 'bluezone-android' && !allIds.has(toHex(cls.id!))) bad.push(`record ${n}: unknown id`);
      }
      o += 16 + len;
      n++;
    }
    expect(bad.slice(0, 5)).toEqual([]);
    expect(n).toBeLessThanOrEqual(3 * a.r.stats.advEvents);
    expect(n).toBeGreaterThan(3 * a.r.stats.advEvents - 20);
    expect(kinds.get('bluezone-android')).toBeGreaterThan(0);
    expect(kinds.get('bluezone-ios-overflow')).toBeGreaterThan(0);
    expect([...kinds.keys()].sort()).toEqual(['bluezone-android', 'bluezone-ios-overflow']);
  });

  it('Android advertises 15 s on / 15 s off: a continuous scanner hears it in about half the seconds', async () => {
    const { dir } = await run(5, { durationMs: 180_000, pcapPath: undefined, classify: false });
    void dir;
    const s2 = parseScenarioText(SCENARIO.replace('environment: lobby', 'environment: lobby\nlogging: all'), 's.yaml');
    const d2 = mkdtempSync(join(tmpdir(), 'sim-'));
    await runSimulation(s2, { outDir: d2, durationMs: 180_000, classify: false, report: false });
    const heard = new Set(readRows(d2).filter((r) => r.rx === 'pi' && r.tx === 'and-1').map((r) => Math.floor(r.t / 1000)));
    expect(heard.size / 180).toBeGreaterThan(0.35);
    expect(heard.size / 180).toBeLessThan(0.65);
    // background iOS: one report per peripheral per coalesced scan, scans 2-4 s apart (radio-model.md 2.1)
    const ios = readRows(d2).filter((r) => r.rx === 'ios-1' && r.tx === 'pi').map((r) => r.t);
    const gaps = ios.slice(1).map((t, i) => t - ios[i]).sort((p, q) => p - q);
    expect(gaps.length).toBeGreaterThan(30);
    expect(gaps[0]).toBeGreaterThanOrEqual(2000 - 150);
    expect(gaps[gaps.length >> 1]).toBeGreaterThanOrEqual(2000);
    expect(gaps[gaps.length >> 1]).toBeLessThanOrEqual(4150);
  }, 30_000);

  it('--format pb writes the same observations as length-delimited protobuf', async () => {
    const csv = await run(5, { durationMs: 120_000, pcapPath: undefined, classify: false });
    const pb = await run(5, { durationMs: 120_000, pcapPath: undefined, classify: false, format: 'pb' });
    const msgs = readDelimited('Observation', readFileSync(join(pb.dir, 'observations.pb')));
    const rows = readRows(csv.dir);
    expect(msgs.length).toBe(rows.length);
    expect(msgs.map((m) => [Number(m.timestampMs), m.receiver, m.transmitter, m.rssi])).toEqual(rows.map((r) => [r.t, r.rx, r.tx, r.rssi]));
  }, 30_000);

  it('without an output directory it only measures (the benchmark entry)', async () => {
    const r = await runSimulation(scenario, { durationMs: 60_000 });
    expect(r.files).toEqual([]);
    expect(r.stats.simMs).toBe(60_000);
    expect(r.stats.pairEvaluations).toBeGreaterThan(0);
    expect(r.stats.pairsPerSecond).toBeGreaterThan(0);
  });
});
