// Issue 16's output rules at the CLI, through records/output.ts (docs/outputs.md): every output is checked
// before any work, a bad one is one line on stderr and exit 2, nothing already stored is lost, no temp
// file is left anywhere, "-" is stdout, a FIFO is written in place, and a closed stdout ends quietly.
import { spawn, spawnSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TRUTH_CSV_HEADER, WINDOWS_CSV_HEADER } from '../../records/rows.ts';
import { writeObservations } from '../firmware/proximity/fixtures.ts';
import { main } from '../../cli/main.ts';
import { ROOT, cli, tempDirs } from '../helpers/cli.ts';

const tmp = tempDirs('bz-outputs-');
const hasMkfifo = process.platform !== 'win32' && spawnSync('mkfifo', ['--version']).status === 0;

/** Every name under `dir`, recursively (temp files start with a dot). */
function tree(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    out.push(e.name);
    if (e.isDirectory()) for (const n of tree(join(dir, e.name))) out.push(`${e.name}/${n}`);
  }
  return out.sort();
}

/** One error line on stderr (a hint line may follow), exit 2. */
function expectOneLine(r: { code: number; stderr: string }, re: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trimEnd().split('\n').filter((l) => l.startsWith('error:'));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(re);
}

function truthFor(dir: string, obs: string): string {
  const lines = [TRUTH_CSV_HEADER];
  for (const l of readFileSync(obs, 'utf8').trimEnd().split('\n').slice(1)) {
    const [t, r, tx] = l.split(',');
    lines.push(`${t},${r},${tx},${tx === 'b' ? 1 : 6}`);
  }
  const truth = join(dir, 'truth.csv');
  writeFileSync(truth, lines.join('\n') + '\n');
  return truth;
}

describe('classify outputs', () => {
  it('--daily in a missing folder: exit 2 in one line before the input is read; --out keeps its old content', async () => {
    const d = tmp();
    const out = join(d, 'windows.csv');
    writeFileSync(out, 'old\n');
    // the input does not exist either: the output check comes first, so the error is about --daily
    const r = await cli('classify', '--input', join(d, 'missing.csv'), '--out', out, '--daily', join(d, 'nodir/d.csv'), '--calibration', 'none');
    expectOneLine(r, /nodir\/d\.csv: .*\(ENOENT\)$/);
    expect(readFileSync(out, 'utf8')).toBe('old\n');
    expect(tree(d)).toEqual(['windows.csv']);
    // same with a real input and a fresh --out: nothing is written
    const input = writeObservations(d);
    const r2 = await cli('classify', '--input', input, '--out', join(d, 'new.csv'), '--daily', join(d, 'nodir/d.csv'), '--calibration', 'none');
    expectOneLine(r2, /\(ENOENT\)$/);
    expect(existsSync(join(d, 'new.csv'))).toBe(false);
    expect(tree(d)).toEqual(['obs.csv', 'windows.csv']);
  });

  it('--out naming a folder: EISDIR, exit 2, no temp file in it or beside it', async () => {
    const d = tmp();
    const input = writeObservations(d);
    mkdirSync(join(d, 'out'));
    const r = await cli('classify', '--input', input, '--out', join(d, 'out'), '--calibration', 'none');
    expectOneLine(r, /out: .*\(EISDIR\)$/);
    expect(tree(d)).toEqual(['obs.csv', 'out']);
  });

  it('--out - streams the windows CSV to stdout; the human summary goes to stderr', async () => {
    const d = tmp();
    const input = writeObservations(d);
    const r = await cli('classify', '--input', input, '--out', '-', '--calibration', 'none');
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trimEnd().split('\n');
    expect(rows[0]).toBe(WINDOWS_CSV_HEADER);
    expect(rows).toHaveLength(5);
    expect(r.stderr).toMatch(/120 observations -> 4 windows .*wrote stdout/);
    // the same bytes as a file
    const f = join(d, 'w.csv');
    expect((await cli('classify', '--input', input, '--out', f, '--calibration', 'none')).code).toBe(0);
    expect(readFileSync(f, 'utf8')).toBe(r.stdout);
    // --json would mix with the CSV on stdout
    expect((await cli('classify', '--input', input, '--out', '-', '--json')).code).toBe(2);
  });

  it.skipIf(!hasMkfifo)('--out FIFO: written in place, the FIFO stays a FIFO and its reader gets the CSV', async () => {
    const d = tmp();
    const input = writeObservations(d);
    const fifo = join(d, 'windows.fifo');
    spawnSync('mkfifo', [fifo]);
    // a reader in another process: opening the FIFO for writing blocks until it is there
    const reader = spawn('cat', [fifo]);
    let got = '';
    reader.stdout.on('data', (c) => (got += String(c)));
    const done = new Promise((res) => reader.on('close', res));
    let r;
    try {
      r = await cli('classify', '--input', input, '--out', fifo, '--calibration', 'none');
      await done;
    } finally {
      reader.kill(); // never leave it blocked on the FIFO when the test fails
    }
    expect(r.code, r.stderr).toBe(0);
    expect(got.split('\n')[0]).toBe(WINDOWS_CSV_HEADER);
    expect(got.trimEnd().split('\n')).toHaveLength(5);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(tree(d)).toEqual(['obs.csv', 'windows.fifo']);
  });
});

