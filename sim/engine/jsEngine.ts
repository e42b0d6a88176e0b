// The reference reception engine in JavaScript (radio-model.md 3.4), the one the fused WASM engine is
// tested against and the only one with the TS kernel. Per tick: draw the advertising events, then for each
// listening scan window batch the in-range advertisers' packets on that channel into the reception kernel,
// then resolve sensitivity, half duplex and collisions/capture per receiver with the returned powers.
import { hash32, hashAbsorb, hashFinish, uniform01 } from '../kernel/rng.ts';
import { allocBatch, pairIdOf, type PairBatch } from '../kernel/types.ts';
import { ADV_DELAY_MAX_US, HOP_GAP_US } from '../world/devices.ts';
import { SCAN_IOS, SCAN_NONE, type World } from '../world/build.ts';
import { linIndex } from './capture.ts';
import { UniformGrid } from './grid.ts';
import { BODY_BINS, BODY_HALF, type Radio } from './radio.ts';
import { grow } from './typed.ts';
import type { EngineCounters, ReceptionEngine, ReceptionOut, TickState } from './types.ts';

const SALT_START = 0x73747274;
const SALT_IOS_JITTER = 0x696f736a;
/** Kernel batches hold CAP candidates; windows are resolved once RESOLVE_AT candidates or G_CAP windows wait. */
const CAP = 1 << 13;
const RESOLVE_AT = 1 << 18;
const G_CAP = 1 << 14;
// advDelay draw: a uint32 reduced mod (ADV_DELAY_MAX_US + 1) in small-integer steps
const ADV_DELAY_2_16 = 65536 % (ADV_DELAY_MAX_US + 1);

export class JsEngine implements ReceptionEngine {
  readonly name = 'js' as const;
  readonly appliesLoggingRule = false;
  private readonly c: EngineCounters = { pairEvaluations: 0, advEvents: 0, receptions: 0, lostBelowSensitivity: 0, lostCollision: 0, lostHalfDuplex: 0 };
  private readonly grid: UniformGrid;
  private readonly gridActive: Uint8Array;
  private readonly batch: PairBatch;
  private readonly out: Float32Array;
  // candidates of whole scan windows, until their collisions are resolved
  private cCap = 1 << 16;
  private cTx = new Int32Array(this.cCap);
  private cStart = new Float64Array(this.cCap);
  private cOk = new Uint8Array(this.cCap);
  private cDist = new Float32Array(this.cCap);
  private cPow = new Float32Array(this.cCap);
  private cKey = new Float64Array(this.cCap);
  private nC = 0;
  private kBase = 0;
  // pending windows: candidates gStart[g]..gStart[g+1] of receiver gRx[g] in [gWin[g], gWe[g])
  private readonly gStart = new Int32Array(G_CAP + 1);
  private readonly gRx = new Int32Array(G_CAP);
  private readonly gWin = new Float64Array(G_CAP);
  private readonly gWe = new Float64Array(G_CAP);
  private nGroups = 0;
  // sort scratch of one window
  private sCap = 1024;
  private sIdx = new Int32Array(this.sCap);
  private sSt = new Float64Array(this.sCap);
  private sEnd = new Float64Array(this.sCap);
  private sLin = new Float64Array(this.sCap);
  // advertising events of the tick
  private readonly nextEvUs: Float64Array;
  private readonly evCount: Uint32Array;
  private readonly prevEvUs: Float64Array;
  private readonly prevEvId: Uint32Array;
  private readonly evOff: Int32Array;
  private evCap: number;
  private evStart: Float64Array;
  private evId: Uint32Array;
  private readonly maxEvPerTick: number;
  // neighbour scratch (per scanner per tick): candidate transmitters in grid-cell order then the loud ones
  // (the order fixes the candidates' order in the kernel batch and the sort's tie-break, so it must not change)
  private readonly candT: Int32Array;
  private readonly nbTx: Int32Array;
  private readonly nbDist: Float32Array;
  private readonly nbLoss: Float32Array;
  private readonly nbPair: Uint32Array;
  private readonly nbCur: Int32Array;
  // the neighbours' events of the tick, copied contiguously per scanner: the window loop then reads
  // memory in order instead of jumping through every device's events
  private readonly nbEnd: Int32Array;
  private nbEvCap = 1 << 16;
  private nbEvStart = new Float64Array(this.nbEvCap);
  private nbEvId = new Uint32Array(this.nbEvCap);
  private sink: ReceptionOut | null = null;

