// Scenario file format (YAML or JSON), validated with zod. docs/simulator.md "Scenario files" shows an example.
import { z } from 'zod';
import { parseDuration } from './units.ts';

const duration = z
  .union([z.number(), z.string()])
  .transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected a duration like "90s", "15m" or "1h30m", got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return ms;
  });

/** A fixed duration or a [min, max] range drawn uniformly per person. */
const durationRange = z.union([duration.transform((ms) => [ms, ms] as [number, number]), z.tuple([duration, duration])]).refine(
  ([a, b]) => a <= b,
  { message: 'expected [min, max] with min <= max' },
);

const moment = z
  .string()
  .regex(/^(\+.+|\d{1,2}:\d{2}(:\d{2})?)$/, 'expected a UTC clock time "HH:MM" or an offset from the start like "+10m"');

const coord = z.number().finite();
const rect = { x: coord, y: coord, width: z.number().positive(), height: z.number().positive() };

const fractions = (keys: readonly string[]) =>
  z
    .record(z.string(), z.number().min(0))
    .superRefine((r, ctx) => {
      for (const k of Object.keys(r)) {
        if (!keys.includes(k)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [k], message: `unknown key "${k}", expected one of ${keys.join(', ')}` });
      }
      const sum = Object.values(r).reduce((a, b) => a + b, 0);
      if (!(sum > 0)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'expected fractions that add up to more than 0' });
    });

export const PlaceSchema = z.union([
  z.object({ point: z.tuple([coord, coord]), jitterM: z.number().min(0).default(0.3) }).strict(),
  z.object({ area: z.object(rect).strict() }).strict(),
  z.object({ seats: z.object({ ...rect, spacingM: z.number().positive().default(2) }).strict() }).strict(),
  z.object({ points: z.array(z.tuple([coord, coord])).min(1) }).strict(),
  z
    .object({
      // Queue: the head stands at (x, y); the line extends along (dx, dy) at spacingM.
      line: z.object({ x: coord, y: coord, dx: coord, dy: coord, spacingM: z.number().positive().default(1) }).strict(),
    })
    .strict(),
]);

const dwell = { for: durationRange.optional(), until: moment.optional() };
export const StepSchema = z.union([
  z.object({ sit: z.string(), ...dwell }).strict(),
  z.object({ stand: z.string(), ...dwell }).strict(),
  z.object({ wander: z.string(), ...dwell }).strict(),
  z.object({ walk: z.string() }).strict(),
  z.object({ queue: z.string(), service: durationRange }).strict(),
]);

export const GroupSchema = z
  .object({
    name: z.string().min(1),
    count: z.number().int().min(0),
    /** Share of people with the app on an Android phone, an iPhone, or no phone. */
    phones: fractions(['android', 'ios', 'none']).default({ android: 0.7, ios: 0.3 }),
    carriage: fractions(['hand', 'pocket', 'bag']).default({ hand: 0.3, pocket: 0.5, bag: 0.2 }),
    /**
     * The contact-tracing app on the group's phones: "bluezone" (the real mix: Android and iOS schedules
     * below) or "gaen" (Exposure Notifications: the scenario's `gaen` schedule on either platform).
     */
    app: z.enum(['bluezone', 'gaen']).default('bluezone'),
    arrive: z.union([z.object({ between: z.tuple([moment, moment]) }).strict(), z.object({ at: moment }).strict()]),
    /** Where people appear (default "entrance"); an area spreads them over it. */
    spawn: z.string().optional(),
    /** Where they leave from after the plan (default: spawn). */
    exit: z.string().optional(),
    speedMps: z.number().positive().max(10).default(1.3),
    plan: z.array(StepSchema).default([]),
  })
  .strict();

export const BeaconSchema = z
  .object({
    name: z.string().min(1),
    x: coord,
    y: coord,
    /** advInterval, 20 ms to 10.24 s (Core Spec Vol 6 Part B 4.4.2.2). */
    intervalMs: z.number().min(20).max(10240).default(200),
    txPowerDbm: z.number().min(-40).max(20).default(0),
    scan: z.boolean().default(true),
    scanWindowMs: z.number().min(2.5).max(1000).default(100),
    scanIntervalMs: z.number().min(2.5).max(10240).default(100),
  })
  .strict()
  .refine((b) => b.scanWindowMs <= b.scanIntervalMs, { message: 'scanWindowMs must be <= scanIntervalMs', path: ['scanWindowMs'] });

