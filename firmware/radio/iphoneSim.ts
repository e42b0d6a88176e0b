// A simulated iOS Bluezone phone for tests: real bleno as a GATT server on any HCI (the virtual air
// through a pty, or a real adapter). It advertises like iOS Bluezone (bluezone-protocol.md 2.3:
// foreground = 128-bit service UUID + name "Bluezone"; background = Apple's overflow area, 10) and
// serves the Bluezone characteristic (3, 4.1) with the ID of the current slot from its key schedule.
//
// Run as a process (tsx): node --import tsx firmware/radio/iphoneSim.ts --hci uart:PATH
//   --base-key <64 hex> --base-date YYYY-MM-DD [--layout foreground|background] [--mute]
// JSON lines on stdout: state, advertising, accept, read (id), disconnect. BLUEZONE_TEST_CLOCK (the
// beacon's test clock) shifts and speeds up the key schedule's clock. --mute accepts connections and
// never answers a read: the "peer that never answers" a reader must survive.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { buildAdvertisingData } from '../protocol/ad.ts';
import { APPLE_COMPANY_ID, BLUEZONE_GATT_CHARACTERISTIC_UUID, BLUEZONE_GATT_SERVICE_UUID, IOS_OVERFLOW_PREFIX, buildIosFrame } from '../protocol/frames.ts';
import { toHex } from '../protocol/hex.ts';
import { bluezoneIdAt } from '../protocol/keys.ts';
import { hciBindingOptions, patchBlenoSmp } from './blenoAdapter.ts';
import { parseHciSpec, type HciSpec } from './types.ts';
import { parseTestClock } from '../clock.ts';

const require = createRequire(import.meta.url);

export type IosLayout = 'foreground' | 'background';

/** The advert of an iOS Bluezone phone in each app state (bluezone-protocol.md 2.3, 10). */
export function iosAdvert(layout: IosLayout): Uint8Array {
  if (layout === 'foreground') return buildIosFrame(0x06);
  // Backgrounded, iOS moves 128-bit UUIDs into the "overflow area" of Apple manufacturer data; the
  // advert then carries no UUID and no name, only the hashed bit Android filters on (10).
  return buildAdvertisingData([
    { type: 'flags', flags: 0x06 },
    { type: 'manufacturer', companyId: APPLE_COMPANY_ID, data: IOS_OVERFLOW_PREFIX },
  ]);
}

/** bleno's UUID form: lower-case hex without dashes. */
export const blenoUuid = (u: string): string => u.replaceAll('-', '').toLowerCase();

export interface IphoneSimOptions {
  spec: HciSpec;
  baseKey: Uint8Array;
  baseDateMs: number;
  layout: IosLayout;
  /** Never answer reads (connection accepted, ATT request left pending). */
  mute?: boolean;
  now?: () => number;
  out?: (o: Record<string, unknown>) => void;
}

interface BlenoGatt {
  on(ev: string, fn: (...a: never[]) => void): void;
  startAdvertisingWithEIRData(adv: Buffer, scan: Buffer, cb?: (err?: Error | null) => void): void;
  setServices(services: unknown[], cb?: (err?: Error | null) => void): void;
  stop(): void;
  PrimaryService: new (o: unknown) => unknown;
  Characteristic: new (o: unknown) => unknown;
}

/** Starts the simulated phone; returns a stop function. */
export function startIphoneSim(o: IphoneSimOptions): () => void {
  const now = o.now ?? Date.now;
  const out = o.out ?? (() => {});
  const { withBindings } = require('@stoprocent/bleno') as { withBindings: (t: string, b: unknown) => BlenoGatt };
  patchBlenoSmp();
  const bleno = withBindings('hci', hciBindingOptions(o.spec));
  const currentId = () => bluezoneIdAt(o.baseKey, o.baseDateMs, now()).id;
  const characteristic = new bleno.Characteristic({
    uuid: blenoUuid(BLUEZONE_GATT_CHARACTERISTIC_UUID),
    properties: ['read'],
    onReadRequest: (_conn: unknown, offset: number, cb: (result: number, data?: Buffer) => void) => {
      const id = Buffer.from(currentId());
      out({ event: 'read', id: toHex(id), offset, answered: !o.mute });
      if (o.mute) return; // the reader's ATT request stays pending until it gives up
      cb(0x00, id.subarray(offset)); // ATT Read Response (Vol 3 Part F 3.4.4.4)
    },
  });
  const service = new bleno.PrimaryService({ uuid: blenoUuid(BLUEZONE_GATT_SERVICE_UUID), characteristics: [characteristic] });
  bleno.on('stateChange', ((state: string) => {
    out({ event: 'state', state });
    if (state !== 'poweredOn') return;
    bleno.setServices([service], (err) => {
      if (err) out({ event: 'error', message: err.message });
      bleno.startAdvertisingWithEIRData(Buffer.from(iosAdvert(o.layout)), Buffer.alloc(0));
    });
  }) as never);
  bleno.on('advertisingStart', ((err?: Error | null) => out({ event: 'advertising', error: err ? err.message : null })) as never);
  bleno.on('accept', ((address: string) => out({ event: 'accept', address })) as never);
  bleno.on('disconnect', ((address: string) => out({ event: 'disconnect', address })) as never);
  return () => bleno.stop();
}

/** BLUEZONE_TEST_CLOCK (firmware/clock.ts parseTestClock, the beacon's test clock); unset: real time. */
export function testClockNow(spec: string | undefined, real: () => number = Date.now): () => number {
  if (!spec) return real;
  const c = parseTestClock(spec, real);
  return () => c.now();
}

function parseArgs(argv: string[]): IphoneSimOptions {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const hci = get('hci');
  const key = get('base-key');
  const date = get('base-date');
  const layout = (get('layout') ?? 'foreground') as IosLayout;
  if (!hci || !key || !/^[0-9a-fA-F]{64}$/.test(key) || !date || !/^\d{4}-\d{2}-\d{2}$/.test(date) || !['foreground', 'background'].includes(layout)) {
    throw new Error('usage: iphoneSim.ts --hci uart:PATH --base-key <64 hex> --base-date YYYY-MM-DD [--layout foreground|background] [--mute]');
  }
  return {
    spec: parseHciSpec(hci),
    baseKey: Uint8Array.from(Buffer.from(key, 'hex')),
    baseDateMs: Date.parse(`${date}T00:00:00Z`),
    layout,
    mute: argv.includes('--mute'),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  let opts: IphoneSimOptions;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
  }
  const now = testClockNow(process.env.BLUEZONE_TEST_CLOCK);
  const stop = startIphoneSim({ ...opts, now, out: (o) => process.stdout.write(`${JSON.stringify({ t: Date.now(), ...o })}\n`) });
  const quit = () => {
    stop();
    process.exit(0);
  };
  process.on('SIGTERM', quit);
  process.on('SIGINT', quit);
}
