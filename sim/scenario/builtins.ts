// Built-in scenarios, runnable by name: `bluezone sim run lobby`. Each is a plain scenario object, the
// same shape as a YAML file (sim/scenario/schema.ts); `bluezone sim show NAME` prints it as YAML.
import type { ScenarioInput } from './schema.ts';

export interface Builtin {
  summary: string;
  scenario: ScenarioInput;
}

const lobby: ScenarioInput = {
  name: 'lobby',
  description:
    'Agency entrance hall: 2 Pi beacons (door, reception), staff arriving 07:30-08:20 and walking through to the offices, ' +
    'visitors all day queueing at reception (1 m spacing) then waiting on seats. Default 1 h; --duration 10h for the day.',
  seed: 1,
  start: '2026-03-02T07:30:00Z',
  duration: '1h',
  tick: '1s',
  environment: 'lobby',
  area: { width: 30, height: 20 },
  rooms: [
    { name: 'entrance hall', x: 0, y: 0, width: 30, height: 20 },
    { name: 'reception', x: 10, y: 13, width: 8, height: 5 },
    { name: 'waiting area', x: 19, y: 2, width: 9, height: 7 },
  ],
  beacons: [
    { name: 'beacon-door', x: 1, y: 11.5, intervalMs: 200, txPowerDbm: 0, scan: true },
    { name: 'beacon-reception', x: 14, y: 17.5, intervalMs: 200, txPowerDbm: 0, scan: true },
  ],
  places: {
    entrance: { point: [0.5, 10], jitterM: 0.5 },
    offices: { point: [29.5, 10], jitterM: 0.5 },
    'reception-staff': { points: [[12.5, 17.5], [15.5, 17.5]] },
    'reception-queue': { line: { x: 14, y: 14.5, dx: 0, dy: -1, spacingM: 1 } },
    'guard-post': { point: [2, 8.5], jitterM: 0 },
    waiting: { seats: { x: 19.5, y: 2.5, width: 8, height: 6, spacingM: 1.2 } },
  },
  groups: [
    { name: 'receptionists', count: 2, arrive: { between: ['07:30', '07:35'] }, plan: [{ sit: 'reception-staff' }] },
    { name: 'guard', count: 1, arrive: { at: '07:30' }, plan: [{ stand: 'guard-post' }] },
    {
      name: 'staff',
      count: 30,
      arrive: { between: ['07:35', '08:20'] },
      exit: 'offices',
      plan: [],
    },
    {
      name: 'visitors',
      count: 220,
      arrive: { between: ['07:40', '16:30'] },
      plan: [{ queue: 'reception-queue', service: ['1m', '4m'] }, { sit: 'waiting', for: ['5m', '25m'] }],
    },
    {
      name: 'appointments',
      count: 60,
      arrive: { between: ['07:40', '16:00'] },
      exit: 'offices',
      plan: [{ queue: 'reception-queue', service: ['30s', '2m'] }, { sit: 'waiting', for: ['2m', '10m'] }],
    },
  ],
};

const office: ScenarioInput = {
  name: 'office',
  description:
    'Open-plan office: desks on a 2 m grid, a 12-person team meeting 09:00-10:00 in the meeting room, people walking ' +
    'the corridor all day. Default 2 h.',
  seed: 1,
  start: '2026-03-02T08:00:00Z',
  duration: '2h',
  tick: '1s',
  environment: 'office',
  area: { width: 40, height: 20 },
  rooms: [
    { name: 'open plan', x: 0, y: 0, width: 29, height: 16 },
    { name: 'meeting room', x: 30, y: 0, width: 10, height: 10 },
    { name: 'corridor', x: 0, y: 16, width: 40, height: 4 },
  ],
  beacons: [{ name: 'beacon-office', x: 1, y: 18.5, intervalMs: 200, txPowerDbm: 0, scan: true }],
  places: {
    entrance: { point: [0.5, 18], jitterM: 0.5 },
    'corridor-east': { point: [39.5, 18], jitterM: 0.5 },
    desks: { seats: { x: 3, y: 2, width: 24, height: 12, spacingM: 2 } },
    'meeting-room': { seats: { x: 31, y: 1, width: 8, height: 4, spacingM: 1.3 } },
    kitchen: { area: { x: 20, y: 16.5, width: 6, height: 3 } },
  },
  groups: [
    {
      name: 'desk-workers',
      count: 44,
      arrive: { between: ['08:00', '08:50'] },
      plan: [{ sit: 'desks', until: '09:30' }, { wander: 'kitchen', for: ['3m', '10m'] }, { sit: 'desks' }],
    },
    {
      name: 'team',
      count: 12,
      arrive: { between: ['08:00', '08:45'] },
      plan: [{ sit: 'desks', until: '09:00' }, { sit: 'meeting-room', until: '10:00' }, { sit: 'desks' }],
    },
    {
      name: 'corridor-passers',
      count: 120,
      arrive: { between: ['08:00', '17:00'] },
      exit: 'corridor-east',
      plan: [],
    },
  ],
};

