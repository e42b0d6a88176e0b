#!/usr/bin/env node
// Minimal real-bleno advertiser for the virtual air (README "Virtual air").
// Usage: node bleno-advertise.cjs <uart-path> <adv-data-hex> [scan-response-hex]
// Prints JSON lines on stdout: state, address, advertisingStart (with error), exits on SIGTERM.
'use strict';
const { withBindings } = require('@stoprocent/bleno');

const [port, advHex, scanHex = ''] = process.argv.slice(2);
if (!port || advHex === undefined) {
  process.stderr.write('usage: bleno-advertise.cjs <uart-path> <adv-data-hex> [scan-response-hex]\n');
  process.exit(2);
}
const out = (o) => process.stdout.write(JSON.stringify({ t: Date.now(), ...o }) + '\n');
const bleno = withBindings('hci', { hciDriver: 'uart', bindParams: { uart: { port } } });

bleno.on('stateChange', (state) => {
  out({ event: 'state', state });
  if (state === 'poweredOn') {
    bleno.startAdvertisingWithEIRData(Buffer.from(advHex, 'hex'), Buffer.from(scanHex, 'hex'));
  }
});
bleno.on('addressChange', (address) => out({ event: 'address', address }));
bleno.on('advertisingStart', (err) => out({ event: 'advertisingStart', error: err ? err.message : null }));
bleno.on('advertisingStartError', (err) => out({ event: 'advertisingStartError', error: String(err && err.message) }));
const stop = () => {
  out({ event: 'exit' });
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
