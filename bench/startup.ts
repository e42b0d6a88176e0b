// npm run bench:startup: wall time and peak RSS of `bluezone --help` from the installed package (npm pack +
// npm install -g --prefix, offline), measured with /usr/bin/time -v, median of 5 (issue 16 target: at most
// 0.2 s and 70 MB). With --compare, the checkout's tsx entry (node bin/bluezone.js, the development path)
// runs in alternation with it (A, B, A, B, ...), so both see the same machine load; `node -e 0` runs in the
// same rounds as the floor (what any Node program costs on this machine at that moment).
//   npm run bench:startup [-- --runs 5] [-- --prefix P (reuse an installed copy)] [-- --compare] [-- --json]
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, cacheMiss, installGlobal, packTarball, run } from './installedPackage.ts';

const TIME = '/usr/bin/time';

interface Sample {
  wallS: number;
  rssMb: number;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** One run of argv under /usr/bin/time -v: elapsed wall clock and maximum resident set size. */
async function measure(argv: string[]): Promise<Sample> {
  const r = await run(TIME, ['-v', ...argv], { env: { ...process.env, NO_COLOR: '1' } });
  if (r.code !== 0) throw new Error(`${argv.join(' ')} exited ${r.code}:\n${r.stderr.slice(-2000)}`);
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(r.stderr);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  if (!wall || !rss) throw new Error(`unexpected /usr/bin/time output:\n${r.stderr.slice(-2000)}`);
  return { wallS: Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]), rssMb: Number(rss[1]) / 1024 };
}

const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<number> {
  if (!existsSync(TIME)) {
    process.stderr.write(`bench:startup: ${TIME} is missing (Debian package "time")\n`);
    return 2;
  }
  const runs = Number(arg('--runs') ?? 5);
  const compare = process.argv.includes('--compare');
  let prefix = arg('--prefix');
  let tmp: string | undefined;
  try {
    if (!prefix) {
      tmp = mkdtempSync(join(tmpdir(), 'bz-startup-'));
      process.stderr.write('bench:startup: npm pack (builds dist/) and npm install -g --prefix (offline)...\n');
      const tgz = await packTarball(join(tmp, 'pack'));
      prefix = join(tmp, 'P');
      const r = await installGlobal(tgz, prefix);
      if (r.code !== 0) {
        process.stderr.write(`bench:startup: ${cacheMiss(r) ?? `npm install failed (exit ${r.code})`}\n${r.stderr.slice(-2000)}\n`);
        return 1;
      }
    }
    const installed = [join(prefix, 'bin', 'bluezone'), '--help'];
    const checkout = [process.execPath, join(ROOT, 'bin', 'bluezone.js'), '--help'];
    // the floor on this machine at this moment: node starting and exiting with nothing to do
    const bare = [process.execPath, '-e', '0'];
    await measure(installed); // warm the page cache once
    const a: Sample[] = [];
    const b: Sample[] = [];
    const n: Sample[] = [];
    for (let i = 0; i < runs; i++) {
      a.push(await measure(installed));
      if (compare) b.push(await measure(checkout));
      n.push(await measure(bare));
    }
    const row = (s: Sample[]) => ({ wall_s: Number(median(s.map((x) => x.wallS)).toFixed(3)), rss_mb: Number(median(s.map((x) => x.rssMb)).toFixed(1)) });
    const result = {
      runs,
      node: process.version,
      installed_help: row(a),
      node_e_0: row(n),
      ...(compare ? { checkout_tsx_help: row(b), wall_ratio: Number((row(b).wall_s / row(a).wall_s).toFixed(2)) } : {}),
      target: { wall_s: 0.2, rss_mb: 70 },
    };
    if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    else {
      process.stdout.write(`bluezone --help, installed package: median ${result.installed_help.wall_s} s, ${result.installed_help.rss_mb} MB (of ${runs}; target 0.2 s, 70 MB)\n`);
      process.stdout.write(`node -e 0 (the floor now): median ${row(n).wall_s} s, ${row(n).rss_mb} MB\n`);
      if (compare) process.stdout.write(`node bin/bluezone.js --help, checkout (tsx): median ${row(b).wall_s} s, ${row(b).rss_mb} MB\n`);
    }
    return result.installed_help.wall_s <= 0.2 && result.installed_help.rss_mb <= 70 ? 0 : 1;
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

process.exitCode = await main();