const queue: ScenarioInput = {
  name: 'queue',
  description:
    'A line at a service counter, people ~1 m apart: 12 already waiting at the start, about 60 more arriving per hour, ' +
    'served in 40-90 s. Default 30 min.',
  seed: 1,
  start: '2026-03-02T09:00:00Z',
  duration: '30m',
  tick: '1s',
  environment: 'lobby',
  area: { width: 30, height: 8 },
  rooms: [{ name: 'hall', x: 0, y: 0, width: 30, height: 8 }],
  beacons: [{ name: 'beacon-counter', x: 1, y: 5, intervalMs: 200, txPowerDbm: 0, scan: true }],
  places: {
    entrance: { point: [29.5, 6], jitterM: 0.5 },
    exit: { point: [15, 0.5], jitterM: 0.5 },
    counter: { line: { x: 2, y: 4, dx: 1, dy: 0, spacingM: 1 } },
    'line-start': { area: { x: 2, y: 3.5, width: 12, height: 1 } },
  },
  groups: [
    {
      name: 'waiting',
      count: 12,
      arrive: { at: '+0s' },
      spawn: 'line-start',
      exit: 'exit',
      plan: [{ queue: 'counter', service: ['40s', '90s'] }],
    },
    {
      name: 'arrivals',
      count: 40,
      arrive: { between: ['+0s', '+40m'] },
      exit: 'exit',
      plan: [{ queue: 'counter', service: ['40s', '90s'] }],
    },
  ],
};

const cityBlock: ScenarioInput = {
  name: 'city-block',
  description:
    'A 1 km x 1 km city block: 10 000 people walking the streets, a few shop beacons. Short by default (5 s: about 10^8 pair evaluations); ' +
    'scale with --devices (10^4 to 10^5) and --duration.',
  seed: 1,
  start: '2026-03-02T10:00:00Z',
  duration: '5s',
  tick: '1s',
  environment: 'outdoor',
  // A crowded street: bodies and buildings block line of sight, so log-distance n is about 3 (NLOS,
  // radio-model.md 2.1) rather than free space.
  channel: { exponent: 3 },
  area: { width: 1000, height: 1000 },
  rooms: [],
  logging: 'app',
  beacons: Array.from({ length: 8 }, (_, i) => ({
    name: `beacon-shop-${i + 1}`,
    x: 100 + 100 * i,
    y: 500 + (i % 2 ? 20 : -20),
    intervalMs: 200,
    txPowerDbm: -12,
    scan: false,
  })),
  places: {
    entrance: { point: [0.5, 500], jitterM: 1 },
    streets: { area: { x: 0, y: 0, width: 1000, height: 1000 } },
  },
  groups: [
    {
      name: 'pedestrians',
      count: 10_000,
      arrive: { at: '+0s' },
      spawn: 'streets',
      plan: [{ wander: 'streets' }],
    },
  ],
};

export const BUILTIN_SCENARIOS: Record<string, Builtin> = {
  lobby: { summary: 'agency entrance: 2 Pi beacons, staff mornings, visitors queue at reception (1 h)', scenario: lobby },
  office: { summary: 'open-plan office: desks 2 m apart, a meeting, corridor passes (2 h)', scenario: office },
  queue: { summary: 'a line at a counter, ~1 m spacing (30 min)', scenario: queue },
  'city-block': { summary: '10^4 phones in 1 km^2 (5 s; --devices up to 10^5, --duration)', scenario: cityBlock },
};

/** The scenario `bluezone sim run` uses with no argument. */
export const DEFAULT_SCENARIO = 'lobby';
