// The rows every part exchanges (docs/interfaces.md): observations (simulator, logbook -> classifier),
// truth, contact windows and daily contacts (classifier -> eval, reports). Headers and formatters live
// here once; readers are in csv.ts.

export const OBSERVATION_CSV_HEADER =
  'timestamp_ms,receiver,transmitter,rssi,tx_power,receiver_model,transmitter_model';
export const TRUTH_CSV_HEADER = 'timestamp_ms,receiver,transmitter,distance_m';
export const WINDOWS_CSV_HEADER =
  'receiver,transmitter,window_start_ms,window_end_ms,n_obs,score,est_distance_m,contact';
export const DAILY_CSV_HEADER = 'receiver,transmitter,day_start_ms,minutes_within_2m,close_contact';

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

/** One row of the contact windows CSV (WINDOWS_CSV_HEADER). */
export interface WindowRow {
  receiver: string;
  transmitter: string;
  windowStartMs: number;
  windowEndMs: number;
  nObs: number;
  /** Higher = closer; ranks windows (AUC). */
  score: number;
  estDistanceM: number;
  contact: boolean;
}

/** Per pair and UTC day: minutes within 2 m and the close-contact flag (DAILY_CSV_HEADER). */
export interface DailyRow {
  receiver: string;
  transmitter: string;
  dayStartMs: number;
  minutesWithin2m: number;
  closeContact: boolean;
}

export function formatWindowRow(w: WindowRow): string {
  return [
    csvField(w.receiver),
    csvField(w.transmitter),
    String(w.windowStartMs),
    String(w.windowEndMs),
    String(w.nObs),
    String(w.score),
    String(w.estDistanceM),
    w.contact ? '1' : '0',
  ].join(',');
}

export function formatDailyRow(d: DailyRow): string {
  return [
    csvField(d.receiver),
    csvField(d.transmitter),
    String(d.dayStartMs),
    String(d.minutesWithin2m),
    d.closeContact ? '1' : '0',
  ].join(',');
}
