import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { buildAndroidFrame } from '../../../firmware/protocol/frames.ts';
import { iosOverflowFrame, simAddress } from '../../../sim/world/devices.ts';
import { advIndPacket, crc24, PcapWriter, rfChannel } from '../../../sim/sinks/pcap.ts';

const hex = (s: string) => Uint8Array.from(s.trim().split(/\s+/).map((x) => parseInt(x, 16)));

describe('CRC-24 (Core Spec Vol 6 Part B 3.1.1)', () => {
  it('matches the CRC-24/BLE catalogue check value', () => {
    expect(crc24(new TextEncoder().encode('123456789'))).toBe(0xc25a56);
  });

  // Captured advertising packets (access address first, CRC last), from public sniffer dumps:
  // a Nordic UART peripheral shown by Wireshark with a correct CRC, and an iBeacon from a TI sniffer.
  const captured = [
    'd6 be 89 8e 40 1e d4 b1 34 a7 17 fc 02 01 06 02 0a 00 11 06 9e ca dc 24 0e e5 a9 e0 93 f3 a3 b5 01 00 40 6e 11 92 0f',
    'd6 be 89 8e 40 24 05 a2 17 6e 3d 71 02 01 1a 1a ff 4c 00 02 15 e2 c5 6d b5 df fb 48 d2 b0 60 d0 f5 a7 10 96 e0 00 00 00 00 c5 52 ab 8d',
  ];
  it.each(captured)('reproduces the on-air CRC of a captured packet', (h) => {
    const p = hex(h);
    const crc = crc24(p.subarray(4, p.length - 3));
    expect([crc & 0xff, (crc >> 8) & 0xff, crc >> 16]).toEqual([...p.subarray(p.length - 3)]);
  });

  it('rebuilds a captured packet byte for byte from AdvA and AdvData', () => {
    const p = hex(captured[1]);
    expect(advIndPacket(p.subarray(6, 12), p.subarray(12, p.length - 3))).toEqual(p);
  });
});

describe('pcap writer', () => {
  it('writes LINKTYPE_BLUETOOTH_LE_LL_WITH_PHDR records with the 10-byte header', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pcap-'));
    const path = join(dir, 'a.pcap');
    const w = new PcapWriter(path);
    const pkt = advIndPacket(Uint8Array.of(1, 2, 3, 4, 5, 0xc6), Uint8Array.of(2, 1, 6));
    w.write(1_700_000_000_123_456, 38, pkt);
    w.write(1_700_000_000_200_000, 39, pkt, -67);
    w.close();
    const b = readFileSync(path);
    expect(b.readUInt32LE(0)).toBe(0xa1b2c3d4);
    expect(b.readUInt32LE(20)).toBe(256);
    expect(b.readUInt32LE(24)).toBe(1_700_000_000);
    expect(b.readUInt32LE(28)).toBe(123_456);
    expect(b.readUInt32LE(32)).toBe(10 + pkt.length);
    const ph = 40;
    expect(b[ph]).toBe(rfChannel(38));
    expect(b.readUInt32LE(ph + 4)).toBe(0x8e89bed6);
    expect(b.readUInt16LE(ph + 8) & 0x0002).toBe(0); // no signal power for a transmission
    expect(b.readUInt16LE(ph + 8) & 0x0c01).toBe(0x0c01); // dewhitened, CRC checked and valid
    expect([...b.subarray(ph + 10, ph + 10 + pkt.length)]).toEqual([...pkt]);
    const r2 = ph + 10 + pkt.length;
    expect(b[r2 + 16]).toBe(39);
    expect(b.readInt8(r2 + 17)).toBe(-67);
    expect(b.readUInt16LE(r2 + 24) & 0x0002).toBe(2);
    expect(b[pkt.length - 0]).toBeDefined();
    expect([rfChannel(37), rfChannel(38), rfChannel(39)]).toEqual([0, 12, 39]);
    // ADV_IND, TxAdd random, length = AdvA + AdvData
    expect(pkt[4]).toBe(0x40);
    expect(pkt[5]).toBe(9);
  });
});

function hasTshark(): boolean {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!hasTshark())('Wireshark (tshark, when installed)', () => {
  it('dissects our Bluezone and iOS adverts with correct CRCs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pcap-'));
    const path = join(dir, 'b.pcap');
    const w = new PcapWriter(path);
    const id = Uint8Array.from({ length: 12 }, (_, i) => i * 17);
    for (let i = 0; i < 30; i++) {
      const data = i % 3 === 2 ? iosOverflowFrame() : buildAndroidFrame(id.map((b) => b ^ i));
      w.write(1_772_442_000_000_000 + i * 700, 37 + (i % 3), advIndPacket(simAddress(1, i), data));
    }
    w.close();
    const run = (...a: string[]) => execFileSync('tshark', ['-r', path, ...a], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(run().trim().split('\n')).toHaveLength(30);
    expect(run('-Y', 'btle.crc.incorrect || _ws.malformed').trim()).toBe('');
    const fields = run('-T', 'fields', '-e', 'btle.advertising_header.pdu_type', '-e', 'btcommon.eir_ad.entry.company_id').trim().split('\n');
    expect(fields.filter((l) => /0x22b5/.test(l))).toHaveLength(20);
    expect(fields.filter((l) => /0x004c/.test(l))).toHaveLength(10);
  });
});
