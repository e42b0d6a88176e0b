// HCI constants used by the H4 codec and the virtual controller.
// Section numbers are Bluetooth Core Spec v5.4, Vol 4 Part E unless stated otherwise.

/** H4 packet indicators (Core Spec Vol 4 Part A 2, UART transport layer). */
export const H4_COMMAND = 0x01;
export const H4_ACL = 0x02;
export const H4_SCO = 0x03;
export const H4_EVENT = 0x04;
export const H4_ISO = 0x05;

/** Opcode = OGF << 10 | OCF (5.4.1). */
export function opcodeOf(ogf: number, ocf: number): number {
  return ((ogf & 0x3f) << 10) | (ocf & 0x3ff);
}
export const ogfOf = (opcode: number): number => opcode >> 10;
export const ocfOf = (opcode: number): number => opcode & 0x3ff;

// Command table: name, opcode, spec section, and the command's bit in Read Local Supported
// Commands as [octet, bit] (Vol 4 Part E 6.27; null where the table has no entry). Names are the
// dispatch keys of the virtual controller (`on<Name>`), so they must be unique (tested).
// prettier-ignore
export const COMMANDS = [
  // name                              opcode  section (Vol 4 Part E)  supported-commands bit (6.27)
  ['Disconnect',                       0x0406, '7.1.6',  [0, 5]],
  ['SetEventMask',                     0x0c01, '7.3.1',  [5, 6]],
  ['Reset',                            0x0c03, '7.3.2',  [5, 7]],
  ['SetEventFilter',                   0x0c05, '7.3.3',  [6, 0]],
  ['ReadLeHostSupported',              0x0c6c, '7.3.78', [24, 5]],
  ['WriteLeHostSupported',             0x0c6d, '7.3.79', [24, 6]],
  ['ReadLocalVersionInformation',      0x1001, '7.4.1',  [14, 3]],
  ['ReadLocalSupportedCommands',       0x1002, '7.4.2',  null], // 6.27 lists no bit for itself
  ['ReadBufferSize',                   0x1005, '7.4.5',  [14, 7]],
  ['ReadBdAddr',                       0x1009, '7.4.6',  [15, 1]],
  ['ReadRssi',                         0x1405, '7.5.4',  [15, 5]],
  ['LeSetEventMask',                   0x2001, '7.8.1',  [25, 0]],
  ['LeReadBufferSize',                 0x2002, '7.8.2',  [25, 1]],
  ['LeReadLocalSupportedFeatures',     0x2003, '7.8.3',  [25, 2]],
  ['LeSetRandomAddress',               0x2005, '7.8.4',  [25, 4]],
  ['LeSetAdvertisingParameters',       0x2006, '7.8.5',  [25, 5]],
  ['LeReadAdvertisingChannelTxPower',  0x2007, '7.8.6',  [25, 6]],
  ['LeSetAdvertisingData',             0x2008, '7.8.7',  [25, 7]],
  ['LeSetScanResponseData',            0x2009, '7.8.8',  [26, 0]],
  ['LeSetAdvertisingEnable',           0x200a, '7.8.9',  [26, 1]],
  ['LeSetScanParameters',              0x200b, '7.8.10', [26, 2]],
  ['LeSetScanEnable',                  0x200c, '7.8.11', [26, 3]],
  ['LeCreateConnection',               0x200d, '7.8.12', [26, 4]],
  ['LeCreateConnectionCancel',         0x200e, '7.8.13', [26, 5]],
  ['LeConnectionUpdate',               0x2013, '7.8.18', [27, 2]],
  ['LeReadRemoteFeatures',             0x2016, '7.8.21', [27, 5]],
] as const;

export type CommandName = (typeof COMMANDS)[number][0];

export const OP = Object.fromEntries(COMMANDS.map(([n, op]) => [n, op])) as { [K in CommandName]: number };

const commandNameByOpcode = new Map<number, CommandName>(COMMANDS.map(([n, op]) => [op, n]));
export function commandName(opcode: number): CommandName | undefined {
  return commandNameByOpcode.get(opcode);
}

