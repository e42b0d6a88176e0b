import { cli, spawnCli } from '../helpers/cli.ts';
import { describe, expect, it } from 'vitest';

const ANDROID = '0201020FFFB522B9A665D754FE65E665D76A450303564E'; // bluezone-protocol.md 2.1
const IBEACON = '1AFF4C000215C7AFEF7B17884F4AA87D691D53BF21C400140014C5'; // 2.2

describe('bluezone advert (shared/docs/interfaces.md "Identifiers and frames")', () => {
  it('the binary builds the 2.1 frame and refuses malformed data with the byte offset', async () => {
    const [build, bad] = await Promise.all([spawnCli('advert', 'build', '--id', 'B9A665D754FE65E665D76A45'), spawnCli('advert', 'decode', '0201020FFFB522')]);
    expect(build).toEqual({ code: 0, stdout: `${ANDROID}\n`, stderr: '' });
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/malformed advertising data at byte offset 3: AD structure at offset 3 has length 15 but only 3 bytes follow/);
  });

  it('decode --json: Android frame with id', async () => {
    const r = await cli('advert', 'decode', '02 01 02 0F FF B5 22 B9 A6 65 D7 54 FE 65 E6 65 D7 6A 45 03 03 56 4E', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      kind: 'bluezone-android',
      id: 'B9A665D754FE65E665D76A45',
      length: 23,
      significant_length: 23,
      structures: [
        { type: 'flags', flags: 2, offset: 0, size: 3 },
        { type: 'manufacturer', companyId: '0x22B5', data: 'B9A665D754FE65E665D76A45', offset: 3, size: 16 },
        { type: 'uuid16', complete: true, uuids: ['0x4E56'], offset: 19, size: 4 },
      ],
    });
  });

  it('decode: iBeacon, iOS, overflow and unknown kinds; text output names kind and id', async () => {
    const kind = async (hex: string) => JSON.parse((await cli('advert', 'decode', hex, '--json')).stdout).kind;
    expect(await kind(IBEACON)).toBe('ibeacon');
    expect(await kind('020106110767A607ADD1172FA1C44BF573564E00000909426C75657A6F6E65')).toBe('bluezone-ios');
    expect(await kind('14FF4C0001080000000000000000000000000000000000')).toBe('bluezone-ios-overflow');
    expect(await kind('020106')).toBe('unknown');
    expect(await kind('')).toBe('unknown');
    const text = await cli('advert', 'decode', ANDROID);
    expect(text.stdout).toMatch(/^kind: bluezone-android\nid: B9A665D754FE65E665D76A45\n/);
    expect(text.stdout).toMatch(/@3 +manufacturer +companyId=0x22B5 data=B9A665D754FE65E665D76A45/);
  });

  it('decode refuses bad hex naming the character offset', async () => {
    const r = await cli('advert', 'decode', '0201zz');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/invalid hex character "z" at offset 4/);
  });

  it('build --ibeacon/--ios/--json and bad ids', async () => {
    expect((await cli('advert', 'build', '--id', 'B9A665D754FE65E665D76A45', '--ibeacon')).stdout).toBe(`${ANDROID}\n${IBEACON}\n`);
    expect(JSON.parse((await cli('advert', 'build', '--id', 'b9a665d754fe65e665d76a45', '--ibeacon', '--ios', '--json')).stdout)).toEqual({
      android: ANDROID,
      ibeacon: IBEACON,
      ios: '020106110767A607ADD1172FA1C44BF573564E00000909426C75657A6F6E65',
    });
    const short = await cli('advert', 'build', '--id', 'B9A665D754FE65E665D76A');
    expect([short.code, short.stderr]).toEqual([2, expect.stringMatching(/--id: expected 12 bytes/)]);
    expect((await cli('advert', 'build')).code).toBe(2);
  });
});
