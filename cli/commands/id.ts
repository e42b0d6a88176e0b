// bluezone id: the BluezoneID for a daily key and slot, or for a base key at a time
// (bluezone-protocol.md 1.2; docs/interfaces.md "Identifiers and frames"). Thin: logic in firmware/protocol.
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { printJson } from '../context.ts';
import { UsageError } from '../errors.ts';
import { HexError, fromHexExact, toHex } from '../../firmware/protocol/hex.ts';
import { KEY_BYTES, SLOT_MS, SLOTS_PER_DAY, bluezoneIdAt, bluezoneIdForSlot, dailyKeyAt } from '../../firmware/protocol/keys.ts';

/** 64 hex digits -> 32 bytes, or a UsageError naming the option. */
export function keyOption(value: string, option: string): Uint8Array {
  try {
    return fromHexExact(value, KEY_BYTES, option);
  } catch (e) {
    throw new UsageError((e as HexError).message, `${option} takes ${KEY_BYTES * 2} hex digits`);
  }
}

/** YYYY-MM-DD -> UTC midnight ms. */
export function dateOption(value: string, option: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!m || new Date(ms).toISOString().slice(0, 10) !== value) {
    throw new UsageError(`${option} "${value}" is not a date`, 'use YYYY-MM-DD (UTC), e.g. 2020-08-08');
  }
  return ms;
}

/** ISO 8601 time; without a zone it is taken as UTC (not local time). */
export function timeOption(value: string, option: string): number {
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(value);
  const ms = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(hasZone || value.length === 10 ? value : `${value}Z`) : NaN;
  if (!Number.isFinite(ms)) throw new UsageError(`${option} "${value}" is not an ISO 8601 time`, 'e.g. 2020-08-08T05:56:31Z');
  return ms;
}

function hhmm(msOfDay: number): string {
  return new Date(msOfDay).toISOString().slice(11, 16);
}

export function registerId(program: Command, ctx: CliContext): void {
  program
    .command('id')
    .description('print the 12-byte BluezoneID (24 upper-case hex) for a daily key and slot, or a base key at a time')
    .option('--daily-key <hex>', 'daily key, 64 hex digits')
    .option('--slot <n>', `slot of the UTC day, 0..${SLOTS_PER_DAY - 1} (15 min each)`)
    .option('--date <YYYY-MM-DD>', 'with --daily-key: the key\'s UTC day, to print absolute slot times')
    .option('--base-key <hex>', 'base key, 64 hex digits (stays on the device; never publish it)')
    .option('--base-date <YYYY-MM-DD>', 'UTC day the base key was created')
    .option('--at <time>', 'ISO 8601 time (UTC if no zone is given)')
    .option('--json', 'print {id, slot, slot_start, slot_end, ...} as JSON')
    .addHelpText(
      'after',
      `
slot_start/slot_end in --json are ISO times when the day is known (--base-key, or --date), else UTC
times of day (HH:MM). slot_end is exclusive.

Examples:
  $ npx bluezone id --daily-key 4C5224B397F8AB3896781D5AA0F3119F280513F1B592CA280EBDED6357E21084 --slot 23
  B9A665D754FE65E665D76A45
  $ npx bluezone id --base-key 4C5224B3...57E21084 --base-date 2020-08-08 --at 2020-08-08T05:56:31Z --json
`,
    )
    .action((o: { dailyKey?: string; slot?: string; date?: string; baseKey?: string; baseDate?: string; at?: string; json?: boolean }) => {
      const byDaily = o.dailyKey !== undefined || o.slot !== undefined;
      const byBase = o.baseKey !== undefined || o.baseDate !== undefined || o.at !== undefined;
      if (byDaily === byBase) {
        throw new UsageError(
          byDaily ? 'give either --daily-key/--slot or --base-key/--base-date/--at, not both' : 'missing key: give --daily-key and --slot, or --base-key, --base-date and --at',
          'see bluezone id --help',
        );
      }
      let out: Record<string, unknown>;
      if (byDaily) {
        if (o.dailyKey === undefined) throw new UsageError('--daily-key is missing', 'give the 64-hex daily key with --slot');
        if (o.slot === undefined) throw new UsageError('--slot is missing', `give a slot 0..${SLOTS_PER_DAY - 1}`);
        const dk = keyOption(o.dailyKey, '--daily-key');
        if (!/^\d+$/.test(o.slot) || Number(o.slot) >= SLOTS_PER_DAY) {
          throw new UsageError(`--slot "${o.slot}" must be an integer 0..${SLOTS_PER_DAY - 1}`);
        }
        const slot = Number(o.slot);
        const id = toHex(bluezoneIdForSlot(dk, slot));
        if (o.date !== undefined) {
          const start = dateOption(o.date, '--date') + slot * SLOT_MS;
          out = { id, slot, slot_start: new Date(start).toISOString(), slot_end: new Date(start + SLOT_MS).toISOString(), slot_start_ms: start, slot_end_ms: start + SLOT_MS };
        } else {
          out = { id, slot, slot_start: hhmm(slot * SLOT_MS), slot_end: slot === SLOTS_PER_DAY - 1 ? '24:00' : hhmm((slot + 1) * SLOT_MS) };
        }
      } else {
        if (o.date !== undefined) throw new UsageError('--date goes with --daily-key; with --base-key use --at');
        for (const [v, n] of [[o.baseKey, '--base-key'], [o.baseDate, '--base-date'], [o.at, '--at']] as const) {
          if (v === undefined) throw new UsageError(`${n} is missing`, '--base-key, --base-date and --at go together');
        }
        const base = keyOption(o.baseKey!, '--base-key');
        const baseDate = dateOption(o.baseDate!, '--base-date');
        const at = timeOption(o.at!, '--at');
        if (at < baseDate) throw new UsageError(`--at ${new Date(at).toISOString()} is before --base-date ${o.baseDate}`);
        const r = bluezoneIdAt(base, baseDate, at);
        out = {
          id: toHex(r.id),
          slot: r.slot,
          slot_start: new Date(r.startMs).toISOString(),
          slot_end: new Date(r.endMs).toISOString(),
          slot_start_ms: r.startMs,
          slot_end_ms: r.endMs,
          day_index: r.dayIndex,
          day_start: new Date(r.startMs - r.slot * SLOT_MS).toISOString(),
          // The day's key may be published (bluezone-protocol.md 6.3); the base key never is (9.2).
          daily_key: toHex(dailyKeyAt(base, baseDate, at)),
        };
      }
      if (o.json) printJson(ctx, out);
      else ctx.out.write(`${out.id}\n`);
    });
}
