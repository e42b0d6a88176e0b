// F0 matching against published daily keys (bluezone-protocol.md 6.3, 6.4), and making such
// publications for our own beacon (never the base key: bluezone-protocol.md 9.2). Pure.
import { HexError, fromHexExact, toHex } from './hex.ts';
import { DAY_MS, ID_BYTES, ID_BYTE_OFFSETS, KEY_BYTES, SLOTS_PER_DAY, SUBKEY_SALT, dailyKey, dayIndexAt, sha256, utcMidnight } from './keys.ts';
import { ShortSha256 } from './sha256.ts';
import type { ContactLog } from './traceFormat.ts';

/** One entry of the push's InfoF "data" list (bluezone-protocol.md 6.3). Times: Unix seconds. */
export interface PushEntry {
  daily_key: string;
  time_start: number;
  time_end: number;
  max: number;
}

export interface ParsedPushEntry {
  dailyKey: Uint8Array;
  timeStartS: number;
  timeEndS: number;
  max: number;
}

export interface PublicationError {
  /** JSON path of the fault, e.g. `data[2].daily_key` or `DataContent.InfoF`. */
  path: string;
  message: string;
}

export type PublicationParseResult = { ok: true; entries: ParsedPushEntry[] } | { ok: false; error: PublicationError };

/** Longest window one entry may span; bounds the work on hostile input (the app looks back 14 days, 4.4). */
export const MAX_ENTRY_SPAN_DAYS = 400;
/**
 * Deepest JSON nesting accepted, counted in brackets across the FCM wrappers too. The real message
 * nests 4 deep (bluezone-protocol.md 6.3); JSON.parse/stringify recurse, so 10^4 brackets overflow the stack.
 */
export const MAX_JSON_DEPTH = 32;
/** Most entries in one publication: one per day per F0 case (6.3), so 14 days x 3,500 cases. */
export const MAX_ENTRIES = 50_000;
/**
 * Most slots (one SHA-256 and one lookup each, about 1-5 us) in one publication: 14 days x 96 slots x
 * 1,500 entries (4.4, 6.4). `max` may be 86400 (1 s slots), so the 400-day span alone allows 3.5e7.
 */
export const MAX_TOTAL_SLOTS = 2_000_000;

/** Slots the matcher checks for one entry: t = time_start + k x delta while t <= time_end (6.4). */
export function entrySlots(e: Pick<ParsedPushEntry, 'timeStartS' | 'timeEndS' | 'max'>): number {
  return Math.floor((e.timeEndS - e.timeStartS) / (86400 / e.max)) + 1;
}

/**
 * Offset (UTF-16 index) of the first bracket nested deeper than `limit` in JSON text, or -1. Linear,
 * no recursion: it runs before JSON.parse so that hostile nesting is refused, not overflowed.
 */
export function jsonDepthExceeded(text: string, limit: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > limit) return i;
    } else if (c === 93 || c === 125) depth--;
  }
  return -1;
}

function describe(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 57) + '...' : s;
}

function parseEntry(e: unknown, path: string): ParsedPushEntry | PublicationError {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return { path, message: `${path}: expected an object, got ${describe(e)}` };
  const o = e as Record<string, unknown>;
  const fail = (f: string, what: string): PublicationError => ({ path: `${path}.${f}`, message: `${path}.${f}: ${what}, got ${describe(o[f])}` });
  if (typeof o.daily_key !== 'string') return fail('daily_key', 'expected a string of 64 hex digits');
  let dk: Uint8Array;
  try {
    dk = fromHexExact(o.daily_key, KEY_BYTES, `${path}.daily_key`);
  } catch (err) {
    return { path: `${path}.daily_key`, message: (err as HexError).message };
  }
  // FCM data values are strings; the app's JSON has numbers (iOS: doubles, 6.2). Accept both.
  const num = (f: string): number | PublicationError => {
    const v = o[f];
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    if (!Number.isFinite(n)) return fail(f, 'expected a number');
    return n;
  };
  const ts = num('time_start');
  if (typeof ts !== 'number') return ts;
  const te = num('time_end');
  if (typeof te !== 'number') return te;
  const max = o.max === undefined ? SLOTS_PER_DAY : num('max');
  if (typeof max !== 'number') return max;
  if (ts > 1e11) return fail('time_start', 'looks like milliseconds; push entries use Unix seconds');
  if (te > 1e11) return fail('time_end', 'looks like milliseconds; push entries use Unix seconds');
  if (ts < 0) return fail('time_start', 'expected Unix seconds >= 0');
  if (!Number.isInteger(max) || max < 1 || 86400 % max !== 0) return fail('max', 'expected slots per day dividing 86400 (96 in Bluezone)');
  if (te < ts) return fail('time_end', `must not be before time_start (${ts})`);
  if (te - ts > MAX_ENTRY_SPAN_DAYS * 86400) return fail('time_end', `spans more than ${MAX_ENTRY_SPAN_DAYS} days after time_start`);
  return { dailyKey: dk, timeStartS: ts, timeEndS: te, max };
}