  constructor(
    private readonly w: World,
    private readonly r: Radio,
    widthM: number,
    heightM: number,
  ) {
    const n = w.nDev;
    this.grid = new UniformGrid(r.cellM, widthM, heightM, n);
    this.gridActive = new Uint8Array(n);
    this.batch = r.kernel.allocBatch ? r.kernel.allocBatch(CAP) : allocBatch(CAP);
    this.out = r.kernel.allocOut ? r.kernel.allocOut(CAP) : new Float32Array(CAP);
    this.nextEvUs = new Float64Array(n);
    this.evCount = new Uint32Array(n);
    this.prevEvUs = new Float64Array(n).fill(-Infinity);
    this.prevEvId = new Uint32Array(n);
    this.evOff = new Int32Array(n + 1);
    this.evCap = Math.max(1024, n * 4);
    this.evStart = new Float64Array(this.evCap);
    this.evId = new Uint32Array(this.evCap);
    this.maxEvPerTick = Math.ceil(w.tickMs * 1000 / 20_000) + 3;
    this.candT = new Int32Array(n);
    this.nbTx = new Int32Array(n);
    this.nbDist = new Float32Array(n);
    this.nbLoss = new Float32Array(n);
    this.nbPair = new Uint32Array(n);
    this.nbCur = new Int32Array(n);
    this.nbEnd = new Int32Array(n);
  }

  loadTick(): void {}

  truthPairs(): null {
    return null;
  }

  events(): { evOff: Int32Array; evStart: Float64Array } {
    return { evOff: this.evOff, evStart: this.evStart };
  }

  counters(): EngineCounters {
    return this.c;
  }

  private isAdvOn(d: number, t: number): boolean {
    const a = this.w.adv;
    if (a.onUs[d] === 0) return true;
    return (t + a.phaseUs[d]) % a.cycleUs[d] < a.onUs[d];
  }

  drawEvents(t0: number, t1: number, t0ms: number, s: TickState): void {
    const { active, wasActive } = s;
    const { nDev, seed, adv } = this.w;
    const { nextEvUs, prevEvUs, prevEvId, evCount, evOff } = this;
    let ne = 0;
    for (let d = 0; d < nDev; d++) {
      evOff[d] = ne;
      if (!active[d]) continue;
      if (ne + this.maxEvPerTick + 1 > this.evCap) {
        this.evCap *= 2;
        this.evStart = grow(this.evStart, Float64Array, this.evCap);
        this.evId = grow(this.evId, Uint32Array, this.evCap);
      }
      if (!wasActive[d]) {
        // (re)starts advertising: first event within one interval of arrival
        nextEvUs[d] = t0 + Math.floor(uniform01(hash32(seed, SALT_START, d, t0ms, 0)) * adv.intUs[d]);
        prevEvUs[d] = -Infinity;
      }
      if (prevEvUs[d] + adv.evSpanUs[d] > t0) {
        this.evStart[ne] = prevEvUs[d];
        this.evId[ne] = prevEvId[d];
        ne++;
      }
      while (nextEvUs[d] < t1) {
        const st = nextEvUs[d];
        const id = evCount[d]++;
        // advDelay 0-10 ms, integer us (Core Spec Vol 6 Part B 4.4.2.2)
        // hash32(seed, SALT_ADV_DELAY, d, id, 0) % (ADV_DELAY_MAX_US + 1), with the per-device prefix
        // absorbed once and the uint32 reduced in small-integer steps (a double % is several times slower)
        const h = hashFinish(hashAbsorb(hashAbsorb(adv.delayH[d], id), 0));
        nextEvUs[d] = st + adv.intUs[d] + (((h >>> 16) * ADV_DELAY_2_16 + (h & 0xffff)) % (ADV_DELAY_MAX_US + 1));
        if (!this.isAdvOn(d, st)) continue;
        this.evStart[ne] = st;
        this.evId[ne] = id;
        ne++;
        prevEvUs[d] = st;
        prevEvId[d] = id;
        this.c.advEvents++;
      }
    }
    evOff[nDev] = ne;
  }