describe('eval outputs', () => {
  it('--roc-csv in a missing folder: exit 2 in one line, nothing written', async () => {
    const d = tmp();
    const obs = writeObservations(d);
    const truth = truthFor(d, obs);
    const r = await cli('eval', '--truth', truth, '--input', obs, '--roc-csv', join(d, 'nodir/x.csv'), '--report', join(d, 'rep'));
    expectOneLine(r, /nodir\/x\.csv: .*\(ENOENT\)$/);
    expect(tree(d)).toEqual(['obs.csv', 'truth.csv']);
  });

  it('--report under a file: ENOTDIR in one line', async () => {
    const d = tmp();
    const obs = writeObservations(d);
    const truth = truthFor(d, obs);
    const r = await cli('eval', '--truth', truth, '--input', obs, '--report', join(truth, 'r'));
    expectOneLine(r, /truth\.csv\/r\/report\.html: .*\(ENOTDIR\)$/);
    expect(tree(d)).toEqual(['obs.csv', 'truth.csv']);
  });

  it('--roc-csv - streams the ROC points to stdout and moves the table to stderr', async () => {
    const d = tmp();
    const obs = writeObservations(d);
    const truth = truthFor(d, obs);
    const r = await cli('eval', '--truth', truth, '--input', obs, '--roc-csv', '-', '--report', join(d, 'rep'));
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('method,fpr,tpr');
    expect(lines.slice(1).every((l) => /^(ours|gaen|bluezone),[0-9.e-]+,[0-9.e-]+$/.test(l))).toBe(true);
    expect(r.stderr).toMatch(/ours/);
    expect(tree(join(d, 'rep'))).toEqual(['plots', 'plots/f1-threshold.png', 'plots/f1-threshold.svg', 'plots/roc.png', 'plots/roc.svg', 'report.html']);
  });
});

describe('scan outputs', () => {
  it('scan report --out under a file: ENOTDIR in one line, before the logbook is read', async () => {
    const d = tmp();
    const file = join(d, 'file');
    writeFileSync(file, 'x');
    const r = await cli('scan', 'report', '--db', join(d, 'missing.db'), '--out', join(file, 'rep'));
    expectOneLine(r, /file\/rep\/presence\.html: .*\(ENOTDIR\)$/);
    expect(tree(d)).toEqual(['file']);
  });

  it('scan export --out in a missing folder: exit 2 in one line before the logbook is opened', async () => {
    const d = tmp();
    const r = await cli('scan', 'export', '--db', join(d, 'missing.db'), '--format', 'trace', '--out', join(d, 'nodir/t.txt'));
    expectOneLine(r, /nodir\/t\.txt: .*\(ENOENT\)$/);
    expect(tree(d)).toEqual([]);
  });
});

