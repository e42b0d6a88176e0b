// Fused engine (engine.ts), memory layout: every pointer and scalar of the config block that the JS side
// (sim/engine/wasmEngine.ts) builds and setup.ts reads, the record layouts' constants and the counters.
// Data only: pointers are byte addresses of arrays the JS side allocates above heapBase() (kernel.ts).

// ---- layout: pointers and scalars, set once by setup() from a Float64 config block ----
export let pX: usize = 0; // f32[nDev] positions (m)
export let pY: usize = 0;
export let pHx: usize = 0; // f32[nDev] facing unit vector
export let pHy: usize = 0;
export let pActive: usize = 0; // u8[nDev]
export let pCarriage: usize = 0; // u8[nDev] 0 hand 1 pocket 2 bag 3 fixed
export let pReachTx: usize = 0; // f32[nDev]
export let pReachRx: usize = 0; // f32[nDev]
export let pRxCorr: usize = 0; // f32[nDev]
export let pTxPow: usize = 0; // f32[nDev]
export let pAir: usize = 0; // i32[nDev] packet airtime (us)
export let pEvSpan: usize = 0; // i32[nDev] advertising event span (us)
export let pEvOff: usize = 0; // i32[nDev + 1] events of device d: [evOff[d], evOff[d + 1])
export let pEvStart: usize = 0; // f64[evCap] event start (us)
export let pEvId: usize = 0; // u32[evCap]
export let pCellStart: usize = 0; // i32[nCells + 1] uniform grid (grid.ts)
export let pItems: usize = 0; // i32[nDev]
// per grid item (pItems order, buildGrid), what gather()'s geometry reads of its device: +0 f32 x, +4 y,
// +8 hx, +12 hy, +16 reachTx, +20 u32 carriage, +24 i32 device. Read in order instead of six arrays at
// random device ids (at 10^5 phones those arrays outgrow the L2 cache and each candidate missed six times)
export let pGeo: usize = 0;
export const GEO_SHIFT: usize = 5;
export let pLoud: usize = 0; // i32[nLoud] transmitters every scanner checks
export let pBody: usize = 0; // f32[4 * BODY_BINS] body loss by carriage and facing cosine
export let pCand: usize = 0; // i32[nDev] scratch
export let pNbTx: usize = 0; // i32[nDev] neighbours of the current scanner
export let pNbDist: usize = 0; // f32[nDev]
export let pNbStatic: usize = 0; // f32[nDev] static loss (dB)
export let pNbCur: usize = 0; // i32[nDev] cursor into the neighbour's events
export let pNbEnd: usize = 0; // i32[nDev]
// per neighbour slot: received power before fading (r1: tx - path loss - static + pair offset; r2: r1 +
// shadowing of epoch nbEp), the fading hash prefix, the shadowing hash prefix, and the far-table offset.
// What every packet reads (r2, epoch, fading prefix, far offset) shares one 16-byte record per slot
// (pNbR2 + 0, pNbEp = pNbR2 + 4, pNbHF = + 8, pNbFar = + 12; slot q at q << NB_SHIFT): one cache line
// instead of four per packet (at 10^5 phones the slots outgrow the L2 cache and each array missed)
export const NB_SHIFT: usize = 4;
export let pNbR1: usize = 0; // f32
export let pNbR2: usize = 0; // f32 (record)
export let pNbEp: usize = 0; // u32 (record), NO_EPOCH until the first packet
export let pNbHF: usize = 0; // u32 (record)
export let pNbHS: usize = 0; // u32
export let pNbFar: usize = 0; // u32 (record) 0 or FADE_N (Rayleigh half of the fade table)
// candidates of a neighbour-event window before sorting (capacity evCap)
export let pCQ: usize = 0; // i32 neighbour slot
export let pCStart: usize = 0; // f64 packet start (us)
export let pCOk: usize = 0; // u8 packet lies inside the window
export let pCP: usize = 0; // f32 received power (dBm)
export let pKey: usize = 0; // f64 sort keys
// A packet record (REC bytes): +0 f64 start (us), +8 f64 end, +16 i32 transmitter, +20 u32 advertising
// event id (buildPackets), or +24 i32 neighbour slot (a neighbour-event window's own records in pSR);
// +28 u32 1 when no other packet of the tick on its channel overlaps it in time (buildPackets; 0 in pSR).
// One base pointer and constant offsets keep the walk's address arithmetic short.
// A window's packets in start order are records (the channel's, or pSR's); pSP holds each one's received
// power (-Infinity out of reach), pRC the positions of those that may be received (inside the window, at
// or above sensitivity)
export let pSR: usize = 0; // records
export let pSP: usize = 0; // f32
export let pRC: usize = 0; // i32
// receptions of the last window, in start order
export let pRTx: usize = 0; // i32
export let pRT: usize = 0; // f64 start (us)
export let pRP: usize = 0; // f32 power (dBm)
export let pRD: usize = 0; // f32 distance (m)
export let pFade: usize = 0;
// the tick's packet records per channel sorted by start (buildPackets): channel c at records
// [c * pkCap, c * pkCap + pkN[c])
export let pPk: usize = 0;
export const REC_SHIFT: usize = 5;
export let pBucket: usize = 0; // i32[maxBuckets + 1]
// the tick's events sorted by start (buildPackets): start, device, event id
export let pESt: usize = 0; // f64
export let pEDev: usize = 0; // i32
export let pEId: usize = 0; // u32
// per transmitter, an 8-byte record (one cache line read per packet, not two): +0 i32 stamp, +4 i32
// neighbour slot (pNbIdx = pNbStamp + 4), valid where the stamp equals gather()'s
export const SI_SHIFT: usize = 3;
export let pNbIdx: usize = 0;
export let pNbStamp: usize = 0;
export let pkCap: i32 = 0;
export let maxBuckets: i32 = 1;
// the app's logging rule (run.ts record), when the engine applies it: pLast != 0
export let pKind: usize = 0; // u8[nDev] 0 android 1 ios 2 beacon
// u32[nDev * nDev] last logged time per rx * nDev + tx: lastBase + v - 1 (us), 0 = never or long ago.
// Half the bytes of an f64 table (rows of a scanner stay in cache across ticks); exact because every
// time is a whole microsecond (run.ts applies the rule itself otherwise)
export let pLast: usize = 0;
export let lastBase: f64 = 0;
// v fits while ps - lastBase < 2^32 - 1; rebased well before that (4e9 us; tests set it small)
export let lastSpan: f64 = 4.0e9;
export let pRLog: usize = 0; // u8 per reception: logged by the app
export let logAll: bool = false;
export let emitAll: bool = true; // false: only logged receptions are written out
// linear power table (sim/engine/capture.ts)
export let pLin: usize = 0; // f64[linN]
export let linN: i32 = 1;
export let capLin: f64 = 1;

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
export let pPair: usize = 0;
export const PAIR_SHIFT: usize = 5;
export const PAIR_OK: u32 = 1;
export const PAIR_OUT: u32 = 2;

