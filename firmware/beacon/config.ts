// Beacon configuration file (YAML or JSON), validated with zod. Errors name the file, the field path,
// the line where we can find it, and what was expected (docs/beacon.md).
import { readFileSync } from 'node:fs';
import { parseYamlText, YamlTextError, type YamlText } from '../../records/yamlText.ts';
import { z } from 'zod';
import { parseHciSpec } from '../radio/types.ts';
import { BeaconInputError } from './errors.ts';

const hciSpec = z.string().refine(
  (s) => {
    try {
      parseHciSpec(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected native:N (e.g. native:0 for hci0) or uart:PATH (e.g. uart:/dev/ttyACM0)' },
);

// Legacy advertising interval: 20 ms .. 10.24 s in units of 0.625 ms (Core Spec Vol 4 Part E 7.8.5).
const intervalMs = z
  .number({ invalid_type_error: 'expected a number of milliseconds' })
  .min(20, 'expected at least 20 ms (Core Spec Vol 4 Part E 7.8.5)')
  .max(10240, 'expected at most 10240 ms (Core Spec Vol 4 Part E 7.8.5)')
  .refine((v) => Math.abs(v / 0.625 - Math.round(v / 0.625)) < 1e-9, {
    message: 'expected a multiple of 0.625 ms (the controller counts in 0.625 ms units), e.g. 100 or 100.625',
  });

export const BeaconConfigSchema = z
  .object({
    state_dir: z.string().min(1).default('/var/lib/bluezone'),
    hci: hciSpec.default('native:0'),
    uart_baud: z.number().int().positive().default(1_000_000),
    log_level: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
    advertising: z
      .object({
        interval_ms: intervalMs.default(100),
        tx_power_dbm: z.number().int().min(-127).max(20).nullable().default(null),
        ibeacon: z
          .object({
            enabled: z.boolean().default(false),
            every_s: z.number().int().min(10).max(3600).default(60),
            duration_ms: z.number().int().min(100).max(10000).default(1000),
          })
          .strict()
          .default({}),
      })
      .strict()
      .default({}),
    watchdog: z
      .object({
        power_on_timeout_s: z.number().positive().max(600).default(10),
        backoff_initial_ms: z.number().int().min(10).default(1000),
        backoff_max_ms: z.number().int().min(10).default(60_000),
      })
      .strict()
      .default({}),
    logbook: z
      .object({
        hci: hciSpec.default('native:1'),
        db: z.string().min(1).nullable().default(null),
        receiver: z.string().min(1).default('lobby'),
        dedup_ms: z.number().int().min(0).max(600_000).default(5000),
        flush_ms: z.number().int().min(10).max(60_000).default(1000),
        flush_rows: z.number().int().min(1).max(100_000).default(256),
        own_beacon_silence_s: z.number().int().min(0).max(86_400).default(120),
      })
      .strict()
      .default({}),
    // Fleet collector (docs/fleet.md): url null = no reporting. token = file holding the enrolment token (0600).
    fleet: z
      .object({
        url: z.string().url('expected a URL such as https://collector.example:8443').nullable().default(null),
        token: z.string().min(1).nullable().default(null),
        ca_file: z.string().min(1).nullable().default(null),
      })
      .strict()
      .default({}),
  })
  .strict();

export type BeaconConfig = z.infer<typeof BeaconConfigSchema>;

export const DEFAULTS_YAML = `# Bluezone lobby beacon configuration (YAML; JSON works too).
# Every field is optional; these are the defaults. Check a file with: bluezone beacon config --check FILE

# Where the base key (mode 0600, never leaves the device), status.json and the logbook live.
state_dir: /var/lib/bluezone
# Adapter of the beacon: native:N = Linux hciN (raw HCI socket), or uart:PATH = an H4 UART controller.
hci: native:0
# Baud rate for uart: adapters.
uart_baud: 1000000
# error | warn | info | debug
log_level: info

advertising:
  # Interval between advertising events, 20..10240 ms in 0.625 ms steps. 100 ms = Android LOW_LATENCY.
  interval_ms: 100
  # Calibrated TX power (dBm) of this adapter: sent as a TX Power Level AD in the scan response, so active
  # scanners can estimate distance. bleno cannot SET the power; this only tells receivers what it is.
  tx_power_dbm: null
  # Bluezone 3.0.7 also sends an iBeacon (UUID C7AFEF7B-..., major 20, minor 20). One legacy advertising
  # set can carry one frame, so we time-share: every every_s seconds the iBeacon replaces the Bluezone
  # frame for duration_ms (never across a 15-minute ID boundary).
  ibeacon:
    enabled: false
    every_s: 60
    duration_ms: 1000

watchdog:
  # Restart the radio if the adapter is not poweredOn within this many seconds.
  power_on_timeout_s: 10
  # Exponential back-off between restarts, capped.
  backoff_initial_ms: 1000
  backoff_max_ms: 60000

logbook:
  # A SECOND adapter for the entrance logbook (bleno and noble on one adapter interfere).
  hci: native:1
  # SQLite file; null = STATE_DIR/logbook.db
  db: null
  # Name of this receiver in exports.
  receiver: lobby
  # Keep at most one row per ID per dedup_ms, like the Bluezone app (5 s).
  dedup_ms: 5000
  # Commit the insert batch at least this often, or after this many rows.
  flush_ms: 1000
  flush_rows: 256
  # When the beacon's key is in state_dir, our own beacon is a heartbeat: not hearing it for this many
  # seconds re-creates the scanner (adapters that stop silently). 0 = off.
  own_beacon_silence_s: 120

fleet:
  # Collector to report counts and health to (bluezone fleet report); null = none. https://, or http:// on loopback.
  url: null
  # File with the token \`bluezone fleet enrol\` printed (mode 0600); null = STATE_DIR/fleet-token
  token: null
  # CA certificate (PEM) to trust for the collector's TLS certificate; null = the system's CAs.
  ca_file: null
`;

export function defaultConfig(): BeaconConfig {
  return BeaconConfigSchema.parse({});
}

function describeIssue(issue: z.ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')} (check the spelling; see --print-defaults)`;
  if (issue.code === 'invalid_type') return `expected ${issue.expected}, got ${issue.received}`;
  if (issue.code === 'invalid_enum_value') return `expected one of ${issue.options.join(', ')}, got ${JSON.stringify(issue.received)}`;
  return issue.message;
}

/** Parses and validates config text; `file` is only used in error messages. */
export function parseBeaconConfig(text: string, file: string): BeaconConfig {
  let y: YamlText;
  try {
    y = parseYamlText(text, file);
  } catch (e) {
    if (e instanceof YamlTextError) throw new BeaconInputError(e.message, 'fix the syntax; see `bluezone beacon config --print-defaults` for a valid file');
    throw e;
  }
  const raw = y.raw ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new BeaconInputError(`${file}: expected a mapping of fields (state_dir, hci, advertising, ...) at the top level`, 'see `bluezone beacon config --print-defaults`');
  }
  const r = BeaconConfigSchema.safeParse(raw);
  if (!r.success) {
    const lines = r.error.issues.map((issue) => {
      const path = issue.path.join('.') || '(top level)';
      const line = issue.path.length > 0 ? y.lineOf(issue.path, true) : undefined;
      const where = line !== undefined ? `:${line}` : '';
      return `${file}${where}: field ${path}: ${describeIssue(issue)}`;
    });
    throw new BeaconInputError(lines.join('\n'), 'see `bluezone beacon config --print-defaults` for every field with its default');
  }
  const cfg = r.data;
  if (cfg.watchdog.backoff_max_ms < cfg.watchdog.backoff_initial_ms) {
    throw new BeaconInputError(`${file}: field watchdog.backoff_max_ms: expected >= watchdog.backoff_initial_ms (${cfg.watchdog.backoff_initial_ms})`);
  }
  return cfg;
}

export function loadBeaconConfig(file: string): BeaconConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new BeaconInputError(`${file}: cannot read the config file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseBeaconConfig(text, file);
}

/** Command-line overrides applied on top of the file (flags win). */
export function applyOverrides(cfg: BeaconConfig, o: { stateDir?: string; hci?: string; intervalMs?: string | number }): BeaconConfig {
  const merged = structuredClone(cfg) as BeaconConfig & Record<string, unknown>;
  if (o.stateDir !== undefined) merged.state_dir = o.stateDir;
  if (o.hci !== undefined) merged.hci = o.hci;
  if (o.intervalMs !== undefined) (merged.advertising as Record<string, unknown>).interval_ms = Number(o.intervalMs);
  const r = BeaconConfigSchema.safeParse(merged);
  if (!r.success) {
    const issue = r.error.issues[0];
    const flag = issue.path[0] === 'hci' ? '--hci' : issue.path[0] === 'state_dir' ? '--state-dir' : issue.path.join('.') === 'advertising.interval_ms' ? '--interval-ms' : issue.path.join('.');
    throw new BeaconInputError(`${flag}: ${describeIssue(issue)}`);
  }
  return r.data;
}
