// Child process that owns bleno for the beacon daemon (see processAdvertiser.ts). It speaks a tiny
// IPC protocol: {op:'start'|'stop'|'close'} in, {ev:'state'|'error'|'reply'} out, and exits when the
// parent goes away, so a crashed daemon never leaves an advertising orphan behind.
import { BLUEZONE_GATT_CHARACTERISTIC_UUID, BLUEZONE_GATT_SERVICE_UUID, classifyAdvert } from '../protocol/frames.ts';
import { createBlenoAdvertiser } from './blenoAdapter.ts';
import { RadioError, type HciSpec } from './types.ts';

interface Request {
  op: 'start' | 'stop' | 'close';
  id: number;
  adv?: string;
  scan?: string;
  intervalMs?: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as { spec: HciSpec; intervalMs: number };
const send = (m: unknown) => {
  if (process.connected) process.send?.(m);
};
// The beacon also serves the Bluezone GATT characteristic (bluezone-protocol.md 3, 4.1) with the ID it is
// advertising, for readers that use the GATT path.
const adv = createBlenoAdvertiser(args.spec, {
  intervalMs: args.intervalMs,
  gatt: {
    serviceUuid: BLUEZONE_GATT_SERVICE_UUID,
    characteristicUuid: BLUEZONE_GATT_CHARACTERISTIC_UUID,
    value: (advData) => (advData ? classifyAdvert(advData).id : undefined),
  },
});
adv.on('ready', () => send({ ev: 'ready' }));
adv.on('state', (state) => send({ ev: 'state', state }));
adv.on('error', (e) => send({ ev: 'error', message: e.message }));

async function shutdown(code: number): Promise<never> {
  await adv.close().catch(() => {});
  // bleno's own exit handler sends HCI_Reset on the UART (ble-stack.md 2.2 pt 6).
  process.exit(code);
}

process.on('message', async (m: Request) => {
  try {
    if (m.op === 'start') {
      await adv.startAdvertising(Buffer.from(m.adv ?? '', 'hex'), m.scan ? Buffer.from(m.scan, 'hex') : undefined, m.intervalMs ?? args.intervalMs);
    } else if (m.op === 'stop') {
      await adv.stopAdvertising();
    } else if (m.op === 'close') {
      send({ ev: 'reply', id: m.id });
      await shutdown(0);
    }
    send({ ev: 'reply', id: m.id });
  } catch (e) {
    const err = e as RadioError;
    send({ ev: 'reply', id: m.id, error: { message: err.message, code: err instanceof RadioError ? err.code : 'HCI_ERROR', hciStatus: err.hciStatus } });
  }
});
process.on('disconnect', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
adv.open();
