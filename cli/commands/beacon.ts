// `bluezone beacon ...`: the lobby beacon daemon and its admin commands (docs/beacon.md,
// docs/raspberry-pi.md). Logic lives in firmware/beacon.
import { Command, Option } from 'commander';
// The product modules (the config module with yaml and zod, the daemon, the radio) load in the actions
// that need them, so --help loads only commander and cli/ (issue 16).
import type { readStatus, StatusFile } from '../../firmware/beacon/state.ts';
import { info, printJson, stdoutSink, type CliContext } from '../context.ts';
import { asUsage, clockFromEnv, ExitStatus, exitSoonAfterShutdown, LSB_NOT_RUNNING, makeLogger, resolveConfig, untilSignal } from '../daemon.ts';
import { UsageError } from '../errors.ts';
import { OutputError, writeFileAtomic } from '../../records/output.ts';

function parseDate(v: string, flag: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!m || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== v) throw new UsageError(`${flag}: "${v}" is not a date YYYY-MM-DD (UTC)`);
  return ms;
}

function parseHhMm(v: string, flag: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(v);
  if (!m || Number(m[1]) > 24 || Number(m[2]) > 59 || (Number(m[1]) === 24 && Number(m[2]) !== 0)) {
    throw new UsageError(`${flag}: "${v}" is not a UTC time HH:MM (00:00..24:00)`);
  }
  return (Number(m[1]) * 60 + Number(m[2])) * 60_000;
}

function formatStatus(s: ReturnType<typeof readStatus>): string {
  const rows: [string, string][] = [
    ['state', s.state + (s.test_clock ? ' (TEST CLOCK)' : '')],
    ['slot', s.slot === null ? '-' : `${s.slot} of 96`],
    ['id_prefix', s.id_prefix ?? '-'],
    ['frame', s.frame ?? '-'],
    ['uptime_s', String(s.uptime_s)],
    ['adapter', s.adapter],
    ['interval_ms', String(s.interval_ms)],
    ['restarts', String(s.restarts)],
    ['last_error', s.last_error ?? '-'],
    ['pid', s.running ? String(s.pid) : '-'],
  ];
  return rows.map(([k, v]) => `${k.padEnd(12)} ${v}`).join('\n') + '\n';
}

