#!/usr/bin/env node
// Minimal real-bleno advertiser for the virtual air (README "Virtual air").
// Usage: node bleno-advertise.cjs <uart-path> <adv-data-hex> [scan-response-hex] [--reopen]
// Prints JSON lines on stdout: state, advertisingStart (with error), reopen; exits on SIGTERM.
// --reopen: when the controller link drops (stateChange poweredOff after poweredOn; the UART
// driver does not reconnect a pty by itself), build a fresh bleno instance on the same path.
'use strict';
const { withBindings } = require('@stoprocent/bleno');

const args = process.argv.slice(2);
const reopen = args.includes('--reopen');
const [port, advHex, scanHex = ''] = args.filter((a) => !a.startsWith('--'));
if (!port || advHex === undefined) {
  process.stderr.write('usage: bleno-advertise.cjs <uart-path> <adv-data-hex> [scan-response-hex] [--reopen]\n');
  process.exit(2);
}
const out = (o) => process.stdout.write(JSON.stringify({ t: Date.now(), ...o }) + '\n');

let generation = 0;
function start() {
  const gen = ++generation;
  const bleno = withBindings('hci', { hciDriver: 'uart', bindParams: { uart: { port } } });
  let wasOn = false;
  bleno.on('stateChange', (state) => {
    if (gen !== generation) return;
    out({ event: 'state', state, generation: gen });
    if (state === 'poweredOn') {
      wasOn = true;
      bleno.startAdvertisingWithEIRData(Buffer.from(advHex, 'hex'), Buffer.from(scanHex, 'hex'));
    } else if (state === 'poweredOff' && wasOn && reopen) {
      generation++; // ignore the old instance from now on
      setTimeout(() => {
        out({ event: 'reopen' });
        start();
      }, 300);
    }
  });
  bleno.on('advertisingStart', (err) => gen === generation && out({ event: 'advertisingStart', error: err ? err.message : null }));
}
start();

const stop = () => {
  out({ event: 'exit' });
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