/** JSON.parse behind the depth check; `depth` = brackets already open around this text. */
function parseJson(text: string, at: string, depth: number): { ok: true; value: unknown } | { ok: false; error: PublicationError } {
  const deep = jsonDepthExceeded(text, MAX_JSON_DEPTH - depth);
  if (deep >= 0) {
    return { ok: false, error: { path: at, message: `${at}: JSON nested deeper than the limit of ${MAX_JSON_DEPTH} levels (at character ${deep})` } };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, error: { path: at, message: `${at}: ${depth === 0 ? 'not valid JSON' : 'string is not valid JSON'}: ${(e as Error).message}` } };
  }
}

function parseValue(v: unknown, path: string, depth: number, brackets: number): PublicationParseResult {
  const at = path === '' ? '(top level)' : path;
  const join = (k: string) => (path === '' ? k : `${path}.${k}`);
  if (depth > 8) return { ok: false, error: { path: at, message: `${at}: nested too deeply` } };
  if (typeof v === 'string') {
    // InfoF and DataContent arrive as JSON strings inside the FCM message (6.3).
    const inner = parseJson(v, at, brackets);
    if (!inner.ok) return inner;
    return parseValue(inner.value, path, depth + 1, brackets);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    return { ok: false, error: { path: at, message: `${at}: expected an object with a "data" list, got ${describe(v)}` } };
  }
  const o = v as Record<string, unknown>;
  if (Array.isArray(o.data)) {
    const list = join('data');
    if (o.data.length > MAX_ENTRIES) {
      return { ok: false, error: { path: list, message: `${list}: ${o.data.length} entries exceed the limit of ${MAX_ENTRIES} per publication` } };
    }
    const entries: ParsedPushEntry[] = [];
    let slots = 0;
    for (let i = 0; i < o.data.length; i++) {
      const r = parseEntry(o.data[i], `${list}[${i}]`);
      if ('message' in r) return { ok: false, error: r };
      slots += entrySlots(r);
      if (slots > MAX_TOTAL_SLOTS) {
        const p = `${list}[${i}]`;
        return { ok: false, error: { path: p, message: `${p}: the publication's slots (86400/max per day over each entry's window) reach ${slots}, above the limit of ${MAX_TOTAL_SLOTS}` } };
      }
      entries.push(r);
    }
    return { ok: true, entries };
  }
  // FCM wrappers: {data: {Type, DataContent}}, {DataContent: "...{InfoF}..."}, {InfoF: "..."}.
  for (const k of ['InfoF', 'DataContent', 'data']) {
    if (o[k] !== undefined) return parseValue(o[k], join(k), depth + 1, brackets + 1);
  }
  return { ok: false, error: { path: join('data'), message: `${join('data')}: missing; expected {"data":[{"daily_key","time_start","time_end","max"}]}` } };
}

/**
 * Parses a key publication: `{"data":[{daily_key,time_start,time_end,max}]}` (bluezone-protocol.md 6.3),
 * or the FCM wrapper around it where DataContent and InfoF are JSON strings. Never throws. Refuses
 * input beyond MAX_JSON_DEPTH, MAX_ENTRIES or MAX_TOTAL_SLOTS, so the matcher's work is bounded.
 */
