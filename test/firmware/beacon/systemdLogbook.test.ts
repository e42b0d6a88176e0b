// Issue 16: `install-service --service logbook` generates the entrance logbook's unit (it was a manual
// copy-and-edit of the beacon unit in docs/raspberry-pi.md), with its own adapter brought up and the
// logbook readable by the service's group.
import { describe, expect, it } from 'vitest';
import { cli } from '../../helpers/cli.ts';

const line = (unit: string, key: string) => unit.split('\n').filter((l) => l.startsWith(`${key}=`));

describe('install-service --service logbook', () => {
  it('runs `scan` on hci1, brings hci1 up, and writes group-readable files', async () => {
    const r = await cli('beacon', 'install-service', '--service', 'logbook', '--exec', '/usr/bin/bluezone');
    expect(r.code, r.stderr).toBe(0);
    expect(line(r.stdout, 'ExecStart')).toEqual(['ExecStart=/usr/bin/bluezone scan --config /etc/bluezone/beacon.yaml --state-dir /var/lib/bluezone']);
    expect(line(r.stdout, 'ExecStartPre')).toEqual(['ExecStartPre=-/usr/bin/hciconfig hci1 up']);
    expect(r.stdout).toContain('After=bluetooth.target sys-subsystem-bluetooth-devices-hci1.device');
    expect(line(r.stdout, 'UMask')).toEqual(['UMask=0027']);
    expect(line(r.stdout, 'StateDirectoryMode')).toEqual(['StateDirectoryMode=0750']);
    expect(line(r.stdout, 'Description')[0]).toMatch(/logbook/);
  });

  it('leaves the beacon unit running `beacon start` on hci0 with private files, and refuses an unknown service', async () => {
    const b = await cli('beacon', 'install-service');
    expect(line(b.stdout, 'ExecStart')[0]).toContain(' beacon start --config ');
    expect(line(b.stdout, 'ExecStartPre')).toEqual(['ExecStartPre=-/usr/bin/hciconfig hci0 up']);
    expect(line(b.stdout, 'UMask')).toEqual(['UMask=0077']);
    const both = await cli('beacon', 'install-service', '--service', 'logbook', '--adapter', 'hci2');
    expect(line(both.stdout, 'ExecStartPre')).toEqual(['ExecStartPre=-/usr/bin/hciconfig hci2 up']);
    const bad = await cli('beacon', 'install-service', '--service', 'printer');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--service/);
  });
});
