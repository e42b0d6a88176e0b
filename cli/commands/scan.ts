// `bluezone scan ...`: the entrance logbook (scanner -> SQLite), its exports and the F0 check.
// Logic lives in firmware/beacon/logbook.ts and firmware/protocol/match.ts.
import { Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeLogger, asUsage, clockFromEnv, exitSoonAfterShutdown, resolveConfig, untilSignal } from '../daemon.ts';
import type { Db } from '../../firmware/beacon/logbook.ts';
import { checkTimeZone, systemTimeZone, tzOffsetMin } from '../../firmware/beacon/tz.ts';
// The logbook (better-sqlite3) and the other product modules load when an action runs and the report
// renderer (vega, resvg) only in `scan report`, so --help loads only commander and cli/ (issue 16) and the
// scanner runs where resvg has no binary (docs/api.md).
let { exportObservations, exportPresence, exportTrace, logbookDays, Logbook, openLogbookDb, openLogbookReadonly, presenceEstimate, presenceReport } = {} as typeof import('../../firmware/beacon/logbook.ts');
let { ScanService } = {} as typeof import('../../firmware/beacon/scanService.ts');
let { loadKey } = {} as typeof import('../../firmware/beacon/state.ts');
let { ContactIndex, matchPublication, parsePublication } = {} as typeof import('../../firmware/protocol/match.ts');
let { ContactLogBuilder } = {} as typeof import('../../firmware/protocol/traceFormat.ts');
let { createNobleScanner } = {} as typeof import('../../firmware/radio/nobleAdapter.ts');
let { formatHciSpec, parseHciSpec } = {} as typeof import('../../firmware/radio/types.ts');
/** Every action calls this first. */
async function loadLogbook(): Promise<void> {
  ({ exportObservations, exportPresence, exportTrace, logbookDays, Logbook, openLogbookDb, openLogbookReadonly, presenceEstimate, presenceReport } = await import('../../firmware/beacon/logbook.ts'));
  ({ ScanService } = await import('../../firmware/beacon/scanService.ts'));
  ({ loadKey } = await import('../../firmware/beacon/state.ts'));
  ({ ContactIndex, matchPublication, parsePublication } = await import('../../firmware/protocol/match.ts'));
  ({ ContactLogBuilder } = await import('../../firmware/protocol/traceFormat.ts'));
  ({ createNobleScanner } = await import('../../firmware/radio/nobleAdapter.ts'));
  ({ formatHciSpec, parseHciSpec } = await import('../../firmware/radio/types.ts'));
}
import { bluezoneIdAt, DAY_MS, SLOT_MS } from '../../firmware/protocol/keys.ts';
import { OutputSet } from '../../records/output.ts';
import { info, printJson, stdoutSink, type CliContext } from '../context.ts';
import { UsageError } from '../errors.ts';
import { snakeKeys } from '../../records/json.ts';

function parseDate(v: string, flag: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!m || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== v) throw new UsageError(`${flag}: "${v}" is not a date YYYY-MM-DD (UTC)`);
  return ms;
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const hhmm = (ms: number) => (ms % DAY_MS === 0 && ms > 0 ? '24:00' : new Date(ms).toISOString().slice(11, 16));

/** Builds the matcher's contact log from the logbook (timestamps in ms, Android convention). */
export function logbookContactLog(db: Db) {
  const b = new ContactLogBuilder(false);
  const it = db.prepare('SELECT _id, blid_contact, rssi, timestamp FROM trace_info WHERE blid_contact IS NOT NULL AND length(blid_contact) = 12 ORDER BY timestamp').iterate() as IterableIterator<{ _id: number; blid_contact: Buffer; rssi: number; timestamp: number }>;
  for (const r of it) b.push(r.blid_contact.toString('hex').toUpperCase(), r.timestamp, r.rssi, r._id);
  return b.finish();
}