export function parsePublication(text: string): PublicationParseResult {
  const v = parseJson(text, '(top level)', 0);
  if (!v.ok) return v;
  return parseValue(v.value, '', 0, 0);
}

// ---------------------------------------------------------------------------------------------
// Index of a contact log: 12-byte contact ID -> its timestamps (ms), sorted. Built once.

export type TimestampUnit = 'ms' | 's';

/** Unix s below this, Unix ms above: 1e11 s is the year 5138, 1e11 ms is 1973. */
export const UNIT_THRESHOLD = 1e11;

export interface UnitDecision {
  unit: TimestampUnit;
  reason: string;
}

/**
 * Timestamp unit of a whole log by magnitude (Android writes ms, iOS s; bluezone-protocol.md 4.4).
 * Returns an error naming the first row that disagrees with the first row.
 */
export function detectTimestampUnit(log: ContactLog): UnitDecision | { error: string; line: number } {
  if (log.length === 0) return { unit: 'ms', reason: 'empty log' };
  const firstMs = log.timestamps[0] >= UNIT_THRESHOLD;
  for (let i = 1; i < log.length; i++) {
    if (log.timestamps[i] >= UNIT_THRESHOLD !== firstMs) {
      return {
        line: log.lines[i],
        error: `line ${log.lines[i]}: timestamp ${log.timestamps[i]} is in ${firstMs ? 'seconds' : 'milliseconds'} but line ${log.lines[0]} is in ${firstMs ? 'milliseconds' : 'seconds'}`,
      };
    }
  }
  return firstMs
    ? { unit: 'ms', reason: `timestamps >= ${UNIT_THRESHOLD} (Android writes ms)` }
    : { unit: 's', reason: `timestamps < ${UNIT_THRESHOLD} (iOS writes seconds)` };
}

export interface Sightings {
  count: number;
  firstMs: number;
  lastMs: number;
  /** Source lines of the first and last sighting. */
  firstLine: number;
  lastLine: number;
  /** Strongest RSSI (dBm) among these sightings. */
  maxRssi: number;
}

function hash3(a: number, b: number, c: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ b, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ c, 0x27d4eb2f);
  return (h ^ (h >>> 15)) >>> 0;
}

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

