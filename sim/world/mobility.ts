// People moving through a scenario: arrive, walk, queue, sit, wander, leave. State is struct-of-arrays
// (Float32Array x/y/heading) updated once per tick; every random choice is a counter-based hash of
// (seed, person, purpose, counter), so positions do not depend on evaluation order.
import { hash32, uniform01 } from '../kernel/rng.ts';
import type { Group, Place, Scenario, Step } from '../scenario/schema.ts';
import { parseMoment } from '../scenario/units.ts';

export const ABSENT = 0;
export const MOVING = 1;
export const DWELL = 2;
export const QUEUED = 3;
export const LEAVING = 4;
export const GONE = 5;

/** Salt of the mobility hash stream, so it never coincides with radio draws. */
const SALT = 0x6d6f6231; // "mob1"
const P_ARRIVE = 1, P_SPEED = 2, P_SPAWN = 3, P_TARGET = 4, P_DWELL = 5, P_SEAT = 6, P_FACE = 7, P_JIT = 8, P_JIT2 = 9;

type CompiledPlace =
  | { kind: 'point'; x: number; y: number; jitter: number }
  | { kind: 'area'; x: number; y: number; w: number; h: number }
  | { kind: 'seats'; xs: Float32Array; ys: Float32Array; owner: Int32Array }
  | { kind: 'line'; x: number; y: number; ux: number; uy: number; spacing: number; members: number[]; serveUntil: number };

interface CompiledStep {
  kind: 'sit' | 'stand' | 'wander' | 'walk' | 'queue';
  place: number;
  forMs?: [number, number];
  untilMs?: number;
  serviceMs?: [number, number];
}

function compilePlace(p: Place): CompiledPlace {
  if ('point' in p) return { kind: 'point', x: p.point[0], y: p.point[1], jitter: p.jitterM };
  if ('area' in p) return { kind: 'area', x: p.area.x, y: p.area.y, w: p.area.width, h: p.area.height };
  if ('seats' in p) {
    const s = p.seats;
    const nx = Math.max(1, Math.floor(s.width / s.spacingM) + 1);
    const ny = Math.max(1, Math.floor(s.height / s.spacingM) + 1);
    const xs = new Float32Array(nx * ny);
    const ys = new Float32Array(nx * ny);
    for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
      xs[j * nx + i] = s.x + i * s.spacingM;
      ys[j * nx + i] = s.y + j * s.spacingM;
    }
    return { kind: 'seats', xs, ys, owner: new Int32Array(nx * ny).fill(-1) };
  }
  if ('points' in p) {
    return { kind: 'seats', xs: Float32Array.from(p.points.map((q) => q[0])), ys: Float32Array.from(p.points.map((q) => q[1])), owner: new Int32Array(p.points.length).fill(-1) };
  }
  const l = p.line;
  const norm = Math.hypot(l.dx, l.dy) || 1;
  return { kind: 'line', x: l.x, y: l.y, ux: l.dx / norm, uy: l.dy / norm, spacing: l.spacingM, members: [], serveUntil: -1 };
}

/** Counts per group after --scale/--devices. */
export function scaledCounts(s: Scenario, scale: number): number[] {
  return s.groups.map((g) => Math.max(0, Math.round(g.count * scale)));
}

export class Mobility {
  readonly n: number;
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly heading: Float32Array;
  readonly state: Uint8Array;
  readonly group: Uint16Array;
  readonly indexInGroup: Uint32Array;
  readonly arriveMs: Float64Array;
  private readonly speed: Float32Array;
  private readonly tx: Float32Array;
  private readonly ty: Float32Array;
  private readonly stepIdx: Int16Array;
  private readonly dwellEnd: Float64Array;
  private readonly deadline: Float64Array;
  private readonly draws: Uint32Array;
  private readonly arrived: Uint8Array;
  private readonly places: CompiledPlace[];
  private readonly placeIndex: Map<string, number>;
  private readonly plans: CompiledStep[][];
  private readonly spawn: number[];
  private readonly exit: number[];
  /** Seat held per (person, seats place): key person * nPlaces + place. Kept until the person leaves. */
  private readonly seatOf = new Map<number, number>();
  private readonly lines: number[] = [];

