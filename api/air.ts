// bluezone-beacon/air: the virtual air (docs/ble-stack.md): virtual HCI controllers that real BLE stacks
// (bleno, noble, BlueZ over a pty) talk to, with the simulator's channel model deciding the RSSI.
export {
  startVirtualAir, controllerAddress, Air, FixedRssiModel, parseAirModel, VirtualController,
  type VirtualAir, type VirtualAirOptions, type AirDelivery, type AirModel, type ControllerInfo, type Position,
} from '../firmware/hci/index.ts';
export { ChannelAirModel, parseChannelAirModel, type ChannelAirOptions } from '../sim/channel/airModel.ts';
