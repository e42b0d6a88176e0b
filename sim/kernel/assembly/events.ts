// Fused engine, advertising events (run.ts): per present device, the events whose packets may start in
// the tick (genEvents), with advDelay and Android's 15 s on / 15 s off.
import { absorb1, finish1 } from './kernel';
import {
  evIntegral, evSeed, nDevices, pAct, pAdvCycle, pAdvInt, pAdvOn, pAdvPhase, pDelayH, pEvCount, pEvId, pEvOff,
  pEvSpan, pEvStart, pNextEv, pPrevEv, pPrevId, pWasActive, pkCap,
} from './layout';
import { hash32 } from './common';
import { nAct } from './devices';

export let cAdvEvents: f64 = 0; // events drawn since setup (advEvents)
export let nActiveTx: i32 = 0; // devices with an event in the tick (gather weighs its candidates against it)

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