  constructor(
    private readonly scenario: Scenario,
    counts: number[],
    private readonly seed: number,
  ) {
    const startMs = Date.parse(scenario.start);
    this.placeIndex = new Map(Object.keys(scenario.places).map((k, i) => [k, i]));
    this.places = Object.values(scenario.places).map(compilePlace);
    this.places.forEach((p, i) => p.kind === 'line' && this.lines.push(i));
    const pidx = (name: string) => this.placeIndex.get(name)!;
    this.plans = scenario.groups.map((g) => g.plan.map((st) => compileStep(st, pidx, startMs)));
    this.spawn = scenario.groups.map((g) => (this.placeIndex.has(g.spawn ?? 'entrance') ? pidx(g.spawn ?? 'entrance') : -1));
    this.exit = scenario.groups.map((g, i) => (g.exit ? pidx(g.exit) : this.spawn[i]));
    const n = counts.reduce((a, b) => a + b, 0);
    this.n = n;
    this.x = new Float32Array(n);
    this.y = new Float32Array(n);
    this.heading = new Float32Array(n);
    this.state = new Uint8Array(n);
    this.group = new Uint16Array(n);
    this.indexInGroup = new Uint32Array(n);
    this.arriveMs = new Float64Array(n);
    this.speed = new Float32Array(n);
    this.tx = new Float32Array(n);
    this.ty = new Float32Array(n);
    this.stepIdx = new Int16Array(n);
    this.dwellEnd = new Float64Array(n);
    this.deadline = new Float64Array(n);
    this.draws = new Uint32Array(n);
    this.arrived = new Uint8Array(n);
    let p = 0;
    scenario.groups.forEach((g, gi) => {
      const [a, b] = arrivalWindow(g, startMs);
      for (let k = 0; k < counts[gi]; k++, p++) {
        this.group[p] = gi;
        this.indexInGroup[p] = k;
        this.arriveMs[p] = Math.round(a + (b - a) * this.u(p, P_ARRIVE, 0));
        this.speed[p] = g.speedMps * (0.85 + 0.3 * this.u(p, P_SPEED, 0));
      }
    });
  }

  private u(p: number, purpose: number, k: number): number {
    return uniform01(hash32(this.seed, SALT, p, purpose, k));
  }

  private next(p: number): number {
    return this.draws[p]++;
  }

  /** A point of a place for person p (seats are handled by takeSeat). */
  private pointIn(p: number, place: number, out: { x: number; y: number }): void {
    const pl = this.places[place];
    const k = this.next(p);
    if (pl.kind === 'point') {
      const r = pl.jitter * Math.sqrt(this.u(p, P_JIT, k));
      const a = 2 * Math.PI * this.u(p, P_JIT2, k);
      out.x = pl.x + r * Math.cos(a);
      out.y = pl.y + r * Math.sin(a);
    } else if (pl.kind === 'area') {
      out.x = pl.x + pl.w * this.u(p, P_TARGET, k);
      out.y = pl.y + pl.h * this.u(p, P_JIT, k);
    } else if (pl.kind === 'seats') {
      const i = Math.floor(this.u(p, P_TARGET, k) * pl.xs.length);
      out.x = pl.xs[i];
      out.y = pl.ys[i];
    } else {
      out.x = pl.x;
      out.y = pl.y;
    }
  }

  /** Own seat if held, else the first free one from a hashed start; -1 when all are taken. */
  private takeSeat(p: number, place: number): number {
    const key = p * this.places.length + place;
    const held = this.seatOf.get(key);
    if (held !== undefined) return held;
    const pl = this.places[place] as Extract<CompiledPlace, { kind: 'seats' }>;
    const n = pl.owner.length;
    const s0 = Math.floor(this.u(p, P_SEAT, place) * n);
    for (let i = 0; i < n; i++) {
      const s = (s0 + i) % n;
      if (pl.owner[s] < 0) {
        pl.owner[s] = p;
        this.seatOf.set(key, s);
        return s;
      }
    }
    return -1;
  }