export function registerScan(program: Command, ctx: CliContext): void {
  const scan = program
    .command('scan')
    .description('entrance logbook: scan for Bluezone phones into SQLite (scan run, the default), export it, match F0 publications');
  registerScanRun(scan, ctx);
  registerScanExport(scan, ctx);
  registerScanReport(scan, ctx);
  registerScanMatch(scan, ctx);
}

/** Opens the logbook read-only for a command whose outputs are already staged: a bad --db aborts them. */
function openForOutputs(path: string, set: OutputSet): ReturnType<typeof openLogbookReadonly> {
  try {
    return asUsage(() => openLogbookReadonly(path));
  } catch (e) {
    set.abort();
    throw e;
  }
}

/** `scan run`: the logbook's scanner until SIGINT/SIGTERM. */
function registerScanRun(scan: Command, ctx: CliContext): void {
  scan
    // The default subcommand, so `bluezone scan --db FILE` runs the logbook while `scan export --db` stays export's.
    .command('run', { isDefault: true })
    .description('scan for Bluezone phones and store sightings in SQLite until SIGINT/SIGTERM (the default of `bluezone scan`)')
    .option('--config <file>', 'beacon config file (uses its logbook: section)')
    .option('--state-dir <dir>', 'state directory (default db location; the beacon key, if here, fills the own-ID column)')
    .option('--hci <spec>', 'scanner adapter: native:N or uart:PATH; overrides logbook.hci (use a second adapter, not the beacon\'s)')
    .option('--db <file>', 'SQLite logbook file; overrides logbook.db')
    .option('--receiver <name>', 'name of this receiver in exports; overrides logbook.receiver')
    .option('--json', 'JSON lines on stdout: "scanning", periodic "stats" and a final "stopped" event')
    .addHelpText('after', `
Examples:
  $ npx bluezone scan --hci native:1 --db /var/lib/bluezone/logbook.db
  $ npx bluezone scan run --config /etc/bluezone/beacon.yaml --json`)
    .action(async (o: { config?: string; stateDir?: string; hci?: string; db?: string; receiver?: string; json?: boolean }) => {
      await loadLogbook();
      const cfg = await resolveConfig({ config: o.config, stateDir: o.stateDir });
      const log = makeLogger(ctx, cfg.log_level);
      const { clock } = clockFromEnv(ctx);
      const spec = asUsage(() => {
        try {
          return parseHciSpec(o.hci ?? cfg.logbook.hci, cfg.uart_baud);
        } catch (e) {
          throw new UsageError(`--hci: ${(e as Error).message}`);
        }
      });
      const dbPath = o.db ?? cfg.logbook.db ?? join(cfg.state_dir, 'logbook.db');
      const db = asUsage(() => openLogbookDb(dbPath));
      let ownIdAt: ((ms: number) => Uint8Array | undefined) | undefined;
      try {
        const key = loadKey(cfg.state_dir);
        ownIdAt = (ms) => (ms >= key.baseDateMs ? bluezoneIdAt(key.secret(), key.baseDateMs, ms).id : undefined);
        log('info', `own-ID column (blid) from the beacon key in ${cfg.state_dir}`);
      } catch {
        log('debug', `no beacon key in ${cfg.state_dir}: the blid column stays empty`);
      }
      const logbook = new Logbook({
        db,
        receiver: o.receiver ?? cfg.logbook.receiver,
        dedupMs: cfg.logbook.dedup_ms,
        flushMs: cfg.logbook.flush_ms,
        flushRows: cfg.logbook.flush_rows,
        ownIdAt,
        onCommit: (n) => log('debug', `committed ${n} row(s)`),
        realNow: Date.now,
      });
      const service = new ScanService({
        createScanner: () => createNobleScanner(spec, clock.now),
        logbook,
        clock: clock.now,
        log,
        powerOnTimeoutS: cfg.watchdog.power_on_timeout_s,
        backoffInitialMs: cfg.watchdog.backoff_initial_ms,
        backoffMaxMs: cfg.watchdog.backoff_max_ms,
        // Only with the beacon's key here can we recognise our own beacon.
        ownSilenceMs: ownIdAt ? cfg.logbook.own_beacon_silence_s * 1000 : 0,
      });
      const iosStats = () => {
        const x = service.ios?.stats;
        return { ios_reads: x?.reads ?? 0, ios_read_ok: x?.ok ?? 0, ios_read_timeouts: x?.timeouts ?? 0, ios_read_failures: (x?.failures ?? 0) + (x?.badLength ?? 0) };
      };
      const event = (e: Record<string, unknown>) => o.json && ctx.out.write(JSON.stringify({ ...e, ...(snakeKeys(logbook.stats) as object), ...iosStats(), scanning: service.scanning, restarts: service.restarts, last_error: service.lastError }) + '\n');
      log('info', `logbook on ${formatHciSpec(spec)} -> ${dbPath}`);
      service.start();
      event({ event: 'scanning', db: dbPath, adapter: formatHciSpec(spec) });
      const tick = setInterval(() => {
        const s = logbook.stats;
        log('info', `adverts ${s.reports}, stored ${s.stored}, committed ${s.committed}, repeats within ${cfg.logbook.dedup_ms} ms ${s.duplicates}, iOS adverts ${s.iosSeen}, iOS rows ${s.iosStored}, other ${s.otherFrames}`);
        event({ event: 'stats' });
      }, 60_000);
      const sig = await untilSignal();
      clearInterval(tick);
      await service.stop();
      logbook.close();
      db.close();
      event({ event: 'stopped', signal: sig });
      log('info', `${sig}: stopped; ${logbook.stats.committed} row(s) committed this run`);
      exitSoonAfterShutdown();
    });
}

