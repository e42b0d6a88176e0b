// Fused reception engine (WebAssembly): per scanner, its neighbours and their per-tick kernel terms; per
// scan window, the candidate packets, their received power, then sensitivity, half duplex, collisions with
// capture and the app's logging rule. Mirror of sim/engine/run.ts's JS path (gatherNeighbours, addWindow,
// flush, record), so both give the same receptions (test/sim/engine/engines.test.ts). One licence: packets
// starting in the same microsecond may be visited in another order; the candidate set and every decision
// stay the same, only a sum of three or more such interferers could round differently.
// It exists because that JS path, not the kernel, dominated whole-simulation time (README "Reception kernel").
// Small runs keep those per-pair terms across ticks in a pair cache (pPair), refreshed after a move.
// Received power is kernel.ts's evaluate() taken apart: the terms that hold for a (transmitter, scanner)
// pair over a tick (path loss, pair offset, static loss) and over a shadowing epoch are computed once per
// neighbour (terms, termsV); per packet only the fading draw is left (pairPower). Same f32 operations in
// the same order, so the result is bit-identical to the kernel's.
import { absorb, finish, normal1, pathLossV, absorb1, finish1, normal1s, pathLoss1, TAG_PAIR, TAG_SHADOW, TAG_FADE, FADE_N, FADE_SHIFT } from './kernel';

// ---- layout: pointers and scalars, set once by setup() from a Float64 config block ----
let pX: usize = 0; // f32[nDev] positions (m)
let pY: usize = 0;
let pHx: usize = 0; // f32[nDev] facing unit vector
let pHy: usize = 0;
let pActive: usize = 0; // u8[nDev]
let pCarriage: usize = 0; // u8[nDev] 0 hand 1 pocket 2 bag 3 fixed
let pReachTx: usize = 0; // f32[nDev]
let pReachRx: usize = 0; // f32[nDev]
let pRxCorr: usize = 0; // f32[nDev]
let pTxPow: usize = 0; // f32[nDev]
let pAir: usize = 0; // i32[nDev] packet airtime (us)
let pEvSpan: usize = 0; // i32[nDev] advertising event span (us)
let pEvOff: usize = 0; // i32[nDev + 1] events of device d: [evOff[d], evOff[d + 1])
let pEvStart: usize = 0; // f64[evCap] event start (us)
let pEvId: usize = 0; // u32[evCap]
let pCellStart: usize = 0; // i32[nCells + 1] uniform grid (grid.ts)
let pItems: usize = 0; // i32[nDev]
let pLoud: usize = 0; // i32[nLoud] transmitters every scanner checks
let pBody: usize = 0; // f32[4 * BODY_BINS] body loss by carriage and facing cosine
let pCand: usize = 0; // i32[nDev] scratch
let pNbTx: usize = 0; // i32[nDev] neighbours of the current scanner
let pNbDist: usize = 0; // f32[nDev]
let pNbStatic: usize = 0; // f32[nDev] static loss (dB)
let pNbCur: usize = 0; // i32[nDev] cursor into the neighbour's events
let pNbEnd: usize = 0; // i32[nDev]
// per neighbour slot: received power before fading (r1: tx - path loss - static + pair offset; r2: r1 +
// shadowing of epoch nbEp), the fading hash prefix, the shadowing hash prefix, and the far-table offset
let pNbR1: usize = 0; // f32
let pNbR2: usize = 0; // f32
let pNbEp: usize = 0; // u32, NO_EPOCH until the first packet
let pNbHF: usize = 0; // u32
let pNbHS: usize = 0; // u32
let pNbFar: usize = 0; // u32 0 or FADE_N (Rayleigh half of the fade table)
// candidates of a neighbour-event window before sorting (capacity evCap)
let pCQ: usize = 0; // i32 neighbour slot
let pCStart: usize = 0; // f64 packet start (us)
let pCOk: usize = 0; // u8 packet lies inside the window
let pCP: usize = 0; // f32 received power (dBm)
let pKey: usize = 0; // f64 sort keys
// A packet record (REC bytes): +0 f64 start (us), +8 f64 end, +16 i32 transmitter, +20 u32 advertising
// event id (buildPackets), or +24 i32 neighbour slot (a neighbour-event window's own records in pSR);
// +28 u32 1 when no other packet of the tick on its channel overlaps it in time (buildPackets; 0 in pSR).
// One base pointer and constant offsets keep the walk's address arithmetic short.
// A window's packets in start order are records (the channel's, or pSR's); pSP holds each one's received
// power (-Infinity out of reach), pRC the positions of those that may be received (inside the window, at
// or above sensitivity)
let pSR: usize = 0; // records
let pSP: usize = 0; // f32
let pRC: usize = 0; // i32
// receptions of the last window, in start order
let pRTx: usize = 0; // i32
let pRT: usize = 0; // f64 start (us)
let pRP: usize = 0; // f32 power (dBm)
let pRD: usize = 0; // f32 distance (m)
let pFade: usize = 0;
// the tick's packet records per channel sorted by start (buildPackets): channel c at records
// [c * pkCap, c * pkCap + pkN[c])
let pPk: usize = 0;
const REC_SHIFT: usize = 5;
let pBucket: usize = 0; // i32[maxBuckets + 1]
// the tick's events sorted by start (buildPackets): start, device, event id
let pESt: usize = 0; // f64
let pEDev: usize = 0; // i32
let pEId: usize = 0; // u32
let pNbIdx: usize = 0; // i32[nDev] neighbour slot of a transmitter, valid where nbStamp == stamp
let pNbStamp: usize = 0; // i32[nDev]
let pkCap: i32 = 0;
let maxBuckets: i32 = 1;
let pkN0: i32 = 0;
let pkN1: i32 = 0;
let pkN2: i32 = 0;
let stamp: i32 = 0;
let nActiveTx: i32 = 0;
// the app's logging rule (run.ts record), when the engine applies it: pLast != 0
let pKind: usize = 0; // u8[nDev] 0 android 1 ios 2 beacon
// u32[nDev * nDev] last logged time per rx * nDev + tx: lastBase + v - 1 (us), 0 = never or long ago.
// Half the bytes of an f64 table (rows of a scanner stay in cache across ticks); exact because every
// time is a whole microsecond (run.ts applies the rule itself otherwise)
let pLast: usize = 0;
let lastBase: f64 = 0;
// v fits while ps - lastBase < 2^32 - 1; rebased well before that (4e9 us; tests set it small)
let lastSpan: f64 = 4.0e9;
let pRLog: usize = 0; // u8 per reception: logged by the app
let logAll: bool = false;
let emitAll: bool = true; // false: only logged receptions are written out
// linear power table (sim/engine/capture.ts)
let pLin: usize = 0; // f64[linN]
let linN: i32 = 1;
let capLin: f64 = 1;

// Pair cache (pPair != 0, small runs): per (scanner r, transmitter t) at offset (r * nDev + t) * 32, the
// neighbour-slot values kept across ticks. loadTick marks the entries between a device that moved, turned
// or arrived and every present device stale; they are refilled on their next packet.
// People stand still most of the time (lobby: 98 % of present device-ticks), so geometry and the kernel's
// per-pair terms are mostly computed once per stay instead of once per tick. What every packet reads
// comes first (the four-at-a-time walk loads those 16 bytes as one vector); the rest, read when the
// shadowing epoch changes or a reception is written, shares the cache line:
//   +0 u32 0 stale, PAIR_OK in reach, PAIR_OUT out of reach (or t == r)
//   +4 u32 shadowing epoch of +12 << 1 | 1 beyond the Rician break   +8 u32 fading hash prefix
//   +12 f32 r2   +16 f32 r1   +20 u32 shadowing hash prefix   +24 f32 distance (m)
//   +28 f32 pair offset (kSp * zp)
// The hash prefixes and the pair offset never change: pairInit sets them once, a refill keeps them.
let pPair: usize = 0;
const PAIR_SHIFT: usize = 5;
const PAIR_OK: u32 = 1;
const PAIR_OUT: u32 = 2;
let gRow: usize = 0; // offset of the current scanner's row in the pair cache

let nLoud: i32 = 0;
let nDevices: i32 = 0;
let gridNx: i32 = 1;
let gridNy: i32 = 1;
let cellM: f64 = 1;
let normalReach: f64 = 0;
let maxAir: f64 = 0;
let maxEvSpan: f64 = 0;
let hopGap: f64 = 0;
let epochUs: f64 = 1;
let sensDbm: f64 = 0;
let interfFloorDb: f64 = 0;
// kernel scalars (f32, as the JS side passes them to evaluate)
let kSeedState: u32 = 0;
let kPl1m: f32 = 0;
let kSlopeNear: f32 = 0;
let kSlopeFar: f32 = 0;
let kLog2Break: f32 = 0;
let kSp: f32 = 0;
let kSs: f32 = 0;
let kBreak: f32 = 0;
let kMinD: f32 = 0;
let kIhScale: f32 = 0;

// counters (f64: they pass 2^31 in long runs)
let cPairs: f64 = 0;
let cSens: f64 = 0;
let cHd: f64 = 0;
let cCol: f64 = 0;
let cRec: f64 = 0;
let cDenseWin: f64 = 0;
let cSparseWin: f64 = 0;

// the least f32 at or above sensDbm: for an f32 power p, p >= sens32 exactly when p >= sensDbm
let sens32: f32 = 0;
// bits of the least f32 at or above the interference floor (linIf)
let floorBits: i32 = 0;

function f32AtLeast(v: f64): f32 {
  const f = <f32>v;
  if (<f64>f >= v) return f;
  const b = reinterpret<i32>(f);
  return f > 0 ? reinterpret<f32>(b + 1) : f == 0 ? reinterpret<f32>(1) : reinterpret<f32>(b - 1);
}

const BODY_BINS: i32 = 1025;
const BODY_HALF: f64 = 512;

// the config block is read in order: setup() calls next() once per entry
let cfgAt: usize = 0;
// @ts-ignore: decorator
@inline function next(): f64 {
  const v = load<f64>(cfgAt);
  cfgAt += 8;
  return v;
}
// @ts-ignore: decorator
@inline function nextPtr(): usize {
  return <usize>next();
}

