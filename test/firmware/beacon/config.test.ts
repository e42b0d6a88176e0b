import { describe, expect, it } from 'vitest';
import { applyOverrides, BeaconConfigSchema, DEFAULTS_YAML, defaultConfig, parseBeaconConfig } from '../../../firmware/beacon/config.ts';

describe('beacon config', () => {
  it('the printed defaults parse to exactly the schema defaults', () => {
    expect(parseBeaconConfig(DEFAULTS_YAML, 'defaults.yaml')).toEqual(defaultConfig());
    expect(defaultConfig()).toMatchObject({ hci: 'native:0', advertising: { interval_ms: 100, ibeacon: { enabled: false } }, logbook: { dedup_ms: 5000 } });
  });

  it('accepts JSON and partial files', () => {
    const c = parseBeaconConfig('{"hci": "uart:/dev/ttyACM0", "advertising": {"interval_ms": 152.5}}', 'b.json');
    expect(c.hci).toBe('uart:/dev/ttyACM0');
    expect(c.advertising.interval_ms).toBe(152.5);
    expect(c.state_dir).toBe('/var/lib/bluezone');
  });

  it('names file, line, field path and what was expected', () => {
    const text = 'state_dir: /tmp/x\nadvertising:\n  interval_ms: 5\n';
    expect(() => parseBeaconConfig(text, 'beacon.yaml')).toThrow(/^beacon\.yaml:3: field advertising\.interval_ms: expected at least 20 ms/);
    expect(() => parseBeaconConfig('advertising:\n  interval_ms: 100.1\n', 'b.yaml')).toThrow(/multiple of 0\.625 ms/);
    expect(() => parseBeaconConfig('hci: hci0\n', 'b.yaml')).toThrow(/b\.yaml:1: field hci: expected native:N .* or uart:PATH/);
    expect(() => parseBeaconConfig('advertsing:\n  interval_ms: 100\n', 'b.yaml')).toThrow(/unknown field\(s\) "advertsing"/);
    expect(() => parseBeaconConfig('log_level: loud\n', 'b.yaml')).toThrow(/field log_level: expected one of error, warn, info, debug/);
    expect(() => parseBeaconConfig('advertising: [1, 2\n', 'b.yaml')).toThrow(/^b\.yaml:\d+:\d+: not valid YAML/);
    expect(() => parseBeaconConfig('- 1\n', 'b.yaml')).toThrow(/expected a mapping/);
  });

  it('command-line flags override the file and are validated with the flag name', () => {
    const c = applyOverrides(defaultConfig(), { stateDir: '/srv/bz', hci: 'native:2', intervalMs: '200' });
    expect(c).toMatchObject({ state_dir: '/srv/bz', hci: 'native:2', advertising: { interval_ms: 200 } });
    expect(() => applyOverrides(defaultConfig(), { intervalMs: '5' })).toThrow(/^--interval-ms: expected at least 20 ms/);
    expect(() => applyOverrides(defaultConfig(), { hci: 'bogus' })).toThrow(/^--hci: expected native:N/);
  });

  it('the schema rejects a back-off cap below its start', () => {
    expect(() => parseBeaconConfig('watchdog:\n  backoff_initial_ms: 5000\n  backoff_max_ms: 1000\n', 'w.yaml')).toThrow(/backoff_max_ms/);
    expect(BeaconConfigSchema.safeParse({ extra: 1 }).success).toBe(false);
  });
});