describe('sim run outputs', () => {
  it('--pcap in a missing folder: exit 2 before simulating; no --out folder, no temp file anywhere', async () => {
    const d = tmp();
    const r = await cli('sim', 'run', 'queue', '--duration', '10s', '--out', join(d, 'DIR'), '--pcap', join(d, 'nodir/a.pcap'));
    expectOneLine(r, /nodir\/a\.pcap: .*\(ENOENT\)$/);
    expect(r.stderr).not.toMatch(/simulated|wrote/);
    expect(tree(d)).toEqual([]);
  }, 60_000);

  it('--out under a file: ENOTDIR in one line', async () => {
    const d = tmp();
    writeFileSync(join(d, 'file'), 'x');
    const r = await cli('sim', 'run', 'queue', '--duration', '10s', '--out', join(d, 'file/x'));
    expectOneLine(r, /file\/x\/observations\.csv: .*\(ENOTDIR\)$/);
    expect(tree(d)).toEqual(['file']);
  }, 60_000);

  it('the human summary goes to stderr, stdout stays empty; every file published, no temp file', async () => {
    const d = tmp();
    const r = await cli('sim', 'run', 'queue', '--duration', '10s', '--out', join(d, 'o'), '--pcap', join(d, 'o/air.pcap'), '--scan-windows');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/observations logged/);
    const names = tree(join(d, 'o'));
    expect(names.filter((n) => n.split('/').pop()!.startsWith('.'))).toEqual([]);
    for (const n of ['air.pcap', 'contacts_truth.csv', 'devices.csv', 'observations.csv', 'report.html', 'scan_windows.csv', 'summary.json', 'timing.json', 'truth.csv', 'windows.csv'])
      expect(names).toContain(n);
  }, 60_000);

  it('--pcap - streams the pcap to stdout (in-process: the CLI stream), the same bytes as a file', async () => {
    const d = tmp();
    const chunks: Buffer[] = [];
    const out = new PassThrough();
    out.on('data', (c: Buffer) => chunks.push(c));
    const args = ['node', 'bluezone', '--quiet', 'sim', 'run', 'queue', '--duration', '2s', '--no-classify'];
    const code = await main([...args, '--out', join(d, 'a'), '--pcap', '-'], { out, err: new PassThrough(), isTTY: false });
    expect(code).toBe(0);
    expect((await cli(...args.slice(2), '--out', join(d, 'b'), '--pcap', join(d, 'b.pcap'))).code).toBe(0);
    const streamed = Buffer.concat(chunks);
    expect(streamed.readUInt32LE(0)).toBe(0xa1b2c3d4); // classic pcap magic
    expect(streamed.length).toBeGreaterThan(24);
    expect(streamed).toEqual(readFileSync(join(d, 'b.pcap')));
  }, 60_000);
});

describe('stdout whose reader went away', () => {
  // `| true`: the reader exits at once, so every write of the CLI meets a closed pipe
  function piped(args: string): { status: string; stderr: string } {
    const r = spawnSync('bash', ['-c', `node bin/bluezone.js ${args} 2>"$ERR" | true; echo "\${PIPESTATUS[0]}"`], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', ERR: join(errDir, 'err') },
      encoding: 'utf8',
    });
    return { status: r.stdout.trim(), stderr: readFileSync(join(errDir, 'err'), 'utf8') };
  }
  let errDir = '';

  it('--help | true ends quietly with exit 0 (was an unhandled EPIPE in cli/main.ts writeOut)', () => {
    errDir = tmp();
    const r = piped('air serve --help');
    expect(r.stderr).toBe('');
    expect(r.status).toBe('0');
  }, 60_000);

  it('classify --out - | true ends quietly with exit 0 and leaves no file', () => {
    errDir = tmp();
    const input = writeObservations(errDir);
    const r = piped(`classify --input ${input} --out - --calibration none`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe('0');
    expect(tree(errDir)).toEqual(['err', 'obs.csv']);
  }, 60_000);
});
