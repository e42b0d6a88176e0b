// Public surface of the virtual air, for tests and tools of other parts (docs/beacon.md "Virtual air").
import { fileURLToPath } from 'node:url';

export { startVirtualAir, controllerAddress, type VirtualAir, type VirtualAirOptions } from './server.ts';
export { startPtyBridge, chooseBridge, type PtyBridge, type PtyBridgeOptions, type BridgeKind } from './ptyBridge.ts';
export { Air, type AirDelivery } from './air.ts';
export { FixedRssiModel, parseAirModel, type AirModel, type ControllerInfo, type Position } from './airModel.ts';
export { VirtualController, type CommandLogEntry } from './virtualController.ts';
export { VirtualScheduler, RealTimeDriver, type Scheduler } from './scheduler.ts';
export { InvalidPacketError } from './errors.ts';

/** `node BLENO_ADVERTISE_TOOL <uart-path> <adv-hex> [scan-rsp-hex] [--reopen]`: real bleno advertiser, JSON lines. */
export const BLENO_ADVERTISE_TOOL = fileURLToPath(new URL('./tools/bleno-advertise.cjs', import.meta.url));
/** `node NOBLE_SCAN_TOOL <uart-path> [--no-duplicates]`: real noble scanner, JSON lines (event "discover"). */
export const NOBLE_SCAN_TOOL = fileURLToPath(new URL('./tools/noble-scan.cjs', import.meta.url));
