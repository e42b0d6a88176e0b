// The generic observation row shared by the simulator, the logbook and the classifier
// (shared/docs/interfaces.md "Generic observation CSV").

export const OBSERVATION_CSV_HEADER =
  'timestamp_ms,receiver,transmitter,rssi,tx_power,receiver_model,transmitter_model';
export const TRUTH_CSV_HEADER = 'timestamp_ms,receiver,transmitter,distance_m';
export const WINDOWS_CSV_HEADER =
  'receiver,transmitter,window_start_ms,window_end_ms,n_obs,score,est_distance_m,contact';

export interface Observation {
  /** Unix milliseconds, UTC. */
  timestampMs: number;
  receiver: string;
  transmitter: string;
  /** dBm, integer. */
  rssi: number;
  txPower?: number;
  receiverModel?: string;
  transmitterModel?: string;
}

/** Quotes a CSV field only when it must (RFC 4180). */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function formatObservationRow(o: Observation): string {
  return [
    String(o.timestampMs),
    csvField(o.receiver),
    csvField(o.transmitter),
    String(o.rssi),
    o.txPower === undefined ? '' : String(o.txPower),
    csvField(o.receiverModel ?? ''),
    csvField(o.transmitterModel ?? ''),
  ].join(',');
}
