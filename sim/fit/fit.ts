/**
 * Runs the channel model through a reception kernel on the geometry of the real data sets and compares
 * the simulated RSSI with the real one per distance bin (two-sample KS distance and medians).
 *
 * Each real group (one file / direction) is replayed `replicas` times: same distances, times (for
 * shadowing epochs), carriage and orientation, same number of readings. Phones keep their platform and,
 * where the GAEN table lists it, their model (phones.ts); undocumented models are drawn from the measured
 * GAEN pool per physical phone and replica. mitll's transmitters are undocumented phones with unknown TX
 * power, so mitll is compared after centring each (environment, transmitter) on its median over all
 * rotations: it tests the body-blocking shape, not absolute level.
 */

/** Everything the fit varies. */
export interface FitParams {
  channel: ChannelParams;
  body: BodyParams;
  iphoneTxDbm: number;
}
export const DEFAULT_FIT: FitParams = { channel: DEFAULT_CHANNEL, body: DEFAULT_BODY, iphoneTxDbm: IPHONE_TX_DBM };
/** Centred mitll values are shifted here so they stay inside the histogram range. */
const CENTRE_AT = -70;
/**
 * Window for the median statistic. Pooled readings cannot tell per-packet fading from slowly varying or
 * static per-pair terms (both widen the marginal); the spread of 30 s medians can, and it is what a
 * windowed classifier sees (herald's own fit uses 1-min medians).
 */
export const WINDOW_MS = 30_000;
import { bodyLossAt, DEFAULT_BODY, DEFAULT_CHANNEL, type BodyParams, type ChannelParams } from '../channel/params.ts';
import { createDevicePicker, IPHONE_MODEL, IPHONE_TX_DBM, type DeviceModel } from '../channel/devices.ts';
import { phoneModel } from './phones.ts';
import { hash32 } from '../kernel/rng.ts';
import { allocBatch, type PairBatch, type ReceptionKernel } from '../kernel/types.ts';
import type { Dataset, RealData, RealGroup } from '../../records/datasets.ts';
import { histIndex, histMedian, ksDistance, NBINS } from './ks.ts';

export interface Cell {
  dataset: Dataset;
  split: 'train' | 'test';
  bin: string;
  /** 'reading': every reading; 'window': medians of WINDOW_MS windows per group (slow components) */
  kind: 'reading' | 'window';
  real: Int32Array;
  nReal: number;
}

export interface Prepared {
  groups: RealGroup[];
  replicas: number;
  cells: Cell[];
  /** per simulated sample: its cell */
  cellOf: Int32Array;
  /** per simulated sample: group index (for body loss) */
  groupOf: Int32Array;
  /** per simulated sample: receiver device RSSI correction (dB) */
  rxCorr: Float32Array;
  batch: PairBatch;
  out: Float32Array;
  epochMsUsed: number;
  tMs: Float64Array;
  /** per simulated sample: transmitter TX (dBm), NaN where the transmitter is an iPhone (fitted) */
  txBase: Float32Array;
  /** per simulated sample: centring group (mitll) or -1 */
  centreOf: Int32Array;
  nCentre: number;
  /** windows in CSR form: samples winIdx[winStart[w] .. winStart[w+1]) belong to window w */
  winStart: Int32Array;
  winIdx: Int32Array;
  /** window -> its 'window' cell */
  winCell: Int32Array;
}

function windowMedian(v: ArrayLike<number>, idx: Int32Array, a: number, b: number, scratch: Float64Array): number {
  const m = b - a;
  for (let j = 0; j < m; j++) scratch[j] = Math.round(v[idx[a + j]]);
  const s = scratch.subarray(0, m).sort();
  return m % 2 ? s[(m - 1) >> 1] : (s[m / 2 - 1] + s[m / 2]) / 2;
}

function windowMedianAbove(v: ArrayLike<number>, idx: Int32Array, a: number, b: number, scratch: Float64Array, floor: number): number {
  let m = 0;
  for (let j = a; j < b; j++) {
    const x = v[idx[j]];
    if (x >= floor) scratch[m++] = Math.round(x);
  }
  if (m === 0) return NaN;
  const s = scratch.subarray(0, m).sort();
  return m % 2 ? s[(m - 1) >> 1] : (s[m / 2 - 1] + s[m / 2]) / 2;
}

function strHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export function prepare(data: RealData, models: DeviceModel[], kernel: ReceptionKernel, opts: { replicas: number; seed: number }): Prepared {
  const { groups } = data;
  const cellIx = new Map<string, number>();
  const cells: Cell[] = [];
  let total = 0;
  for (const g of groups) total += g.rssi.length;
  const n = total * opts.replicas;
  const batch = kernel.allocBatch ? kernel.allocBatch(n) : allocBatch(n);
  const out = kernel.allocOut ? kernel.allocOut(n) : new Float32Array(n);
  const cellOf = new Int32Array(n);
  const groupOf = new Int32Array(n);
  const rxCorr = new Float32Array(n);
  const tMs = new Float64Array(n);
  const pick = createDevicePicker(models, opts.seed);
  const txBase = new Float32Array(n);
  const centreOf = new Int32Array(n).fill(-1);
  const centreIx = new Map<string, number>();
  const iphone = { ...IPHONE_MODEL, txPowerDbm: NaN };
  // real mitll values are centred on their (environment, transmitter) median before histogramming
  const realCentre = new Map<string, number>();
  for (const g of groups) {
    if (g.dataset !== 'mitll') continue;
    const key = `${g.env}|${g.txPhone}`;
    const all = groups.filter((h) => h.dataset === 'mitll' && `${h.env}|${h.txPhone}` === key).flatMap((h) => Array.from(h.rssi));
    if (!realCentre.has(key)) realCentre.set(key, all.sort((a, b) => a - b)[Math.floor((all.length - 1) / 2)]);
  }
  const winIx = new Map<string, number>();
  const winMembers: number[][] = [];
  const winCellList: number[] = [];
  const winRealShift: number[] = [];
  const winIsReal: boolean[] = [];
  const realVal = new Float32Array(n);
  let k = 0;
  for (let r = 0; r < opts.replicas; r++) {
    for (let gi = 0; gi < groups.length; gi++) {
      const g = groups[gi];
      const txDev = phoneModel(g.dataset, g.txPhone, models, iphone, () => pick(strHash(`${g.dataset}/${g.txPhone}`) ^ Math.imul(r + 1, 0x9e3779b1)));
      const rxDev = phoneModel(g.dataset, g.rxPhone, models, iphone, () => pick(strHash(`${g.dataset}/${g.rxPhone}`) ^ Math.imul(r + 1, 0x9e3779b1)));
      let centre = -1;
      let realShift = 0;
      if (g.dataset === 'mitll') {
        const ck = `${g.env}|${g.txPhone}`;
        const key = `${ck}|${r}`;
        centre = centreIx.get(key) ?? centreIx.size;
        centreIx.set(key, centre);
        realShift = CENTRE_AT - realCentre.get(ck)!;
      }
      // the pair offset (antenna, carriage) belongs to one test set-up: herald test, pc-ng set, mitll env + phone
      const setup = g.dataset === 'herald' ? g.name.slice(0, 13) : g.dataset === 'pcng' ? g.name.split('/')[0] : g.env;
      const pairId = hash32(opts.seed, strHash(`${g.dataset}|${setup}|${g.txPhone}|${g.rxPhone}`), r, 0x9a1, 0);
      for (let i = 0; i < g.rssi.length; i++, k++) {
        const key = `${g.dataset}|${g.split}|${g.bin[i]}`;
        let c = cellIx.get(key);
        if (c === undefined) {
          c = cells.length;
          cellIx.set(key, c);
          cells.push({ dataset: g.dataset, split: g.split, bin: g.bin[i], kind: 'reading', real: new Int32Array(NBINS), nReal: 0 });
        }
        if (r === 0) {
          cells[c].real[histIndex(g.rssi[i] + realShift)]++;
          cells[c].nReal++;
        }
        cellOf[k] = c;
        groupOf[k] = gi;
        const wkey = `${r}|${gi}|${g.bin[i]}|${Math.floor(g.tMs[i] / WINDOW_MS)}`;
        let w = winIx.get(wkey);
        if (w === undefined) {
          w = winMembers.length;
          winIx.set(wkey, w);
          winMembers.push([]);
          const ckey = `${g.dataset}|${g.split}|${g.bin[i]}|window`;
          let wc = cellIx.get(ckey);
          if (wc === undefined) {
            wc = cells.length;
            cellIx.set(ckey, wc);
            cells.push({ dataset: g.dataset, split: g.split, bin: g.bin[i], kind: 'window', real: new Int32Array(NBINS), nReal: 0 });
          }
          winCellList.push(wc);
          winRealShift.push(realShift);
          winIsReal.push(r === 0);
        }
        winMembers[w].push(k);
        rxCorr[k] = rxDev.rssiCorrectionDb;
        batch.distM[k] = g.distM[i];
        txBase[k] = txDev.txPowerDbm;
        realVal[k] = g.rssi[i];
        centreOf[k] = centre;
        batch.pairId[k] = pairId;
        batch.eventId[k] = i;
        batch.channel[k] = 37 + (i % 3);
        tMs[k] = g.tMs[i];
      }
    }
  }
  batch.n = n;
  const winStart = new Int32Array(winMembers.length + 1);
  for (let w = 0; w < winMembers.length; w++) winStart[w + 1] = winStart[w] + winMembers[w].length;
  const winIdx = new Int32Array(n);
  winMembers.forEach((m, w) => winIdx.set(m, winStart[w]));
  const winCell = Int32Array.from(winCellList);
  // real window medians (replica 0 windows hold exactly the real readings)
  const scratch = new Float64Array(n);
  for (let w = 0; w < winMembers.length; w++) {
    if (!winIsReal[w]) continue;
    const m = windowMedian(realVal, winIdx, winStart[w], winStart[w + 1], scratch);
    cells[winCell[w]].real[histIndex(m + winRealShift[w])]++;
    cells[winCell[w]].nReal++;
  }
  return { winStart, winIdx, winCell, groups, replicas: opts.replicas, cells, cellOf, groupOf, rxCorr, batch, out, epochMsUsed: -1, tMs, txBase, centreOf, nCentre: centreIx.size };
}

