import { describe, it } from 'vitest';
import { MockAir } from '../../../firmware/radio/mockRadio.ts';
import { radioContract } from './radio.contract.ts';

radioContract('mock', async () => {
  const air = new MockAir();
  return { advertiser: air.createAdvertiser(), scanner: air.createScanner(), pump: () => void air.broadcast(), cleanup: async () => air.reset() };
});

// Real hardware: BZ_HCI_DEV names the advertiser's adapter (native:0 or uart:PATH) and BZ_HCI_DEV2 the
// scanner's (default native:1): bleno and noble on one adapter interfere (ble-stack.md 2.3).
const dev = process.env.BZ_HCI_DEV;
if (dev) {
  const { createBlenoAdvertiser } = await import('../../../firmware/radio/blenoAdapter.ts');
  const { createNobleScanner } = await import('../../../firmware/radio/nobleAdapter.ts');
  const { parseHciSpec } = await import('../../../firmware/radio/types.ts');
  radioContract(`hardware ${dev}`, async () => {
    const advertiser = createBlenoAdvertiser(parseHciSpec(dev), { intervalMs: 100 });
    const scanner = createNobleScanner(parseHciSpec(process.env.BZ_HCI_DEV2 ?? 'native:1'));
    return { advertiser, scanner, pump: () => {}, cleanup: async () => { await advertiser.close(); await scanner.close(); } };
  }, { timeoutMs: 10_000 });
} else {
  describe('radio contract: hardware', () => {
    it.skip('set BZ_HCI_DEV=native:0 (and BZ_HCI_DEV2=native:1) to run the contract on real adapters', () => {});
  });
}
