import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('documentation', () => {
  it('every relative link in README.md and docs/ resolves, with its heading, and none points outside the package', async () => {
    const r = await new Promise<{ code: number; err: string }>((res) =>
      execFile(process.execPath, ['--import', 'tsx', 'scripts/check-doc-links.ts'], { cwd: ROOT }, (e, _o, err) => res({ code: e ? Number((e as { code?: number }).code ?? 1) : 0, err })),
    );
    expect(r.err).toMatch(/0 problem\(s\)/);
    expect(r.code).toBe(0);
  });
});