function word(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

/**
 * Open-addressing hash table from 12-byte ID to a group, and per group a sorted run of timestamps
 * (CSR layout), so one lookup is a hash probe plus two binary searches.
 */
export class ContactIndex {
  private constructor(
    private readonly mask: number,
    private readonly table: Int32Array,
    private readonly keys: Uint32Array,
    private readonly starts: Uint32Array,
    private readonly ts: Float64Array,
    /** Row of the log for each sorted position (lines and RSSI are read through it). */
    private readonly perm: Uint32Array,
    private readonly log: ContactLog,
    readonly rows: number,
    readonly distinctIds: number,
  ) {}

  /** Builds the index; `scale` converts the log's timestamps to ms (1000 for seconds). */
  static build(log: ContactLog, scale = 1): ContactIndex {
    const n = log.length;
    let size = 16;
    while (size < n * 2) size *= 2;
    const mask = size - 1;
    const table = new Int32Array(size).fill(-1);
    const keys = new Uint32Array(Math.max(1, n) * 3);
    const group = new Int32Array(n);
    const ids = log.contactIds;
    // Read the IDs as little-endian 32-bit words straight from memory when the platform allows it.
    const w32 = LITTLE_ENDIAN && ids.byteOffset % 4 === 0 ? new Uint32Array(ids.buffer, ids.byteOffset, n * 3) : null;
    let groups = 0;
    for (let r = 0; r < n; r++) {
      const o = r * ID_BYTES;
      const a = w32 ? w32[r * 3] : word(ids, o);
      const b = w32 ? w32[r * 3 + 1] : word(ids, o + 4);
      const c = w32 ? w32[r * 3 + 2] : word(ids, o + 8);
      let h = hash3(a, b, c) & mask;
      for (;;) {
        const g = table[h];
        if (g < 0) {
          table[h] = groups;
          keys[groups * 3] = a;
          keys[groups * 3 + 1] = b;
          keys[groups * 3 + 2] = c;
          group[r] = groups++;
          break;
        }
        if (keys[g * 3] === a && keys[g * 3 + 1] === b && keys[g * 3 + 2] === c) {
          group[r] = g;
          break;
        }
        h = (h + 1) & mask;
      }
    }
    // Counting sort by group (stable: rows keep log order within a group).
    const starts = new Uint32Array(groups + 1);
    for (let r = 0; r < n; r++) starts[group[r] + 1]++;
    for (let g = 0; g < groups; g++) starts[g + 1] += starts[g];
    const fill = starts.slice(0, groups);
    const ts = new Float64Array(n);
    const perm = new Uint32Array(n);
    const times = log.timestamps;
    for (let r = 0; r < n; r++) {
      const p = fill[group[r]]++;
      ts[p] = times[r] * scale;
      perm[p] = r;
    }
    // Logs are usually in time order; sort only the groups that are not.
    for (let g = 0; g < groups; g++) {
      const s = starts[g];
      const e = starts[g + 1];
      let sorted = true;
      for (let p = s + 1; p < e; p++) {
        if (ts[p] < ts[p - 1]) {
          sorted = false;
          break;
        }
      }
      if (sorted) continue;
      const order = Array.from({ length: e - s }, (_, k) => s + k).sort((x, y) => ts[x] - ts[y] || perm[x] - perm[y]);
      const t2 = order.map((p) => ts[p]);
      const p2 = order.map((p) => perm[p]);
      ts.set(t2, s);
      perm.set(p2, s);
    }
    return new ContactIndex(mask, table, keys.slice(0, Math.max(1, groups) * 3), starts, ts, perm, log, n, groups);
  }

  private findGroup(id: Uint8Array, at = 0): number {
    const a = word(id, at);
    const b = word(id, at + 4);
    const c = word(id, at + 8);
    let h = hash3(a, b, c) & this.mask;
    for (;;) {
      const g = this.table[h];
      if (g < 0) return -1;
      if (this.keys[g * 3] === a && this.keys[g * 3 + 1] === b && this.keys[g * 3 + 2] === c) return g;
      h = (h + 1) & this.mask;
    }
  }

  /** Sightings of `id` with loMs <= t <= hiMs (both inclusive), or null. */
  lookup(id: Uint8Array, loMs: number, hiMs: number, at = 0): Sightings | null {
    const g = this.findGroup(id, at);
    if (g < 0) return null;
    const ts = this.ts;
    let lo = this.starts[g];
    let hi = this.starts[g + 1];
    const end = hi;
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      if (ts[m] < loMs) lo = m + 1;
      else hi = m;
    }
    if (lo >= end || ts[lo] > hiMs) return null;
    const first = lo;
    hi = end;
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      if (ts[m] <= hiMs) lo = m + 1;
      else hi = m;
    }
    const { rssi, lines } = this.log;
    const perm = this.perm;
    let maxRssi = -Infinity;
    for (let p = first; p < lo; p++) if (rssi[perm[p]] > maxRssi) maxRssi = rssi[perm[p]];
    return { count: lo - first, firstMs: ts[first], lastMs: ts[lo - 1], firstLine: lines[perm[first]], lastLine: lines[perm[lo - 1]], maxRssi };
  }
}

// ---------------------------------------------------------------------------------------------
// The matcher (bluezone-protocol.md 6.4), reporting every matching slot, not just the first.

export interface SlotMatch {
  /** Index of the push entry in `data`. */
  entry: number;
  /** Slot number counted from the entry's time_start (0-based). */
  slot: number;
  /** Days after time_start (the daily key advanced this many times) and the slot within that day. */
  day: number;
  slotOfDay: number;
  /** The BluezoneID derived for this slot, 24 hex. */
  id: string;
  /** The window the app checks: t <= timestamp <= t + delta, both ends inclusive, in ms. */
  windowStartMs: number;
  windowEndMs: number;
  sightings: Sightings;
}

export interface MatchStats {
  entries: number;
  slotsChecked: number;
}