/** Reads the layout (the config block built in sim/engine/wasmEngine.ts, same order) and resets the counters. */
export function setup(cfg: usize): void {
  cfgAt = cfg;
  pX = nextPtr(); pY = nextPtr(); pHx = nextPtr(); pHy = nextPtr(); pActive = nextPtr(); pCarriage = nextPtr();
  pReachTx = nextPtr(); pReachRx = nextPtr(); pRxCorr = nextPtr(); pTxPow = nextPtr(); pAir = nextPtr();
  pEvSpan = nextPtr(); pEvOff = nextPtr(); pEvStart = nextPtr(); pEvId = nextPtr(); pCellStart = nextPtr();
  pItems = nextPtr(); pLoud = nextPtr(); pBody = nextPtr(); pCand = nextPtr();
  pNbTx = nextPtr(); pNbDist = nextPtr(); pNbStatic = nextPtr(); pNbCur = nextPtr(); pNbEnd = nextPtr(); pNbR1 = nextPtr(); pNbR2 = nextPtr();
  pNbEp = nextPtr(); pNbHF = nextPtr(); pNbHS = nextPtr(); pNbFar = nextPtr();
  pCQ = nextPtr(); pCStart = nextPtr(); pCOk = nextPtr(); pCP = nextPtr(); pKey = nextPtr();
  pSR = nextPtr(); pSP = nextPtr(); pRC = nextPtr();
  pRTx = nextPtr(); pRT = nextPtr(); pRP = nextPtr(); pRD = nextPtr(); pRLog = nextPtr();
  pFade = nextPtr(); pPk = nextPtr(); pBucket = nextPtr();
  pNbIdx = nextPtr(); pNbStamp = nextPtr(); pKind = nextPtr(); pLast = nextPtr(); pLin = nextPtr();
  nLoud = <i32>next(); nDevices = <i32>next(); gridNx = <i32>next(); gridNy = <i32>next(); cellM = next();
  normalReach = next(); maxAir = next(); maxEvSpan = next(); hopGap = next(); epochUs = next(); sensDbm = next();
  interfFloorDb = next(); pkCap = <i32>next(); maxBuckets = <i32>next(); logAll = next() != 0; emitAll = next() != 0;
  linN = <i32>next(); capLin = next();
  kSeedState = <u32>next(); kPl1m = <f32>next(); kSlopeNear = <f32>next(); kSlopeFar = <f32>next();
  kLog2Break = <f32>next(); kSp = <f32>next(); kSs = <f32>next(); kBreak = <f32>next(); kMinD = <f32>next();
  kIhScale = <f32>next();
  lastSpan = next();
  // contact-truth grid (unused without EngineLayout.truth)
  tNx = <i32>next(); tNy = <i32>next(); tCellM = next();
  pTCellStart = nextPtr(); pTCellOf = nextPtr(); pTItems = nextPtr(); pTIX = nextPtr(); pTIY = nextPtr();
  pTA = nextPtr(); pTB = nextPtr();
  // advertising events
  evSeed = <u32>next(); evIntegral = next() != 0;
  pNextEv = nextPtr(); pPrevEv = nextPtr(); pPrevId = nextPtr(); pEvCount = nextPtr(); pDelayH = nextPtr(); pAdvInt = nextPtr();
  pAdvOn = nextPtr(); pAdvCycle = nextPtr(); pAdvPhase = nextPtr(); pWasActive = nextPtr();
  // pair cache (0 = off)
  pPair = nextPtr();
  pESt = nextPtr(); pEDev = nextPtr(); pEId = nextPtr();
  pStX = nextPtr(); pStY = nextPtr(); pStHx = nextPtr(); pStHy = nextPtr(); pAct = nextPtr(); pLoudFlag = nextPtr();
  // scanners and the tick's output
  pScanMode = nextPtr(); pScanWin = nextPtr(); pScanInt = nextPtr(); pScanOn = nextPtr(); pScanCycle = nextPtr();
  pScanPhase = nextPtr(); pScanJit = nextPtr(); pChOff = nextPtr(); scanIntegral = next() != 0;
  pPkIdx = nextPtr();
  pMoved = nextPtr(); pTA2 = nextPtr(); pTB2 = nextPtr(); pTNA = nextPtr(); pTNB = nextPtr(); pTNK = nextPtr(); pTCellD = nextPtr();
  tN = -1;
  outCap = <i32>next(); pWR = nextPtr(); pWS = nextPtr(); pWE = nextPtr(); pWQ = nextPtr();
  sI = 0;
  sIn = false;
  nAct = 0;
  sens32 = f32AtLeast(sensDbm);
  floorBits = reinterpret<i32>(f32AtLeast(interfFloorDb));
  cAdvEvents = 0;
  stamp = 0;
  lastBase = 0;
  cPairs = 0; cSens = 0; cHd = 0; cCol = 0; cRec = 0; cDenseWin = 0; cSparseWin = 0;
}

/**
 * Counters since setup: 0 pairs evaluated, 1 below sensitivity, 2 half duplex, 3 collision, 4 received,
 * 5 windows read from the sorted packets, 6 windows read from the neighbours' events.
 */
export function counter(i: i32): f64 {
  if (i == 0) return cPairs;
  if (i == 1) return cSens;
  if (i == 2) return cHd;
  if (i == 3) return cCol;
  if (i == 4) return cRec;
  if (i == 5) return cDenseWin;
  return cSparseWin;
}

// JS Math.round: nearest, halves up
// @ts-ignore: decorator
@inline function jsRound(v: f64): f64 {
  const c = Math.ceil(v);
  return c - 0.5 > v ? c - 1 : c;
}

// @ts-ignore: decorator
@inline function clampCell(v: f64, n: i32): i32 {
  const c = Math.floor(v / cellM);
  return c < 0 ? 0 : c >= <f64>n ? n - 1 : <i32>c;
}

// rng.ts hash32
function hash32(sd: u32, a: u32, b: u32, c: u32, d: u32): u32 {
  let h: u32 = (sd ^ 0x9e3779b9) * 0x85ebca6b ^ 0x27d4eb2f;
  h = absorb1(h, a);
  h = absorb1(h, b);
  h = absorb1(h, c);
  h = absorb1(h, d);
  return finish1(h);
}

// @ts-ignore: decorator
@inline function pairIdOf(t: i32, r: i32): u32 {
  if (t < 65536 && r < 65536) return (<u32>t << 16) | <u32>r;
  return hash32(0x9a1f, <u32>t, <u32>r, 0, 0); // types.ts pairIdOf above 65535 devices
}

// the current scanner's own values, set by gather()
let gXr: f64 = 0;
let gYr: f64 = 0;
let gHxr: f64 = 0;
let gHyr: f64 = 0;
let gReachR: f64 = 0;
let gRxLoss: f64 = 0;
let gBodyR: i32 = 0;
let lazy: bool = false; // transmitters looked up by id in scanWindow (sorted-packet windows)
let gEager: bool = false; // the scanner's neighbours were all prepared by gather()
let nLazy: i32 = 0;

const NO_EPOCH: u32 = 0xffffffff;

/**
 * Neighbour slot n for transmitter t of the current scanner if t is in reach (run.ts gatherNeighbours'
 * loop body): transmitter, distance and static loss (body blocking of both carriers + the receiver's
 * RSSI correction). Returns false, writing nothing, when t is out of reach.
 */
// @ts-ignore: decorator
@inline function geometry(r: i32, t: i32, n: i32): bool {
  if (!geo(t)) return false;
  const o = <usize>n << 2;
  store<i32>(pNbTx + o, t);
  store<f32>(pNbDist + o, gDist);
  store<f32>(pNbStatic + o, gStatic);
  return true;
}

// geometry()'s result: distance and static loss
let gDist: f32 = 0;
let gStatic: f32 = 0;

/** Reach, distance and static loss of transmitter t for the current scanner (into gDist, gStatic). */
// @ts-ignore: decorator
@inline function geo(t: i32): bool {
  const dx: f64 = gXr - <f64>load<f32>(pX + (<usize>t << 2));
  const dy: f64 = gYr - <f64>load<f32>(pY + (<usize>t << 2));
  const d2 = dx * dx + dy * dy;
  const reach: f64 = <f64>load<f32>(pReachTx + (<usize>t << 2)) * gReachR;
  if (d2 > reach * reach) return false;
  const dist = Math.sqrt(d2);
  const inv: f64 = dist > 0 ? 1 / dist : 0;
  const ux = dx * inv;
  const uy = dy * inv;
  const ct = ux * <f64>load<f32>(pHx + (<usize>t << 2)) + uy * <f64>load<f32>(pHy + (<usize>t << 2));
  const cr = -(ux * gHxr + uy * gHyr);
  const bt = <i32>load<u8>(pCarriage + <usize>t) * BODY_BINS + <i32>jsRound((ct + 1) * BODY_HALF);
  const br = gBodyR + <i32>jsRound((cr + 1) * BODY_HALF);
  const lossTx: f64 = <f64>load<f32>(pBody + (<usize>bt << 2));
  const lossRx: f64 = <f64>load<f32>(pBody + (<usize>br << 2));
  gDist = <f32>dist;
  gStatic = <f32>(lossTx + lossRx + gRxLoss);
  return true;
}

/**
 * The kernel's per-pair terms of neighbour slot n (kernel.ts evaluate: path loss, pair offset, hash
 * prefixes), and the shadowing term of epoch ep unless ep is NO_EPOCH (pairPower then adds it on the
 * first packet; set here, its check rarely fires: a predictable branch).
 */
// @ts-ignore: decorator
@inline function terms(r: i32, n: i32, ep: u32): void {
  const o = <usize>n << 2;
  termsOf(r, load<i32>(pNbTx + o), load<f32>(pNbDist + o), load<f32>(pNbStatic + o));
  store<f32>(pNbR1 + o, tR1);
  store<u32>(pNbHS + o, tHS);
  store<u32>(pNbHF + o, tHF);
  store<u32>(pNbFar + o, tFar);
  store<u32>(pNbEp + o, ep);
  if (ep != NO_EPOCH) store<f32>(pNbR2 + o, shadowed(tR1, tHS, ep));
}

// termsOf()'s result
let tR1: f32 = 0;
let tHS: u32 = 0;
let tHF: u32 = 0;
let tFar: u32 = 0;

/** The per-pair terms of transmitter t at distance dist32 with static loss st (kernel.ts evaluate). */
// @ts-ignore: decorator
@inline function termsOf(r: i32, t: i32, dist32: f32, st: f32): void {
  const d: f32 = dist32 > kMinD ? dist32 : kMinD;
  const h0 = absorb1(kSeedState, pairIdOf(t, r));
  const zp = normal1s(finish1(absorb1(h0, TAG_PAIR)), kIhScale);
  const r0: f32 = load<f32>(pTxPow + (<usize>t << 2)) - pathLoss1(d, kPl1m, kSlopeNear, kSlopeFar, kLog2Break);
  tR1 = (r0 - st) + kSp * zp;
  tHS = absorb1(h0, TAG_SHADOW);
  tHF = absorb1(h0, TAG_FADE);
  tFar = d >= kBreak ? FADE_N : 0;
}

// r1 plus the shadowing term of epoch ep
// @ts-ignore: decorator
@inline function shadowed(r1: f32, hs: u32, ep: u32): f32 {
  return r1 + kSs * normal1s(finish1(absorb1(hs, ep)), kIhScale);
}

/**
 * Fills pair-cache entry at offset o (scanner r, transmitter t) for epoch ep: geo(), then termsOf()'s
 * geometry-dependent part; the pair's hashes and offset never change and come from pairInit.
 */
function pairFill(r: i32, t: i32, o: usize, ep: u32): void {
  const h = pPair + o;
  if (t == r || !geo(t)) {
    store<u32>(h, PAIR_OUT);
    return;
  }
  // termsOf(): tR1 = (r0 - st) + kSp * zp, with kSp * zp (an f32 product) kept at +28
  const d: f32 = gDist > kMinD ? gDist : kMinD;
  const r0: f32 = load<f32>(pTxPow + (<usize>t << 2)) - pathLoss1(d, kPl1m, kSlopeNear, kSlopeFar, kLog2Break);
  const r1: f32 = (r0 - gStatic) + load<f32>(h + 28);
  store<u32>(h, PAIR_OK);
  store<u32>(h + 4, ep << 1 | <u32>(d >= kBreak));
  store<f32>(h + 12, shadowed(r1, load<u32>(h + 20), ep));
  store<f32>(h + 16, r1);
  store<f32>(h + 24, gDist);
}

/**
 * The pair cache's per-pair constants (termsOf's hashes): fading hash prefix (+8), shadowing hash prefix
 * (+20) and the pair offset kSp * zp (+28) of every (scanner, transmitter) entry, once at the start.
 */