/** `scan export`: data_trace.txt, observation CSV or the presence CSV. */
function registerScanExport(scan: Command, ctx: CliContext): void {
  scan
    .command('export')
    .description('export the logbook: data_trace.txt (app upload format), observation CSV, or the daily presence report CSV')
    .requiredOption('--db <file>', 'SQLite logbook file')
    .addOption(new Option('--format <format>', 'trace | observations | presence').choices(['trace', 'observations', 'presence']).makeOptionMandatory())
    .option('--date <YYYY-MM-DD>', 'UTC day (required for presence unless the logbook has one day; others: all rows if omitted)')
    .option('--dwell-min <minutes>', 'presence: typical minutes a phone stays in range, for the visitor estimate', '2')
    .option('--out <file>', 'write to FILE (atomically; "-" is stdout) instead of stdout')
    .option('--json', 'rows as JSON instead of the text format')
    .addHelpText('after', `
Examples:
  $ npx bluezone scan export --db logbook.db --format trace --out data_trace.txt
  $ npx bluezone scan export --db logbook.db --format observations --date 2026-11-23 > obs.csv
  $ npx bluezone scan export --db logbook.db --format presence --date 2026-11-23 --json`)
    .action(async (o: { db: string; format: 'trace' | 'observations' | 'presence'; date?: string; dwellMin: string; out?: string; json?: boolean }) => {
      await loadLogbook();
      let dateMs = o.date === undefined ? undefined : parseDate(o.date, '--date');
      const dwell = Number(o.dwellMin);
      if (!Number.isFinite(dwell) || dwell < 0 || dwell > 24 * 60) throw new UsageError(`--dwell-min: "${o.dwellMin}" is not a number of minutes (0..1440)`);
      // --out is checked (and staged) before the logbook is read; OutputError: exit 2, one line
      const set = new OutputSet({ stdout: stdoutSink(ctx) });
      const out = o.out !== undefined ? set.add(o.out) : undefined;
      const db = openForOutputs(o.db, set);
      try {
        if (o.format === 'presence' && dateMs === undefined) {
          const days = logbookDays(db);
          if (days.length !== 1) throw new UsageError(`--date: the presence report is per day and ${o.db} has ${days.length} day(s)${days.length ? ` (${days.map((d) => iso(d).slice(0, 10)).join(', ')})` : ''}`);
          dateMs = days[0];
        }
        let text = '';
        if (o.json) {
          if (o.format === 'presence') {
            const slots = presenceReport(db, dateMs!);
            text = JSON.stringify({ date: iso(dateMs!).slice(0, 10), slots, estimate: presenceEstimate(slots, dwell) }, null, 2) + '\n';
          } else {
            const lines = [...(o.format === 'trace' ? exportTrace(db, dateMs) : exportObservations(db, dateMs))];
            const rows = o.format === 'trace'
              ? lines.map((l) => {
                  const [own, contact, rssi, ts] = l.trimEnd().split('\t');
                  return { own, contact, rssi: Number(rssi), timestamp: Number(ts) };
                })
              : lines.slice(1).map((l) => {
                  const [timestamp_ms, receiver, transmitter, rssi, tx_power, receiver_model, transmitter_model] = l.trimEnd().split(',');
                  return { timestamp_ms: Number(timestamp_ms), receiver, transmitter, rssi: Number(rssi), tx_power: tx_power === '' ? null : Number(tx_power), receiver_model, transmitter_model };
                });
            text = JSON.stringify(rows, null, 2) + '\n';
          }
        } else if (o.format === 'trace') {
          for (const l of exportTrace(db, dateMs)) text += l;
        } else if (o.format === 'observations') {
          for (const l of exportObservations(db, dateMs)) text += l;
        } else {
          for (const l of exportPresence(db, dateMs!)) text += l;
          const e = presenceEstimate(presenceReport(db, dateMs!), dwell);
          info(ctx, `estimated distinct visitors ${e.visitors} (at least ${e.lower}, at most ${e.upper}): ${e.method}`);
        }
        if (out) {
          out.write(text);
          set.commit();
          if (o.out !== '-') info(ctx, `wrote ${o.out}`);
        } else {
          ctx.out.write(text);
        }
      } finally {
        set.abort(); // no-op after commit
        db.close();
      }
    });
}

