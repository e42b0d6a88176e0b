// Benchmark: the virtual air (docs/beacon.md "Virtual air").
//   npm run bench:air [-- --advertisers 20 --scanners 20 --seconds 60 --runs 5 --json]
// 1. reports/s: advertisers (ADV_IND, 100 ms) and active scanners on a virtual clock, so the time is
//    pure CPU: advertising events, air-model calls, report encoding and controller-side filtering.
// 2. H4 framer MB/s: a stream of LE Advertising Report events decoded in 64-byte chunks.
// Prints the median of the runs.
import { Air } from '../firmware/hci/air.ts';
import { ChannelAirModel } from '../sim/channel/airModel.ts';
import { H4Framer } from '../firmware/hci/h4.ts';
import { advertisingReportEvent, encodeCommand } from '../firmware/hci/packets.ts';
import { VirtualScheduler } from '../firmware/hci/scheduler.ts';
import { VirtualController } from '../firmware/hci/virtualController.ts';
import { controllerAddress } from '../firmware/hci/server.ts';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}
const ADV = Number(arg('advertisers', '20'));
const SCAN = Number(arg('scanners', '20'));
const SECONDS = Number(arg('seconds', '60'));
const RUNS = Number(arg('runs', '5'));
const json = process.argv.includes('--json');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function airOnce(): { reportsPerS: number; reports: number; realtimeFactor: number } {
  const scheduler = new VirtualScheduler(0);
  const air = new Air({ scheduler, model: new ChannelAirModel({ seed: 1 }), seed: 1 });
  let bytes = 0;
  const make = (n: number) => {
    const c = new VirtualController({ address: controllerAddress(n), scheduler, send: (b) => (bytes += b.length) });
    air.attach(c);
    return c;
  };
  for (let i = 0; i < SCAN; i++) {
    const c = make(1 + i);
    c.receive(encodeCommand('SetEventMask', { eventMask: Uint8Array.from([0xff, 0xff, 0xfb, 0xff, 0x07, 0xf8, 0xbf, 0x3d]) }));
    c.receive(encodeCommand('LeSetScanParameters', { leScanType: 1, leScanInterval: 0x12, leScanWindow: 0x12, ownAddressType: 0, scanningFilterPolicy: 0 }));
    c.receive(encodeCommand('LeSetScanEnable', { leScanEnable: 1, filterDuplicates: 0 }));
  }
  for (let i = 0; i < ADV; i++) {
    const c = make(1000 + i);
    c.receive(encodeCommand('LeSetAdvertisingParameters', {
      advertisingIntervalMin: 160, advertisingIntervalMax: 160, advertisingType: 0, ownAddressType: 0, peerAddressType: 0,
      peerAddress: '00:00:00:00:00:00', advertisingChannelMap: 7, advertisingFilterPolicy: 0,
    }));
    c.receive(encodeCommand('LeSetAdvertisingData', { advertisingData: Uint8Array.from([2, 1, 6, 15, 0xff, 0xb5, 0x22, ...new Array(12).fill(i)]) }));
    c.receive(encodeCommand('LeSetAdvertisingEnable', { advertisingEnable: 1 }));
  }
  const start = process.hrtime.bigint();
  scheduler.advance(SECONDS * 1000);
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  if (bytes === 0) throw new Error('no reports delivered');
  return { reportsPerS: air.stats.reports / s, reports: air.stats.reports, realtimeFactor: SECONDS / s };
}

function framerOnce(stream: Uint8Array): number {
  const f = new H4Framer();
  let n = 0;
  const start = process.hrtime.bigint();
  for (let o = 0; o < stream.length; o += 64) n += f.push(stream.subarray(o, o + 64)).length;
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  if (n === 0) throw new Error('no packets');
  return stream.length / 1e6 / s;
}

const ev = advertisingReportEvent({ eventType: 0, addressType: 0, address: 'c0:ff:ee:00:00:01', data: new Uint8Array(31).fill(7), rssi: -60 });
const stream = new Uint8Array(Math.floor(16e6 / ev.length) * ev.length);
for (let o = 0; o < stream.length; o += ev.length) stream.set(ev, o);

const airRuns = Array.from({ length: RUNS }, airOnce);
const framerRuns = Array.from({ length: RUNS }, () => framerOnce(stream));
const result = {
  advertisers: ADV,
  scanners: SCAN,
  virtual_seconds: SECONDS,
  reports_per_run: airRuns[0].reports,
  reports_per_s: Math.round(median(airRuns.map((r) => r.reportsPerS))),
  realtime_factor: Number(median(airRuns.map((r) => r.realtimeFactor)).toFixed(1)),
  h4_decode_mb_per_s: Number(median(framerRuns).toFixed(1)),
  runs: RUNS,
};
if (json) process.stdout.write(JSON.stringify(result) + '\n');
else {
  process.stdout.write(
    `air: ${ADV} advertisers x ${SCAN} active scanners, ${SECONDS} s virtual: ${result.reports_per_s} reports/s ` +
      `(median of ${RUNS}; ${result.reports_per_run} reports per run; ${result.realtime_factor}x real time)\n` +
      `H4 framer: ${result.h4_decode_mb_per_s} MB/s decoding LE Advertising Report events in 64-byte chunks\n`,
  );
}
