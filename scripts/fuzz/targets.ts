// Fuzz targets shared by the property tests (test/fuzz/parsers.property.test.ts, ~10^5 cases each in
// `npm test`) and the long run (scripts/fuzz.ts, `npm run fuzz`). Each target takes bytes and returns
// normally for any input, whether it is accepted or refused; it throws only for a crash: an exception
// other than the parser's documented error, or a result that breaks the parser's contract.
import { parseBeaconConfig } from '../../firmware/beacon/config.ts';
import { BeaconInputError } from '../../firmware/beacon/errors.ts';
import { btsnoopHeader, btsnoopRecord, parseBtsnoop } from '../../firmware/hci/btsnoop.ts';
import { InvalidPacketError } from '../../firmware/hci/errors.ts';
import { H4Framer } from '../../firmware/hci/h4.ts';
import { VirtualScheduler } from '../../firmware/hci/scheduler.ts';
import { VirtualController } from '../../firmware/hci/virtualController.ts';
import { parseAdvertisingData } from '../../firmware/protocol/ad.ts';
import { parseContactLog } from '../../firmware/protocol/contactLog.ts';
import { buildAndroidFrame, buildIBeaconFrame, buildIosFrame, classifyAdvert } from '../../firmware/protocol/frames.ts';
import { fromHex } from '../../firmware/protocol/hex.ts';
import { parsePublication } from '../../firmware/protocol/match.ts';
import { formatTrace, parseTrace } from '../../firmware/protocol/traceFormat.ts';
import { OBSERVATION_CSV_HEADER } from '../../records/rows.ts';
import { DelimitedReadError, readDelimited, writeDelimited } from '../../records/proto/index.ts';
import { mulberry32 } from '../../firmware/hci/airModel.ts';

export class FuzzCrash extends Error {
  override name = 'FuzzCrash';
}

export interface FuzzTarget {
  name: string;
  /** Valid (or nearly valid) inputs that mutation starts from. */
  corpus: Uint8Array[];
  /** Bytes random inputs are drawn from (structural characters weigh more than in uniform bytes). */
  alphabet: Uint8Array;
  /** Fraction of --runs for a slow target (default 1). */
  share?: number;
  run(input: Uint8Array): void;
}

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8'); // invalid UTF-8 becomes U+FFFD, as readFileSync(..., 'utf8') does
const text = (s: string) => enc.encode(s);
const chars = (s: string) => Uint8Array.from(new Set([...enc.encode(s)]));
const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);

function expectOnly(what: string, e: unknown, ...ok: (new (...a: never[]) => Error)[]): void {
  if (ok.some((t) => e instanceof t)) return;
  throw new FuzzCrash(`${what}: threw ${(e as Error)?.name ?? typeof e}: ${(e as Error)?.message ?? String(e)}`);
}

const DK = '4C5224B397F8AB3896781D5AA0F3119F280513F1B592CA280EBDED6357E21084';
const OWN = fromHex('000102030405060708090A0B');
const ID = fromHex('B9A665D754FE65E665D76A45');

