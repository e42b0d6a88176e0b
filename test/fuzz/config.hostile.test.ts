// Found by the fuzz run (issue 18): YAML that parses but cannot be resolved (an alias without its
// anchor, an alias bomb) threw a ReferenceError out of the config loader, so the CLI exited 1 with a
// stack trace hint instead of 2 with the file name.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBeaconConfig } from '../../firmware/beacon/config.ts';
import { BeaconInputError } from '../../firmware/beacon/errors.ts';
import { cli, tempDirs } from '../helpers/cli.ts';

const tmp = tempDirs('bz-cfg-');
const BOMB = 'a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n';

describe('beacon config: unresolvable YAML', () => {
  it('an alias without its anchor and an alias bomb are BeaconInputErrors naming the file', () => {
    expect(() => parseBeaconConfig('*#v0/g', 'b.yaml')).toThrow(BeaconInputError);
    expect(() => parseBeaconConfig('*#v0/g', 'b.yaml')).toThrow(/^b\.yaml: not valid YAML\/JSON: Unresolved alias/);
    expect(() => parseBeaconConfig(BOMB, 'b.yaml')).toThrow(/^b\.yaml: not valid YAML\/JSON: Excessive alias count/);
  });

  it('beacon config --check exits 2', async () => {
    const f = join(tmp(), 'bomb.yaml');
    writeFileSync(f, BOMB);
    const r = await cli('beacon', 'config', '--check', f);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${f}: not valid YAML/JSON: Excessive alias count`);
  });
});