/** Simulates every prepared sample with these parameters; returns per-cell simulated histograms. */
export function simulate(prep: Prepared, kernel: ReceptionKernel, fp: FitParams = DEFAULT_FIT): Int32Array[] {
  const { channel: params, body } = fp;
  const { batch, groups, groupOf, rxCorr, cellOf, out, txBase, centreOf } = prep;
  const n = batch.n;
  // per-group body loss (tx side + rx side); constant within a group
  const gl = new Float32Array(groups.length);
  for (let gi = 0; gi < groups.length; gi++) {
    const g = groups[gi];
    const st = { ...body[g.tx.carriage], placementRad: g.tx.carriage === 'fixed' ? 0 : g.tx.placementRad };
    const sr = { ...body[g.rx.carriage], placementRad: g.rx.carriage === 'fixed' ? 0 : g.rx.placementRad };
    gl[gi] = bodyLossAt(st, g.tx.angleToPeerRad) + bodyLossAt(sr, g.rx.angleToPeerRad);
  }
  const sl = batch.staticLossDb;
  for (let k = 0; k < n; k++) {
    sl[k] = gl[groupOf[k]] + rxCorr[k];
    const t = txBase[k];
    batch.txPowerDbm[k] = t === t ? t : fp.iphoneTxDbm;
  }
  if (prep.epochMsUsed !== params.shadowEpochMs) {
    const ep = batch.epoch;
    for (let k = 0; k < n; k++) ep[k] = Math.floor(prep.tMs[k] / params.shadowEpochMs) >>> 0;
    prep.epochMsUsed = params.shadowEpochMs;
  }
  kernel.evaluate(batch, params, out);
  // centring (mitll): median of each (environment, transmitter, replica) group
  const shift = new Float64Array(prep.nCentre);
  if (prep.nCentre > 0) {
    const ch = Array.from({ length: prep.nCentre }, () => new Int32Array(NBINS));
    for (let k = 0; k < n; k++) if (centreOf[k] >= 0) ch[centreOf[k]][histIndex(out[k])]++;
    for (let c = 0; c < prep.nCentre; c++) shift[c] = CENTRE_AT - histMedian(ch[c]);
  }
  // real readings exist only for received packets: censor simulated ones below sensitivity
  const sens = params.sensitivityDbm;
  const hists = prep.cells.map(() => new Int32Array(NBINS));
  for (let k = 0; k < n; k++) {
    if (out[k] < sens) continue;
    const c = centreOf[k];
    hists[cellOf[k]][histIndex(c >= 0 ? Math.round(out[k]) + shift[c] : out[k])]++;
  }
  const scratch = new Float64Array(n);
  const { winStart, winIdx, winCell } = prep;
  for (let w = 0; w + 1 < winStart.length; w++) {
    const a = winStart[w];
    const m = windowMedianAbove(out, winIdx, a, winStart[w + 1], scratch, sens);
    if (m !== m) continue; // nothing received in this window
    const c = centreOf[winIdx[a]];
    hists[winCell[w]][histIndex(c >= 0 ? m + shift[c] : m)]++;
  }
  return hists;
}

