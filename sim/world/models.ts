// Device models per simulated phone, from sim-channel's GAEN calibration table (sim/channel/devices.ts):
// Android phones draw a directly measured model by seed; iPhones are GAEN's reference receiver.
import * as channelDevices from '../channel/devices.ts';
import { createDevicePicker, loadDeviceModels, type DeviceModel } from '../channel/devices.ts';
import { KIND_ANDROID, KIND_IOS } from './devices.ts';

export interface PickedModels {
  names: string[];
  txPowerDbm: Float32Array;
  /** The receiver's GAEN RSSI correction, added to the kernel's staticLossDb (sim/channel/devices.ts). */
  rxLossDb: Float32Array;
}

let cache: DeviceModel[] | undefined;

/** GAEN's reference phone (sim/channel/devices.ts; named IPHONE_MODEL, earlier REFERENCE_IPHONE). */
function iphone(): DeviceModel {
  const m = channelDevices as unknown as Record<string, DeviceModel | undefined>;
  const r = m.IPHONE_MODEL ?? m.REFERENCE_IPHONE;
  if (!r) throw new Error('sim/channel/devices.ts exports no iPhone reference model');
  return r;
}

export async function pickModels(seed: number, kind: Uint8Array): Promise<PickedModels> {
  const n = kind.length;
  const out: PickedModels = { names: new Array(n), txPowerDbm: new Float32Array(n), rxLossDb: new Float32Array(n) };
  let pick: ((i: number) => DeviceModel) | undefined;
  for (let d = 0; d < n; d++) {
    let m: DeviceModel | undefined;
    if (kind[d] === KIND_ANDROID) {
      pick ??= createDevicePicker((cache ??= loadDeviceModels()), seed);
      m = pick(d);
    } else if (kind[d] === KIND_IOS) m = iphone();
    if (m) {
      out.names[d] = m.name.toLowerCase().startsWith(m.oem.toLowerCase()) ? m.name : `${m.oem} ${m.name}`.trim();
      out.txPowerDbm[d] = m.txPowerDbm;
      out.rxLossDb[d] = m.rssiCorrectionDb;
    } else out.names[d] = 'Raspberry Pi';
  }
  return out;
}
