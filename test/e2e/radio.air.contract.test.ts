// The radio contract (test/firmware/radio/radio.contract.ts) against the production adapters: the
// beacon's supervised bleno child process and the logbook's noble scanner, over pty bridges to the
// virtual air (real @stoprocent/bleno and @stoprocent/noble on the UART transport).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPtyBridge, startVirtualAir, type PtyBridge, type VirtualAir } from '../../firmware/hci/index.ts';
import { createNobleScanner } from '../../firmware/radio/nobleAdapter.ts';
import { ProcessAdvertiser } from '../../firmware/radio/processAdvertiser.ts';
import { FRAME_A, radioContract, waitFor } from '../firmware/radio/radio.contract.ts';

let air: VirtualAir;
let dir: string;
const bridges: PtyBridge[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bz-radio-air-'));
  air = await startVirtualAir({ port: 0, rssiModel: 'fixed:-58' });
  bridges.push(await startPtyBridge(air.port, join(dir, 'adv.pty')));
  bridges.push(await startPtyBridge(air.port, join(dir, 'scan.pty')));
});

afterAll(async () => {
  await Promise.all(bridges.map((b) => b.close()));
  await air?.close();
  rmSync(dir, { recursive: true, force: true });
});

radioContract(
  'bleno child process + noble over the virtual air',
  async () => {
    const advertiser = new ProcessAdvertiser({ driver: 'uart', port: bridges[0].path, baudRate: 1_000_000 }, { intervalMs: 100 });
    const scanner = createNobleScanner({ driver: 'uart', port: bridges[1].path, baudRate: 1_000_000 });
    return {
      advertiser,
      scanner,
      pump: () => {},
      cleanup: async () => {
        await Promise.all([advertiser.close(), scanner.close()]);
      },
    };
  },
  { timeoutMs: 15_000 },
);

describe('bleno child process: controller refusals', () => {
  it('surfaces "Command Disallowed" from LE Set Advertising Enable as COMMAND_DISALLOWED (HCI 0x0C)', async () => {
    const adv = new ProcessAdvertiser({ driver: 'uart', port: bridges[0].path, baudRate: 1_000_000 }, { intervalMs: 100 });
    try {
      adv.open();
      await waitFor('poweredOn', () => (adv.state === 'poweredOn' ? true : undefined), 15_000, () => {});
      const ctl = air.controllers.filter((c) => c.commandLog.some((e) => e.name === 'LeSetAdvertisingParameters')).at(-1); // the newest: ours
      expect(ctl, 'the controller bleno configured').toBeDefined();
      ctl!.injectStatus('LeSetAdvertisingEnable', 0x0c, 1);
      await expect(adv.startAdvertising(FRAME_A, undefined, 100)).rejects.toMatchObject({ code: 'COMMAND_DISALLOWED', hciStatus: 0x0c, message: 'Command Disallowed' });
      await adv.startAdvertising(FRAME_A, undefined, 100); // the next attempt goes through
      expect(adv.advertising).toBe(true);
    } finally {
      await adv.close();
    }
  }, 30_000);
});