  private releaseSeats(p: number): void {
    for (let place = 0; place < this.places.length; place++) {
      const key = p * this.places.length + place;
      const s = this.seatOf.get(key);
      if (s === undefined) continue;
      (this.places[place] as Extract<CompiledPlace, { kind: 'seats' }>).owner[s] = -1;
      this.seatOf.delete(key);
    }
  }

  private readonly tmp = { x: 0, y: 0 };

  private beginStep(p: number, i: number, t: number): void {
    const plan = this.plans[this.group[p]];
    for (;;) {
      this.stepIdx[p] = i;
      this.arrived[p] = 0;
      if (i >= plan.length) {
        const ex = this.exit[this.group[p]];
        this.state[p] = LEAVING;
        this.pointIn(p, ex, this.tmp);
        this.tx[p] = this.tmp.x;
        this.ty[p] = this.tmp.y;
        return;
      }
      const st = plan[i];
      this.deadline[p] = st.untilMs ?? Infinity;
      if (this.deadline[p] <= t) {
        i++;
        continue;
      }
      this.dwellEnd[p] = Infinity;
      if (st.kind === 'queue') {
        const l = this.places[st.place] as Extract<CompiledPlace, { kind: 'line' }>;
        l.members.push(p);
        this.state[p] = QUEUED;
        this.lineTarget(l, l.members.length - 1);
        return;
      }
      if (st.kind === 'sit') {
        const pl = this.places[st.place] as Extract<CompiledPlace, { kind: 'seats' }>;
        const s = this.takeSeat(p, st.place);
        if (s >= 0) {
          this.tmp.x = pl.xs[s];
          this.tmp.y = pl.ys[s];
        } else this.pointIn(p, st.place, this.tmp); // all taken: stand near a random seat
      } else this.pointIn(p, st.place, this.tmp);
      this.tx[p] = this.tmp.x;
      this.ty[p] = this.tmp.y;
      this.state[p] = MOVING;
      return;
    }
  }

  private lineTarget(l: Extract<CompiledPlace, { kind: 'line' }>, k: number): void {
    const p = l.members[k];
    this.tx[p] = l.x + k * l.spacing * l.ux;
    this.ty[p] = l.y + k * l.spacing * l.uy;
  }

  /** Moves p toward its target; returns true when there. */
  private move(p: number, dtMs: number): boolean {
    const dx = this.tx[p] - this.x[p];
    const dy = this.ty[p] - this.y[p];
    const d = Math.hypot(dx, dy);
    const step = (this.speed[p] * dtMs) / 1000;
    if (d <= step) {
      this.x[p] = this.tx[p];
      this.y[p] = this.ty[p];
      return true;
    }
    this.x[p] += (dx / d) * step;
    this.y[p] += (dy / d) * step;
    this.heading[p] = Math.atan2(dy, dx);
    return false;
  }

  private drawRange(p: number, r: [number, number]): number {
    return r[0] + Math.round((r[1] - r[0]) * this.u(p, P_DWELL, this.next(p)));
  }

