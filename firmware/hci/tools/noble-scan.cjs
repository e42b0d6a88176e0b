#!/usr/bin/env node
// Minimal real-noble scanner for the virtual air (README "Virtual air").
// Usage: node noble-scan.cjs <uart-path> [--no-duplicates]
// Prints JSON lines on stdout: state, scanStart, discover {address, rssi, manufacturerData hex, ...}.
'use strict';
const { withBindings } = require('@stoprocent/noble');

const args = process.argv.slice(2);
const port = args.find((a) => !a.startsWith('--'));
if (!port) {
  process.stderr.write('usage: noble-scan.cjs <uart-path> [--no-duplicates]\n');
  process.exit(2);
}
const allowDuplicates = !args.includes('--no-duplicates');
const out = (o) => process.stdout.write(JSON.stringify({ t: Date.now(), ...o }) + '\n');
const noble = withBindings('hci', { hciDriver: 'uart', bindParams: { uart: { port } } });

noble.on('stateChange', (state) => {
  out({ event: 'state', state });
  if (state === 'poweredOn') noble.startScanning([], allowDuplicates);
});
noble.on('scanStart', () => out({ event: 'scanStart' }));
noble.on('discover', (p) => {
  const a = p.advertisement || {};
  out({
    event: 'discover',
    address: p.address,
    addressType: p.addressType,
    connectable: p.connectable,
    rssi: p.rssi,
    manufacturerData: a.manufacturerData ? a.manufacturerData.toString('hex') : null,
    serviceData: (a.serviceData || []).map((s) => ({ uuid: s.uuid, data: s.data.toString('hex') })),
    txPowerLevel: a.txPowerLevel === undefined ? null : a.txPowerLevel,
  });
});
const stop = () => {
  out({ event: 'exit' });
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
