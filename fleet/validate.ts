// Validation of everything a beacon sends (issue 21: "every request validated, bad input a 4xx with a
// clear message"). Messages name the field path, e.g. "slots[3].slot: expected at most 95".
import { z } from 'zod';
import { MAX_ROWS_PER_UPLOAD, type HeartbeatBody, type PresenceBody } from '../firmware/beacon/fleetProtocol.ts';
import { isDate } from './store.ts';

const count = z.number().int().min(0).max(1_000_000);
const date = z.string().refine(isDate, { message: 'expected a UTC date YYYY-MM-DD' });
// Counts only, never an ID: a string anywhere else would be refused by .strict().
const slot = z
  .object({ date, slot: z.number().int().min(0).max(95), android: count, ios: count.nullable(), estimate: count, low: count, high: count, stationary_excluded: count })
  .strict()
  .refine((s) => s.low <= s.estimate && s.estimate <= s.high, { message: 'expected low <= estimate <= high' });
const day = z
  .object({ date, android: count, ios: count.nullable(), estimate: count, low: count, high: count, stationary_excluded: count, slots: z.number().int().min(0).max(96) })
  .strict()
  .refine((s) => s.low <= s.estimate && s.estimate <= s.high, { message: 'expected low <= estimate <= high' });

const PresenceSchema = z
  .object({ slots: z.array(slot).max(MAX_ROWS_PER_UPLOAD, `expected at most ${MAX_ROWS_PER_UPLOAD} rows per upload`), days: z.array(day).max(MAX_ROWS_PER_UPLOAD) })
  .strict();

const HeartbeatSchema = z
  .object({
    sent_at_ms: z.number().int().min(0).max(8.64e15),
    state: z.enum(['starting', 'waiting-for-adapter', 'advertising', 'recovering', 'stopping', 'stopped', 'unknown']),
    slot: z.number().int().min(0).max(95).nullable(),
    // First 6 hex + *** as the app shows it (bluezone-protocol.md 1.1): never a full ID.
    id_prefix: z.string().regex(/^[0-9A-F]{6}\*\*\*$/, 'expected 6 upper-case hex digits and ***').nullable(),
    restarts: count,
    last_error: z.string().max(500).nullable(),
    clock_sync: z.enum(['synced', 'unsynced', 'unknown']),
    clock_offset_ms: z.number().int().min(-8.64e15).max(8.64e15).nullable(),
    version: z.string().min(1).max(40),
  })
  .strict();

export class ValidationError extends Error {}

function explain(e: z.ZodError): string {
  return e.issues
    .slice(0, 5)
    .map((i) => {
      const path = i.path.map((p, k) => (typeof p === 'number' ? `[${p}]` : (k ? '.' : '') + p)).join('') || '(body)';
      const msg =
        i.code === 'unrecognized_keys' ? `unknown field(s) ${i.keys.join(', ')}` : i.code === 'invalid_type' ? `expected ${i.expected}, got ${i.received}` : i.message;
      return `${path}: ${msg}`;
    })
    .join('; ');
}

/** How far back a beacon may report: its catch-up window (CATCH_UP_MAX_MS, 8 days) with room to spare. */
export const MAX_REPORT_AGE_DAYS = 31;

export function parsePresence(body: unknown, nowMs: number): PresenceBody {
  const r = PresenceSchema.safeParse(body);
  if (!r.success) throw new ValidationError(explain(r.error));
  // A day must have started (1 day of slack for a beacon clock ahead) and be at most 31 days old.
  const latest = new Date(nowMs + 86_400_000).toISOString().slice(0, 10);
  const earliest = new Date(nowMs - MAX_REPORT_AGE_DAYS * 86_400_000).toISOString().slice(0, 10);
  for (const [list, name] of [[r.data.slots, 'slots'], [r.data.days, 'days']] as const) {
    const i = list.findIndex((x) => x.date > latest || x.date < earliest);
    if (i >= 0) throw new ValidationError(`${name}[${i}].date: ${list[i].date} is outside ${earliest}..${latest} (the collector's clock)`);
  }
  return r.data;
}

export function parseHeartbeat(body: unknown): HeartbeatBody {
  const r = HeartbeatSchema.safeParse(body);
  if (!r.success) throw new ValidationError(explain(r.error));
  return r.data;
}
