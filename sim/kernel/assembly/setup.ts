// Fused engine, entry points setup() and counter(): setup reads the config block (built by
// sim/engine/wasmEngine.ts, same order) into layout.ts's globals and resets each file's per-run state.
import {
  pGeo, cCol, cDenseWin, cSumFast, cSumWalk, minAir, pPre, sumMode, cHd, cPairs, cRec, cSens, cSparseWin, capLin, cellM, emitAll, epochUs, evIntegral, evSeed,
  floorBits, gridNx, gridNy, hopGap, interfFloorDb, kBreak, kIhScale, kLog2Break, kMinD, kPl1m, kSeedState,
  kSlopeFar, kSlopeNear, kSp, kSs, lastBase, lastSpan, linN, logAll, maxAir, maxBuckets, maxEvSpan, nDevices,
  nLoud, normalReach, outCap, pAct, pActive, pAdvCycle, pAdvInt, pAdvOn, pAdvPhase, pAir, pBody, pBucket,
  pCOk, pCP, pCQ, pCStart, pCand, pCarriage, pCellStart, pChOff, pDelayH, pEDev, pEId, pESt, pEvCount, pEvId,
  pEvOff, pEvSpan, pEvStart, pFade, pHx, pHy, pItems, pKey, pKind, pLast, pLin, pLoud, pLoudFlag, pMoved,
  pNbCur, pNbDist, pNbEnd, pNbEp, pNbFar, pNbHF, pNbHS, pNbIdx, pNbR1, pNbR2, pNbStamp, pNbStatic, pNbTx,
  pNextEv, pPair, pPk, pPkIdx, pPrevEv, pPrevId, pRC, pRD, pRLog, pRP, pRT, pRTx, pReachRx, pReachTx, pRxCorr,
  pSP, pSR, pScanCycle, pScanInt, pScanJit, pScanMode, pScanOn, pScanPhase, pScanWin, pStHx, pStHy, pStX,
  pStY, pTA, pTA2, pTB, pTB2, pTCellD, pTCellOf, pTCellStart, pTIX, pTIY, pTItems, pTNA, pTNB, pTNK, pTxPow,
  pWE, pWQ, pWR, pWS, pWasActive, pX, pY, pkCap, scanIntegral, sens32, sensDbm, tCellM, tNx, tNy,
} from './layout';
import { nAct } from './devices';
import { cAdvEvents } from './events';
import { stamp } from './neighbours';
import { sI, sIn } from './scan';
import { tN } from './truth';

function f32AtLeast(v: f64): f32 {
  const f = <f32>v;
  if (<f64>f >= v) return f;
  const b = reinterpret<i32>(f);
  return f > 0 ? reinterpret<f32>(b + 1) : f == 0 ? reinterpret<f32>(1) : reinterpret<f32>(b - 1);
}

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
  pPre = nextPtr(); minAir = next(); sumMode = <i32>next();
  pGeo = nextPtr();
  sI = 0;
  sIn = false;
  nAct = 0;
  sens32 = f32AtLeast(sensDbm);
  floorBits = reinterpret<i32>(f32AtLeast(interfFloorDb));
  cAdvEvents = 0;
  stamp = 0;
  lastBase = 0;
  cPairs = 0; cSens = 0; cHd = 0; cCol = 0; cRec = 0; cDenseWin = 0; cSparseWin = 0; cSumFast = 0; cSumWalk = 0;
}

/**
 * Counters since setup: 0 pairs evaluated, 1 below sensitivity, 2 half duplex, 3 collision, 4 received,
 * 5 windows read from the sorted packets, 6 windows read from the neighbours' events, 7 collision tests
 * decided by the running sums, 8 left to the exact walk.
 */
export function counter(i: i32): f64 {
  if (i == 0) return cPairs;
  if (i == 1) return cSens;
  if (i == 2) return cHd;
  if (i == 3) return cCol;
  if (i == 4) return cRec;
  if (i == 5) return cDenseWin;
  if (i == 7) return cSumFast;
  if (i == 8) return cSumWalk;
  return cSparseWin;
}