// Events we generate or parse.
// prettier-ignore
export const EVENTS = [
  // name                          code  section
  ['DisconnectionComplete',        0x05, '7.7.5'],
  ['DataBufferOverflow',           0x1a, '7.7.26'],
  ['CommandComplete',              0x0e, '7.7.14'],
  ['CommandStatus',                0x0f, '7.7.15'],
  ['NumberOfCompletedPackets',     0x13, '7.7.19'],
  ['LeMeta',                       0x3e, '7.7.65'],
] as const;
export type EventName = (typeof EVENTS)[number][0];
export const EVT = Object.fromEntries(EVENTS.map(([n, c]) => [n, c])) as { [K in EventName]: number };

// LE Meta sub-events (7.7.65.x).
export const LE_SUBEVENT_CONNECTION_COMPLETE = 0x01; // 7.7.65.1
export const LE_SUBEVENT_ADVERTISING_REPORT = 0x02; // 7.7.65.2
export const LE_SUBEVENT_CONNECTION_UPDATE_COMPLETE = 0x03; // 7.7.65.3
export const LE_SUBEVENT_READ_REMOTE_FEATURES_COMPLETE = 0x04; // 7.7.65.4
export const LE_SUBEVENT_ENHANCED_CONNECTION_COMPLETE = 0x0a; // 7.7.65.10

/** Supported_Commands of Read Local Supported Commands: 64 octets, one bit per command in COMMANDS (6.27). */
export function supportedCommandsMask(): Uint8Array {
  const m = new Uint8Array(64);
  for (const [, , , bit] of COMMANDS) if (bit) m[bit[0]] |= 1 << bit[1];
  return m;
}

/** Error codes (Core Spec Vol 1 Part F 1.3). */
export const STATUS = {
  SUCCESS: 0x00,
  UNKNOWN_HCI_COMMAND: 0x01, // Vol 1 Part F 2.1
  UNKNOWN_CONNECTION_IDENTIFIER: 0x02, // Vol 1 Part F 2.2
  CONNECTION_TIMEOUT: 0x08, // Vol 1 Part F 2.8
  CONNECTION_ALREADY_EXISTS: 0x0b, // Vol 1 Part F 2.11
  COMMAND_DISALLOWED: 0x0c, // Vol 1 Part F 2.12
  INVALID_HCI_COMMAND_PARAMETERS: 0x12, // Vol 1 Part F 2.18
  UNSUPPORTED_FEATURE_OR_PARAMETER: 0x11, // Vol 1 Part F 2.17
  REMOTE_USER_TERMINATED: 0x13, // Vol 1 Part F 2.19
  CONNECTION_TERMINATED_BY_LOCAL_HOST: 0x16, // Vol 1 Part F 2.22
} as const;

/** Advertising_Type values of LE Set Advertising Parameters (7.8.5). */
export const ADV_TYPE = {
  ADV_IND: 0x00,
  ADV_DIRECT_IND_HIGH: 0x01,
  ADV_SCAN_IND: 0x02,
  ADV_NONCONN_IND: 0x03,
  ADV_DIRECT_IND_LOW: 0x04,
} as const;

/** Event_Type values of the LE Advertising Report (7.7.65.2). */
export const REPORT_TYPE = {
  ADV_IND: 0x00,
  ADV_DIRECT_IND: 0x01,
  ADV_SCAN_IND: 0x02,
  ADV_NONCONN_IND: 0x03,
  SCAN_RSP: 0x04,
} as const;

/** Legacy advertising / scan response data is at most 31 octets (7.8.7, 7.8.8). */
export const MAX_ADV_DATA = 31;

/** Advertising interval range in 0.625 ms units for undirected/scannable adverts (7.8.5). */
export const ADV_INTERVAL_MIN = 0x0020;
export const ADV_INTERVAL_MAX = 0x4000;
/** Unit of advertising intervals and scan interval/window (7.8.5, 7.8.10). */
export const SLOT_MS = 0.625;
