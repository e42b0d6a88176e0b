/**
 * Linear power for the co-channel interference sums (radio-model.md 3.4 item 5). A table at
 * 1/16 dB steps from the interference floor replaces Math.pow / Math.log10 per overlap: both engines
 * (run.ts flush and sim/kernel/assembly/engine.ts) read the same table, so they decide every capture
 * alike, and 1/16 dB is far below the channel's own spread (shadowing sigma several dB).
 */
export const LIN_STEPS_PER_DB = 16;
/** dB covered above the floor; a stronger packet reads the last entry (no phone receives > +60 dBm). */
const LIN_SPAN_DB = 160;

export interface LinearTable {
  floorDb: number;
  table: Float64Array;
  /** 10^(captureDb / 10): a reception is lost when interference * captureLin > its own linear power. */
  captureLin: number;
}

export function linearTable(floorDb: number, captureDb: number): LinearTable {
  const n = LIN_SPAN_DB * LIN_STEPS_PER_DB + 1;
  const table = new Float64Array(n);
  for (let i = 0; i < n; i++) table[i] = Math.pow(10, (floorDb + i / LIN_STEPS_PER_DB) / 10);
  return { floorDb, table, captureLin: Math.pow(10, captureDb / 10) };
}

/** Table index of power p (dBm, p >= floorDb): nearest step, halves up (Math.round), clamped. */
export function linIndex(p: number, floorDb: number, n: number): number {
  const i = Math.round((p - floorDb) * LIN_STEPS_PER_DB);
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}
