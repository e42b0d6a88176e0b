/**
 * The phones in the real data sets, mapped to GAEN calibration models so simulated pairs use the same
 * platforms and, where the table lists them, the same models. Names are those the data files use.
 */
import { findDeviceModel, type DeviceModel } from '../../records/calibration.ts';

export type PhoneSpec = { platform: 'ios' } | { platform: 'android'; model?: string } | { platform: 'unknown' };

export const PHONES: Record<string, PhoneSpec> = {
  // herald-edison phones.csv + README table
  '4S': { platform: 'ios' },
  Germany: { platform: 'ios' },
  Denmark: { platform: 'ios' },
  Netherlands: { platform: 'ios' },
  '6S+': { platform: 'ios' },
  '8+': { platform: 'ios' },
  X: { platform: 'ios' },
  P2: { platform: 'android', model: 'Pixel 2' },
  P3: { platform: 'android', model: 'Pixel 3' },
  A10: { platform: 'android', model: 'SM-A105F' },
  A20: { platform: 'android', model: 'SM-A205F' },
  N8: { platform: 'android', model: 'SM-N950F' }, // herald: Samsung Note 8
  'S9+': { platform: 'android', model: 'SM-G965F' },
  J6: { platform: 'android', model: 'SM-J600F' },
  // pc-ng README: models of gryphonelab and the HB/PB 'N8' are not documented
  gryphonelab: { platform: 'android' },
  'HTC One M9': { platform: 'android', model: 'HTC One M9' },
  ASUS_Z00AD: { platform: 'android', model: 'ASUS_Z00AD' },
  // mitll: receiving iPhones; TestPhone models undocumented
  'iPhone-XR': { platform: 'ios' },
  'iPhone-11': { platform: 'ios' },
};

/**
 * Device model for a named phone: an iPhone, the GAEN row of its model, or (unknown model) a draw from
 * the measured pool via `draw`.
 */
export function phoneModel(dataset: string, name: string, models: DeviceModel[], iphone: DeviceModel, draw: () => DeviceModel): DeviceModel {
  // pc-ng's 'N8' is not herald's Note 8 (different data set, undocumented)
  const spec = dataset === 'pcng' && name === 'N8' ? { platform: 'android' as const } : PHONES[name] ?? { platform: 'unknown' as const };
  if (spec.platform === 'ios') return iphone;
  if (spec.platform === 'android' && spec.model) return findDeviceModel(models, spec.model) ?? draw();
  return draw();
}