  receive(t0: number, t1: number, s: TickState, out: ReceptionOut): void {
    const { nDev, seed, scan } = this.w;
    const { maxAir } = this.w.adv;
    this.sink = out;
    for (let d = 0; d < nDev; d++) this.gridActive[d] = s.active[d] && !this.r.loud[d] ? 1 : 0;
    this.grid.build(s.x, s.y, this.gridActive, nDev);
    for (let i = 0; i < s.nPresent; i++) {
      const r = s.present[i];
      const mode = scan.mode[r];
      if (mode === SCAN_NONE) continue;
      // scan windows of r overlapping [t0 - maxAir, t1)
      const win = scan.winUs[r];
      const per = scan.intUs[r];
      const ph = scan.phaseUs[r];
      const cyc = scan.cycleUs[r];
      let k0: number;
      if (mode === SCAN_IOS) k0 = Math.floor((t0 - maxAir - win - scan.jitUs[r] - ph) / per);
      else k0 = Math.floor((t0 - maxAir - win + ph) / per);
      if (cyc > 0) {
        // Android: skip the scanner when no scan session overlaps this tick
        const A = t0 - maxAir - win;
        const cA = (((A + ph) % cyc) + cyc) % cyc;
        if (cA >= scan.onUs[r] && A + (cyc - cA) >= t1) continue;
      }
      let nNb = -1; // neighbours gathered lazily, once per tick
      for (let k = k0; ; k++) {
        let ws: number;
        if (mode === SCAN_IOS) ws = k * per + ph + Math.floor(uniform01(hash32(seed, SALT_IOS_JITTER, r, k, 0)) * scan.jitUs[r]) - (scan.jitUs[r] >> 1);
        else ws = k * per - ph;
        if (ws >= t1) break;
        let we = ws + win;
        if (we <= t0 - maxAir) continue;
        if (cyc > 0) {
          // Android scan sessions: listen only inside [session start, start + on)
          const inCycle = (((ws + ph) % cyc) + cyc) % cyc;
          if (inCycle >= scan.onUs[r]) continue;
          we = Math.min(we, ws - inCycle + scan.onUs[r]);
        }
        if (nNb < 0) nNb = this.gatherNeighbours(r, s);
        if (nNb === 0) break;
        const ch = 37 + ((k + scan.chOff[r]) % 3 + 3) % 3;
        this.addWindow(r, ws, we, ch, nNb, t0, t1);
      }
    }
    this.flush();
    this.sink = null;
  }

  /** Evaluates the pending kernel batch and keeps the powers beside the candidates. */
  private evalChunk(): void {
    const batch = this.batch;
    const n = batch.n;
    if (n === 0) return;
    this.r.kernel.evaluate(batch, this.r.params, this.out);
    this.cPow.set(this.out.subarray(0, n), this.kBase);
    this.c.pairEvaluations += n;
    this.kBase += n;
    batch.n = 0;
  }

  private growCandidates(): void {
    this.cCap *= 2;
    const cap = this.cCap;
    this.cTx = grow(this.cTx, Int32Array, cap);
    this.cStart = grow(this.cStart, Float64Array, cap);
    this.cOk = grow(this.cOk, Uint8Array, cap);
    this.cDist = grow(this.cDist, Float32Array, cap);
    this.cPow = grow(this.cPow, Float32Array, cap);
    this.cKey = new Float64Array(cap);
  }

