/**
 * Device models: per-model calibrated TX power and RSSI correction from Google's Exposure Notifications
 * calibration table (records/calibration.ts, records/data/gaen-calibration).
 * In the channel model a device's txPowerDbm goes into PairBatch.txPowerDbm and the receiver's reading is
 * `iPhone-scale power - rssiCorrectionDb` (android rssi + correction = iphone rssi), so the receiver's
 * correction is added to PairBatch.staticLossDb.
 */
import { type DeviceModel } from '../../records/calibration.ts';
import { hash32, uniform01 } from '../kernel/rng.ts';

export type { DeviceModel };

/**
 * An iPhone on the GAEN scale: RSSI correction 0 by definition (the table maps Android readings onto an
 * iPhone's). Its TX power is not in the table; IPHONE_TX_DBM is fitted on herald-edison iPhone pairs
 * (sim fit, docs/channel-fit.md).
 */
export const IPHONE_TX_DBM = -8;
export const IPHONE_MODEL: DeviceModel = { oem: 'Apple', name: 'iPhone', txPowerDbm: IPHONE_TX_DBM, rssiCorrectionDb: 0, measured: true };

/**
 * Seeded, order-independent picker: device i of a run gets models[f(seed, i)]. By default only directly
 * measured models are drawn (the others are copies of OEM defaults and would understate the spread);
 * with iosShare > 0 that fraction of devices are iPhones (IPHONE_MODEL).
 */
export function createDevicePicker(models: DeviceModel[], seed: number, opts: { measuredOnly?: boolean; iosShare?: number; iphone?: DeviceModel } = {}) {
  const pool = opts.measuredOnly === false ? models : models.filter((m) => m.measured);
  if (pool.length === 0) throw new RangeError('device picker: no models to draw from');
  const ios = opts.iosShare ?? 0;
  if (!(ios >= 0 && ios <= 1)) throw new RangeError(`device picker: iosShare must be in [0, 1], got ${ios}`);
  const iphone = opts.iphone ?? IPHONE_MODEL;
  return (deviceIndex: number): DeviceModel => {
    if (ios > 0 && uniform01(hash32(seed, 0x105, deviceIndex >>> 0, 0, 0)) < ios) return iphone;
    return pool[Math.floor(uniform01(hash32(seed, 0xde71ce, deviceIndex >>> 0, 0, 0)) * pool.length)];
  };
}