export function pairInit(): void {
  const n = nDevices;
  for (let r = 0; r < n; r++) {
    for (let t = 0; t < n; t++) {
      const h = pPair + ((<usize>r * <usize>n + <usize>t) << PAIR_SHIFT);
      const h0 = absorb1(kSeedState, pairIdOf(t, r));
      store<u32>(h + 8, absorb1(h0, TAG_FADE));
      store<u32>(h + 20, absorb1(h0, TAG_SHADOW));
      store<f32>(h + 28, kSp * normal1s(finish1(absorb1(h0, TAG_PAIR)), kIhScale));
    }
  }
}

/** terms() for slots [q0, n), four at a time (same lane operations as kernel.ts evaluate; pair ids t << 16 | r). */
function termsV(r: i32, q0: i32, n: i32, ep: u32): void {
  const vSeed = i32x4.splat(kSeedState);
  const vMinD = f32x4.splat(kMinD);
  const vScale = f32x4.splat(kIhScale);
  const vPl1m = f32x4.splat(kPl1m);
  const vSlopeN = f32x4.splat(kSlopeNear);
  const vSlopeF = f32x4.splat(kSlopeFar);
  const vLgB = f32x4.splat(kLog2Break);
  const vR = i32x4.splat(r);
  const vEp = i32x4.splat(ep);
  let q: i32 = q0;
  for (; q + 4 <= n; q += 4) {
    const o = <usize>q << 2;
    let d = v128.load(pNbDist + o);
    d = v128.bitselect(d, vMinD, f32x4.gt(d, vMinD));
    const pl = pathLossV(d, vPl1m, vSlopeN, vSlopeF, vLgB);
    const tv = v128.load(pNbTx + o);
    const h0 = absorb(vSeed, v128.or(i32x4.shl(tv, 16), vR));
    const zp = normal1(finish(absorb(h0, i32x4.splat(TAG_PAIR))), vScale);
    const tx = f32x4(
      load<f32>(pTxPow + (<usize>i32x4.extract_lane(tv, 0) << 2)),
      load<f32>(pTxPow + (<usize>i32x4.extract_lane(tv, 1) << 2)),
      load<f32>(pTxPow + (<usize>i32x4.extract_lane(tv, 2) << 2)),
      load<f32>(pTxPow + (<usize>i32x4.extract_lane(tv, 3) << 2)),
    );
    const r1 = f32x4.add(f32x4.sub(f32x4.sub(tx, pl), v128.load(pNbStatic + o)), f32x4.mul(f32x4.splat(kSp), zp));
    const hs = absorb(h0, i32x4.splat(TAG_SHADOW));
    const zs = normal1(finish(absorb(hs, vEp)), vScale);
    v128.store(pNbR1 + o, r1);
    v128.store(pNbR2 + o, f32x4.add(r1, f32x4.mul(f32x4.splat(kSs), zs)));
    v128.store(pNbHS + o, hs);
    v128.store(pNbHF + o, absorb(h0, i32x4.splat(TAG_FADE)));
    v128.store(pNbFar + o, v128.and(f32x4.ge(d, f32x4.splat(kBreak)), i32x4.splat(FADE_N)));
    v128.store(pNbEp + o, vEp);
  }
  for (; q < n; q++) terms(r, q, ep);
}

/** geometry() then terms(): one neighbour found on its first packet. */
// @ts-ignore: decorator
@inline function neighbour(r: i32, t: i32, n: i32, ep: u32): bool {
  if (!geometry(r, t, n)) return false;
  terms(r, n, ep);
  return true;
}

/**
 * Received power (dBm) of neighbour q's packet: event id ev, channel ch, shadowing epoch ep. The epoch's
 * term is cached per neighbour (packets arrive in time order, so it changes at most once per epoch).
 */
// @ts-ignore: decorator
@inline function pairPower(q: i32, ev: u32, ch: u32, ep: u32): f32 {
  const o = <usize>q << 2;
  if (load<u32>(pNbEp + o) != ep) {
    store<u32>(pNbEp + o, ep);
    store<f32>(pNbR2 + o, shadowed(load<f32>(pNbR1 + o), load<u32>(pNbHS + o), ep));
  }
  return load<f32>(pNbR2 + o) + fadeDb(load<u32>(pNbHF + o), ev, ch, load<u32>(pNbFar + o));
}

/**
 * The fading draw (kernel.ts evaluate): the pair's fading hash prefix hf absorbs event id ev and channel
 * ch; the top bits index the fade table's half at far (0 or FADE_N).
 */
// @ts-ignore: decorator
@inline function fadeDb(hf: u32, ev: u32, ch: u32, far: u32): f32 {
  const h = finish1(absorb1(absorb1(hf, ev), ch));
  return load<f32>(pFade + (<usize>((h >>> FADE_SHIFT) + far) << 2));
}

/** pairPower() for the pair-cache entry at offset o. */
// @ts-ignore: decorator
@inline function pairPowerT(o: usize, ev: u32, ch: u32, ep: u32): f32 {
  const h = pPair + o;
  let ef = load<u32>(h + 4);
  if (ef >>> 1 != ep) {
    ef = ep << 1 | (ef & 1);
    store<u32>(h + 4, ef);
    store<f32>(h + 12, shadowed(load<f32>(h + 16), load<u32>(h + 20), ep));
  }
  return load<f32>(h + 12) + fadeDb(load<u32>(h + 8), ev, ch, (ef & 1) * FADE_N);
}

/**
 * Prepares scanner r's windows of the tick starting at t0. The candidates are the grid cells within
 * normalReach * reachRx[r] plus the loud transmitters (run.ts gatherNeighbours). When they are at least
 * half of the transmitters on air, the windows walk the tick's sorted packets and look transmitters up by
 * id. A scanner that listens most of the time (eager: it will hear nearly every candidate) gets all its
 * neighbours now, their terms four at a time; otherwise each transmitter is checked for reach on its
 * first packet (lazy: an iPhone's short window hears few). With the pair cache neither is needed: the
 * windows read each transmitter's entry, refilled only when it is stale. When the candidates are fewer, the
 * neighbours in reach are listed now and the windows walk their events. Returns the candidate count
 * (sorted-packet walk) or the neighbour count; 0 means nothing to hear.
 */
function gather(r: i32, eager: bool, t0: f64): i32 {
  gXr = <f64>load<f32>(pX + (<usize>r << 2));
  gYr = <f64>load<f32>(pY + (<usize>r << 2));
  gHxr = <f64>load<f32>(pHx + (<usize>r << 2));
  gHyr = <f64>load<f32>(pHy + (<usize>r << 2));
  gReachR = <f64>load<f32>(pReachRx + (<usize>r << 2));
  gRxLoss = <f64>load<f32>(pRxCorr + (<usize>r << 2));
  gBodyR = <i32>load<u8>(pCarriage + <usize>r) * BODY_BINS;
  const search: f64 = normalReach * gReachR;
  const span: f64 = Math.ceil(search / cellM);
  const cx = clampCell(gXr, gridNx);
  const cy = clampCell(gYr, gridNy);
  const gx0 = <i32>Math.max(0, <f64>cx - span);
  const gx1 = <i32>Math.min(<f64>(gridNx - 1), <f64>cx + span);
  const gy0 = <i32>Math.max(0, <f64>cy - span);
  const gy1 = <i32>Math.min(<f64>(gridNy - 1), <f64>cy + span);
  let nCand: i32 = 0;
  for (let gy = gy0; gy <= gy1; gy++) {
    const row = gy * gridNx;
    nCand += load<i32>(pCellStart + (<usize>(row + gx1 + 1) << 2)) - load<i32>(pCellStart + (<usize>(row + gx0) << 2));
  }
  for (let k = 0; k < nLoud; k++) if (load<u8>(pActive + <usize>load<i32>(pLoud + (<usize>k << 2))) != 0) nCand++;
  stamp++;
  nLazy = 0;
  gEager = eager;
  lazy = nCand * 2 >= nActiveTx;
  if (lazy && pPair != 0) {
    // windows look their transmitters up in the pair cache
    gRow = (<usize>r * <usize>nDevices) << PAIR_SHIFT;
    return nCand;
  }
  if (lazy && !eager) return nCand;
  // the candidates, in grid-cell order then the loud ones (this order is the neighbours' order)
  let nc: i32 = 0;
  for (let gy = gy0; gy <= gy1; gy++) {
    const row = gy * gridNx;
    const q1 = load<i32>(pCellStart + (<usize>(row + gx1 + 1) << 2));
    for (let q = load<i32>(pCellStart + (<usize>(row + gx0) << 2)); q < q1; q++) {
      store<i32>(pCand + (<usize>nc << 2), load<i32>(pItems + (<usize>q << 2)));
      nc++;
    }
  }
  for (let k = 0; k < nLoud; k++) {
    const l = load<i32>(pLoud + (<usize>k << 2));
    if (load<u8>(pActive + <usize>l) != 0) {
      store<i32>(pCand + (<usize>nc << 2), l);
      nc++;
    }
  }
  let n: i32 = 0;
  for (let c = 0; c < nc; c++) {
    const t = load<i32>(pCand + (<usize>c << 2));
    const e0 = load<i32>(pEvOff + (<usize>t << 2));
    const e1 = load<i32>(pEvOff + (<usize>(t + 1) << 2));
    if (t == r || e0 == e1) continue;
    const inReach = geometry(r, t, n);
    if (lazy) {
      // looked up by id in the sorted-packet walk; transmitters outside the cells stay lazy there
      store<i32>(pNbStamp + (<usize>t << 2), stamp);
      store<i32>(pNbIdx + (<usize>t << 2), inReach ? n : -1);
    } else if (inReach) {
      store<i32>(pNbCur + (<usize>n << 2), e0);
      store<i32>(pNbEnd + (<usize>n << 2), e1);
    }
    if (inReach) n++;
  }
  const ep = <u32><i64>Math.floor(t0 / epochUs);
  if (nDevices <= 65536) termsV(r, 0, n, ep);
  else for (let q = 0; q < n; q++) terms(r, q, ep);
  if (lazy) {
    nLazy = n;
    return nCand;
  }
  return n;
}

/**
 * Running sums of the n i32 counts at p, in place. The sum stays in a local: reading back the entry just
 * stored would chain every step through a store-to-load forward.
 */
function prefixSum(p: usize, n: i32): void {
  let sum: i32 = 0;
  for (let i = 0; i < n; i++) {
    const a = p + (<usize>i << 2);
    sum += load<i32>(a);
    store<i32>(a, sum);
  }
}

// ---- the tick's positions (loadTick) ----
let pStX: usize = 0; // f32[nDev] staged positions and facings of the next tick
let pStY: usize = 0;
let pStHx: usize = 0;
let pStHy: usize = 0;
let pAct: usize = 0; // i32[nDev] present devices, ascending
let pLoudFlag: usize = 0; // u8[nDev] 1: a loud transmitter (outside the grid, every scanner checks it)
let nAct: i32 = 0;
let pMoved: usize = 0; // u8[nDev] present device arrived or moved this tick (valid where present)
let nMoved: i32 = 0;
let nGone: i32 = 0; // devices present the tick before, absent now

/**
 * Takes the tick's staged positions and facings of the present devices (pActive, pWasActive already
 * set) and lists the present devices. With the pair cache, the entries between a present device that
 * moved, turned or just arrived and every present device become stale. An absent device's entries are
 * never read: the one of a pair whose either device was away is made stale on its return.
 */
