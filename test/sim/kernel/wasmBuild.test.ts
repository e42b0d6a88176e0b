import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WASM_PATH } from '../../../sim/kernel/wasmKernel.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

describe('committed kernel.wasm', () => {
  it('is what `npm run build:wasm` produces from sim/kernel/assembly/ (kernel and engine)', async () => {
    const pkg = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8'));
    const args: string[] = pkg.scripts['build:wasm'].split(/\s+/).slice(1);
    const oi = args.indexOf('-o');
    args[oi + 1] = 'built.wasm';
    const asc = (await import('assemblyscript/asc')).default;
    let built: Uint8Array | undefined;
    const { error, stderr } = await asc.main(args, {
      readFile: (name: string, baseDir: string) => {
        try {
          return readFileSync(`${ROOT}/${baseDir}/${name}`.replace(/\/\.\//g, '/'), 'utf8');
        } catch {
          return null;
        }
      },
      writeFile: (name: string, contents: Uint8Array | string) => {
        if (name.endsWith('.wasm')) built = contents as Uint8Array;
      },
      listFiles: () => [],
    });
    expect(error, String(stderr)).toBeFalsy();
    expect(built).toBeDefined();
    const committed = new Uint8Array(readFileSync(WASM_PATH));
    expect(Buffer.from(built!).equals(Buffer.from(committed)), 'sim/kernel/kernel.wasm is stale: run npm run build:wasm').toBe(true);
  });
});
