// pcap of the simulated air: LINKTYPE_BLUETOOTH_LE_LL_WITH_PHDR (256), one record per advertising packet
// (ADV_IND on 37/38/39), with a correct CRC-24 so Wireshark dissects it cleanly.
import { OutputSet, type OutputWriter } from '../../records/output.ts';
import { HOP_GAP_US, PayloadCache, simAddress, simBaseDate, simBaseKey } from '../world/devices.ts';
import type { World } from '../world/build.ts';

/** Advertising access address (Core Spec Vol 6 Part B 2.1.2). */
export const ADV_ACCESS_ADDRESS = 0x8e89bed6;
export const LINKTYPE_BLUETOOTH_LE_LL_WITH_PHDR = 256;
/** ADV_IND PDU type (Core Spec Vol 6 Part B 2.3). */
export const PDU_ADV_IND = 0x0;

// LE_LL_WITH_PHDR flags (tcpdump.org linktypes/LINKTYPE_BLUETOOTH_LE_LL_WITH_PHDR.html).
export const PHDR_DEWHITENED = 0x0001;
export const PHDR_SIGNAL_VALID = 0x0002;
export const PHDR_NOISE_VALID = 0x0004;
export const PHDR_REF_AA_VALID = 0x0010;
export const PHDR_CRC_CHECKED = 0x0400;
export const PHDR_CRC_VALID = 0x0800;

/**
 * CRC-24 of a PDU (header + payload): polynomial x^24+x^10+x^9+x^6+x^4+x^3+x+1, LFSR preset 0x555555 for
 * advertising channel PDUs, bits fed least significant first (Core Spec Vol 6 Part B 3.1.1). Computed in
 * the reflected form (RevEng "CRC-24/BLE": refin/refout, check("123456789") = 0xC25A56): the register's
 * bit 0 is the CRC bit sent first, so the three on-air bytes are the result little-endian.
 */
export function crc24(pdu: Uint8Array, init = 0x555555): number {
  let state = reflect24(init);
  for (let i = 0; i < pdu.length; i++) {
    let b = pdu[i];
    for (let k = 0; k < 8; k++) {
      const bit = (state ^ b) & 1;
      b >>= 1;
      state >>>= 1;
      if (bit) state ^= 0xda6000; // reflected 0x00065B
    }
  }
  return state >>> 0;
}

function reflect24(v: number): number {
  let r = 0;
  for (let i = 0; i < 24; i++) if (v & (1 << i)) r |= 1 << (23 - i);
  return r >>> 0;
}

/** RF channel index of an advertising channel (37 -> 0 = 2402 MHz, 38 -> 12, 39 -> 39). */
export function rfChannel(advChannel: number): number {
  return advChannel === 37 ? 0 : advChannel === 38 ? 12 : 39;
}

/** Link-layer packet as on air without the preamble: AA, header, AdvA, AdvData, CRC. */
export function advIndPacket(advA: Uint8Array, advData: Uint8Array, txAddRandom = true): Uint8Array {
  const len = 6 + advData.length;
  const out = new Uint8Array(4 + 2 + len + 3);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, ADV_ACCESS_ADDRESS, true);
  out[4] = PDU_ADV_IND | (txAddRandom ? 0x40 : 0);
  out[5] = len;
  out.set(advA, 6);
  out.set(advData, 12);
  const crc = crc24(out.subarray(4, 6 + len));
  out[6 + len] = crc & 0xff;
  out[7 + len] = (crc >>> 8) & 0xff;
  out[8 + len] = (crc >>> 16) & 0xff;
  return out;
}

/**
 * Streams a pcap file (classic format, microsecond timestamps). Records are packed into its own 1 MiB
 * buffer, which goes out as one chunk (OutputWriter passes big chunks on without copying). Given a path, it
 * writes through a one-file OutputSet of its own, published by close(); given a writer of the caller's
 * set (sim run), the caller's commit publishes it.
 */
export class PcapWriter {
  private readonly out: OutputWriter;
  private readonly own: OutputSet | undefined;
  private buf = Buffer.alloc(1 << 20);
  private pos = 0;
  count = 0;