  /**
   * Resolves the pending windows: sensitivity, half duplex, then collisions/capture per receiver. Per
   * window the packets that matter are sorted once by start; their index, start, end and (lazily) linear
   * power then sit in contiguous scratch arrays, so the overlap scans read memory in order.
   */
  private flush(): void {
    this.evalChunk();
    const { params, lin, interfFloorDb } = this.r;
    const { maxAir, airUs, evSpanUs } = this.w.adv;
    const sens = params.sensitivityDbm;
    const LT = lin.table, floorDb = lin.floorDb, nLin = LT.length, capLin = lin.captureLin;
    const out = this.cPow;
    const gStart = this.gStart, nGroups = this.nGroups;
    let maxG = 0;
    for (let g = 0; g < nGroups; g++) maxG = Math.max(maxG, gStart[g + 1] - gStart[g]);
    if (maxG > this.sCap) {
      while (this.sCap < maxG) this.sCap *= 2;
      this.sIdx = new Int32Array(this.sCap);
      this.sSt = new Float64Array(this.sCap);
      this.sEnd = new Float64Array(this.sCap);
      this.sLin = new Float64Array(this.sCap);
    }
    // the arrays in locals: fields would be reloaded on every access
    const K = this.cKey, St = this.cStart, Ok = this.cOk, Tx = this.cTx, Dist = this.cDist;
    const SI = this.sIdx, SS = this.sSt, SE = this.sEnd, SL = this.sLin, ES = this.evStart, evOff = this.evOff;
    const sink = this.sink!;
    let nSens = 0, nHd = 0, nCol = 0, nRec = 0;
    for (let g = 0; g < nGroups; g++) {
      const s = gStart[g];
      const e = gStart[g + 1];
      const rx = this.gRx[g];
      const ws = this.gWin[g];
      const we = this.gWe[g];
      // sort the window's packets by start time: key = (start - ws + maxAir) * 2^20 + local index
      // only packets strong enough to be received or to interfere take part
      let m = s;
      let weak = 0;
      for (let i = s; i < e; i++) {
        if (out[i] >= interfFloorDb) K[m++] = (St[i] - ws + maxAir) * 1048576 + (i - s);
        else weak += Ok[i];
      }
      nSens += weak;
      m -= s;
      if (m === 0) continue;
      if (m > 32) K.subarray(s, s + m).sort();
      else {
        // small windows (the usual case): insertion sort in place, no subarray or runtime call; keys are
        // distinct (they end in the local index), so the order is the same as sort()'s
        for (let a = s + 1; a < s + m; a++) {
          const v = K[a];
          let b = a - 1;
          while (b >= s && K[b] > v) {
            K[b + 1] = K[b];
            b--;
          }
          K[b + 1] = v;
        }
      }
      for (let k = 0; k < m; k++) {
        const key = K[s + k];
        // low 20 bits of an exact integer key (no float modulo)
        const i = s + (key - Math.floor(key * (1 / 1048576)) * 1048576);
        SI[k] = i;
        const st = St[i];
        SS[k] = st;
        SE[k] = st + airUs[Tx[i]];
        SL[k] = -1;
      }
      // the receiver's own events of the tick, ascending: a cursor follows the ascending packet starts
      let hj = evOff[rx];
      const hEnd = evOff[rx + 1];
      const span = evSpanUs[rx];
      for (let k = 0; k < m; k++) {
        const i = SI[k];
        if (!Ok[i]) continue;
        const p = out[i];
        if (p < sens) {
          nSens++;
          continue;
        }
        const ps = SS[k];
        const pe = SE[k];
        // half duplex: the receiver cannot listen while its own advertising event is on air
        while (hj < hEnd && ES[hj] + span <= ps) hj++;
        if (hj < hEnd && ES[hj] < pe) {
          nHd++;
          continue;
        }
        // co-channel interference from overlapping packets (radio-model.md 3.4 item 5), summed in
        // linear power from the shared table (capture.ts)
        let interf = 0;
        for (let kk = k - 1; kk >= 0; kk--) {
          if (SS[kk] + maxAir <= ps) break;
          if (SE[kk] > ps) {
            let l = SL[kk];
            if (l < 0) SL[kk] = l = LT[linIndex(out[SI[kk]], floorDb, nLin)];
            interf += l;
          }
        }
        for (let kk = k + 1; kk < m; kk++) {
          if (SS[kk] >= pe) break;
          let l = SL[kk];
          if (l < 0) SL[kk] = l = LT[linIndex(out[SI[kk]], floorDb, nLin)];
          interf += l;
        }
        // lost when the signal-to-interference ratio is below the capture ratio
        if (interf > 0 && interf * capLin > LT[linIndex(p, floorDb, nLin)]) {
          nCol++;
          continue;
        }
        nRec++;
        sink.heard(rx, Tx[i], ps, p, ws, we, Dist[i]);
      }
    }
    this.c.lostBelowSensitivity += nSens;
    this.c.lostHalfDuplex += nHd;
    this.c.lostCollision += nCol;
    this.c.receptions += nRec;
    this.nC = 0;
    this.kBase = 0;
    this.nGroups = 0;
    gStart[0] = 0;
  }

