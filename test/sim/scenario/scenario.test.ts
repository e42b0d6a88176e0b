import { describe, expect, it } from 'vitest';
import { builtinNames, loadScenario, parseScenarioText, ScenarioError } from '../../../sim/scenario/load.ts';
import { parseDuration, parseMoment } from '../../../sim/scenario/units.ts';

const ok = `
name: tiny
area: {width: 10, height: 10}
places:
  entrance: {point: [0, 5]}
  seats: {seats: {x: 2, y: 2, width: 4, height: 4, spacingM: 2}}
groups:
  - name: people
    count: 3
    arrive: {at: "+0s"}
    plan: [{sit: seats, for: 5m}]
`;

function errorOf(text: string, file = 'f.yaml'): ScenarioError {
  try {
    parseScenarioText(text, file);
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error('expected a ScenarioError');
}

describe('scenario files', () => {
  it('every built-in validates and names itself', () => {
    expect(builtinNames()).toEqual(expect.arrayContaining(['lobby', 'office', 'queue', 'city-block']));
    for (const n of builtinNames()) expect(loadScenario(n).name).toBe(n);
  });

  it('applies defaults (seed 1, 1 h, app logging, Bluezone Android timing)', () => {
    const s = parseScenarioText(ok, 'ok.yaml');
    expect(s.seed).toBe(1);
    expect(s.duration).toBe(3_600_000);
    expect(s.logging).toBe('app');
    expect(s.android).toMatchObject({ advIntervalMs: 100, advOnMs: 15_000, advOffMs: 15_000, scanOnMs: 40_000, scanOffMs: 260_000 });
    expect(s.groups[0].plan[0]).toEqual({ sit: 'seats', for: [300_000, 300_000] });
  });

  it('JSON is accepted too', () => {
    const s = parseScenarioText(JSON.stringify({ name: 'j', area: { width: 5, height: 5 } }), 'x.json');
    expect(s.name).toBe('j');
  });

  it('errors name the file, the line, the field path and what was expected', () => {
    const e = errorOf(ok.replace('height: 10}', 'height: -1}').replace('count: 3', 'count: three'), 'bad.yaml');
    expect(e.message).toMatch(/bad\.yaml:3: area\.height: Number must be greater than 0/);
    expect(e.message).toMatch(/bad\.yaml:9: groups\[0\]\.count: expected number, got string/);
  });

  it('unknown places, wrong place kinds and bad durations are reported with their path', () => {
    let e = errorOf(ok.replace('{sit: seats, for: 5m}', '{sit: nowhere}'));
    expect(e.message).toMatch(/groups\[0\]\.plan\[0\]\.sit: unknown place "nowhere", known: entrance, seats/);
    e = errorOf(ok.replace('{sit: seats, for: 5m}', '{queue: seats, service: 1m}'));
    expect(e.message).toMatch(/groups\[0\]\.plan\[0\]\.queue: place "seats" is a seats, expected a line/);
    e = errorOf(ok.replace('for: 5m', 'for: soon'));
    expect(e.message).toMatch(/plan\[0\].*expected a duration like "90s"/);
    e = errorOf(ok + 'bogus: 1\n');
    expect(e.message).toMatch(/unknown field\(s\) "bogus"/);
  });

  it('syntax errors give line and column', () => {
    const e = errorOf('name: x\narea: {width: 1\n', 's.yaml');
    expect(e.message).toMatch(/^s\.yaml:\d+:\d+: not valid YAML\/JSON/);
  });

  it('an alias without its anchor is a ScenarioError naming the file (was an internal error, exit 1)', () => {
    const e = errorOf('name: x\narea: *a\n', 's.yaml');
    expect(e.message).toMatch(/^s\.yaml: not valid YAML\/JSON: Unresolved alias/);
  });

  it('unknown built-in names list the built-ins', () => {
    expect(() => loadScenario('lobbyy')).toThrow(/unknown built-in scenario "lobbyy" \(built-ins: lobby, office, queue, city-block\)/);
  });
});

describe('durations and moments', () => {
  it('parses durations', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration(2)).toBe(2000);
    expect(parseDuration('10')).toBe(10_000);
    expect(parseDuration('1x')).toBeUndefined();
    expect(parseDuration('m')).toBeUndefined();
    expect(parseDuration('5m trailing')).toBeUndefined();
  });
  it('parses clock times on the start day and offsets', () => {
    const start = Date.parse('2026-03-02T07:30:00Z');
    expect(parseMoment('08:00', start)).toBe(30 * 60_000);
    expect(parseMoment('07:00', start)).toBe(0);
    expect(parseMoment('+10m', start)).toBe(600_000);
    expect(parseMoment('8h', start)).toBeUndefined();
  });
});