export let nLoud: i32 = 0;
export let nDevices: i32 = 0;
export let gridNx: i32 = 1;
export let gridNy: i32 = 1;
export let cellM: f64 = 1;
export let normalReach: f64 = 0;
export let maxAir: f64 = 0;
export let maxEvSpan: f64 = 0;
export let hopGap: f64 = 0;
export let epochUs: f64 = 1;
export let sensDbm: f64 = 0;
export let interfFloorDb: f64 = 0;
// kernel scalars (f32, as the JS side passes them to evaluate)
export let kSeedState: u32 = 0;
export let kPl1m: f32 = 0;
export let kSlopeNear: f32 = 0;
export let kSlopeFar: f32 = 0;
export let kLog2Break: f32 = 0;
export let kSp: f32 = 0;
export let kSs: f32 = 0;
export let kBreak: f32 = 0;
export let kMinD: f32 = 0;
export let kIhScale: f32 = 0;

// counters since setup (counter() reads them; f64: they pass 2^31 in long runs)
export let cPairs: f64 = 0;
export let cSens: f64 = 0;
export let cHd: f64 = 0;
export let cCol: f64 = 0;
export let cRec: f64 = 0;
export let cDenseWin: f64 = 0;
export let cSparseWin: f64 = 0;
// candidates whose collision test the running sums decided, and those left to the exact walk (resolve.ts)
export let cSumFast: f64 = 0;
export let cSumWalk: f64 = 0;

// running interference sums (resolve.ts): f64[evCap + 1] prefix sums of a window's linear powers; the
// shortest airtime (us); 0 auto, 1 always, 2 never (tests: both give the same decisions)
export let pPre: usize = 0;
export let minAir: f64 = 0;
export let sumMode: i32 = 0;

// the least f32 at or above sensDbm: for an f32 power p, p >= sens32 exactly when p >= sensDbm
export let sens32: f32 = 0;
// bits of the least f32 at or above the interference floor (linIf)
export let floorBits: i32 = 0;