  /** The scanner's in-reach transmitters with their geometry, body loss and events of the tick. */
  private gatherNeighbours(r: number, s: TickState): number {
    const { x, y, hx, hy, active } = s;
    const { reachTx, reachRx, normalReach, loudList, bodyTable } = this.r;
    const { carriage, rxCorr } = this.w;
    const grid = this.grid;
    const candT = this.candT;
    const evOff = this.evOff, evStart = this.evStart, evId = this.evId;
    let nc = 0;
    const xr = x[r];
    const yr = y[r];
    const search = normalReach * reachRx[r];
    const span = Math.ceil(search / grid.cellM);
    const cx = grid.cellX(xr);
    const cy = grid.cellY(yr);
    const cellStart = grid.cellStart;
    const items = grid.items;
    const gx0 = Math.max(0, cx - span);
    const gx1 = Math.min(grid.nx - 1, cx + span);
    for (let gy = Math.max(0, cy - span); gy <= Math.min(grid.ny - 1, cy + span); gy++) {
      // cells of one row are contiguous in items
      const row = gy * grid.nx;
      const q1 = cellStart[row + gx1 + 1];
      for (let q = cellStart[row + gx0]; q < q1; q++) candT[nc++] = items[q];
    }
    for (let k = 0; k < loudList.length; k++) if (active[loudList[k]]) candT[nc++] = loudList[k];

    let n = 0;
    let ne = 0;
    const hxr = hx[r];
    const hyr = hy[r];
    const reachR = reachRx[r];
    const rxLoss = rxCorr[r];
    const bodyR = carriage[r] * BODY_BINS;
    for (let c = 0; c < nc; c++) {
      const t = candT[c];
      const e0 = evOff[t];
      const e1 = evOff[t + 1];
      if (t === r || e0 === e1) continue;
      const dx = xr - x[t];
      const dy = yr - y[t];
      const d2 = dx * dx + dy * dy;
      const reach = reachTx[t] * reachR;
      if (d2 > reach * reach) continue;
      const dist = Math.sqrt(d2);
      // body blocking: loss by the cosine between each carrier's facing and the bearing to the other,
      // from a table of sim/channel's bodyLossDb (the angle is acos of that cosine, folded to [0, pi])
      const inv = dist > 0 ? 1 / dist : 0;
      const ux = dx * inv; // unit bearing tx -> rx
      const uy = dy * inv;
      const ct = ux * hx[t] + uy * hy[t];
      const cr = -(ux * hxr + uy * hyr);
      const lossTx = bodyTable[carriage[t] * BODY_BINS + Math.round((ct + 1) * BODY_HALF)];
      const lossRx = bodyTable[bodyR + Math.round((cr + 1) * BODY_HALF)];
      this.nbTx[n] = t;
      this.nbDist[n] = dist;
      this.nbLoss[n] = lossTx + lossRx + rxLoss;
      this.nbPair[n] = pairIdOf(t, r);
      if (ne + (e1 - e0) > this.nbEvCap) {
        this.nbEvCap *= 2;
        this.nbEvStart = grow(this.nbEvStart, Float64Array, this.nbEvCap);
        this.nbEvId = grow(this.nbEvId, Uint32Array, this.nbEvCap);
      }
      this.nbCur[n] = ne;
      const es = this.nbEvStart;
      const ei = this.nbEvId;
      for (let j = e0; j < e1; j++) {
        es[ne] = evStart[j];
        ei[ne++] = evId[j];
      }
      this.nbEnd[n] = ne;
      n++;
    }
    return n;
  }

