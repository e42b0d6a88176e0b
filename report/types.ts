// Inputs of the report renderer (report/render.ts). Producers (sim run, eval, beacon presence) fill
// these plain objects; the renderer never reads files or the simulator's internals.
// Units live in the field names: *Ms Unix/sim milliseconds, *M metres, *Dbm dBm.
import type { TopLevelSpec } from 'vega-lite';

/** One key figure of a run, shown in the figures table ("pairs/s", "real-time factor", ...). */
export interface Figure {
  label: string;
  value: number | string;
  /** Unit shown after the value, e.g. "pairs/s", "x", "s". */
  unit?: string;
}

export interface ScenarioSummary {
  name: string;
  seed: number;
  /** Simulated time span in ms. */
  durationMs: number;
  /** Device counts by kind, e.g. {phones: 40, beacons: 2}. */
  devices: Record<string, number>;
  /** Environment description, e.g. "office, path-loss n=3.0, Rician K=2". */
  environment: string;
  /** Speed and scale figures: pairs/s, real-time factor, observations, ... */
  figures: Figure[];
  /** People the scenario schedules and those who ever arrived during the run (shown "present / scheduled"). */
  people?: { scheduled: number; present: number };
}

/** A room as a polygon (at least 3 points, metres) or an axis-aligned rectangle. */
export type Room =
  | { name: string; polygon: Array<[number, number]> }
  | { name: string; x: number; y: number; width: number; height: number };

export interface BeaconMark {
  name: string;
  x: number;
  y: number;
}

export interface FloorPlan {
  /** Overall extent in metres; defaults to the bounding box of rooms and tracks. */
  widthM?: number;
  heightM?: number;
  rooms: Room[];
  beacons: BeaconMark[];
}

/** Sampled positions of one device (sim time ms from the run start, metres). */
export interface DeviceTrack {
  device: string;
  /** Optional group shown in the legend, e.g. "staff", "visitor". */
  kind?: string;
  points: Array<{ tMs: number; x: number; y: number }>;
}

/** RSSI and true distance over time for one (receiver, transmitter) pair. */
export interface PairSeries {
  receiver: string;
  transmitter: string;
  /** Every reception, or (with binMs) one point per time bin: mean RSSI and distance, RSSI min/max, count n. */
  points: Array<{ tMs: number; rssiDbm: number; distanceM: number; rssiMinDbm?: number; rssiMaxDbm?: number; n?: number }>;
  /** Bin width when the points are time bins (the page says so). */
  binMs?: number;
  /** Receptions behind the points (defaults to the number of points). */
  total?: number;
  /** Why this pair is shown, e.g. "closest true contact: ...". */
  reason?: string;
}

/** One subsampled (true distance, RSSI) sample for the scatter plot. */
export interface ScatterSample {
  distanceM: number;
  rssiDbm: number;
  /** Optional colour group, e.g. receiver model. */
  group?: string;
}

/** Contact intervals of one person: ground truth (within 2 m) and what the classifier detected. */
export interface ContactTimeline {
  person: string;
  truth: Array<{ startMs: number; endMs: number; with?: string }>;
  detected: Array<{ startMs: number; endMs: number; with?: string }>;
}

export interface RocPoint {
  fpr: number;
  tpr: number;
}

/** One ROC curve; `method` is e.g. "ours", "gaen", "bluezone". */
export interface RocCurve {
  method: string;
  points: RocPoint[];
  auc: number;
}

/** F1 of one method with each score taken as its threshold, for the F1/threshold plot. */
export interface F1Curve {
  method: string;
  /** What the score is, with its unit (x axis title), e.g. "RSSI level (dBm)". */
  score: string;
  points: Array<{ threshold: number; f1: number }>;
  /** F1 of the method's own decision (dashed rule), null when undefined. */
  decisionF1?: number | null;
}

/** A section a producer adds to a page (e.g. the 15-minute rule per pair): HTML and/or one plot. */
export interface ExtraSection {
  id: string;
  title: string;
  html?: string;
  /** A Vega-Lite spec rendered like the page's own plots (plots/<id>.svg). */
  spec?: TopLevelSpec;
  caption?: string;
  missing?: string;
  /** Id of the section to put it before; default: at the end. */
  before?: string;
}

/** A table of metrics: rows of named values (e.g. one row per method). */
export interface MetricsTable {
  columns: string[];
  rows: Array<Record<string, number | string>>;
}

export interface RunReportInput {
  title: string;
  scenario: ScenarioSummary;
  floorPlan: FloorPlan;
  tracks: DeviceTrack[];
  pairs: PairSeries[];
  scatter: ScatterSample[];
  contacts: ContactTimeline[];
  roc: RocCurve[];
  /** F1 against threshold per method (ours and both baselines). */
  f1?: F1Curve[];
  metrics: MetricsTable;
  /** Unix ms of sim time 0, so times can be shown as clock time; 0 shows elapsed time only. */
  startMs?: number;
  /** Observations the scatter samples were drawn from, and the stride (every k-th) that drew them. */
  scatterTotal?: number;
  scatterStride?: number;
  /** Said under the pair plots (e.g. how the pairs were picked, or why none). */
  pairsNote?: string;
  /** Said under the contact timeline (e.g. truth intervals not kept for large runs). */
  contactsNote?: string;
  /** Extra sections (e.g. the 15-minute rule per pair, issue 15). */
  sections?: ExtraSection[];
}

export interface EvalReportInput {
  title: string;
  /** Metrics per dataset and method: columns e.g. dataset, method, auc, precision, recall, f1. */
  metrics: MetricsTable;
  roc: RocCurve[];
  /** F1 against threshold per method. */
  f1?: F1Curve[];
  /** Free-text notes shown under the title (inputs used, thresholds). */
  notes?: string[];
  /** Extra sections (e.g. the 15-minute rule per pair, issue 15). */
  sections?: ExtraSection[];
}

/** What a renderer returns: the HTML page and each plot as standalone SVG (name -> SVG text). */
export interface RenderedReport {
  html: string;
  svgs: Record<string, string>;
}