// pBody: per carriage, BODY_BINS losses over the facing cosine -1 .. 1 (bin = round((cos + 1) * BODY_HALF))
export const BODY_BINS: i32 = 1025;
export const BODY_HALF: f64 = 512;
// pNbEp of a neighbour slot whose shadowing term is not computed yet
export const NO_EPOCH: u32 = 0xffffffff;

// ---- the tick's positions (devices.ts loadTick) ----
export let pStX: usize = 0; // f32[nDev] staged positions and facings of the next tick
export let pStY: usize = 0;
export let pStHx: usize = 0;
export let pStHy: usize = 0;
export let pAct: usize = 0; // i32[nDev] present devices, ascending
export let pLoudFlag: usize = 0; // u8[nDev] 1: a loud transmitter (outside the grid, every scanner checks it)
export let pMoved: usize = 0; // u8[nDev] present device arrived or moved this tick (valid where present)

// Time index of the tick's packet lists: PK_BUCKETS buckets over [t0, t1) per channel; entry b of a
// channel holds how many of its packets lie in the buckets before b, so the first packet starting at or
// after t is found from entry pkBucket(t) by a short scan (pkBucket never decreases with t)
export const PK_BUCKETS: i32 = 512;
export let pPkIdx: usize = 0; // i32[3 * (PK_BUCKETS + 1)]

// ---- the scanners (scan.ts) and the tick's output ----
export let pScanMode: usize = 0; // u8[nDev] 0 none, 1 periodic (Pi; Android inside its sessions), 2 iOS (jittered)
export let pScanWin: usize = 0; // i32[nDev] scan window (us)
export let pScanInt: usize = 0; // i32[nDev] scan interval (us)
export let pScanOn: usize = 0; // f64[nDev] Android scan session length (us)
export let pScanCycle: usize = 0; // f64[nDev] Android scan session period (us), 0: none
export let pScanPhase: usize = 0; // f64[nDev]
export let pScanJit: usize = 0; // i32[nDev] iOS window start jitter span (us)
export let pChOff: usize = 0; // u8[nDev] channel rotation offset
export let scanIntegral: bool = false; // every scan schedule time is a whole microsecond
// the tick's receptions (pRTx ...) and the windows that have any: scanner, start, end, first reception
export let outCap: i32 = 0;
export let outBase: i32 = 0; // the current window's first reception (scanTick)
export let pWR: usize = 0; // i32
export let pWS: usize = 0; // f64
export let pWE: usize = 0; // f64
export let pWQ: usize = 0; // i32, one more than the windows

// ---- contact truth (truth.ts): pairs a < b of present devices within truthM, on a grid of truthM cells ----
export let tNx: i32 = 1;
export let tNy: i32 = 1;
export let tCellM: f64 = 2;
export let pTCellStart: usize = 0; // i32[tNx * tNy + 1]
export let pTCellOf: usize = 0; // i32[nDev]
export let pTItems: usize = 0; // i32[nDev + 4]
export let pTIX: usize = 0; // f64[nDev + 4] the items' positions
export let pTIY: usize = 0;
export let pTA: usize = 0; // i32[pairs + 4] output: a
export let pTB: usize = 0; // i32[pairs + 4] output: b
export let pTA2: usize = 0; // i32[pairs + 4] the kept pairs
export let pTB2: usize = 0;
export let pTNA: usize = 0; // i32[pairs + 4] the pairs found again, with their keys (f64)
export let pTNB: usize = 0;
export let pTNK: usize = 0;
export let pTCellD: usize = 0; // i32[nDev] truth-grid cell of each present device

// ---- advertising events (events.ts) ----
export let pNextEv: usize = 0; // f64[nDev] next event start (us)
export let pPrevEv: usize = 0; // f64[nDev] last event start, -Infinity when none
export let pPrevId: usize = 0; // u32[nDev]
export let pEvCount: usize = 0; // u32[nDev] events drawn so far (the event id)
export let pDelayH: usize = 0; // u32[nDev] advDelay hash prefix
export let pAdvInt: usize = 0; // i32[nDev] advInterval (us)
export let pAdvOn: usize = 0; // f64[nDev] 0: always on
export let pAdvCycle: usize = 0; // f64[nDev]
export let pAdvPhase: usize = 0; // f64[nDev]
export let pWasActive: usize = 0; // u8[nDev] present in the tick before
export let evSeed: u32 = 0;
export let evIntegral: bool = false; // every schedule time is a whole number of microseconds