export const ScenarioSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    seed: z.number().int().min(0).max(0xffffffff).default(1),
    /** Simulated start, ISO 8601 UTC. */
    start: z
      .string()
      .refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO 8601 time like "2026-03-02T08:00:00Z"')
      .default('2026-03-02T08:00:00Z'),
    duration: duration.default('1h'),
    /** Mobility and ground-truth step. Radio timing inside a tick is in exact microseconds. */
    tick: duration.refine((ms) => ms >= 100 && ms <= 10_000, 'tick must be between 100ms and 10s').default('1s'),
    /** Channel environment name (sim/channel/params.ts ENVIRONMENTS). */
    environment: z.string().default('lobby'),
    /** Overrides of the channel parameters (sim/channel/params.ts ChannelParams). */
    channel: z.record(z.string(), z.number()).default({}),
    area: z.object({ width: z.number().positive(), height: z.number().positive() }).strict(),
    rooms: z.array(z.object({ name: z.string(), ...rect }).strict()).default([]),
    /**
     * What receivers log: "app" = Bluezone's rule, one row per peer ID per 5 s (bluezone-protocol.md 4.3);
     * "all" = every received advertisement (large).
     */
    logging: z.enum(['app', 'all']).default('app'),
    android: z
      .object({
        advIntervalMs: z.number().min(20).max(10240).default(100),
        advOnMs: duration.default('15s'),
        advOffMs: duration.default('15s'),
        scanOnMs: duration.default('40s'),
        scanOffMs: duration.default('260s'),
        scanWindowMs: z.number().min(2.5).max(1000).default(100),
        scanIntervalMs: z.number().min(2.5).max(10240).default(100),
      })
      .strict()
      .default({}),
    ios: z
      .object({
        advIntervalMs: z.number().min(20).max(10240).default(211.25),
        scanWindowMs: z.number().min(2.5).max(1000).default(150),
        scanEveryMs: z.tuple([duration, duration]).default(['2s', '4s']),
        /**
         * Android phones and beacons read an iPhone's ID over GATT (bluezone-protocol.md 3.1; the model in
         * sim/engine/connections.ts, docs/simulator.md "iOS GATT reads"). On by default, as Android Bluezone
         * does; enabled: false logs iPhones at every advert as if their ID were in it (the older model).
         */
        gatt: z
          .object({
            enabled: z.boolean().default(true),
            connectChance: z.number().min(0).max(1).default(0.9),
            answerChance: z.number().min(0).max(1).default(0.95),
            timeoutMs: z.number().min(100).max(60_000).default(10_000),
            readMs: z.tuple([z.number().min(1), z.number().min(1)]).refine(([a, b]) => a <= b, 'expected [min, max] with min <= max').default([112, 420]),
            connIntervalMs: z.number().min(7.5).max(4000).default(7.5),
          })
          .strict()
          .default({}),
      })
      .strict()
      .default({}),
    /**
     * Exposure Notifications (peers-and-radio-facts.md, GAEN): advertises continuously every 200-270 ms
     * (one interval per phone, drawn in the range) and scans about 4 s every 3.5-5 min (one period per
     * phone, drawn in the range; real phones vary it from scan to scan). For groups with app "gaen".
     */
    gaen: z
      .object({
        advIntervalMs: z.tuple([z.number().min(20).max(10240), z.number().min(20).max(10240)]).default([200, 270]),
        scanOnMs: duration.default('4s'),
        scanEveryMs: z.tuple([duration, duration]).default(['210s', '300s']),
        scanWindowMs: z.number().min(2.5).max(1000).default(100),
        scanIntervalMs: z.number().min(2.5).max(10240).default(100),
      })
      .strict()
      .default({}),
    beacons: z.array(BeaconSchema).default([]),
    places: z.record(z.string(), PlaceSchema).default({}),
    groups: z.array(GroupSchema).default([]),
  })
  .strict()
  .superRefine((s, ctx) => {
    const names = new Set<string>();
    s.beacons.forEach((b, i) => {
      if (names.has(b.name)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['beacons', i, 'name'], message: `duplicate name "${b.name}"` });
      names.add(b.name);
    });
    s.groups.forEach((g, gi) => {
      const check = (place: string | undefined, path: (string | number)[], kinds?: string[]) => {
        if (place === undefined) return;
        const p = s.places[place];
        if (!p) {
          const known = Object.keys(s.places).join(', ') || '(none)';
          ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['groups', gi, ...path], message: `unknown place "${place}", known: ${known}` });
          return;
        }
        const kind = Object.keys(p).find((k) => k !== 'jitterM')!;
        if (kinds && !kinds.includes(kind)) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['groups', gi, ...path], message: `place "${place}" is a ${kind}, expected a ${kinds.join(' or ')}` });
        }
      };
      const spawn = g.spawn ?? 'entrance';
      if (g.count > 0) check(spawn, ['spawn']);
      check(g.exit, ['exit']);
      g.plan.forEach((st, si) => {
        if ('sit' in st) check(st.sit, ['plan', si, 'sit'], ['seats', 'points']);
        else if ('stand' in st) check(st.stand, ['plan', si, 'stand']);
        else if ('wander' in st) check(st.wander, ['plan', si, 'wander'], ['area']);
        else if ('walk' in st) check(st.walk, ['plan', si, 'walk']);
        else check(st.queue, ['plan', si, 'queue'], ['line']);
      });
    });
  });

export type Scenario = z.output<typeof ScenarioSchema>;
export type ScenarioInput = z.input<typeof ScenarioSchema>;
export type Place = z.output<typeof PlaceSchema>;
export type Step = z.output<typeof StepSchema>;
export type Group = z.output<typeof GroupSchema>;