export function loadTick(): void {
  let na: i32 = 0;
  let gone: i32 = 0;
  for (let d = 0; d < nDevices; d++) {
    store<i32>(pAct + (<usize>na << 2), d);
    const a = <i32>load<u8>(pActive + <usize>d);
    na += a;
    gone += <i32>load<u8>(pWasActive + <usize>d) & (a ^ 1);
  }
  nAct = na;
  nGone = gone;
  let moves: i32 = 0;
  for (let i = 0; i < na; i++) {
    const o = <usize>load<i32>(pAct + (<usize>i << 2)) << 2;
    const nx = load<f32>(pStX + o), ny = load<f32>(pStY + o), nhx = load<f32>(pStHx + o), nhy = load<f32>(pStHy + o);
    // arrived or moved (the contact truth's pairs change only there), or turned (the pair cache's terms too)
    const moved = load<u8>(pWasActive + (o >> 2)) == 0 || nx != load<f32>(pX + o) || ny != load<f32>(pY + o);
    const stale = moved || nhx != load<f32>(pHx + o) || nhy != load<f32>(pHy + o);
    store<u8>(pMoved + (o >> 2), <u8>moved);
    moves += <i32>moved;
    store<f32>(pX + o, nx);
    store<f32>(pY + o, ny);
    store<f32>(pHx + o, nhx);
    store<f32>(pHy + o, nhy);
    if (stale && pPair != 0) {
      const d = o >> 2;
      const n = <usize>nDevices;
      const row = pPair + ((d * n) << PAIR_SHIFT);
      for (let j = 0; j < na; j++) {
        const e = <usize>load<i32>(pAct + (<usize>j << 2));
        store<u32>(row + (e << PAIR_SHIFT), 0);
        store<u32>(pPair + ((e * n + d) << PAIR_SHIFT), 0);
      }
    }
  }
  nMoved = moves;
}

/**
 * Counting sort of the present devices by cell (grid.ts build): cells holds each present index's cell
 * (or -1: left out); afterwards cellStart[c] .. cellStart[c + 1] are cell c's devices in items, ids
 * ascending within a cell. The cell starts serve as the scatter's cursors, then move back by one cell.
 */
function sortByCell(cells: usize, cellStart: usize, items: usize, nc: i32): void {
  memory.fill(cellStart, 0, <usize>(nc + 1) << 2);
  for (let i = 0; i < nAct; i++) {
    const c = load<i32>(cells + (<usize>i << 2));
    if (c < 0) continue;
    const a = cellStart + (<usize>(c + 1) << 2);
    store<i32>(a, load<i32>(a) + 1);
  }
  prefixSum(cellStart + 4, nc);
  for (let i = 0; i < nAct; i++) {
    const c = load<i32>(cells + (<usize>i << 2));
    if (c < 0) continue;
    const a = cellStart + (<usize>c << 2);
    const k = load<i32>(a);
    store<i32>(items + (<usize>k << 2), load<i32>(pAct + (<usize>i << 2)));
    store<i32>(a, k + 1);
  }
  memory.copy(cellStart + 4, cellStart, <usize>nc << 2);
  store<i32>(cellStart, 0);
}

/**
 * The neighbour grid of the tick (grid.ts build): the present devices that are not loud, by cell, ids
 * ascending within a cell. pCand holds each one's cell meanwhile.
 */
export function buildGrid(): void {
  for (let i = 0; i < nAct; i++) {
    const d = <usize>load<i32>(pAct + (<usize>i << 2));
    const c = load<u8>(pLoudFlag + d) != 0
      ? -1
      : clampCell(<f64>load<f32>(pY + (d << 2)), gridNy) * gridNx + clampCell(<f64>load<f32>(pX + (d << 2)), gridNx);
    store<i32>(pCand + (<usize>i << 2), c);
  }
  sortByCell(pCand, pCellStart, pItems, gridNx * gridNy);
}

/**
 * Sorts the tick's packets with a start in [t0, t1) by start, per channel; equal starts in device order.
 * The tick's events are put in start order once, up to their time bucket (a counting sort); each
 * channel's list is built in that order, its packets offset by channel index x (airtime + hop gap), and
 * kept sorted on (start, device) by insertion: only packets of neighbouring buckets or with a longer hop
 * offset move, so the insertions stay short. Windows of scanners that hear most of the
 * air then read their candidates in time order with no per-window sort. Each packet carries its end and
 * event id, computed here once instead of per (packet, scanner) pair.
 */
export function buildPackets(t0: f64, t1: f64): void {
  pkT0 = t0;
  pkInv = <f64>PK_BUCKETS / (t1 - t0);
  // (genEvents counted the events and the devices with any)
  const ne = load<i32>(pEvOff + (<usize>nDevices << 2));
  const nb: i32 = ne < 1 ? 1 : 4 * ne > maxBuckets ? maxBuckets : 4 * ne;
  // bucket = floor((es - t0) * nb / span), clamped; the result (sorted on start, then device) does not
  // depend on the buckets, they only keep the insertions below short (four buckets an event leave few
  // events sharing one, whose order the insertions must fix)
  const inv: f64 = <f64>nb / (t1 - t0);
  memory.fill(pBucket, 0, <usize>(nb + 1) << 2);
  // pass 0 counts per bucket, pass 1 scatters
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < nAct; i++) {
      const d = load<i32>(pAct + (<usize>i << 2));
      const e0 = load<i32>(pEvOff + (<usize>d << 2));
      const e1 = load<i32>(pEvOff + (<usize>(d + 1) << 2));
      for (let j = e0; j < e1; j++) {
        if (pass == 0) {
          // the bucket, kept for pass 1 (pCQ is free until the tick's windows)
          const f = Math.floor((load<f64>(pEvStart + (<usize>j << 3)) - t0) * inv);
          const b = f < 0 ? 0 : f >= <f64>nb ? nb - 1 : <i32>f;
          store<i32>(pCQ + (<usize>j << 2), b);
          const a = pBucket + (<usize>(b + 1) << 2);
          store<i32>(a, load<i32>(a) + 1);
        } else {
          const a = pBucket + (<usize>load<i32>(pCQ + (<usize>j << 2)) << 2);
          const k = <usize>load<i32>(a);
          store<i32>(a, <i32>k + 1);
          store<f64>(pESt + (k << 3), load<f64>(pEvStart + (<usize>j << 3)));
          store<i32>(pEDev + (k << 2), d);
          store<u32>(pEId + (k << 2), load<u32>(pEvId + (<usize>j << 2)));
        }
      }
    }
    if (pass == 0) prefixSum(pBucket + 4, nb);
  }
  for (let c = 0; c < 3; c++) {
    const base = <usize>(c * pkCap);
    let n: i32 = 0;
    for (let j = 0; j < ne; j++) {
      const d = load<i32>(pEDev + (<usize>j << 2));
      const air: f64 = <f64>load<i32>(pAir + (<usize>d << 2));
      const ps: f64 = load<f64>(pESt + (<usize>j << 3)) + <f64>c * (air + hopGap);
      if (ps < t0 || ps >= t1) continue;
      const id = load<u32>(pEId + (<usize>j << 2));
      // insert at the end, moving later (start, device) keys up
      let rb = pPk + ((base + <usize>n) << REC_SHIFT);
      while (rb > pPk + (base << REC_SHIFT)) {
        const qb = rb - (1 << REC_SHIFT);
        const qs = load<f64>(qb);
        if (qs < ps || (qs == ps && load<i32>(qb, 16) < d)) break;
        v128.store(rb, v128.load(qb));
        v128.store(rb, v128.load(qb, 16), 16);
        rb = qb;
      }
      store<f64>(rb, ps);
      store<f64>(rb, ps + air, 8);
      store<i32>(rb, d, 16);
      store<u32>(rb, id, 20);
      n++;
    }
    if (c == 0) pkN0 = n;
    else if (c == 1) pkN1 = n;
    else pkN2 = n;
    // packets alone on the air: every earlier packet ends by this one's start and the next one starts at
    // or after its end (resolve() then skips the interference sums: two candidates in three in the
    // 8-hour lobby benchmark; the same for every scanner, so it is found once here)
    // and the channel's time index: packets per time bucket, then the count before each bucket
    let maxEnd: f64 = -Infinity;
    const r0 = pPk + (base << REC_SHIFT);
    const ib = pPkIdx + (<usize>(c * (PK_BUCKETS + 1)) << 2);
    memory.fill(ib, 0, (PK_BUCKETS + 1) << 2);
    for (let k: i32 = 0; k < n; k++) {
      const rec = r0 + (<usize>k << REC_SHIFT);
      const ps = load<f64>(rec);
      const pe = load<f64>(rec, 8);
      const next = k + 1 < n ? load<f64>(rec, 1 << REC_SHIFT) : Infinity;
      store<u32>(rec, <u32>(maxEnd <= ps) & <u32>(next >= pe), 28);
      maxEnd = Math.max(maxEnd, pe);
      const a = ib + (<usize>(pkBucket(ps) + 1) << 2);
      store<i32>(a, load<i32>(a) + 1);
    }
    prefixSum(ib + 4, PK_BUCKETS);
  }
}

// Time index of the tick's packet lists: PK_BUCKETS buckets over [t0, t1) per channel; entry b of a
// channel holds how many of its packets lie in the buckets before b, so the first packet starting at or
// after t is found from entry pkBucket(t) by a short scan (pkBucket never decreases with t)
const PK_BUCKETS: i32 = 512;
let pPkIdx: usize = 0; // i32[3 * (PK_BUCKETS + 1)]
let pkT0: f64 = 0;
let pkInv: f64 = 0;

// @ts-ignore: decorator
@inline function pkBucket(t: f64): i32 {
  const f = Math.floor((t - pkT0) * pkInv);
  return f < 0 ? 0 : f >= <f64>PK_BUCKETS ? PK_BUCKETS - 1 : <i32>f;
}

// in-place heapsort of n distinct f64 keys (order equals any other correct sort's)
function heapSort(p: usize, n: i32): void {
  for (let start = (n >> 1) - 1; start >= 0; start--) siftDown(p, start, n);
  for (let end = n - 1; end > 0; end--) {
    const a = load<f64>(p);
    store<f64>(p, load<f64>(p + (<usize>end << 3)));
    store<f64>(p + (<usize>end << 3), a);
    siftDown(p, 0, end);
  }
}

// @ts-ignore: decorator
@inline function siftDown(p: usize, i0: i32, n: i32): void {
  let i = i0;
  const v = load<f64>(p + (<usize>i << 3));
  for (;;) {
    let c = 2 * i + 1;
    if (c >= n) break;
    let cv = load<f64>(p + (<usize>c << 3));
    if (c + 1 < n) {
      const c2 = load<f64>(p + (<usize>(c + 1) << 3));
      if (c2 > cv) {
        c++;
        cv = c2;
      }
    }
    if (cv <= v) break;
    store<f64>(p + (<usize>i << 3), cv);
    i = c;
  }
  store<f64>(p + (<usize>i << 3), v);
}

/**
 * One scan window [ws, we) of scanner r on channel ch, for packets starting in [max(t0, ws - maxAir),
 * min(t1, we)) (run.ts addWindow, then flush for this window). Neighbours come from the last gather(r);
 * their cursors advance, so a scanner's windows must come in time order. Writes the receptions (start
 * order) to the reception arrays and returns their count. When the engine applies the app's logging
 * rule (pLast set), iOS <-> iOS receptions are left out, each written one carries its logged flag, and
 * with emitAll off only the logged ones are written.
 */