/**
 * Runs bluezone-protocol.md 6.4 for every entry: DK = daily_key, SK = DK||salt, t = time_start,
 * delta = 86400/max s; while t <= time_end: SK = SHA256(SK), id = pick12(SK), look for sightings with
 * t <= ts <= t+delta; t += delta; after every `max` slots DK = SHA256(DK), SK = DK||salt.
 * Unlike the app, it does not stop at the first hit.
 */
export function matchPublication(entries: readonly ParsedPushEntry[], index: ContactIndex): { matches: SlotMatch[]; stats: MatchStats } {
  const matches: SlotMatch[] = [];
  let slotsChecked = 0;
  const id = new Uint8Array(ID_BYTES);
  const hasher = new ShortSha256();
  // dkSalt = DK || "bluzonesubkey" (45 bytes); sk = current sub-key.
  const dkSalt = new Uint8Array(KEY_BYTES + SUBKEY_SALT.length);
  dkSalt.set(SUBKEY_SALT, KEY_BYTES);
  const sk = new Uint8Array(KEY_BYTES);
  for (let e = 0; e < entries.length; e++) {
    const { timeStartS, timeEndS, max } = entries[e];
    const deltaS = 86400 / max;
    let dk = entries[e].dailyKey;
    for (let k = 0; timeStartS + k * deltaS <= timeEndS; k++) {
      const slotOfDay = k % max;
      if (slotOfDay === 0) {
        if (k > 0) dk = sha256(dk);
        dkSalt.set(dk, 0);
        hasher.digest(dkSalt, dkSalt.length, sk);
      } else {
        hasher.digest(sk, KEY_BYTES, sk);
      }
      for (let i = 0; i < ID_BYTES; i++) id[i] = sk[ID_BYTE_OFFSETS[i]];
      slotsChecked++;
      const t = timeStartS + k * deltaS;
      // Android compares t*1000 <= ts_ms <= (t+delta)*1000; iOS the same in seconds (6.4).
      const lo = t * 1000;
      const hi = (t + deltaS) * 1000;
      const s = index.lookup(id, lo, hi);
      if (s) {
        matches.push({ entry: e, slot: k, day: Math.floor(k / max), slotOfDay, id: toHex(id), windowStartMs: lo, windowEndMs: hi, sightings: s });
      }
    }
  }
  return { matches, stats: { entries: entries.length, slotsChecked } };
}

// ---------------------------------------------------------------------------------------------
// Publishing our own key for a time window.

/**
 * Push entries for the UTC days that [fromMs, toMs) touches, one per day (bluezone-protocol.md 6.3).
 * Each carries only that day's daily key, never the base key (9.2).
 *
 * time_start is the day's UTC midnight, because phones derive slot i's ID from time_start + i x 15 min
 * (6.4): a later start would shift every slot and match nothing. So a phone also matches sightings
 * from midnight up to `fromMs`; the daily key reveals the whole day's IDs anyway (and, by the forward
 * hash chain, all later days: 9.3). time_end is the last whole second before `toMs` (or the day's end),
 * so the app checks exactly the slots that overlap the window.
 */
export function publication(baseKey: Uint8Array, baseDateMs: number, fromMs: number, toMs: number): PushEntry[] {
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || toMs <= fromMs) {
    throw new RangeError(`publication window must have from < to, got ${fromMs} .. ${toMs}`);
  }
  const out: PushEntry[] = [];
  for (let day = utcMidnight(fromMs); day < toMs; day += DAY_MS) {
    const end = Math.min(toMs, day + DAY_MS);
    const n = dayIndexAt(baseDateMs, day);
    // DK_0 is the base key itself (1.2): publishing it would hand out the root of the chain (9.2).
    if (n === 0) throw new RangeError(`refusing to publish the base key: ${new Date(day).toISOString().slice(0, 10)} is the key's base date, whose daily key is the base key itself (bluezone-protocol.md 1.2, 9.2)`);
    out.push({
      daily_key: toHex(dailyKey(baseKey, n)),
      time_start: day / 1000,
      time_end: Math.ceil(end / 1000) - 1,
      max: SLOTS_PER_DAY,
    });
  }
  return out;
}
