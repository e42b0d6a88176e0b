// Commands whose product modules load in the action (issue 16) must load them in every action: the
// in-process tests share one module graph per file, so an action that forgot only fails as the first
// command of a fresh process. These run the real binary once each.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnCli, tempDirs } from '../helpers/cli.ts';

const tmp = tempDirs('bz-fresh-');

describe('first command of a fresh process', () => {
  it('fleet revoke loads the fleet database modules itself', async () => {
    const db = join(tmp(), 'fleet');
    const r = await spawnCli('fleet', 'revoke', '--db', db, '--beacon', 'pi-nope');
    expect([r.code, r.stderr.split('\n')[0]]).toEqual([2, `error: no beacon "pi-nope" enrolled in ${db}`]);
  }, 60_000);
});