/** `scan report`: the presence / adoption report of a day or a week (HTML page + CSV / JSON). */
function registerScanReport(scan: Command, ctx: CliContext): void {
  scan
    .command('report')
    .description('the daily or weekly adoption report: Bluezone phones at the door per slot and per day, as an HTML page with plots, plus CSV or JSON to send on')
    .requiredOption('--db <file>', 'SQLite logbook file (opened read-only)')
    .addOption(new Option('--period <period>', 'day: per 15-minute slot; week: per day of the ISO week (Monday to Sunday)').choices(['day', 'week']).default('day'))
    .option('--date <YYYY-MM-DD>', 'local day (or a day of the week) in --tz (default: the last day with rows in the logbook)')
    .option('--tz <zone>', 'IANA time zone of the site: day boundaries and local times (default: the system zone)')
    .option('--out <dir>', 'output folder: presence.html (day) or presence-week.html (week) and plots/', 'out/presence')
    .option('--csv <file>', 'also write the report as CSV (one row per slot, or per day for --period week; "-" is stdout)')
    .option('--site <name>', 'site name shown on the page')
    .option('--head-count <n>', 'people counted at the entrance in the same period (a person or a turnstile): gives the share running Bluezone')
    .option('--dwell-min <minutes>', 'typical minutes a phone stays in range, for the visitor estimate', '2')
    .option('--config <file>', 'beacon config: with the beacon key readable in its state_dir, our own beacon is recognised even in rows logged without it')
    .option('--state-dir <dir>', 'state directory holding the beacon key (as --config)')
    .option('--json', 'print the report as JSON on stdout (with "files": what was written)')
    .addHelpText('after', `
Examples:
  $ npx bluezone scan report --db /var/lib/bluezone/logbook.db --date 2026-11-23 --tz Asia/Ho_Chi_Minh --site "HQ lobby" --out /tmp/presence
  $ npx bluezone scan report --db logbook.db --period week --tz Asia/Ho_Chi_Minh --csv week.csv --head-count 1450
  $ npx bluezone scan report --db logbook.db --json > today.json`)
    .action(async (o: { db: string; period: 'day' | 'week'; date?: string; tz?: string; out: string; csv?: string; site?: string; headCount?: string; dwellMin: string; config?: string; stateDir?: string; json?: boolean }) => {
      await loadLogbook();
      const { writeReport } = await import('../../report/render.ts');
      const { renderPresenceDay, renderPresenceWeek } = await import('../../report/presence.ts');
      const { dayCsv, dayJson, lastLogbookDate, presenceDayInput, presenceWeekInput, weekCsv, weekJson } = await import('../../report/presenceData.ts');
      const dwell = Number(o.dwellMin);
      if (!Number.isFinite(dwell) || dwell < 0 || dwell > 24 * 60) throw new UsageError(`--dwell-min: "${o.dwellMin}" is not a number of minutes (0..1440)`);
      const headCount = o.headCount === undefined ? undefined : Number(o.headCount);
      if (headCount !== undefined && !(Number.isInteger(headCount) && headCount > 0 && headCount <= 1e9)) throw new UsageError(`--head-count: "${o.headCount}" is not a whole number of people (1..1e9)`);
      let tz: string;
      try {
        tz = checkTimeZone(o.tz ?? systemTimeZone());
      } catch (e) {
        throw new UsageError(`--tz: ${(e as Error).message}`);
      }
      if (o.csv === '-' && o.json) throw new UsageError('--csv - and --json both write to stdout: give --csv a file name');
      let date = o.date === undefined ? undefined : (parseDate(o.date, '--date'), o.date);
      // Our own IDs come from the logbook's blid column; the key, when this user can read it, adds them
      // for rows logged without it. Only derived IDs are compared, in this process (state.ts).
      let ownIdAt: ((ms: number) => Uint8Array | undefined) | undefined;
      if (o.config !== undefined || o.stateDir !== undefined) {
        const cfg = await resolveConfig({ config: o.config, stateDir: o.stateDir });
        try {
          const key = loadKey(cfg.state_dir);
          ownIdAt = (ms) => (ms >= key.baseDateMs ? bluezoneIdAt(key.secret(), key.baseDateMs, ms).id : undefined);
        } catch (e) {
          info(ctx, `note: no beacon key readable in ${cfg.state_dir} (${(e as Error).message}); our own beacon is recognised from the logbook's own-ID column only`);
        }
      }
      const { clock } = clockFromEnv(ctx);
      const nowMs = clock.now();
      // every output is staged before the logbook is read: a bad --out or --csv fails first (exit 2, one line)
      const set = new OutputSet({ stdout: stdoutSink(ctx) });
      const htmlName = o.period === 'week' ? 'presence-week.html' : 'presence.html';
      const html = set.add(join(o.out, htmlName), { mkdir: true });
      const csv = o.csv !== undefined ? set.add(o.csv) : undefined;
      const db = openForOutputs(o.db, set);
      let files: string[];
      let json: Record<string, unknown>;
      try {
        const q = { tz, nowMs, site: o.site, dwellMin: dwell, ownIdAt, headCount };
        if (date === undefined) {
          date = lastLogbookDate(db, tz);
          if (date === undefined) throw new UsageError(`--date: ${o.db} has no rows yet; pass the day to report with --date YYYY-MM-DD`);
          info(ctx, `reporting ${o.period === 'week' ? 'the week of ' : ''}${date} (${tz}), the last day with rows in the logbook`);
        }
        const offset = (ms: number) => tzOffsetMin(ms, tz);
        let rendered;
        if (o.period === 'week') {
          const w = presenceWeekInput(db, date, q);
          csv?.write(weekCsv(w));
          json = weekJson(w);
          rendered = await renderPresenceWeek(w, offset);
        } else {
          const d = presenceDayInput(db, date, q);
          csv?.write(dayCsv(d));
          json = dayJson(d);
          rendered = await renderPresenceDay(d, offset);
        }
        files = writeReport(o.out, rendered, htmlName, { set, html });
        if (o.csv !== undefined && o.csv !== '-') files.push(o.csv);
        set.commit();
      } catch (e) {
        set.abort();
        throw e;
      } finally {
        db.close();
      }
      if (o.json) printJson(ctx, { files, ...json });
      else if (o.csv !== '-') ctx.out.write(files.map((f) => f + '\n').join(''));
    });
}

