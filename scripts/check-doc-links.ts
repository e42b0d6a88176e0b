// Checks the Markdown documentation: every relative link in README.md and docs/ points to a file that
// exists (and, with #anchor, to a heading in it), and no page sends users outside the package
// (../shared, shared/docs) or names a machine path.
//
//   npx tsx scripts/check-doc-links.ts [repo-root]     exit 0 ok, 1 problems found (listed on stderr)

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? '.');

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return markdownFiles(p);
    return name.endsWith('.md') ? [p] : [];
  });
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, '')
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .replace(/ /g, '-');
}

function anchors(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of text.matchAll(/^#{1,6} +(.+)$/gm)) {
    const base = slug(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

const files = [join(root, 'README.md'), ...markdownFiles(join(root, 'docs'))].filter((f) => existsSync(f));
const problems: string[] = [];
let links = 0;
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  let inFence = false;
  lines.forEach((line, i) => {
    if (line.startsWith('```')) inFence = !inFence;
    const where = `${relative(root, file)}:${i + 1}`;
    if (/\.\.\/shared|shared\/docs|\/work\//.test(line)) problems.push(`${where}: points outside the package: ${line.trim()}`);
    if (inFence) return;
    for (const m of line.matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)) {
      const target = m[1];
      if (/^[a-z]+:/i.test(target)) continue; // http(s), mailto
      links++;
      const [path, anchor] = target.split('#');
      const dest = path === '' ? file : resolve(dirname(file), path);
      if (!existsSync(dest)) {
        problems.push(`${where}: broken link ${target}`);
        continue;
      }
      if (anchor !== undefined && dest.endsWith('.md') && !anchors(dest).has(anchor)) {
        problems.push(`${where}: no heading #${anchor} in ${relative(root, dest)}`);
      }
    }
  });
}
for (const p of problems) process.stderr.write(`${p}\n`);
process.stderr.write(`${files.length} pages, ${links} relative links, ${problems.length} problem(s)\n`);
process.exit(problems.length ? 1 : 0);