function scanWindow(r: i32, ws: f64, we: f64, ch: i32, nNb: i32, t0: f64, t1: f64): i32 {
  const lo: f64 = Math.max(t0, ws - maxAir);
  const hi: f64 = Math.min(t1, we);
  if (pLast != 0 && hi - lastBase > lastSpan) rebaseLast(t0);
  const chU = <u32>ch;
  let n: i32 = 0; // packets evaluated (in reach)
  let m: i32 = 0; // packets of the window's list
  let nc: i32 = 0; // of those, inside the window and at or above sensitivity
  let nOk: i32 = 0; // in reach and inside the window
  // shadowing epoch: one division per window unless the window straddles an epoch boundary
  const epLo = Math.floor(lo / epochUs);
  const epOne = epLo == Math.floor(hi / epochUs);
  const epConst = <u32><i64>epLo;
  // scanners that hear at least half of the transmitters walk the channel's sorted packets (already in
  // start order); the others walk their neighbours' events, then sort (the same candidates; only ties
  // in start may order differently)
  const dense = lazy;
  const tableWin = dense && pPair != 0;
  let recs: usize = pSR; // the window's records
  if (dense) {
    cDenseWin++;
    const c = ch - 37;
    const base = <usize>(c * pkCap);
    const np = c == 0 ? pkN0 : c == 1 ? pkN1 : pkN2;
    // first packet starting at or after lo: from the time index's entry, a short scan
    let a: i32 = load<i32>(pPkIdx + (<usize>(c * (PK_BUCKETS + 1) + pkBucket(lo)) << 2));
    while (a < np && load<f64>(pPk + ((base + <usize>a) << REC_SHIFT)) < lo) a++;
    recs = pPk + ((base + <usize>a) << REC_SHIFT);
    const left = np - a; // records from recs to the channel's end
    wOut = 0;
    if (tableWin && epOne) {
      // the common case, in three stretches so that most packets need no window test: starts before ws
      // (interferers only), starts up to we - maxAir (inside the window whatever their airtime), the rest
      const row = gRow;
      let k: i32 = 0;
      for (; k < left; k++) {
        const rec = recs + (<usize>k << REC_SHIFT);
        const ps = load<f64>(rec);
        if (ps >= ws || ps >= hi) break;
        store<f32>(pSP + (<usize>k << 2), pairRx(r, row, load<i32>(rec, 16), load<u32>(rec, 20), chU, epConst));
      }
      const kB = k;
      const outB = wOut;
      const bLim = Math.min(hi, we - maxAir);
      // four packets at a time while the fourth is still in this stretch: their four cache entries
      // transposed into lanes, the fading hash in lanes, the candidates appended by a compaction shuffle
      const vEp = i32x4.splat(epConst);
      const vCh = i32x4.splat(chU);
      const vSens = f32x4.splat(sens32);
      // the module's pointers in locals: a global is reloaded from the instance at every use
      const pairRow = pPair + row, fade = pFade, sp = pSP, rc = pRC;
      for (; k + 4 <= left; k += 4) {
        const r0 = recs + (<usize>k << REC_SHIFT);
        const ps3 = load<f64>(r0, 3 << REC_SHIFT);
        if (ps3 > bLim || ps3 >= hi) break;
        const e0 = v128.load(pairRow + (<usize>load<i32>(r0, 16) << PAIR_SHIFT));
        const e1 = v128.load(pairRow + (<usize>load<i32>(r0, 48) << PAIR_SHIFT));
        const e2 = v128.load(pairRow + (<usize>load<i32>(r0, 80) << PAIR_SHIFT));
        const e3 = v128.load(pairRow + (<usize>load<i32>(r0, 112) << PAIR_SHIFT));
        const a01 = i32x4.shuffle(e0, e1, 0, 4, 1, 5);
        const a23 = i32x4.shuffle(e2, e3, 0, 4, 1, 5);
        const st = i32x4.shuffle(a01, a23, 0, 1, 4, 5);
        const ef = i32x4.shuffle(a01, a23, 2, 3, 6, 7);
        if (!i32x4.all_true(v128.and(i32x4.eq(st, i32x4.splat(PAIR_OK)), i32x4.eq(i32x4.shr_u(ef, 1), vEp)))) {
          // a stale or out-of-reach entry, or one of an earlier epoch, among the four: one by one
          for (let j = 0; j < 4; j++) {
            const rec = r0 + (<usize>j << REC_SHIFT);
            nc += placeInside(k + j, nc, pairRx(r, row, load<i32>(rec, 16), load<u32>(rec, 20), chU, epConst));
          }
          continue;
        }
        const b01 = i32x4.shuffle(e0, e1, 2, 6, 3, 7);
        const b23 = i32x4.shuffle(e2, e3, 2, 6, 3, 7);
        const hf = i32x4.shuffle(b01, b23, 0, 1, 4, 5);
        const r2 = i32x4.shuffle(b01, b23, 2, 3, 6, 7);
        let ev = i32x4.splat(load<u32>(r0, 20));
        ev = i32x4.replace_lane(ev, 1, load<u32>(r0, 52));
        ev = i32x4.replace_lane(ev, 2, load<u32>(r0, 84));
        ev = i32x4.replace_lane(ev, 3, load<u32>(r0, 116));
        // fadeDb() in lanes
        const h = finish(absorb(absorb(hf, ev), vCh));
        const idx = i32x4.add(i32x4.shr_u(h, FADE_SHIFT), i32x4.shl(v128.and(ef, i32x4.splat(1)), 12));
        let fd = f32x4.splat(load<f32>(fade + (<usize>i32x4.extract_lane(idx, 0) << 2)));
        fd = f32x4.replace_lane(fd, 1, load<f32>(fade + (<usize>i32x4.extract_lane(idx, 1) << 2)));
        fd = f32x4.replace_lane(fd, 2, load<f32>(fade + (<usize>i32x4.extract_lane(idx, 2) << 2)));
        fd = f32x4.replace_lane(fd, 3, load<f32>(fade + (<usize>i32x4.extract_lane(idx, 3) << 2)));
        const p = f32x4.add(r2, fd);
        v128.store(sp + (<usize>k << 2), p);
        const mask = i32x4.bitmask(f32x4.ge(p, vSens));
        const kv = i32x4.add(i32x4.splat(k), i32x4(0, 1, 2, 3));
        v128.store(rc + (<usize>nc << 2), i8x16.swizzle(kv, v128.load(COMPACT + (<usize>mask << 4))));
        nc += <i32>popcnt<u32>(<u32>mask);
      }
      for (; k < left; k++) {
        const rec = recs + (<usize>k << REC_SHIFT);
        const ps = load<f64>(rec);
        if (ps > bLim || ps >= hi) break;
        nc += placeInside(k, nc, pairRx(r, row, load<i32>(rec, 16), load<u32>(rec, 20), chU, epConst));
      }
      nOk = (k - kB) - (wOut - outB);
      for (; k < left; k++) {
        const rec = recs + (<usize>k << REC_SHIFT);
        const ps = load<f64>(rec);
        if (ps >= hi) break;
        const v = place(k, nc, ps, rec, pairRx(r, row, load<i32>(rec, 16), load<u32>(rec, 20), chU, epConst), ws, we);
        nc += v >> 1;
        nOk += v & 1;
      }
      m = k;
    } else {
      if (!tableWin && !gEager && nDevices <= 65536) {
        // a short window hears most transmitters once or twice: find the ones seen first here, then
        // compute their terms four at a time
        const q0 = nLazy;
        for (let k = 0; k < left; k++) {
          const rec = recs + (<usize>k << REC_SHIFT);
          if (load<f64>(rec) >= hi) break;
          const t = load<i32>(rec, 16);
          const sa = pNbStamp + (<usize>t << 2);
          if (load<i32>(sa) == stamp) continue;
          store<i32>(sa, stamp);
          store<i32>(pNbIdx + (<usize>t << 2), t != r && geometry(r, t, nLazy) ? nLazy++ : -1);
        }
        termsV(r, q0, nLazy, epOne ? epConst : NO_EPOCH);
      }
      let k: i32 = 0;
      for (; k < left; k++) {
        const rec = recs + (<usize>k << REC_SHIFT);
        const ps = load<f64>(rec);
        if (ps >= hi) break;
        const t = load<i32>(rec, 16);
        const ev = load<u32>(rec, 20);
        const ep = epOne ? epConst : <u32><i64>Math.floor(ps / epochUs);
        let p: f32;
        if (tableWin) p = pairRx(r, gRow, t, ev, chU, ep);
        else {
          // a transmitter's reach is checked once per scanner and tick, on its first packet
          const sa = pNbStamp + (<usize>t << 2);
          let q: i32;
          if (load<i32>(sa) != stamp) {
            store<i32>(sa, stamp);
            q = t != r && neighbour(r, t, nLazy, ep) ? nLazy++ : -1;
            store<i32>(pNbIdx + (<usize>t << 2), q);
          } else q = load<i32>(pNbIdx + (<usize>t << 2));
          if (q < 0) wOut++;
          p = q < 0 ? -Infinity : pairPower(q, ev, chU, ep);
        }
        const v = place(k, nc, ps, rec, p, ws, we);
        nc += v >> 1;
        nOk += v & 1;
      }
      m = k;
    }
    n = m - wOut;
  } else {
    cSparseWin++;
    const floor = interfFloorDb;
    const sens = sensDbm;
    const chIdx: f64 = <f64>(ch - 37);
    let weak: i32 = 0;
    for (let q = 0; q < nNb; q++) {
      const qo = <usize>q << 2;
      const t = load<i32>(pNbTx + qo);
      const e1 = load<i32>(pNbEnd + qo);
      const air = load<i32>(pAir + (<usize>t << 2));
      const off: f64 = chIdx * (<f64>air + hopGap);
      let j = load<i32>(pNbCur + qo);
      while (j < e1 && load<f64>(pEvStart + (<usize>j << 3)) + maxEvSpan < lo) j++;
      store<i32>(pNbCur + qo, j);
      for (; j < e1; j++) {
        const ps: f64 = load<f64>(pEvStart + (<usize>j << 3)) + off;
        if (ps >= hi) break;
        if (ps < lo) continue;
        n++;
        const p = pairPower(q, load<u32>(pEvId + (<usize>j << 2)), chU, epOne ? epConst : <u32><i64>Math.floor(ps / epochUs));
        const ok: u8 = ps >= ws && ps + <f64>air <= we ? 1 : 0;
        if (<f64>p >= floor) {
          const o = <usize>m << 2;
          store<i32>(pCQ + o, q);
          store<f64>(pCStart + (<usize>m << 3), ps);
          store<u8>(pCOk + <usize>m, ok);
          store<f32>(pCP + o, p);
          // sort key: (start - ws + maxAir) * 2^20 + index, exact and distinct
          store<f64>(pKey + (<usize>m << 3), (ps - ws + maxAir) * 1048576 + <f64>m);
          m++;
        } else weak += ok;
      }
    }
    if (m > 32) heapSort(pKey, m);
    else {
      for (let a = 1; a < m; a++) {
        const v = load<f64>(pKey + (<usize>a << 3));
        let b = a - 1;
        while (b >= 0 && load<f64>(pKey + (<usize>b << 3)) > v) {
          store<f64>(pKey + (<usize>(b + 1) << 3), load<f64>(pKey + (<usize>b << 3)));
          b--;
        }
        store<f64>(pKey + (<usize>(b + 1) << 3), v);
      }
    }
    // the window's own records, in start order
    for (let k = 0; k < m; k++) {
      const key = load<f64>(pKey + (<usize>k << 3));
      const i = <i32>(key - Math.floor(key * (1.0 / 1048576)) * 1048576);
      const o = <usize>i << 2;
      const q = load<i32>(pCQ + o);
      const p = load<f32>(pCP + o);
      if (load<u8>(pCOk + <usize>i) != 0) {
        if (<f64>p >= sens) { store<i32>(pRC + (<usize>nc << 2), k); nc++; }
        else weak++;
      }
      const ps = load<f64>(pCStart + (<usize>i << 3));
      const t = load<i32>(pNbTx + (<usize>q << 2));
      const rec = pSR + (<usize>k << REC_SHIFT);
      store<f64>(rec, ps);
      store<f64>(rec, ps + <f64>load<i32>(pAir + (<usize>t << 2)), 8);
      store<i32>(rec, t, 16);
      store<i32>(rec, q, 24);
      store<u32>(rec, 0, 28);
      store<f32>(pSP + (<usize>k << 2), p);
    }
    nOk = weak + nc;
  }
  cPairs += <f64>n;
  cSens += <f64>(nOk - nc);
  if (nc == 0) return 0;
  return resolve(r, ws, recs, m, nc, tableWin ? 0 : dense ? 1 : 2);
}