/** `scan match`: the logbook against a published F0 key list. */
function registerScanMatch(scan: Command, ctx: CliContext): void {
  scan
    .command('match')
    .description('check the logbook against a published F0 key list: when was that phone at the door?')
    .requiredOption('--db <file>', 'SQLite logbook file')
    .requiredOption('--publication <file>', 'push JSON {"data":[{daily_key,time_start,time_end,max}]} (or the FCM message around it)')
    .option('--json', 'machine-readable output')
    .addHelpText('after', `
Examples:
  $ npx bluezone scan match --db /var/lib/bluezone/logbook.db --publication f0.json
  $ npx bluezone scan match --db logbook.db --publication f0.json --json`)
    .action(async (o: { db: string; publication: string; json?: boolean }) => {
      await loadLogbook();
      let text: string;
      try {
        text = readFileSync(o.publication, 'utf8');
      } catch (e) {
        throw new UsageError(`--publication ${o.publication}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      const pub = parsePublication(text);
      if (!pub.ok) throw new UsageError(`${o.publication}: ${pub.error.path}: ${pub.error.message}`);
      const db = asUsage(() => openLogbookReadonly(o.db));
      let result;
      try {
        result = matchPublication(pub.entries, ContactIndex.build(logbookContactLog(db), 1));
      } finally {
        db.close();
      }
      const m = result.matches;
      const first = m.length ? Math.min(...m.map((x) => x.sightings.firstMs)) : null;
      const last = m.length ? Math.max(...m.map((x) => x.sightings.lastMs)) : null;
      // The venue window to publish: whole slots around the first and last sighting.
      const window = first !== null && last !== null ? { fromMs: Math.floor(first / SLOT_MS) * SLOT_MS, toMs: Math.floor(last / SLOT_MS) * SLOT_MS + SLOT_MS } : null;
      if (o.json) {
        printJson(ctx, {
          contact: m.length > 0,
          slots_checked: result.stats.slotsChecked,
          matches: m.map((x) => ({ entry: x.entry, id: x.id, slot_start: iso(x.windowStartMs), slot_end: iso(x.windowEndMs), first_seen: iso(x.sightings.firstMs), last_seen: iso(x.sightings.lastMs), sightings: x.sightings.count })),
          venue_window: window ? { from: iso(window.fromMs), to: iso(window.toMs) } : null,
        });
        return;
      }
      if (m.length === 0) {
        ctx.out.write(`no sightings of the published IDs (${result.stats.slotsChecked} slot(s) checked)\n`);
        return;
      }
      ctx.out.write(`the published phone was at the door in ${m.length} slot(s):\n`);
      for (const x of m) {
        ctx.out.write(`  ${iso(x.windowStartMs)} .. ${hhmm(x.windowEndMs)}  ID ${x.id.slice(0, 6)}***  first ${iso(x.sightings.firstMs).slice(11)}  last ${iso(x.sightings.lastMs).slice(11)}  ${x.sightings.count} sighting(s)\n`);
      }
      if (window) {
        const sameDay = Math.floor(window.fromMs / DAY_MS) === Math.floor((window.toMs - 1) / DAY_MS);
        const d = iso(window.fromMs).slice(0, 10);
        ctx.out.write(`venue window ${iso(window.fromMs)} .. ${iso(window.toMs)}\n`);
        if (sameDay) ctx.out.write(`publish it: bluezone beacon publish --state-dir DIR --date ${d} --from ${hhmm(window.fromMs)} --to ${hhmm(window.toMs)}\n`);
      }
    });
}
