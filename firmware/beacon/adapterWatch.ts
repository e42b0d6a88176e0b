// Is the beacon's adapter there now? The daemon watches this instead of waiting out a power-on
// timeout when a controller link drops (issue 18 item 9). Cheap: one stat per call.
import { existsSync } from 'node:fs';
import type { HciSpec } from '../radio/types.ts';

/** Where Linux lists HCI devices (hci0, hci1, ...); missing in some containers. */
export const SYSFS_BLUETOOTH = '/sys/class/bluetooth';

/**
 * uart:PATH: the port (or the pty bridge's link) exists. native:N: /sys/class/bluetooth/hciN exists,
 * or sysfs shows no Bluetooth class at all, where we cannot tell and let the radio find out.
 */
export function adapterPresence(spec: HciSpec, sysfs = SYSFS_BLUETOOTH): () => boolean {
  if (spec.driver === 'uart') return () => existsSync(spec.port);
  return () => !existsSync(sysfs) || existsSync(`${sysfs}/hci${spec.deviceId}`);
}
