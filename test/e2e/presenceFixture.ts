// A logbook of several days at an agency's door (Asia/Ho_Chi_Minh, UTC+7), written through the real
// Logbook: our own beacon all day (its key known to the logbook), a phone left on a desk on working
// days, and seeded visitors (Android, and iPhones whose ID was read over GATT) in opening hours.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Logbook, openLogbookDb } from '../../firmware/beacon/logbook.ts';
import { mulberry32 } from '../../firmware/hci/airModel.ts';
import { buildAndroidFrame } from '../../firmware/protocol/frames.ts';
import { bluezoneIdAt, DAY_MS, SLOT_MS } from '../../firmware/protocol/keys.ts';

export const TZ = 'Asia/Ho_Chi_Minh';
const OFFSET_MS = 7 * 3_600_000;
const BASE_DATE = Date.parse('2026-11-01T00:00:00Z');
/** A scripted phone's (or beacon's) base key, from a seed. */
export const keyOf = (seed: number) => new Uint8Array(createHash('sha256').update(`phone ${seed}`).digest());
// bluezoneIdAt walks the daily-key hash chain from the base date: once per key, base date and slot is enough
const ids = new Map<string, Uint8Array>();
/** The BluezoneID of key (base date baseDateMs) at ms, cached per slot. */
export function cachedIdAt(key: Uint8Array, baseDateMs: number, ms: number): Uint8Array {
  const k = `${Buffer.from(key).toString('hex')}:${baseDateMs}:${Math.floor(ms / SLOT_MS)}`;
  let id = ids.get(k);
  if (!id) ids.set(k, (id = bluezoneIdAt(key, baseDateMs, ms).id));
  return id;
}
const idAt = (key: Uint8Array, ms: number) => cachedIdAt(key, BASE_DATE, ms);

export interface DoorDay {
  /** Local date. */
  date: string;
  visitors: number;
  /** (phone, UTC slot) pairs the visitors were heard in: the exact sum of the day's slot counts. */
  phoneSlots: number;
  /** The UTC slot index (start / 15 min) of each of those (phone, slot) pairs. */
  slotIndexes: number[];
  ios: number;
}

/**
 * Writes `days` local days starting at `firstDate` (local) into dir/logbook.db. Visitors per day: 20 + 5 *
 * weekday index; each stays 2-8 minutes between 08:00 and 17:00 local, heard every 5-15 s.
 */
export function writeDoorLogbook(dir: string, firstDate: string, days: number, seed = 7): { dbPath: string; days: DoorDay[] } {
  const dbPath = join(dir, 'logbook.db');
  const db = openLogbookDb(dbPath);
  db.pragma('synchronous = OFF');
  const ownKey = keyOf(1);
  const lb = new Logbook({ db, receiver: 'door', flushRows: 50_000, ownIdAt: (ms) => idAt(ownKey, ms) });
  const rand = mulberry32(seed);
  const out: DoorDay[] = [];
  let phone = 0;
  for (let d = 0; d < days; d++) {
    const localMidnight = Date.parse(firstDate + 'T00:00:00Z') + d * DAY_MS - OFFSET_MS;
    const date = new Date(localMidnight + OFFSET_MS).toISOString().slice(0, 10);
    const weekday = (new Date(date + 'T00:00:00Z').getUTCDay() + 6) % 7; // 0 = Monday
    const events: { ms: number; id: Uint8Array; rssi: number; ios: boolean }[] = [];
    // our beacon: a row every 30 s all day (the scanner logs it every 5 s; fewer rows keep the test quick)
    for (let ms = localMidnight; ms < localMidnight + DAY_MS; ms += 30_000) events.push({ ms, id: idAt(ownKey, ms), rssi: -45, ios: false });
    // a phone on the desk by the door on working days, 07:50-17:35 local, heard every 20 s
    if (weekday < 5) {
      const deskKey = keyOf(2);
      for (let ms = localMidnight + 7 * 3_600_000 + 50 * 60_000; ms < localMidnight + 17 * 3_600_000 + 35 * 60_000; ms += 20_000) events.push({ ms, id: idAt(deskKey, ms), rssi: -62, ios: false });
    }
    const n = weekday < 5 ? 20 + 5 * weekday : 6;
    const slots = new Set<string>();
    let ios = 0;
    for (let v = 0; v < n; v++) {
      const key = keyOf(1000 + phone++);
      const isIos = rand() < 0.3;
      if (isIos) ios++;
      const start = localMidnight + 8 * 3_600_000 + Math.floor(rand() * 9 * 3_600_000);
      const end = start + 120_000 + Math.floor(rand() * 360_000);
      const rssi = -55 - Math.floor(rand() * 30);
      for (let ms = start; ms < end; ms += 5000 + Math.floor(rand() * 10_000)) {
        events.push({ ms, id: idAt(key, ms), rssi, ios: isIos });
        slots.add(`${phone}:${Math.floor(ms / SLOT_MS)}`);
      }
    }
    events.sort((a, b) => a.ms - b.ms);
    for (const e of events) {
      if (e.ios) lb.storeIos(e.id, e.rssi, e.ms);
      else lb.handleReport({ address: '00:11:22:33:44:55', advData: buildAndroidFrame(e.id), rssi: e.rssi, timestampMs: e.ms });
    }
    out.push({ date, visitors: n, phoneSlots: slots.size, slotIndexes: [...slots].map((k) => Number(k.split(':')[1])), ios });
  }
  lb.close();
  db.close();
  return { dbPath, days: out };
}