  /** Queues the neighbours' packets on channel ch inside the window [ws, we) as kernel candidates. */
  private addWindow(r: number, ws: number, we: number, ch: number, nNb: number, t0: number, t1: number): void {
    const chIdx = ch - 37;
    if (this.nGroups === G_CAP || this.nC >= RESOLVE_AT) this.flush();
    const { maxAir, maxEvSpan, airUs } = this.w.adv;
    const txPower = this.w.txPower;
    const batch = this.batch;
    const gs = this.nC;
    const lo = Math.max(t0, ws - maxAir);
    const hi = Math.min(t1, we);
    const epochUs = this.r.params.shadowEpochMs * 1000;
    // hot loop: typed arrays in locals (the batch is allocated once, so its views never move here)
    const bDist = batch.distM, bTx = batch.txPowerDbm, bLoss = batch.staticLossDb, bPair = batch.pairId;
    const bEpoch = batch.epoch, bEv = batch.eventId, bCh = batch.channel;
    let lTx = this.cTx, lStart = this.cStart, lDist = this.cDist, lOk = this.cOk;
    let bn = batch.n;
    let n = this.nC;
    const evS = this.nbEvStart, evI = this.nbEvId;
    const nbTx = this.nbTx, nbEnd = this.nbEnd, nbCur = this.nbCur;
    for (let q = 0; q < nNb; q++) {
      const t = nbTx[q];
      const e1 = nbEnd[q];
      const air = airUs[t];
      const off = chIdx * (air + HOP_GAP_US);
      // windows of one scanner come in time order: resume from this neighbour's cursor
      let j = nbCur[q];
      while (j < e1 && evS[j] + maxEvSpan < lo) j++;
      nbCur[q] = j;
      if (j === e1 || evS[j] + off >= hi) continue;
      const dq = this.nbDist[q], lq = this.nbLoss[q], pq = this.nbPair[q], txq = txPower[t];
      for (; j < e1; j++) {
        const ps = evS[j] + off;
        if (ps >= hi) break;
        if (ps < lo) continue;
        if (bn === CAP) {
          batch.n = bn;
          this.nC = n;
          this.evalChunk();
          bn = 0;
        }
        if (n === this.cCap) {
          this.nC = n;
          this.growCandidates();
          lTx = this.cTx;
          lStart = this.cStart;
          lDist = this.cDist;
          lOk = this.cOk;
        }
        bDist[bn] = dq;
        bTx[bn] = txq;
        bLoss[bn] = lq;
        bPair[bn] = pq;
        bEpoch[bn] = Math.floor(ps / epochUs);
        bEv[bn] = evI[j];
        bCh[bn] = ch;
        bn++;
        lTx[n] = t;
        lStart[n] = ps;
        lDist[n] = dq;
        lOk[n] = ps >= ws && ps + air <= we ? 1 : 0;
        n++;
      }
    }
    batch.n = bn;
    this.nC = n;
    if (n > gs) {
      const g = this.nGroups;
      this.gStart[g] = gs;
      this.gRx[g] = r;
      this.gWin[g] = ws;
      this.gWe[g] = we;
      this.nGroups = g + 1;
      this.gStart[g + 1] = n;
    }
  }
}
