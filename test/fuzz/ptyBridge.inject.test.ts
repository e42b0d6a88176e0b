// Issue 18 item 8: socat parses ",", ":" and "!!" inside its address arguments, so a --link path could
// inject options or a second address (exec:...). Such paths are refused before socat starts.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSocatSafe, onPath } from '../../firmware/hci/ptyBridge.ts';
import { cli, tempDirs } from '../helpers/cli.ts';

const tmp = tempDirs('bz-inject-');

describe('socat address injection', () => {
  it('refuses link paths and hosts with socat syntax, lets plain ones through', () => {
    for (const p of ['/tmp/x!!exec:sleep 77', '/tmp/a,b', '/tmp/a:b', '/tmp/a b', "/tmp/a'b", '/tmp/a"b', '/tmp/a\\b', '/tmp/a{b}', '/tmp/a%b']) {
      expect(() => checkSocatSafe(p, '127.0.0.1'), p).toThrow(/--link .*may hold only/);
    }
    expect(() => checkSocatSafe('/tmp/bz-beacon.pty', '127.0.0.1,fork')).toThrow(/--host/);
    expect(() => checkSocatSafe('/tmp/bz_beacon-1.pty', 'localhost')).not.toThrow();
  });

  it.skipIf(!onPath('socat'))("air pty --bridge socat --link '/tmp/x!!exec:...' exits 2 and starts nothing", async () => {
    const d = tmp();
    const marker = join(d, 'ran');
    // The link's "directory" must exist, or the path is refused for that reason instead.
    mkdirSync(`${d}/x!!exec:touch ${d}`, { recursive: true });
    const r = await cli('air', 'pty', '--port', '7001', '--bridge', 'socat', '--link', `${d}/x!!exec:touch ${marker}`);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('with --bridge socat the path may hold only');
    await new Promise((res) => setTimeout(res, 300));
    expect(existsSync(marker)).toBe(false);
  });
});