// ---- the scanners' windows of a tick (run.ts's window loop) ----
let pScanMode: usize = 0; // u8[nDev] 0 none, 1 periodic (Pi; Android inside its sessions), 2 iOS (jittered)
let pScanWin: usize = 0; // i32[nDev] scan window (us)
let pScanInt: usize = 0; // i32[nDev] scan interval (us)
let pScanOn: usize = 0; // f64[nDev] Android scan session length (us)
let pScanCycle: usize = 0; // f64[nDev] Android scan session period (us), 0: none
let pScanPhase: usize = 0; // f64[nDev]
let pScanJit: usize = 0; // i32[nDev] iOS window start jitter span (us)
let pChOff: usize = 0; // u8[nDev] channel rotation offset
let scanIntegral: bool = false; // every scan schedule time is a whole microsecond
// the tick's receptions (pRTx ...) and the windows that have any: scanner, start, end, first reception
let outCap: i32 = 0;
let outBase: i32 = 0;
let pWR: usize = 0; // i32
let pWS: usize = 0; // f64
let pWE: usize = 0; // f64
let pWQ: usize = 0; // i32, one more than the windows
// where scanTick stopped: present-device index, window index, neighbour count (-1: not gathered)
let sI: i32 = 0;
let sK: f64 = 0;
let sNb: i32 = -1;
let sIn: bool = false;

const SALT_IOS_JITTER: u32 = 0x696f736a; // run.ts
const SCAN_IOS: u8 = 2;

// run.ts's ((v % c) + c) % c; for whole microseconds (below 2^53) floor(v / c) is exact and this form
// avoids AssemblyScript's software fmod
// @ts-ignore: decorator
@inline function posMod(v: f64, c: f64): f64 {
  return scanIntegral ? v - Math.floor(v / c) * c : ((v % c) + c) % c;
}

/** Starts the scan windows of the tick (before the first scanTick). */
export function scanBegin(): void {
  sI = 0;
  sIn = false;
}

/**
 * run.ts's window loop for the tick [t0, t1): every present scanner's windows overlapping
 * [t0 - maxAir, t1) in run.ts's order, each decided by scanWindow(). The receptions go to the rx* arrays
 * from 0 on, the windows that have any to pWR / pWS / pWE / pWQ. Returns the window count, or -(count + 1)
 * when it stopped before the arrays could overflow: the caller reads them and calls again to go on.
 */
export function scanTick(t0: f64, t1: f64): i32 {
  let nWin: i32 = 0;
  outBase = 0;
  const early = t0 - maxAir;
  for (; sI < nAct; sI++) {
    const r = load<i32>(pAct + (<usize>sI << 2));
    const mode = load<u8>(pScanMode + <usize>r);
    if (mode == 0) continue;
    const o4 = <usize>r << 2;
    const o8 = <usize>r << 3;
    const win: f64 = <f64>load<i32>(pScanWin + o4);
    const per: f64 = <f64>load<i32>(pScanInt + o4);
    const ph = load<f64>(pScanPhase + o8);
    const cyc = load<f64>(pScanCycle + o8);
    const on = load<f64>(pScanOn + o8);
    const jit = load<i32>(pScanJit + o4);
    if (!sIn) {
      sK = mode == SCAN_IOS ? Math.floor((t0 - maxAir - win - <f64>jit - ph) / per) : Math.floor((t0 - maxAir - win + ph) / per);
      if (cyc > 0) {
        // Android: skip the scanner when no scan session overlaps this tick
        const A = t0 - maxAir - win;
        const cA = posMod(A + ph, cyc);
        if (cA >= on && A + (cyc - cA) >= t1) continue;
      }
      sNb = -1; // neighbours gathered lazily, once per tick
      sIn = true;
    }
    for (let k = sK; ; k++) {
      let ws: f64;
      if (mode == SCAN_IOS) {
        const u = (<f64>hash32(evSeed, SALT_IOS_JITTER, <u32>r, <u32><i64>k, 0) + 0.5) / 4294967296;
        ws = k * per + ph + Math.floor(u * <f64>jit) - <f64>(jit >> 1);
      } else ws = k * per - ph;
      if (ws >= t1) break;
      let we = ws + win;
      if (we <= early) continue;
      if (cyc > 0) {
        // Android scan sessions: listen only inside [session start, start + on)
        const inCycle = posMod(ws + ph, cyc);
        if (inCycle >= on) continue;
        we = Math.min(we, ws - inCycle + on);
      }
      // one window writes at most pkCap receptions
      if (outBase + pkCap > outCap) {
        sK = k;
        store<i32>(pWQ + (<usize>nWin << 2), outBase);
        return -(nWin + 1);
      }
      if (sNb < 0) sNb = gather(r, win * 2 >= per, t0);
      if (sNb == 0) break;
      const ch = 37 + <i32>(((<i64>k + <i64>load<u8>(pChOff + <usize>r)) % 3 + 3) % 3);
      const nr = scanWindow(r, ws, we, ch, sNb, t0, t1);
      if (nr > 0) {
        store<i32>(pWR + (<usize>nWin << 2), r);
        store<f64>(pWS + (<usize>nWin << 3), ws);
        store<f64>(pWE + (<usize>nWin << 3), we);
        store<i32>(pWQ + (<usize>nWin << 2), outBase);
        nWin++;
        outBase += nr;
      }
    }
    sIn = false;
  }
  store<i32>(pWQ + (<usize>nWin << 2), outBase);
  return nWin;
}

/**
 * Position k of the window's list for a packet inside the window: stores its power p and k as list
 * position nc (kept only when counted). Returns 1 when p is at or above sensitivity (a candidate).
 */
// @ts-ignore: decorator
@inline function placeInside(k: i32, nc: i32, p: f32): i32 {
  store<f32>(pSP + (<usize>k << 2), p);
  store<i32>(pRC + (<usize>nc << 2), k);
  return <i32>(<f64>p >= sensDbm);
}

/**
 * placeInside() for a packet (start ps, record rec) that may lie outside the window. Returns bit 0 when
 * it lies inside the window and in reach (out of reach, -Infinity, was not evaluated), bit 1 when it is
 * also a candidate.
 */
// @ts-ignore: decorator
@inline function place(k: i32, nc: i32, ps: f64, rec: usize, p: f32, ws: f64, we: f64): i32 {
  const hear = placeInside(k, nc, p);
  const ok = <i32>(ps >= ws) & <i32>(load<f64>(rec, 8) <= we) & <i32>(p != -Infinity);
  return ok | ((ok & hear) << 1);
}

// packets of the current window found out of reach (they are not evaluated)
let wOut: i32 = 0;

// i8x16.swizzle masks that move the lanes set in a 4-bit mask to the front, in order (candidate
// compaction in the four-at-a-time walk; 0x80 selects zero)
const COMPACT: usize = memory.data<u8>([
  128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
  4, 5, 6, 7, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 4, 5, 6, 7, 128, 128, 128, 128, 128, 128, 128, 128,
  8, 9, 10, 11, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 8, 9, 10, 11, 128, 128, 128, 128, 128, 128, 128, 128,
  4, 5, 6, 7, 8, 9, 10, 11, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 128, 128, 128, 128,
  12, 13, 14, 15, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 12, 13, 14, 15, 128, 128, 128, 128, 128, 128, 128, 128,
  4, 5, 6, 7, 12, 13, 14, 15, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 128, 128, 128, 128,
  8, 9, 10, 11, 12, 13, 14, 15, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 128, 128, 128, 128,
  4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 128, 128, 128, 128,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
]);

/**
 * Received power of transmitter t's packet (event ev, channel ch, shadowing epoch ep) at scanner r from
 * the pair cache (row: r's row), refilling a stale entry; -Infinity when t is out of reach.
 */
// @ts-ignore: decorator
@inline function pairRx(r: i32, row: usize, t: i32, ev: u32, ch: u32, ep: u32): f32 {
  const o = row + (<usize>t << PAIR_SHIFT);
  let st = load<u32>(pPair + o);
  if (st != PAIR_OK) {
    if (st == 0) {
      pairFill(r, t, o, ep);
      st = load<u32>(pPair + o);
    }
    if (st == PAIR_OUT) {
      wOut++;
      return -Infinity;
    }
  }
  return pairPowerT(o, ev, ch, ep);
}

/**
 * Decides the window's nc candidates (positions in pRC into its m start-ordered records at recs, powers
 * in pSP) of scanner r (window start ws): half duplex, collisions with capture, the app's logging rule
 * (run.ts flush and record, one window). Writes the receptions and returns their count. The distance
 * comes from the pair cache (mode 0), the neighbour slot of the transmitter (1) or the record's (2).
 */