  constructor(target: string | OutputWriter) {
    if (typeof target === 'string') {
      this.own = new OutputSet();
      this.out = this.own.add(target);
    } else this.out = target;
    const h = this.buf;
    // pcap global header (tcpdump.org pcap format): magic, version 2.4, UTC offset, accuracy, snaplen, link type
    h.writeUInt32LE(0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeInt32LE(0, 8);
    h.writeUInt32LE(0, 12);
    h.writeUInt32LE(65535, 16);
    h.writeUInt32LE(LINKTYPE_BLUETOOTH_LE_LL_WITH_PHDR, 20);
    this.pos = 24;
  }

  get path(): string {
    return this.out.path;
  }

  /**
   * One packet at Unix time `unixUs` (integer microseconds) on advertising channel `advChannel`.
   * signalDbm null leaves the signal-power field marked invalid (a transmission, not a reception).
   */
  write(unixUs: number, advChannel: number, packet: Uint8Array, signalDbm: number | null = null): void {
    const rec = 16 + 10 + packet.length;
    if (this.pos + rec > this.buf.length) this.flush();
    const b = this.buf;
    let o = this.pos;
    const sec = Math.floor(unixUs / 1e6);
    b.writeUInt32LE(sec, o);
    b.writeUInt32LE(unixUs - sec * 1e6, o + 4);
    b.writeUInt32LE(10 + packet.length, o + 8);
    b.writeUInt32LE(10 + packet.length, o + 12);
    o += 16;
    b.writeUInt8(rfChannel(advChannel), o);
    b.writeInt8(signalDbm === null ? 0 : Math.max(-128, Math.min(127, Math.round(signalDbm))), o + 1);
    b.writeInt8(0, o + 2); // noise: not modelled
    b.writeUInt8(0, o + 3); // access-address offenses
    b.writeUInt32LE(ADV_ACCESS_ADDRESS, o + 4);
    const flags = PHDR_DEWHITENED | PHDR_REF_AA_VALID | PHDR_CRC_CHECKED | PHDR_CRC_VALID | (signalDbm === null ? 0 : PHDR_SIGNAL_VALID);
    b.writeUInt16LE(flags, o + 8);
    o += 10;
    b.set(packet, o);
    this.pos = o + packet.length;
    this.count++;
  }

  private flush(): void {
    if (this.pos) this.out.write(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }

  /** Hands the buffered records to the output; publishes the file when the writer owns its set. */
  close(): void {
    try {
      this.flush();
      this.own?.commit();
    } finally {
      this.own?.abort(); // no-op after commit
    }
  }
}

/** The air as pcap: every advertising packet of every tick in time order, up to maxPackets. */
export class PcapTap {
  private readonly w: PcapWriter;
  private readonly payloads: PayloadCache[] = [];
  private readonly addresses: Uint8Array[] = [];
  truncated = false;

  constructor(target: string | OutputWriter, private readonly world: World, private readonly maxPackets: number) {
    this.w = new PcapWriter(target);
    for (let d = 0; d < world.nDev; d++) {
      this.payloads.push(new PayloadCache(world.kind[d], simBaseKey(world.seed, world.names[d]), simBaseDate(world.seed, d, world.startMs)));
      this.addresses.push(simAddress(world.seed, d));
    }
  }

  get count(): number {
    return this.w.count;
  }

  /** Every packet on air with its start in [t0, t1) (us), in time order. */
  tick(t0: number, t1: number, ev: { evOff: Int32Array; evStart: Float64Array }): void {
    if (this.truncated) return;
    const { nDev, startMs, adv } = this.world;
    const { evOff, evStart } = ev;
    const recs: { t: number; d: number; ch: number }[] = [];
    for (let d = 0; d < nDev; d++) {
      for (let j = evOff[d]; j < evOff[d + 1]; j++) {
        for (let c = 0; c < 3; c++) {
          const ps = evStart[j] + c * (adv.airUs[d] + HOP_GAP_US);
          if (ps >= t0 && ps < t1) recs.push({ t: ps, d, ch: 37 + c });
        }
      }
    }
    recs.sort((a, b) => a.t - b.t || a.d - b.d);
    for (const rr of recs) {
      if (this.w.count >= this.maxPackets) {
        this.truncated = true;
        return;
      }
      const unixMs = startMs + rr.t / 1000;
      this.w.write(startMs * 1000 + rr.t, rr.ch, advIndPacket(this.addresses[rr.d], this.payloads[rr.d].at(unixMs)));
    }
  }

  close(): void {
    this.w.close();
  }
}
