// The beacon -> collector wire format (docs/fleet.md "API"). Only counts and health: never an ID, a key
// or a logbook row. Shared by the beacon's reporter (firmware) and the collector (fleet/), which
// validates every field again on arrival.

export const FLEET_API = '/api/v1';

/** Heartbeat, sent every minute (docs/fleet.md). Fields follow `beacon status` (interfaces.md). */
export interface HeartbeatBody {
  sent_at_ms: number;
  state: string;
  slot: number | null;
  id_prefix: string | null;
  restarts: number;
  last_error: string | null;
  /** 'synced' | 'unsynced' | 'unknown': the OS's view of its own clock (NTP). */
  clock_sync: 'synced' | 'unsynced' | 'unknown';
  /** Our clock minus the collector's, measured on the previous exchange (NTP-style midpoint); null before one. */
  clock_offset_ms: number | null;
  version: string;
}

/**
 * One UTC quarter hour's presence counts, from computePresence (presence.ts, as `scan report`): `android`
 * and `ios` split the distinct IDs first heard in the slot, iPhones being those whose ID was read over GATT
 * (docs/ios-gatt.md); `stationary_excluded` counts the stationary transmitters heard in the slot and left
 * out. `ios` stays nullable: senders that cannot tell iPhones apart (fleet/simulate.ts) send null.
 */
export interface SlotCounts {
  date: string;
  slot: number;
  android: number;
  ios: number | null;
  estimate: number;
  low: number;
  high: number;
  stationary_excluded: number;
}

/** One UTC day so far: presenceEstimate over the day's slots (README "Presence report"). */
export interface DayCounts extends Omit<SlotCounts, 'slot'> {
  /** Slots of the day that are complete and included. */
  slots: number;
}

export interface PresenceBody {
  slots: SlotCounts[];
  days: DayCounts[];
}

export interface CollectorReply {
  server_time_ms: number;
}

/** At most this many slot or day rows per upload (the collector rejects more with 413). */
export const MAX_ROWS_PER_UPLOAD = 500;