function resolve(r: i32, ws: f64, recs: usize, m: i32, nc: i32, mode: i32): i32 {
  // the module's pointers and scalars in locals: a global is reloaded from the instance at every use
  const sp = pSP, rc = pRC, evs = pEvStart, lin = pLin, capL = capLin, floor = interfFloorDb, fb = floorBits, top = linN - 1;
  // the logging rule's table row and scalars
  const lastT = pLast, kinds = pKind, base = lastBase, all = logAll, emit = emitAll;
  const lastRow = lastT + ((<usize>r * <usize>nDevices) << 2);
  const kr = lastT != 0 ? load<u8>(kinds + <usize>r) : 0;
  let hj = load<i32>(pEvOff + (<usize>r << 2));
  const hEnd = load<i32>(pEvOff + (<usize>(r + 1) << 2));
  const span: f64 = <f64>load<i32>(pEvSpan + (<usize>r << 2));
  // the scanner's next own event not over before the current candidate (Infinity when none is left)
  let hs: f64 = hj < hEnd ? load<f64>(evs + (<usize>hj << 3)) : Infinity;
  let he: f64 = hs + span;
  const mAir = maxAir;
  let nHd: i32 = 0;
  let nCol: i32 = 0;
  let nRec: i32 = 0;
  let nOut: i32 = 0;
  for (let c = 0; c < nc; c++) {
    const k = load<i32>(rc + (<usize>c << 2));
    const rec = recs + (<usize>k << REC_SHIFT);
    const p32 = load<f32>(sp + (<usize>k << 2));
    const p: f64 = <f64>p32;
    const ps = load<f64>(rec);
    const pe = load<f64>(rec, 8);
    // half duplex: the receiver cannot listen while its own advertising event [hs, he) is on air
    while (he <= ps) {
      hj++;
      hs = hj < hEnd ? load<f64>(evs + (<usize>hj << 3)) : Infinity;
      he = hs + span;
    }
    if (hs < pe) {
      nHd++;
      continue;
    }
    // a packet alone on its channel (most of them) has no interference to sum
    if (load<u32>(rec, 28) == 0) {
      // co-channel interference from overlapping packets above the floor (sim-radio-core.md 3.4 item 5),
      // in linear power from the shared table (sim/engine/capture.ts). Whether the next packet on either
      // side overlaps is close to a coin flip, so those two are added without a branch (0 when they do
      // not count); the ones beyond, rarely close enough, in loops. Same terms in the same order as one
      // loop per side.
      const kb = k > 0 ? k - 1 : k;
      const rb = recs + (<usize>kb << REC_SHIFT);
      const nearB = <i32>(k > 0) & <i32>(load<f64>(rb) + mAir > ps);
      let interf: f64 = linIf(load<f32>(sp + (<usize>kb << 2)), nearB & <i32>(load<f64>(rb, 8) > ps), lin, floor, fb, top);
      if (nearB != 0 && k > 1 && load<f64>(rb - (1 << REC_SHIFT)) + mAir > ps) {
        for (let kk = k - 2; kk >= 0; kk--) {
          const rk = recs + (<usize>kk << REC_SHIFT);
          if (load<f64>(rk) + mAir <= ps) break;
          interf += linIf(load<f32>(sp + (<usize>kk << 2)), <i32>(load<f64>(rk, 8) > ps), lin, floor, fb, top);
        }
      }
      const kf = k + 1 < m ? k + 1 : k;
      const rf = recs + (<usize>kf << REC_SHIFT);
      const nearF = <i32>(k + 1 < m) & <i32>(load<f64>(rf) < pe);
      interf += linIf(load<f32>(sp + (<usize>kf << 2)), nearF, lin, floor, fb, top);
      if (nearF != 0 && k + 2 < m && load<f64>(rf + (1 << REC_SHIFT)) < pe) {
        for (let kk = k + 2; kk < m; kk++) {
          if (load<f64>(recs + (<usize>kk << REC_SHIFT)) >= pe) break;
          interf += linIf(load<f32>(sp + (<usize>kk << 2)), 1, lin, floor, fb, top);
        }
      }
      // lost when the signal-to-interference ratio is below the capture ratio
      // (no interference: 0 > a positive power, no separate test)
      if (interf * capL > load<f64>(lin + (<usize>linIdxHi(p, floor, top) << 3))) {
        nCol++;
        continue;
      }
    }
    const tx = load<i32>(rec, 16);
    nRec++;
    let logged: u8 = 1;
    if (lastT != 0) {
      // run.ts record(): background iOS <-> iOS does not work (bluezone-protocol.md 3.1); coalesced iOS
      // reports; the app's 5 s dedup within a 15-min slot (4.3)
      if (kr == 1 && load<u8>(kinds + <usize>tx) == 1) continue;
      const la = lastRow + (<usize>tx << 2);
      const v = load<u32>(la);
      if (v != 0) {
        const last = base + <f64>(v - 1);
        if (kr == 1 && last >= ws) logged = 0;
        else if (!all && ps - last < 5000000 && Math.floor(ps / 900000000) == Math.floor(last / 900000000)) logged = 0;
      }
      if (logged) store<u32>(la, <u32>(ps - base) + 1);
      else if (!emit) continue;
    }
    const q = <usize>(outBase + nOut);
    store<i32>(pRTx + (q << 2), tx);
    store<f64>(pRT + (q << 3), ps);
    store<f32>(pRP + (q << 2), p32);
    store<f32>(pRD + (q << 2), mode == 0
      ? load<f32>(pPair + gRow + (<usize>tx << PAIR_SHIFT) + 24)
      : load<f32>(pNbDist + (<usize>(mode == 1 ? load<i32>(pNbIdx + (<usize>tx << 2)) : load<i32>(rec, 24)) << 2)));
    store<u8>(pRLog + q, logged);
    nOut++;
  }
  cHd += <f64>nHd;
  cCol += <f64>nCol;
  cRec += <f64>nRec;
  return nOut;
}

/**
 * Moves lastBase to a minute before t0 (every packet still to come starts at or after t0). An entry
 * older than the new base becomes 0, "never": a log over a minute old decides nothing (the dedup looks
 * 5 s back, an iPhone's coalescing one scan window back).
 */
function rebaseLast(t0: f64): void {
  const nb = Math.max(0, t0 - 60000000);
  const n = <usize>nDevices * <usize>nDevices;
  for (let i: usize = 0; i < n; i++) {
    const a = pLast + (i << 2);
    const v = load<u32>(a);
    if (v == 0) continue;
    const last = lastBase + <f64>(v - 1);
    store<u32>(a, last < nb ? 0 : <u32>(last - nb) + 1);
  }
  lastBase = nb;
}

// capture.ts linIndex (nearest 1/16 dB step above the floor, halves up, clamped) for p at or above the
// floor, without data-dependent branches: rounding up or down is a coin flip, a branch on it is
// mispredicted half the time. ceil(v), minus one where JS Math.round goes down; then the top clamp.
// @ts-ignore: decorator
@inline function linIdxHi(p: f64, floor: f64, top: i32): i32 {
  const v = (p - floor) * 16;
  const c = Math.ceil(v);
  // c is a whole number in [0, 2^31): adding 2^52 puts it in the low mantissa bits, read back without
  // a float-to-int conversion (whose range check the JIT emits as a compare-and-branch round trip)
  const i = <i32>reinterpret<i64>(c + 4503599627370496.0) - <i32>(c - 0.5 > v);
  return select<i32>(top, i, i > top);
}

// Linear power of a packet of power pk (f32) where cond holds and pk is at or above the interference
// floor, else 0 (times 0: exact, and no branch). A power below the floor is replaced by the floor's f32
// (fb, floorBits) before the table look-up (lin: pLin, top: linN - 1), so the index stays in range.
// @ts-ignore: decorator
@inline function linIf(pk: f32, cond: i32, lin: usize, floor: f64, fb: i32, top: i32): f64 {
  const ok = cond & <i32>(<f64>pk >= floor);
  const pv: f64 = <f64>reinterpret<f32>(select<i32>(reinterpret<i32>(pk), fb, ok));
  return load<f64>(lin + (<usize>linIdxHi(pv, floor, top) << 3)) * <f64>ok;
}

// ---- contact truth (run.ts): pairs a < b of present devices within truthM, on a grid of truthM cells ----
let tNx: i32 = 1;
let tNy: i32 = 1;
let tCellM: f64 = 2;
let pTCellStart: usize = 0; // i32[tNx * tNy + 1]
let pTCellOf: usize = 0; // i32[nDev]
let pTItems: usize = 0; // i32[nDev + 4]
let pTIX: usize = 0; // f64[nDev + 4] the items' positions
let pTIY: usize = 0;
let pTA: usize = 0; // i32[pairs + 4] output: a
let pTB: usize = 0; // i32[pairs + 4] output: b
// (set by setup from the config block)

// grid.ts cellX / cellY
// @ts-ignore: decorator
@inline function tCell(v: f64, n: i32): i32 {
  const c = Math.floor(v / tCellM);
  return c < 0 ? 0 : c >= <f64>n ? n - 1 : <i32>c;
}

/**
 * The tick's pairs (a, b), a < b, both present, at most limit metres apart, in run.ts's order: a
 * ascending, then the 3 x 3 cells around a row by row, then b ascending (ascending key a, b's cell, b).
 * Positions and presence are the ones of the last loadTick. Returns the pair count (pTA / pTB); the
 * output holds every pair of nDevices.
 */
export function truthPairs(limit: f64): i32 {
  // from the tick before when few devices moved: the pairs between devices that stayed put and stayed
  // are the same, only those of a device that arrived or moved are searched again
  if (tN >= 0 && nGone == 0 && nMoved == 0) return tN;
  truthGrid();
  if (tN < 0 || nMoved * 4 > nAct) tN = truthScan(limit);
  else tN = truthUpdate(limit);
  return tN;
}

// the tick's pair list (pTA / pTB) holds tN pairs, -1 before the first tick
let tN: i32 = -1;
let pTA2: usize = 0; // i32[pairs + 4] the kept pairs
let pTB2: usize = 0;
let pTNA: usize = 0; // i32[pairs + 4] the pairs found again, with their keys (f64)
let pTNB: usize = 0;
let pTNK: usize = 0;
let pTCellD: usize = 0; // i32[nDev] truth-grid cell of each present device

/**
 * The contact-truth grid: present ids by cell, ascending within a cell, their positions beside them
 * (f64, as the JS loop computes); each device's cell in pTCellD, each present index's in pTCellOf.
 */
function truthGrid(): void {
  const na = nAct;
  for (let i = 0; i < na; i++) {
    const d = <usize>load<i32>(pAct + (<usize>i << 2));
    const c = tCell(<f64>load<f32>(pY + (d << 2)), tNy) * tNx + tCell(<f64>load<f32>(pX + (d << 2)), tNx);
    store<i32>(pTCellOf + (<usize>i << 2), c);
    store<i32>(pTCellD + (d << 2), c);
  }
  sortByCell(pTCellOf, pTCellStart, pTItems, tNx * tNy);
  for (let k = 0; k < na; k++) {
    const d = <usize>load<i32>(pTItems + (<usize>k << 2));
    store<f64>(pTIX + (<usize>k << 3), <f64>load<f32>(pX + (d << 2)));
    store<f64>(pTIY + (<usize>k << 3), <f64>load<f32>(pY + (d << 2)));
  }
}

// the 3 x 3 truth cells around cell c0, clamped to the grid (truthCells)
let tGx0: i32 = 0;
let tGx1: i32 = 0;
let tGy0: i32 = 0;
let tGy1: i32 = 0;

// @ts-ignore: decorator
@inline function truthCells(c0: i32): void {
  const cx = c0 % tNx;
  const cy = c0 / tNx;
  tGx0 = max(0, cx - 1);
  tGx1 = min(tNx - 1, cx + 1);
  tGy0 = max(0, cy - 1);
  tGy1 = min(tNy - 1, cy + 1);
}

// the order of the pair list: a, then b's cell, then b (truthPairs)
// @ts-ignore: decorator
@inline function truthKey(a: i32, b: i32): f64 {
  return (<f64>a * <f64>(tNx * tNy) + <f64>load<i32>(pTCellD + (<usize>b << 2))) * <f64>nDevices + <f64>b;
}

/**
 * The pair list from the last one: the pairs whose devices are both still present and did not move are
 * kept (in order); the pairs of each device that arrived or moved are searched in the 3 x 3 cells around
 * it (a pair of two such devices from the lower id), sorted, and merged in.
 */
