// bluezone advert decode|build: Bluezone advertising data (bluezone-protocol.md 2; docs/interfaces.md
// "Identifiers and frames"). Thin: the codec lives in firmware/protocol/ad.ts and frames.ts.
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { printJson } from '../context.ts';
import { UsageError } from '../errors.ts';
import type { ParsedAdStructure } from '../../firmware/protocol/ad.ts';
import { HexError, fromHex, fromHexExact, toHex } from '../../firmware/protocol/hex.ts';
import { ID_BYTES } from '../../firmware/protocol/keys.ts';

// The AD parser and frame builders load when an action runs, not for --help (issue 16).
let { adStructureToJson, parseAdvertisingData } = {} as typeof import('../../firmware/protocol/ad.ts');
let { buildAndroidFrame, buildIBeaconFrame, buildIosFrame, classifyStructures } = {} as typeof import('../../firmware/protocol/frames.ts');
async function loadModules(): Promise<void> {
  ({ adStructureToJson, parseAdvertisingData } = await import('../../firmware/protocol/ad.ts'));
  ({ buildAndroidFrame, buildIBeaconFrame, buildIosFrame, classifyStructures } = await import('../../firmware/protocol/frames.ts'));
}

function describeStructure(s: ParsedAdStructure): string {
  const j = adStructureToJson(s);
  const { type: _t, offset: _o, size: _s, ...rest } = j;
  const fields = Object.entries(rest)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : typeof v === 'string' && k === 'name' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
  return `  @${String(s.offset).padEnd(3)} ${s.type.padEnd(14)} ${fields}`.trimEnd();
}

export function registerAdvert(program: Command, ctx: CliContext): void {
  const advert = program
    .command('advert')
    .description('decode or build Bluezone advertising data')
    .addHelpText('after', '\nExamples:\n  $ npx bluezone advert decode 0201020FFFB522B9A665D754FE65E665D76A450303564E\n  $ npx bluezone advert build --id B9A665D754FE65E665D76A45\n');

  advert
    .command('decode')
    .description('print the AD structures of advertising data and what kind of advert it is')
    .argument('<hex>', 'advertising data as hex (spaces or colons between bytes allowed)')
    .option('--json', 'print {kind, id?, structures, ...} as JSON')
    .addHelpText(
      'after',
      `
kind is one of: bluezone-android (with id), bluezone-ios, bluezone-ios-overflow, ibeacon, unknown.
Malformed data exits with code 2 and names the byte offset of the fault.

Examples:
  $ npx bluezone advert decode "02 01 02 0F FF B5 22 B9 A6 65 D7 54 FE 65 E6 65 D7 6A 45 03 03 56 4E"
  $ npx bluezone advert decode 1AFF4C000215C7AFEF7B17884F4AA87D691D53BF21C400140014C5 --json
`,
    )
    .action(async (hex: string, o: { json?: boolean }) => {
      await loadModules();
      let bytes: Uint8Array;
      try {
        bytes = fromHex(hex, 'advertising data');
      } catch (e) {
        throw new UsageError(`${(e as HexError).message} (character offset in the argument)`);
      }
      const r = parseAdvertisingData(bytes);
      if (!r.ok) {
        throw new UsageError(`malformed advertising data at byte offset ${r.error.offset}: ${r.error.message} [${r.error.code}]`);
      }
      const c = classifyStructures(r.structures);
      const padding = bytes.length - r.significantLength;
      if (o.json) {
        printJson(ctx, {
          kind: c.kind,
          ...(c.id ? { id: toHex(c.id) } : {}),
          ...(c.ibeacon ? { ibeacon: c.ibeacon } : {}),
          length: bytes.length,
          significant_length: r.significantLength,
          structures: r.structures.map(adStructureToJson),
        });
        return;
      }
      const lines = [`kind: ${c.kind}`];
      if (c.id) lines.push(`id: ${toHex(c.id)}`);
      if (c.ibeacon) lines.push(`ibeacon: uuid=${c.ibeacon.uuid} major=${c.ibeacon.major} minor=${c.ibeacon.minor} measured_power=${c.ibeacon.measuredPower}${c.ibeacon.bluezone ? ' (Bluezone auxiliary beacon)' : ''}`);
      lines.push(`length: ${bytes.length} bytes${padding > 0 ? ` (${padding} after the zero-length terminator ignored)` : ''}`);
      lines.push('structures:');
      for (const s of r.structures) lines.push(describeStructure(s));
      ctx.out.write(lines.join('\n') + '\n');
    });

  advert
    .command('build')
    .description('print the Android-style Bluezone advertising frame for an ID as hex (bluezone-protocol.md 2.1)')
    .option('--id <hex>', 'BluezoneID, 24 hex digits')
    .option('--ibeacon', 'also print the auxiliary iBeacon frame (2.2) on a second line')
    .option('--ios', 'also print the iOS-style frame (128-bit UUID + name "Bluezone", 2.3) on another line')
    .option('--json', 'print {android, ibeacon?, ios?} as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ npx bluezone advert build --id B9A665D754FE65E665D76A45
  0201020FFFB522B9A665D754FE65E665D76A450303564E
  $ npx bluezone advert build --id B9A665D754FE65E665D76A45 --ibeacon --json
`,
    )
    .action(async (o: { id?: string; ibeacon?: boolean; ios?: boolean; json?: boolean }) => {
      await loadModules();
      if (o.id === undefined) throw new UsageError('--id is missing', 'give the 24-hex BluezoneID, e.g. from `bluezone id`');
      let id: Uint8Array;
      try {
        id = fromHexExact(o.id, ID_BYTES, '--id');
      } catch (e) {
        throw new UsageError((e as HexError).message);
      }
      const frames: Record<string, string> = { android: toHex(buildAndroidFrame(id)) };
      if (o.ibeacon) frames.ibeacon = toHex(buildIBeaconFrame());
      if (o.ios) frames.ios = toHex(buildIosFrame());
      if (o.json) printJson(ctx, frames);
      else ctx.out.write(Object.values(frames).join('\n') + '\n');
    });
}