export function registerBeacon(program: Command, ctx: CliContext): void {
  const beacon = program.command('beacon').description('Bluezone-compatible lobby beacon: daemon, status, key publication, systemd unit');

  beacon
    .command('start')
    .description('run the beacon in the foreground until SIGINT/SIGTERM (rotates the BluezoneID every UTC quarter hour)')
    .option('--config <file>', 'config file (YAML or JSON); see `beacon config --print-defaults`')
    .option('--state-dir <dir>', 'state directory (base key, status.json); overrides state_dir')
    .option('--hci <spec>', 'adapter: native:N (hciN) or uart:PATH; overrides hci')
    .option('--interval-ms <ms>', 'advertising interval, 20..10240 ms in 0.625 ms steps; overrides advertising.interval_ms')
    .addHelpText('after', `
Examples:
  $ npx bluezone beacon start --state-dir /var/lib/bluezone --hci native:0
  $ npx bluezone beacon start --config /etc/bluezone/beacon.yaml
  $ npx bluezone beacon start --state-dir ./state --hci uart:/tmp/bz-beacon.pty   # against "air pty"`)
    .action(async (o: { config?: string; stateDir?: string; hci?: string; intervalMs?: string }) => {
      const cfg = await resolveConfig(o);
      const { adapterPresence } = await import('../../firmware/beacon/adapterWatch.ts');
      const { BeaconDaemon } = await import('../../firmware/beacon/daemon.ts');
      const { loadOrCreateKey, readStatus, writeStatus } = await import('../../firmware/beacon/state.ts');
      const { ProcessAdvertiser } = await import('../../firmware/radio/processAdvertiser.ts');
      const { formatHciSpec, parseHciSpec } = await import('../../firmware/radio/types.ts');
      const log = makeLogger(ctx, cfg.log_level);
      const { clock, test } = clockFromEnv(ctx);
      const spec = asUsage(() => parseHciSpec(cfg.hci, cfg.uart_baud));
      try {
        const prev = readStatus(cfg.state_dir);
        if (prev.running && prev.pid !== process.pid) {
          throw new UsageError(`${cfg.state_dir}: a beacon is already running with this state dir (pid ${prev.pid})`, 'stop it first (systemctl stop bluezone-beacon), or use another --state-dir');
        }
      } catch (e) {
        if (e instanceof UsageError) throw e; // no status yet: first start
      }
      const { key, created } = asUsage(() => loadOrCreateKey(cfg.state_dir, clock.now()));
      if (created) log('info', `created a new base key in ${key.file} (base date ${new Date(key.baseDateMs).toISOString().slice(0, 10)}); it never leaves this device`);
      let lastWrite: StatusFile | undefined;
      const daemon = new BeaconDaemon({
        config: cfg,
        key,
        clock,
        testClock: test,
        adapterLabel: formatHciSpec(spec),
        adapterPresent: adapterPresence(spec),
        log,
        createAdvertiser: () => new ProcessAdvertiser(spec, { intervalMs: cfg.advertising.interval_ms, onLog: (l) => log('debug', `radio: ${l}`) }),
        onStatus: (s) => {
          lastWrite = s;
          try {
            writeStatus(cfg.state_dir, s);
          } catch (e) {
            log('error', `cannot write status.json: ${(e as Error).message}`);
          }
        },
      });
      log('info', `beacon starting on ${formatHciSpec(spec)}, interval ${cfg.advertising.interval_ms} ms, state dir ${cfg.state_dir}`);
      daemon.start();
      // Refresh updated_at_ms now and then so `beacon status` can tell a hung daemon from a quiet one.
      const heartbeat = setInterval(() => lastWrite && writeStatus(cfg.state_dir, daemon.status()), 30_000);
      const sig = await untilSignal();
      clearInterval(heartbeat);
      log('info', `${sig}: stopping`);
      await daemon.stop();
      exitSoonAfterShutdown();
    });

  beacon
    .command('status')
    .description('show what the beacon is doing: state, slot, ID prefix, uptime, last error')
    .option('--state-dir <dir>', 'state directory of the beacon', '/var/lib/bluezone')
    .option('--json', 'machine-readable output')
    .addHelpText('after', `
Examples:
  $ npx bluezone beacon status --state-dir /var/lib/bluezone
  $ npx bluezone beacon status --state-dir /var/lib/bluezone --json | jq .last_error`)
    .action(async (o: { stateDir: string; json?: boolean }) => {
      const { readStatus } = await import('../../firmware/beacon/state.ts');
      const s = asUsage(() => readStatus(o.stateDir));
      if (o.json) printJson(ctx, s);
      else ctx.out.write(formatStatus(s));
      if (!s.running) throw new ExitStatus(LSB_NOT_RUNNING); // 0 running, 3 stopped, as systemctl status
    });

  beacon
    .command('publish')
    .description('print the push entry that lets phones check a visit window (daily key only, never the base key)')
    .option('--state-dir <dir>', 'state directory of the beacon', '/var/lib/bluezone')
    .requiredOption('--date <YYYY-MM-DD>', 'UTC date of the window')
    .requiredOption('--from <HH:MM>', 'window start, UTC')
    .requiredOption('--to <HH:MM>', 'window end, UTC (24:00 = end of day)')
    .option('--json', 'accepted like every printing command; the entry is printed as JSON either way')
    .addHelpText('after', `
Phones match from time_start = that day's 00:00 UTC (bluezone-protocol.md 6.4 derives slot i from
time_start + i x 15 min), so the entry also covers 00:00..FROM; time_end is cut at TO.

Examples:
  $ npx bluezone beacon publish --state-dir /var/lib/bluezone --date 2026-11-23 --from 08:00 --to 10:30`)
    .action(async (o: { stateDir: string; date: string; from: string; to: string }) => {
      const day = parseDate(o.date, '--date');
      const from = parseHhMm(o.from, '--from');
      const to = parseHhMm(o.to, '--to');
      if (from >= to) throw new UsageError(`--from ${o.from} must be before --to ${o.to} (same UTC day)`);
      const { loadKey } = await import('../../firmware/beacon/state.ts');
      const { publication } = await import('../../firmware/protocol/match.ts');
      const key = asUsage(() => loadKey(o.stateDir));
      const baseDate = new Date(key.baseDateMs).toISOString().slice(0, 10);
      if (day < key.baseDateMs) {
        throw new UsageError(`--date ${o.date} is before this beacon's base date ${baseDate}: it had no IDs then`);
      }
      if (day === key.baseDateMs) {
        // DK_0 is the base key (bluezone-protocol.md 1.2); it never leaves the device (9.2).
        throw new UsageError(`--date ${o.date} is this beacon's base date: its daily key is the base key itself, which is never published`,
          'beacons created by this version start the day after their base date, so this only affects older state dirs');
      }
      const entries = publication(key.secret(), key.baseDateMs, day + from, day + to);
      ctx.out.write(JSON.stringify(entries[0]) + '\n');
      info(ctx, `note: phones will match sightings of this beacon from ${o.date} 00:00 UTC up to ${o.to} UTC (bluezone-protocol.md 6.4)`);
    });

  beacon
    .command('install-service')
    .description('print (or write) a hardened systemd unit that runs the beacon (or the logbook) as a dedicated user')
    .addOption(new Option('--service <name>', 'beacon: `beacon start`; logbook: the entrance logbook (`scan`)').choices(['beacon', 'logbook']).default('beacon'))
    .option('--write <path>', 'write the unit to this file instead of stdout (e.g. /etc/systemd/system/bluezone-beacon.service)')
    .option('--user <name>', 'system user to run as', 'bluezone')
    .option('--config <file>', 'config file the service passes to `beacon start`', '/etc/bluezone/beacon.yaml')
    .option('--state-dir <dir>', 'state directory (must be under /var/lib for StateDirectory=)', '/var/lib/bluezone')
    .option('--adapter <hciN>', 'adapter device the unit waits for and brings up (default: hci0 for the beacon, hci1 for the logbook)')
    .option('--exec <path>', 'path of the bluezone executable', '/usr/local/bin/bluezone')
    .addHelpText('after', `
Examples:
  $ npx bluezone beacon install-service
  $ sudo bluezone beacon install-service --write /etc/systemd/system/bluezone-beacon.service && sudo systemctl daemon-reload
  $ sudo bluezone beacon install-service --service logbook --write /etc/systemd/system/bluezone-logbook.service`)
    .action(async (o: { write?: string; user: string; config: string; stateDir: string; adapter?: string; exec: string; service: 'beacon' | 'logbook' }) => {
      const { renderSystemdUnit } = await import('../../firmware/beacon/systemd.ts');
      const adapter = o.adapter ?? (o.service === 'logbook' ? 'hci1' : 'hci0');
      const unit = asUsage(() => renderSystemdUnit({ user: o.user, configFile: o.config, stateDir: o.stateDir, adapter, exec: o.exec, service: o.service }));
      if (o.write) {
        try {
          // atomic: systemd never reads a half-written unit (docs/outputs.md)
          writeFileAtomic(o.write, unit, { mode: 0o644, stdout: stdoutSink(ctx) });
        } catch (e) {
          if (e instanceof OutputError) throw new UsageError(`--write ${e.message}`, 'run with sudo to write under /etc/systemd/system');
          throw e;
        }
        info(ctx, `wrote ${o.write}; next: sudo useradd --system --no-create-home ${o.user}; sudo systemctl daemon-reload; sudo systemctl enable --now ${o.write.split('/').pop()}`);
      } else {
        ctx.out.write(unit);
      }
    });

  beacon
    .command('config')
    .description('print the documented default config, or check a config file')
    .option('--print-defaults', 'print every field with its default and a comment')
    .option('--check <file>', 'validate FILE; exit 2 with file:line: field: what was expected')
    .option('--json', 'with --check: print the effective config as JSON')
    .addHelpText('after', `
Examples:
  $ npx bluezone beacon config --print-defaults > beacon.yaml
  $ npx bluezone beacon config --check beacon.yaml`)
    .action(async (o: { printDefaults?: boolean; check?: string; json?: boolean }) => {
      if (o.printDefaults) {
        ctx.out.write((await import('../../firmware/beacon/config.ts')).DEFAULTS_YAML);
        return;
      }
      if (o.check) {
        const { loadBeaconConfig } = await import('../../firmware/beacon/config.ts');
        const cfg = asUsage(() => loadBeaconConfig(o.check!));
        if (o.json) printJson(ctx, cfg);
        else ctx.out.write(`${o.check}: ok\n`);
        return;
      }
      throw new UsageError('beacon config: give --print-defaults or --check FILE');
    });
}
