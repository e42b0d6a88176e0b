// docs/cli/<command>.md must match the current --help output (the block between the markers), so the
// reference never drifts from the CLI. Fix a failure by running `npm run docs`.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BEGIN, DOCS_DIR, END, collectHelp, generatedBlock, introOf, pageFile, renderPage } from '../../scripts/gen-docs.ts';

const pages = collectHelp();

describe('docs/cli', () => {
  it.each(pages.map((p) => [pageFile(p.name), p] as const))('%s matches --help', (file, page) => {
    const path = join(DOCS_DIR, file);
    expect(existsSync(path), `docs/cli/${file} is missing: run \`npm run docs\``).toBe(true);
    const text = readFileSync(path, 'utf8');
    const intro = introOf(text);
    expect(intro, `docs/cli/${file} has no generated block: run \`npm run docs\``).toBeDefined();
    const actual = text.slice(intro!.length);
    expect(actual === generatedBlock(page), `docs/cli/${file} is out of date with \`${['bluezone', page.name].filter(Boolean).join(' ')} --help\`: run \`npm run docs\``).toBe(true);
    expect(intro!.trim().length, `docs/cli/${file} needs a hand-written intro above the generated block`).toBeGreaterThan(0);
  });

  it('README.md lists every command group', () => {
    const root = pages.find((p) => p.name === '')!;
    const text = readFileSync(join(DOCS_DIR, 'README.md'), 'utf8');
    for (const p of pages.filter((q) => q.name !== '')) expect(text, 'docs/cli/README.md: run `npm run docs`').toContain(`(${pageFile(p.name)})`);
    expect(renderPage(root, pages, text) === text, 'docs/cli/README.md is out of date: run `npm run docs`').toBe(true);
  });

  it('covers every example and option of the command in its page', () => {
    const beacon = pages.find((p) => p.sections.length > 1)!;
    const block = generatedBlock(beacon);
    for (const [path, help] of beacon.sections) {
      expect(block).toContain(`## \`${path}\``);
      expect(block).toContain(help.trimEnd());
    }
    expect(block.startsWith(BEGIN)).toBe(true);
    expect(block.trimEnd().endsWith(END)).toBe(true);
  });

  it('keeps the hand-written intro and replaces only the generated block', () => {
    const page = pages[1];
    const old = `# Intro\n\nHand-written words.\n\n${BEGIN}\nstale help\n${END}\n`;
    const next = renderPage(page, pages, old);
    expect(next.startsWith('# Intro\n\nHand-written words.\n\n')).toBe(true);
    expect(next).not.toContain('stale help');
    expect(next.endsWith(generatedBlock(page))).toBe(true);
  });
});
