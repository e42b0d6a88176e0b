// Device models per simulated phone, from the GAEN calibration table (records/calibration.ts): Android
// phones draw a directly measured model by seed; iPhones are GAEN's reference receiver (IPHONE_MODEL).
import { loadCalibrationTable } from '../../records/calibration.ts';
import { createDevicePicker, IPHONE_MODEL, type DeviceModel } from '../channel/devices.ts';
import { KIND_ANDROID, KIND_IOS } from './devices.ts';

export interface PickedModels {
  names: string[];
  txPowerDbm: Float32Array;
  /** The receiver's GAEN RSSI correction, added to the kernel's staticLossDb (sim/channel/devices.ts). */
  rxLossDb: Float32Array;
}

let cache: DeviceModel[] | undefined;

export function pickModels(seed: number, kind: Uint8Array): PickedModels {
  const n = kind.length;
  const out: PickedModels = { names: new Array(n), txPowerDbm: new Float32Array(n), rxLossDb: new Float32Array(n) };
  let pick: ((i: number) => DeviceModel) | undefined;
  for (let d = 0; d < n; d++) {
    let m: DeviceModel | undefined;
    if (kind[d] === KIND_ANDROID) {
      pick ??= createDevicePicker((cache ??= loadCalibrationTable()), seed);
      m = pick(d);
    } else if (kind[d] === KIND_IOS) m = IPHONE_MODEL;
    if (m) {
      out.names[d] = m.name.toLowerCase().startsWith(m.oem.toLowerCase()) ? m.name : `${m.oem} ${m.name}`.trim();
      out.txPowerDbm[d] = m.txPowerDbm;
      out.rxLossDb[d] = m.rssiCorrectionDb;
    } else out.names[d] = 'Raspberry Pi';
  }
  return out;
}
