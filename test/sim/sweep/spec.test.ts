// The sweep file (sim/sweep/spec.ts): job order and ids, parameters applied to the scenario, errors that
// name the file, line and field, and no crash on arbitrary bytes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expandJobs, jobScenario, parseSweepText, SweepError } from '../../../sim/sweep/spec.ts';

const FILE = `name: t
scenarios: [queue, lobby]
seeds: {from: 5, count: 2}
params:
  devices: [10, 20]
  channel.exponent: [2, 2.5]
`;

describe('sweep spec', () => {
  it('expands scenario x seed x grid with the last key fastest, ids from the file hash', () => {
    const spec = parseSweepText(FILE, 'dir/t.yaml');
    const jobs = expandJobs(spec);
    expect(jobs).toHaveLength(16);
    expect(jobs.slice(0, 5).map((j) => [j.scenario, j.seed, j.params.devices, j.params['channel.exponent']])).toEqual([
      ['queue', 5, 10, 2], ['queue', 5, 10, 2.5], ['queue', 5, 20, 2], ['queue', 5, 20, 2.5], ['queue', 6, 10, 2],
    ]);
    expect(jobs[15].id).toBe(`${spec.hash}-00015`);
    expect(parseSweepText(FILE, 'other.yaml').hash).toBe(spec.hash);
    expect(parseSweepText(FILE + '# changed\n', 'dir/t.yaml').hash).not.toBe(spec.hash);
  });

  it('sets scenario fields and run options from the parameters', () => {
    const spec = parseSweepText('scenarios: [queue]\nparams:\n  duration: 2m\n  environment: [office]\n  channel.exponent: [2.7]\n  devices: [30]\n', 'x.yaml');
    const r = jobScenario(expandJobs(spec)[0]);
    expect(r.durationMs).toBe(120_000);
    expect(r.devices).toBe(30);
    expect(r.scenario.environment).toBe('office');
    expect(r.scenario.channel.exponent).toBe(2.7);
    expect(r.scenario.name).toBe('queue');
  });

  it('names the file, line and field of a bad value', () => {
    expect(() => parseSweepText('scenarios: [queue]\nseeds: [1, -2]\n', 's.yaml')).toThrow(/^s\.yaml:2: seeds\.1: expected an integer/);
    expect(() => parseSweepText('scenarios: [queue]\nparams:\n  duration: [10m, soon]\n', 's.yaml')).toThrow(/s\.yaml:3: params\.duration\.1: expected a duration/);
    expect(() => parseSweepText('scenario: [queue]\n', 's.yaml')).toThrow(/scenario: unknown field/);
    expect(() => parseSweepText('scenarios: [queue]\nparams:\n  seed: [1]\n', 's.yaml')).toThrow(/use seeds/);
    expect(() => parseSweepText('scenarios: [queue\n', 's.yaml')).toThrow(/s\.yaml:\d+:\d+: not valid YAML/);
    // an alias without its anchor: toJS throws a ReferenceError, which was reported as an internal error (exit 1)
    expect(() => parseSweepText('scenarios: *a\n', 's.yaml')).toThrow(SweepError);
    expect(() => parseSweepText('scenarios: *a\n', 's.yaml')).toThrow(/^s\.yaml: not valid YAML\/JSON: Unresolved alias/);
    // a scenario field the schema rejects: named with the job
    const bad = expandJobs(parseSweepText('scenarios: [queue]\nparams:\n  logging: [sometimes]\n', 's.yaml'))[0];
    expect(() => jobScenario(bad)).toThrow(/job 0: invalid scenario.*logging/s);
    expect(() => jobScenario(expandJobs(parseSweepText('scenarios: [nowhere]\n', 's.yaml'))[0])).toThrow(SweepError);
  });

  it('never crashes on arbitrary text: a SweepError or a spec', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('seeds: {from: 1, count: 1e9}\nscenarios: [a]', 'scenarios: *x', 'params: []', '[1,2]', 'scenarios: [queue]\nparams: {a: [{}]}')), (t) => {
        try {
          parseSweepText(t, 'f.yaml');
        } catch (e) {
          expect(e).toBeInstanceOf(SweepError);
        }
      }),
      { numRuns: 300 },
    );
  });
});