export interface KsRow {
  dataset: Dataset;
  bin: string;
  kind: 'reading' | 'window';
  split: 'train' | 'test';
  n_real: number;
  n_sim: number;
  ks: number;
  median_real_dbm: number;
  median_sim_dbm: number;
}

type Split3 = { train: number; test: number; all: number };
export interface KsSummary {
  rows: KsRow[];
  /** mean KS over distance bins of all readings, per dataset and split */
  mean: Record<string, Split3>;
  /** same for the 30 s window medians */
  windowMean: Record<string, Split3>;
  overallReading: Split3;
  overallWindow: Split3;
  /** mean of overallReading and overallWindow */
  overall: Split3;
}

function binOrder(b: string): number {
  const m = /-?\d+(\.\d+)?/.exec(b);
  return m ? Number(m[0]) : 0;
}

export function ksSummary(prep: Prepared, hists: Int32Array[], opts: { minReal?: number } = {}): KsSummary {
  const minReal = opts.minReal ?? 20;
  const rows: KsRow[] = [];
  prep.cells.forEach((c, i) => {
    if (c.nReal < (c.kind === 'window' ? 5 : minReal)) return;
    let ns = 0;
    for (const v of hists[i]) ns += v;
    rows.push({
      dataset: c.dataset,
      bin: c.bin,
      kind: c.kind,
      split: c.split,
      n_real: c.nReal,
      n_sim: ns,
      ks: ksDistance(c.real, hists[i]),
      median_real_dbm: histMedian(c.real),
      median_sim_dbm: histMedian(hists[i]),
    });
  });
  const dsOrder: Dataset[] = ['herald', 'pcng', 'mitll'];
  rows.sort((a, b) => dsOrder.indexOf(a.dataset) - dsOrder.indexOf(b.dataset) || a.kind.localeCompare(b.kind) || binOrder(a.bin) - binOrder(b.bin) || a.bin.localeCompare(b.bin) || a.split.localeCompare(b.split));
  const mean: KsSummary['mean'] = {};
  const windowMean: KsSummary['mean'] = {};
  const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  for (const [into, kind] of [[mean, 'reading'], [windowMean, 'window']] as const) {
    for (const ds of dsOrder) {
      const r = rows.filter((x) => x.dataset === ds && x.kind === kind);
      if (!r.length) continue;
      into[ds] = { train: avg(r.filter((x) => x.split === 'train').map((x) => x.ks)), test: avg(r.filter((x) => x.split === 'test').map((x) => x.ks)), all: avg(r.map((x) => x.ks)) };
    }
  }
  const avgFinite = (xs: number[]) => avg(xs.filter((x) => Number.isFinite(x)));
  const ov = (m: KsSummary['mean']) => {
    const ms = Object.values(m);
    return { train: avgFinite(ms.map((x) => x.train)), test: avgFinite(ms.map((x) => x.test)), all: avgFinite(ms.map((x) => x.all)) };
  };
  const o1 = ov(mean);
  const o2 = ov(windowMean);
  return {
    rows,
    mean,
    windowMean,
    overallReading: o1,
    overallWindow: o2,
    // the headline figure: readings and window medians weighted equally
    overall: { train: (o1.train + o2.train) / 2, test: (o1.test + o2.test) / 2, all: (o1.all + o2.all) / 2 },
  };
}

/** The objective the grid search minimises: overall mean KS on the training split. */
export function trainObjective(prep: Prepared, kernel: ReceptionKernel, fp: FitParams): number {
  return ksSummary(prep, simulate(prep, kernel, fp)).overall.train;
}

export { DEFAULT_CHANNEL, DEFAULT_BODY };