export const TARGETS: FuzzTarget[] = [
  {
    name: 'publication_json',
    corpus: [
      text(JSON.stringify({ data: [{ daily_key: DK, time_start: 1596844800, time_end: 1596931199, max: 96 }] })),
      text(JSON.stringify({ data: { Type: 'F0', DataContent: JSON.stringify({ InfoF: JSON.stringify({ data: [{ daily_key: DK, time_start: '1596844800', time_end: '1596931199', max: '96' }] }) }) } })),
    ],
    alphabet: chars('{}[]",:\\ 0123456789abcdefABCDEF-+.eEdatimxsrn_ulf'),
    run(b) {
      const r = parsePublication(dec.decode(b));
      if (r.ok) {
        for (const e of r.entries) if (!(e.dailyKey.length === 32 && e.timeEndS >= e.timeStartS && 86400 % e.max === 0)) throw new FuzzCrash('accepted a bad entry');
      } else if (typeof r.error.message !== 'string' || !r.error.message.startsWith(r.error.path)) throw new FuzzCrash(`error does not start with its path: ${r.error.message}`);
    },
  },
  {
    name: 'data_trace_txt',
    corpus: [text(formatTrace([{ own: OWN, contact: ID, rssi: -60, timestamp: 1596866191387 }, { own: OWN, contact: ID, rssi: -59, timestamp: 1596866299.5 }]))],
    alphabet: chars('\t\n\r 0123456789ABCDEFabcdef-.e'),
    run(b) {
      const r = parseTrace(dec.decode(b));
      if (!r.ok && !(r.error.line >= 1 && r.error.message.startsWith(`line ${r.error.line}, field `))) throw new FuzzCrash(`bad error: ${r.error.message}`);
      if (r.ok && r.log.contactIds.length !== r.log.length * 12) throw new FuzzCrash('columns out of step');
    },
  },
  {
    name: 'observation_csv',
    corpus: [text(`${OBSERVATION_CSV_HEADER}\n1596866191387,door,B9A665D754FE65E665D76A45,-61,-15,rpi4,pixel\n1596866191400,door,"B9A665D754FE65E665D76A45",-62,,rpi4,"a ""b"" c"\n`)],
    alphabet: chars(',"\n\r 0123456789ABCDEFabcdef-._'),
    run(b) {
      // The header line comes first so that inputs reach the CSV reader rather than the trace reader.
      const s = dec.decode(b);
      const r = parseContactLog(s.startsWith('timestamp_ms,') ? s : `${OBSERVATION_CSV_HEADER}\n${s}`, 'fuzz.csv');
      if (!r.result.ok && !(r.result.error.line >= 1)) throw new FuzzCrash(`bad error line: ${r.result.error.message}`);
    },
  },
  {
    name: 'protobuf_observations',
    corpus: [
      writeDelimited('Observation', [
        { timestampMs: 1596866191387, receiver: 'door', transmitter: 'B9A665D754FE65E665D76A45', rssi: -61, txPower: -15, receiverModel: 'rpi4', transmitterModel: 'pixel' },
        { timestampMs: 1596866191400, receiver: 'door', transmitter: 'x', rssi: -70 },
      ]),
    ],
    alphabet: ALL_BYTES,
    run(b) {
      try {
        readDelimited('Observation', b);
      } catch (e) {
        expectOnly('readDelimited', e, DelimitedReadError);
        const d = e as DelimitedReadError;
        if (!(d.offset >= 0 && d.offset <= b.length)) throw new FuzzCrash(`offset ${d.offset} outside the input`);
      }
    },
  },
  {
    name: 'h4_controller',
    corpus: [
      Uint8Array.from([0x01, 0x03, 0x0c, 0x00, 0x01, 0x09, 0x10, 0x00, 0x01, 0x06, 0x20, 0x0f, 0x20, 0x00, 0x20, 0x00, 0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 0x07, 0x00]),
      Uint8Array.from([0x01, 0x08, 0x20, 0x20, 0x17, ...buildAndroidFrame(ID), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x0a, 0x20, 0x01, 0x01, 0x02, 0x40, 0x00, 0x02, 0x00, 0xaa, 0xbb]),
    ],
    alphabet: ALL_BYTES,
    run(b) {
      // The whole controller, not only the framer: commands decoded from garbage reach the handlers.
      let bad: unknown;
      const c = new VirtualController({ address: 'c0:ff:ee:00:00:01', scheduler: new VirtualScheduler(0), send: () => {}, onError: (e) => {
        if (!(e instanceof InvalidPacketError)) bad = e;
      } });
      c.receive(b);
      if (bad) throw new FuzzCrash(`onError got ${String(bad)}`);
      const f = new H4Framer(() => {}, { accept: ['command', 'acl'] });
      f.push(b);
      if (f.offset !== b.length) throw new FuzzCrash(`framer consumed ${f.offset} of ${b.length} bytes`);
    },
  },
  {
    name: 'advertising_data',
    corpus: [buildAndroidFrame(ID), buildIBeaconFrame(), buildIosFrame()],
    alphabet: ALL_BYTES,
    run(b) {
      const r = parseAdvertisingData(b);
      if (!r.ok && typeof (r as { error?: { message?: unknown } }).error?.message !== 'string') throw new FuzzCrash('refusal without a message');
      classifyAdvert(b);
    },
  },
  {
    name: 'btsnoop',
    corpus: [Uint8Array.from([...btsnoopHeader(), ...btsnoopRecord(Uint8Array.from([0x01, 0x03, 0x0c, 0x00]), true, 1596866191387), ...btsnoopRecord(Uint8Array.from([0x04, 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00]), false, 1596866191388)])],
    alphabet: ALL_BYTES,
    run(b) {
      try {
        parseBtsnoop(b);
      } catch (e) {
        expectOnly('parseBtsnoop', e, InvalidPacketError);
      }
    },
  },
  {
    name: 'beacon_config_yaml',
    share: 0.05, // the YAML library costs ~1 ms an input: 5 x 10^4 of each kind in the long run
    corpus: [text('state_dir: /var/lib/bluezone\nhci: native:0\nadvertising:\n  interval_ms: 100\n  tx_power_dbm: -12\n'), text('{"state_dir": "/tmp/x", "hci": "uart:/dev/ttyACM0"}\n')],
    alphabet: chars(':-[]{}&*!|>#\'"\n ,0123456789abcdefghinrstuvx_/'),
    run(b) {
      try {
        parseBeaconConfig(dec.decode(b), 'fuzz.yaml');
      } catch (e) {
        expectOnly('parseBeaconConfig', e, BeaconInputError);
      }
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Input generation: a seeded PRNG (deterministic runs), random inputs and corpus mutations.

/** mulberry32 (firmware/hci/airModel.ts): small, fast, good enough to drive a fuzzer; same seed, same inputs. */
export const rng = mulberry32;

/** Lengths skewed short (most parsers fail early) with a tail up to `max`. */
function length(r: () => number, max: number): number {
  const u = r();
  return Math.floor(u * u * u * max);
}

export function randomInput(t: FuzzTarget, r: () => number, max = 512): Uint8Array {
  const n = length(r, max);
  const out = new Uint8Array(n);
  const structural = r() < 0.5;
  for (let i = 0; i < n; i++) out[i] = structural ? t.alphabet[Math.floor(r() * t.alphabet.length)] : Math.floor(r() * 256);
  return out;
}

/** 1-8 edits of a corpus entry: bit flips, byte sets, inserts, deletes, chunk copies, splices, truncation. */
export function mutate(t: FuzzTarget, r: () => number, maxLen = 4096): Uint8Array {
  let b: number[] = [...t.corpus[Math.floor(r() * t.corpus.length)]];
  const edits = 1 + Math.floor(r() * 8);
  const pick = () => Math.floor(r() * (b.length + 1));
  const byte = () => (r() < 0.5 ? t.alphabet[Math.floor(r() * t.alphabet.length)] : [0, 0xff, 0x7f, 0x80][Math.floor(r() * 4)]);
  for (let k = 0; k < edits; k++) {
    switch (Math.floor(r() * 8)) {
      case 0:
        if (b.length) b[pick() % b.length] ^= 1 << Math.floor(r() * 8);
        break;
      case 1:
        if (b.length) b[pick() % b.length] = byte();
        break;
      case 2:
        b.splice(pick(), 0, ...Array.from({ length: 1 + Math.floor(r() * 4) }, byte));
        break;
      case 3:
        b.splice(pick(), 1 + Math.floor(r() * 8));
        break;
      case 4: {
        // Repeat a chunk: nesting, long runs of one line or field.
        const from = pick();
        const chunk = b.slice(from, from + 1 + Math.floor(r() * 16));
        const times = 1 + Math.floor(r() * r() * 64);
        b.splice(pick(), 0, ...Array.from({ length: times }, () => chunk).flat());
        break;
      }
      case 5: {
        const other = t.corpus[Math.floor(r() * t.corpus.length)];
        const from = Math.floor(r() * other.length);
        b.splice(pick(), 0, ...other.subarray(from, from + Math.floor(r() * 32)));
        break;
      }
      case 6:
        b = b.slice(0, pick());
        break;
      default: {
        // Interesting numbers where digits are.
        const s = ['0', '-1', '4294967296', '1e309', '86400', '9007199254740993', 'NaN', '""', '[]', '{}'][Math.floor(r() * 10)];
        b.splice(pick(), Math.floor(r() * 4), ...enc.encode(s));
      }
    }
    if (b.length > maxLen) b = b.slice(0, maxLen);
  }
  return Uint8Array.from(b);
}