  /** Advances everyone to sim time t (ms from the start), dt ms after the previous call. */
  step(t: number, dtMs: number): void {
    for (let p = 0; p < this.n; p++) {
      const st = this.state[p];
      if (st === GONE) continue;
      if (st === ABSENT) {
        if (t < this.arriveMs[p]) continue;
        const sp = this.spawn[this.group[p]];
        this.pointIn(p, sp, this.tmp);
        this.x[p] = this.tmp.x;
        this.y[p] = this.tmp.y;
        this.heading[p] = 2 * Math.PI * this.u(p, P_FACE, 0);
        this.beginStep(p, 0, t);
        continue;
      }
      if (st === LEAVING) {
        if (this.move(p, dtMs)) {
          this.state[p] = GONE;
          this.releaseSeats(p);
        }
        continue;
      }
      if (st === QUEUED) {
        this.move(p, dtMs);
        continue;
      }
      const stp = this.plans[this.group[p]][this.stepIdx[p]];
      if (t >= this.deadline[p]) {
        this.beginStep(p, this.stepIdx[p] + 1, t);
        continue;
      }
      if (st === MOVING) {
        if (this.move(p, dtMs)) {
          if (stp.kind === 'walk') {
            this.beginStep(p, this.stepIdx[p] + 1, t);
            continue;
          }
          this.state[p] = DWELL;
          if (stp.kind === 'sit' || stp.kind === 'stand') this.heading[p] = 2 * Math.PI * this.u(p, P_FACE, this.next(p));
          const end = stp.forMs ? t + this.drawRange(p, stp.forMs) : Infinity;
          this.dwellEnd[p] = Math.min(end, this.deadline[p]);
        }
        continue;
      }
      // DWELL
      if (t >= this.dwellEnd[p]) {
        this.beginStep(p, this.stepIdx[p] + 1, t);
        continue;
      }
      if (stp.kind === 'wander' && this.move(p, dtMs * 0.5)) {
        this.pointIn(p, stp.place, this.tmp);
        this.tx[p] = this.tmp.x;
        this.ty[p] = this.tmp.y;
      }
    }
    this.serveLines(t);
  }

  /** The head of each line is served for its drawn service time once it stands at the counter. */
  private serveLines(t: number): void {
    for (const li of this.lines) {
      const l = this.places[li] as Extract<CompiledPlace, { kind: 'line' }>;
      if (!l.members.length) continue;
      const h = l.members[0];
      const there = Math.hypot(this.x[h] - l.x, this.y[h] - l.y) < 0.05;
      if (l.serveUntil < 0) {
        if (there) {
          const stp = this.plans[this.group[h]][this.stepIdx[h]];
          l.serveUntil = t + this.drawRange(h, stp.serviceMs!);
          this.heading[h] = Math.atan2(-l.uy, -l.ux);
        }
        continue;
      }
      if (t < l.serveUntil) continue;
      l.members.shift();
      l.serveUntil = -1;
      this.beginStep(h, this.stepIdx[h] + 1, t);
      for (let k = 0; k < l.members.length; k++) this.lineTarget(l, k);
    }
  }

  /** True while the person is in the scenario area (arrived and not yet gone). */
  present(p: number): boolean {
    const s = this.state[p];
    return s !== ABSENT && s !== GONE;
  }

  /** Floor-plan rectangles of the places, for the report. */
  placeNames(): string[] {
    return [...this.placeIndex.keys()];
  }
}

function arrivalWindow(g: Group, startMs: number): [number, number] {
  if ('at' in g.arrive) {
    const t = parseMoment(g.arrive.at, startMs)!;
    return [t, t];
  }
  const a = parseMoment(g.arrive.between[0], startMs)!;
  const b = parseMoment(g.arrive.between[1], startMs)!;
  return a <= b ? [a, b] : [b, a];
}

function compileStep(st: Step, pidx: (n: string) => number, startMs: number): CompiledStep {
  const until = 'until' in st && st.until ? parseMoment(st.until, startMs) : undefined;
  const forMs = 'for' in st ? st.for : undefined;
  if ('sit' in st) return { kind: 'sit', place: pidx(st.sit), forMs, untilMs: until };
  if ('stand' in st) return { kind: 'stand', place: pidx(st.stand), forMs, untilMs: until };
  if ('wander' in st) return { kind: 'wander', place: pidx(st.wander), forMs, untilMs: until };
  if ('walk' in st) return { kind: 'walk', place: pidx(st.walk) };
  return { kind: 'queue', place: pidx(st.queue), serviceMs: st.service };
}
