// The generated unit (issue 18 items 7 and 10): paths systemd would ignore are refused, and
// `systemd-analyze security` rates the unit at most 3.5 (skipped where systemd-analyze is missing).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderSystemdUnit, type UnitOptions } from '../../../firmware/beacon/systemd.ts';
import { cli, tempDirs } from '../../helpers/cli.ts';

const tmp = tempDirs('bz-unit-');
const base: UnitOptions = { user: 'bluezone', configFile: '/etc/bluezone/beacon.yaml', stateDir: '/var/lib/bluezone', adapter: 'hci0', exec: '/usr/local/bin/bluezone' };
const hasAnalyze = spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status === 0;

describe('systemd unit paths', () => {
  it('--state-dir /var/lib/../../etc exits 2 naming the fix (it exited 0 with a unit systemd ignores)', async () => {
    const r = await cli('beacon', 'install-service', '--state-dir', '/var/lib/../../etc');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('--state-dir: "/var/lib/../../etc" is not a normalised path');
    expect(r.stderr).toContain('use "/etc" if that is what you meant');
  });

  it('refuses ".", "..", "//", a trailing / and specials in every path option', () => {
    for (const bad of ['/var/lib/./bz', '/var/lib//bz', '/var/lib/bz/', '/var/lib/bz/..', 'var/lib/bz', '/var/lib/b z', '/var/lib/%h', '/var/lib/b"z']) {
      for (const k of ['stateDir', 'configFile', 'exec'] as const) {
        expect(() => renderSystemdUnit({ ...base, [k]: bad }), `${k}=${bad}`).toThrow(/--(state-dir|config|exec)/);
      }
    }
    expect(renderSystemdUnit({ ...base, stateDir: '/var/lib/bz/beacon-1' })).toContain('StateDirectory=bz/beacon-1\n');
  });

  it('every hardening directive has a comment above its group', () => {
    const svc = renderSystemdUnit(base).split('[Service]')[1].split('[Install]')[0].split('\n');
    const from = svc.findIndex((l) => l.startsWith('AmbientCapabilities='));
    let commented = false;
    for (const l of svc.slice(from - 1)) {
      if (l.startsWith('#')) commented = true;
      else if (l === '') commented = false;
      else expect(commented, l).toBe(true);
    }
  });
});

describe.skipIf(!hasAnalyze)('systemd-analyze security', () => {
  it('rates the unit at most 3.5 (it was 5.2 MEDIUM)', () => {
    const f = join(tmp(), 'bluezone-beacon.service');
    writeFileSync(f, renderSystemdUnit(base));
    const r = spawnSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', f], { encoding: 'utf8' });
    const m = /Overall exposure level for bluezone-beacon\.service: ([\d.]+)/.exec(r.stdout + r.stderr);
    expect(m, r.stdout + r.stderr).not.toBeNull();
    expect(Number(m![1])).toBeLessThanOrEqual(3.5);
  });
});