function truthUpdate(limit: f64): i32 {
  let m: i32 = 0;
  for (let i = 0; i < tN; i++) {
    const a = load<i32>(pTA + (<usize>i << 2));
    const b = load<i32>(pTB + (<usize>i << 2));
    store<i32>(pTA2 + (<usize>m << 2), a);
    store<i32>(pTB2 + (<usize>m << 2), b);
    const keep = <i32>load<u8>(pActive + <usize>a) & <i32>load<u8>(pActive + <usize>b)
      & (<i32>load<u8>(pMoved + <usize>a) ^ 1) & (<i32>load<u8>(pMoved + <usize>b) ^ 1);
    m += keep;
  }
  const lim2 = limit * limit;
  let nn: i32 = 0;
  for (let i = 0; i < nAct; i++) {
    const d = load<i32>(pAct + (<usize>i << 2));
    if (load<u8>(pMoved + <usize>d) == 0) continue;
    const xd: f64 = <f64>load<f32>(pX + (<usize>d << 2));
    const yd: f64 = <f64>load<f32>(pY + (<usize>d << 2));
    truthCells(load<i32>(pTCellOf + (<usize>i << 2)));
    const gx0 = tGx0, gx1 = tGx1;
    for (let gy = tGy0; gy <= tGy1; gy++) {
      const row = gy * tNx;
      const qEnd = load<i32>(pTCellStart + (<usize>(row + gx1 + 1) << 2));
      for (let q = load<i32>(pTCellStart + (<usize>(row + gx0) << 2)); q < qEnd; q++) {
        const b = load<i32>(pTItems + (<usize>q << 2));
        // run.ts's test with a the lower id: dx = x[b] - x[a] (the same square either way)
        const dx: f64 = load<f64>(pTIX + (<usize>q << 3)) - xd;
        const dy: f64 = load<f64>(pTIY + (<usize>q << 3)) - yd;
        const lo = min(b, d), hi = max(b, d);
        store<i32>(pTNA + (<usize>nn << 2), lo);
        store<i32>(pTNB + (<usize>nn << 2), hi);
        nn += <i32>(b != d) & (<i32>(load<u8>(pMoved + <usize>b) == 0) | <i32>(b > d)) & <i32>!(dx * dx + dy * dy > lim2);
      }
    }
  }
  // the new pairs by key (few: insertion)
  for (let i = 0; i < nn; i++) store<f64>(pTNK + (<usize>i << 3), truthKey(load<i32>(pTNA + (<usize>i << 2)), load<i32>(pTNB + (<usize>i << 2))));
  for (let i = 1; i < nn; i++) {
    const k = load<f64>(pTNK + (<usize>i << 3));
    const a = load<i32>(pTNA + (<usize>i << 2));
    const b = load<i32>(pTNB + (<usize>i << 2));
    let j = i - 1;
    while (j >= 0 && load<f64>(pTNK + (<usize>j << 3)) > k) {
      store<f64>(pTNK + (<usize>(j + 1) << 3), load<f64>(pTNK + (<usize>j << 3)));
      store<i32>(pTNA + (<usize>(j + 1) << 2), load<i32>(pTNA + (<usize>j << 2)));
      store<i32>(pTNB + (<usize>(j + 1) << 2), load<i32>(pTNB + (<usize>j << 2)));
      j--;
    }
    store<f64>(pTNK + (<usize>(j + 1) << 3), k);
    store<i32>(pTNA + (<usize>(j + 1) << 2), a);
    store<i32>(pTNB + (<usize>(j + 1) << 2), b);
  }
  // merge the kept pairs (already in key order: their devices kept their cells) with the new ones
  let i: i32 = 0;
  let j: i32 = 0;
  let n: i32 = 0;
  let ki: f64 = m > 0 ? truthKey(load<i32>(pTA2), load<i32>(pTB2)) : Infinity;
  while (i < m || j < nn) {
    const kj = j < nn ? load<f64>(pTNK + (<usize>j << 3)) : Infinity;
    if (ki < kj) {
      store<i32>(pTA + (<usize>n << 2), load<i32>(pTA2 + (<usize>i << 2)));
      store<i32>(pTB + (<usize>n << 2), load<i32>(pTB2 + (<usize>i << 2)));
      i++;
      ki = i < m ? truthKey(load<i32>(pTA2 + (<usize>i << 2)), load<i32>(pTB2 + (<usize>i << 2))) : Infinity;
    } else {
      store<i32>(pTA + (<usize>n << 2), load<i32>(pTNA + (<usize>j << 2)));
      store<i32>(pTB + (<usize>n << 2), load<i32>(pTNB + (<usize>j << 2)));
      j++;
    }
    n++;
  }
  return n;
}

/** Every pair from scratch (truthGrid first). */
function truthScan(limit: f64): i32 {
  const na = nAct;
  const lim2 = f64x2.splat(limit * limit);
  const lane = i32x4(0, 1, 2, 3);
  let n: i32 = 0;
  for (let i = 0; i < na; i++) {
    const a = load<i32>(pAct + (<usize>i << 2));
    const xa = f64x2.splat(<f64>load<f32>(pX + (<usize>a << 2)));
    const ya = f64x2.splat(<f64>load<f32>(pY + (<usize>a << 2)));
    const va = i32x4.splat(a);
    truthCells(load<i32>(pTCellOf + (<usize>i << 2)));
    const gx0 = tGx0, gx1 = tGx1;
    for (let gy = tGy0; gy <= tGy1; gy++) {
      // the row's cells are contiguous in items: four at a time, the pairs kept (b > a, within the
      // limit: dx * dx + dy * dy > limit^2 is false, as in run.ts) moved to the front by a shuffle, in
      // order; lanes past the row's end are masked off (the arrays have room for them)
      const row = gy * tNx;
      const qEnd = load<i32>(pTCellStart + (<usize>(row + gx1 + 1) << 2));
      const vEnd = i32x4.splat(qEnd);
      for (let q = load<i32>(pTCellStart + (<usize>(row + gx0) << 2)); q < qEnd; q += 4) {
        const ids = v128.load(pTItems + (<usize>q << 2));
        const o = pTIX + (<usize>q << 3);
        const dx0 = f64x2.sub(v128.load(o), xa);
        const dx1 = f64x2.sub(v128.load(o, 16), xa);
        const oy = pTIY + (<usize>q << 3);
        const dy0 = f64x2.sub(v128.load(oy), ya);
        const dy1 = f64x2.sub(v128.load(oy, 16), ya);
        const far0 = f64x2.gt(f64x2.add(f64x2.mul(dx0, dx0), f64x2.mul(dy0, dy0)), lim2);
        const far1 = f64x2.gt(f64x2.add(f64x2.mul(dx1, dx1), f64x2.mul(dy1, dy1)), lim2);
        const far = i32x4.shuffle(far0, far1, 0, 2, 4, 6);
        const live = v128.and(i32x4.gt_s(ids, va), i32x4.lt_s(i32x4.add(i32x4.splat(q), lane), vEnd));
        const mask = <usize>i32x4.bitmask(v128.andnot(live, far));
        v128.store(pTB + (<usize>n << 2), i8x16.swizzle(ids, v128.load(COMPACT + (mask << 4))));
        v128.store(pTA + (<usize>n << 2), va);
        n += <i32>popcnt<u32>(<u32>mask);
      }
    }
  }
  return n;
}

// ---- advertising events (run.ts): per device, the events whose packets may start in the tick ----
let pNextEv: usize = 0; // f64[nDev] next event start (us)
let pPrevEv: usize = 0; // f64[nDev] last event start, -Infinity when none
let pPrevId: usize = 0; // u32[nDev]
let pEvCount: usize = 0; // u32[nDev] events drawn so far (the event id)
let pDelayH: usize = 0; // u32[nDev] advDelay hash prefix
let pAdvInt: usize = 0; // i32[nDev] advInterval (us)
let pAdvOn: usize = 0; // f64[nDev] 0: always on
let pAdvCycle: usize = 0; // f64[nDev]
let pAdvPhase: usize = 0; // f64[nDev]
let pWasActive: usize = 0; // u8[nDev] present in the tick before
let evSeed: u32 = 0;
let evIntegral: bool = false; // every schedule time is a whole number of microseconds
let cAdvEvents: f64 = 0;
// (set by setup from the config block; JS fills the per-device constants and the initial state)

const SALT_START: u32 = 0x73747274; // run.ts
const ADV_DELAY_MAX_US: u32 = 10000; // sim/world/devices.ts (Core Spec Vol 6 Part B 4.4.2.2)
const ADV_DELAY_2_16: u32 = 65536 % (ADV_DELAY_MAX_US + 1);


/**
 * run.ts's advertising-event loop for the tick [t0, t1) (t0ms its start in ms): per present device the
 * previous event if its packets reach into the tick, then the new ones (advDelay per event, Android's
 * 15 s on / 15 s off), into evOff / evStart / evId. Returns the event count, or -1 before the arrays
 * would overflow.
 */
export function genEvents(t0: f64, t1: f64, t0ms: f64): i32 {
  let ne: i32 = 0;
  nActiveTx = 0;
  // the present devices only; an absent one has no events (its evOff entry is the next one's)
  let filled: i32 = 0;
  for (let i = 0; i < nAct; i++) {
    const d = load<i32>(pAct + (<usize>i << 2));
    for (; filled <= d; filled++) store<i32>(pEvOff + (<usize>filled << 2), ne);
    const o4 = <usize>d << 2;
    const o8 = <usize>d << 3;
    const advInt: f64 = <f64>load<i32>(pAdvInt + o4);
    if (load<u8>(pWasActive + <usize>d) == 0) {
      // (re)starts advertising: first event within one interval of arrival
      const u = (<f64>hash32(evSeed, SALT_START, <u32>d, <u32><i64>t0ms, 0) + 0.5) / 4294967296;
      store<f64>(pNextEv + o8, t0 + Math.floor(u * advInt));
      store<f64>(pPrevEv + o8, -Infinity);
    }
    const prev = load<f64>(pPrevEv + o8);
    // run.ts sizes the event arrays (pkCap entries) to a bound this never passes; -1 says it did
    if (ne + 1 + <i32>Math.ceil((t1 - t0) / advInt) + 1 > pkCap) return -1;
    if (prev + <f64>load<i32>(pEvSpan + o4) > t0) {
      store<f64>(pEvStart + (<usize>ne << 3), prev);
      store<u32>(pEvId + (<usize>ne << 2), load<u32>(pPrevId + o4));
      ne++;
    }
    const on = load<f64>(pAdvOn + o8);
    const cyc = load<f64>(pAdvCycle + o8);
    const ph = load<f64>(pAdvPhase + o8);
    const hd = load<u32>(pDelayH + o4);
    let next = load<f64>(pNextEv + o8);
    let id = load<u32>(pEvCount + o4);
    while (next < t1) {
      const st = next;
      const h = finish1(absorb1(absorb1(hd, id), 0));
      next = st + advInt + <f64>(((h >>> 16) * ADV_DELAY_2_16 + (h & 0xffff)) % (ADV_DELAY_MAX_US + 1));
      const eid = id++;
      // run.ts isAdvOn: (st + ph) % cyc < on. With whole microseconds below 2^53, floor(a / c) is exact and
      // a - floor(a / c) * c equals fmod, without AssemblyScript's software fmod
      if (on != 0) {
        const a = st + ph;
        if ((evIntegral ? a - Math.floor(a / cyc) * cyc : a % cyc) >= on) continue;
      }
      store<f64>(pEvStart + (<usize>ne << 3), st);
      store<u32>(pEvId + (<usize>ne << 2), eid);
      ne++;
      store<f64>(pPrevEv + o8, st);
      store<u32>(pPrevId + o4, eid);
      cAdvEvents++;
    }
    store<f64>(pNextEv + o8, next);
    store<u32>(pEvCount + o4, id);
    if (ne > load<i32>(pEvOff + o4)) nActiveTx++;
  }
  for (; filled <= nDevices; filled++) store<i32>(pEvOff + (<usize>filled << 2), ne);
  return ne;
}

/** Advertising events drawn by genEvents since setup. */
export function advEvents(): f64 {
  return cAdvEvents;
}
