// bluezone match: check a contact log against published daily keys, like the phone's F0 check
// (bluezone-protocol.md 6.4) but reporting every matching slot. Thin: logic in firmware/protocol/match.ts.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { info, printJson } from '../context.ts';
import { UsageError } from '../errors.ts';

function readText(path: string, option: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`${option} ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

export function registerMatch(program: Command, ctx: CliContext): void {
  program
    .command('match')
    .description('check a contact log against published Bluezone daily keys (F0 check) and list every match')
    .requiredOption('--publication <file>', 'published keys: {"data":[{"daily_key","time_start","time_end","max"}]} or the FCM message holding it')
    .requiredOption('--log <file>', 'contact log: data_trace.txt, or an observation CSV whose transmitter is a 24-hex BluezoneID')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Log formats (detected from the first line):
  data_trace.txt   HEX(own id) TAB HEX(contact id) TAB rssi TAB timestamp, one line per sighting
                   (Bluezone's upload file); timestamps in ms (Android) or s (iOS): the unit is
                   decided for the whole log by magnitude and reported.
  observation CSV  timestamp_ms,receiver,transmitter,rssi,tx_power,receiver_model,transmitter_model;
                   rows whose transmitter is not a 24-hex BluezoneID are skipped and counted.
A sighting matches when its ID is the published key's ID for slot t and t <= timestamp <= t + 15 min
(both ends inclusive, as the app does). Exit 0 whether or not anything matched; 2 on bad input.

Examples:
  $ npx bluezone match --publication push.json --log data_trace.txt
  $ npx bluezone match --publication infoF.json --log out/observations.csv --json
`,
    )
    .action(async (o: { publication: string; log: string; json?: boolean }) => {
      // loaded here, not for --help (issue 16)
      const { parseContactLog } = await import('../../firmware/protocol/contactLog.ts');
      const { ContactIndex, detectTimestampUnit, matchPublication, parsePublication } = await import('../../firmware/protocol/match.ts');
      const pub = parsePublication(readText(o.publication, '--publication'));
      if (!pub.ok) throw new UsageError(`--publication ${o.publication}: ${pub.error.message}`);
      const { format, result } = parseContactLog(readText(o.log, '--log'), o.log);
      if (!result.ok) {
        const m = result.error.message;
        throw new UsageError(`--log ${m.startsWith(o.log) ? m : `${o.log}: ${m}`}`);
      }
      const log = result.log;
      const unit =
        format === 'observation_csv' ? { unit: 'ms' as const, reason: 'observation CSV timestamps are ms by definition' } : detectTimestampUnit(log);
      if ('error' in unit) throw new UsageError(`--log ${o.log}: ${unit.error}`);
      const index = ContactIndex.build(log, unit.unit === 's' ? 1000 : 1);
      const { matches, stats } = matchPublication(pub.entries, index);
      const rows = matches.map((m) => ({
        entry: m.entry,
        slot: m.slot,
        day: m.day,
        slot_of_day: m.slotOfDay,
        id: m.id,
        window_start: iso(m.windowStartMs),
        window_end: iso(m.windowEndMs),
        window_start_ms: m.windowStartMs,
        window_end_ms: m.windowEndMs,
        count: m.sightings.count,
        first: iso(m.sightings.firstMs),
        last: iso(m.sightings.lastMs),
        first_ms: m.sightings.firstMs,
        last_ms: m.sightings.lastMs,
        first_line: m.sightings.firstLine,
        last_line: m.sightings.lastLine,
        max_rssi: m.sightings.maxRssi,
      }));
      if (o.json) {
        printJson(ctx, {
          contact: matches.length > 0,
          log: { file: o.log, format, rows: log.length, skipped: log.skipped, distinct_ids: index.distinctIds, timestamp_unit: unit.unit, unit_reason: unit.reason },
          publication: { file: o.publication, entries: stats.entries, slots_checked: stats.slotsChecked },
          matching_slots: matches.length,
          sightings: matches.reduce((n, m) => n + m.sightings.count, 0),
          matches: rows,
        });
        return;
      }
      info(ctx, `log ${o.log}: ${format}, ${log.length} rows${log.skipped ? ` (${log.skipped} skipped)` : ''}, timestamps in ${unit.unit === 'ms' ? 'milliseconds' : 'seconds'} (${unit.reason})`);
      info(ctx, `publication ${o.publication}: ${stats.entries} entries, ${stats.slotsChecked} slots checked`);
      if (matches.length === 0) {
        ctx.out.write('no contact: no published ID appears in the log inside its slot window\n');
        return;
      }
      const total = matches.reduce((n, m) => n + m.sightings.count, 0);
      ctx.out.write(`CONTACT: ${matches.length} matching slot${matches.length === 1 ? '' : 's'}, ${total} sighting${total === 1 ? '' : 's'}\n`);
      for (const r of rows) {
        ctx.out.write(
          `entry ${r.entry} slot ${r.slot} (day ${r.day}, slot ${r.slot_of_day}) ${r.id} window ${r.window_start} .. ${r.window_end}: ` +
            `${r.count} sighting${r.count === 1 ? '' : 's'}, first ${r.first} (line ${r.first_line}), last ${r.last} (line ${r.last_line}), strongest ${r.max_rssi} dBm\n`,
        );
      }
    });
}
