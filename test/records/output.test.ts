// records/output.ts against the rules of issue 16 (docs/outputs.md), on the real file system: stdout,
// FIFOs and devices in place, atomic regular files, no leftovers after any failure, modes.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  closeSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OutputError, OutputSet, openFdName, withOutputSet, writeFileAtomic } from '../../records/output.ts';
import { ROOT, tempDirs } from '../helpers/cli.ts';

const tmp = tempDirs('bz-output-');
const CHILD = join(ROOT, 'test/records/fixtures/output-child.ts');
const isRoot = process.getuid?.() === 0;
const hasMkfifo = process.platform !== 'win32' && spawnSync('mkfifo', ['--version']).status === 0;

/** Names in `dir` other than `keep`: temp files, backups, anything left behind. */
function extra(dir: string, ...keep: string[]): string[] {
  return readdirSync(dir).filter((n) => !keep.includes(n));
}

function expectOutputError(fn: () => unknown, code: string, path: string): OutputError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(OutputError);
  const oe = err as OutputError;
  expect(oe.code).toBe(code);
  expect(oe.exitCode).toBe(2);
  expect(oe.message).toContain(path);
  expect(oe.message).not.toContain('\n');
  return oe;
}

/** A failing test may leave a file open on the mount: then detach it lazily rather than leak it. */
function unmount(dir: string): void {
  if (spawnSync('umount', [dir]).status !== 0) spawnSync('umount', ['-l', dir]);
}

function expected(lines: number): string {
  let s = '';
  for (let i = 0; i < lines; i++) s += `${i},row ${i} \u00e9\u{1f600}\n`;
  return s;
}

describe('stdout and descriptors', () => {
  it('"-" streams to stdout (a child process writing 3+ MB, read through a pipe)', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD, 'stream', '-', '100000'], { cwd: ROOT, maxBuffer: 64 << 20 });
    expect(r.stderr.toString()).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toBe(expected(100000));
  });

  it('"-" whose reader goes away (| head): OutputError EPIPE naming "-", not a hang', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, 'stream', '-', '2000000'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => (err += String(c)));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code).not.toBe(0);
    expect(err).toContain('-: cannot write: the reader closed the pipe (EPIPE)');
  });

  it('/dev/stdout is this process\'s fd 1, written in place: a file the shell opened gets the data, the link stays', () => {
    const d = tmp();
    const f = join(d, 'captured.txt');
    const fd = openSync(f, 'w');
    try {
      const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD, 'stream', '/dev/stdout', '1000'], { cwd: ROOT, stdio: ['ignore', fd, 'pipe'] });
      expect(r.stderr.toString()).toBe('');
      expect(r.status).toBe(0);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(f, 'utf8')).toBe(expected(1000));
    expect(lstatSync('/dev/stdout').isSymbolicLink()).toBe(true);
    expect(extra(d, 'captured.txt')).toEqual([]);
  });

  it('recognises descriptor names of this process and nothing else', () => {
    if (!existsSync('/proc/self/fd')) return; // no procfs (not Linux): /dev/stdout then is a device, written in place
    expect(openFdName('/dev/stdout')).toBe(1);
    expect(openFdName('/dev/stderr')).toBe(2);
    expect(openFdName('/proc/self/fd/2')).toBe(2);
    expect(openFdName(`/proc/${process.pid}/fd/1`)).toBe(1);
    const d = tmp();
    expect(openFdName(join(d, 'x.csv'))).toBeUndefined();
    symlinkSync('/dev/stderr', join(d, 'err-link'));
    expect(openFdName(join(d, 'err-link'))).toBe(2);
    expectOutputError(() => new OutputSet().add('/proc/self/fd/987'), 'EBADF', '/proc/self/fd/987'); // not open
  });

  it('a stream sink for "-" gets copies of the buffer (chunk edges at 16 bytes)', () => {
    const chunks: Buffer[] = [];
    const set = new OutputSet({ stdout: { write: (c: Uint8Array) => chunks.push(Buffer.from(c)) }, bufferBytes: 16 });
    const w = set.add('-');
    for (let i = 0; i < 50; i++) w.writeLine(`line ${i} \u{1f600}`);
    w.write('tail');
    w.flush(); // a live consumer gets it now
    expect(Buffer.concat(chunks).toString().endsWith('tail')).toBe(true);
    w.write('\n');
    set.commit();
    let want = '';
    for (let i = 0; i < 50; i++) want += `line ${i} \u{1f600}\n`;
    want += 'tail\n';
    expect(Buffer.concat(chunks).toString()).toBe(want);
    expect(w.bytes).toBe(Buffer.byteLength(want));
    expect(w.lines).toBe(50);
  });
});

describe('byte order across the buffer', () => {
  it('a big chunk after buffered bytes comes after them (it skips the copy, not the queue)', () => {
    const d = tmp();
    const f = join(d, 'air.pcap');
    const set = new OutputSet({ bufferBytes: 64 });
    const w = set.add(f);
    const small = Buffer.from('0123456789');
    const big = Buffer.alloc(20, 0x41); // >= bufferBytes / 4 and fits beside the buffered 10 bytes
    w.write(small);
    w.write(big);
    w.write(small);
    w.write(Buffer.alloc(100, 0x42)); // bigger than the buffer
    set.commit();
    expect(readFileSync(f)).toEqual(Buffer.concat([small, big, small, Buffer.alloc(100, 0x42)]));
  });

  it('property: any mix of strings and byte chunks arrives in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string({ maxLength: 40 }), fc.uint8Array({ maxLength: 70 })), { maxLength: 40 }),
        fc.integer({ min: 16, max: 64 }),
        (parts, bufferBytes) => {
          const chunks: Buffer[] = [];
          const set = new OutputSet({ stdout: { write: (c: Uint8Array) => chunks.push(Buffer.from(c)) }, bufferBytes });
          const w = set.add('-');
          for (const p of parts) w.write(p);
          set.commit();
          const want = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));
          expect(Buffer.concat(chunks)).toEqual(want);
          expect(w.bytes).toBe(want.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('FIFOs and devices are written in place, never replaced', () => {
  it.skipIf(!hasMkfifo)('a FIFO: a reader process gets the data, the FIFO stays a FIFO', async () => {
    const d = tmp();
    const fifo = join(d, 'pipe');
    execFileSync('mkfifo', [fifo]);
    // cat copies into a file: a pipe back to this (synchronously writing) process would fill up and deadlock
    const copy = join(d, 'copy.txt');
    const fd = openSync(copy, 'w');
    const reader = spawn('cat', [fifo], { stdio: ['ignore', fd, 'ignore'] });
    closeSync(fd);
    const done = new Promise<number | null>((r) => reader.on('close', r));
    withOutputSet((set) => {
      const w = set.add(fifo);
      for (let i = 0; i < 20000; i++) w.writeLine(`${i},row ${i} \u00e9\u{1f600}`); // opens (blocks until cat opens) on the first flush
    });
    expect(await done).toBe(0);
    expect(readFileSync(copy, 'utf8')).toBe(expected(20000));
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(extra(d, 'pipe', 'copy.txt')).toEqual([]);
  });

  it('/dev/null: written, still the same character device, no temp file in /dev', () => {
    const before = statSync('/dev/null');
    const devBefore = readdirSync('/dev').length;
    writeFileAtomic('/dev/null', 'discarded\n');
    const after = lstatSync('/dev/null');
    expect(after.isCharacterDevice()).toBe(true);
    expect(after.rdev).toBe(before.rdev);
    expect(after.ino).toBe(before.ino);
    expect(readdirSync('/dev').length).toBe(devBefore);
  });

  it('/dev/full: a write error names the path and code; a staged file beside it is removed, the old one kept', () => {
    if (!existsSync('/dev/full')) return; // Linux only
    const d = tmp();
    const a = join(d, 'a.csv');
    writeFileSync(a, 'old\n');
    const set = new OutputSet();
    set.writeFile(a, 'new\n');
    set.writeFile('/dev/full', 'x'.repeat(100));
    expectOutputError(() => set.commit(), 'ENOSPC', '/dev/full');
    expect(readFileSync(a, 'utf8')).toBe('old\n');
    expect(extra(d, 'a.csv')).toEqual([]);
    expect(lstatSync('/dev/full').isCharacterDevice()).toBe(true);
  });
});

describe('regular files: atomic, temp never through a symlink', () => {
  it('replaces the content; readers saw nothing new before commit', () => {
    const d = tmp();
    const f = join(d, 'w.csv');
    writeFileSync(f, 'old\n');
    const set = new OutputSet();
    const w = set.add(f);
    w.writeLine('a');
    w.write(Buffer.alloc(2 << 20, 0x62)); // past the buffer: the temp file has data now
    expect(readFileSync(f, 'utf8')).toBe('old\n');
    expect(extra(d, 'w.csv')).toHaveLength(1); // the temp file, beside the target
    expect(set.commit()).toEqual([f]);
    expect(statSync(f).size).toBe(2 + (2 << 20));
    expect(extra(d, 'w.csv')).toEqual([]);
  });

  it('refuses a temp path that is a symbolic link and never writes through it', () => {
    const d = tmp();
    const victim = join(d, 'victim');
    writeFileSync(victim, 'precious\n');
    symlinkSync(victim, join(d, '.out.csv.fixed.tmp'));
    const oe = expectOutputError(() => writeFileAtomic(join(d, 'out.csv'), 'evil\n', { tempName: (b) => `.${b}.fixed.tmp` }), 'ELOOP', 'out.csv');
    expect(oe.message).toContain('symbolic link');
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(existsSync(join(d, 'out.csv'))).toBe(false);
  });

  it('a link planted at the old predictable temp name (.NAME.PID.tmp) is not followed', () => {
    const d = tmp();
    const victim = join(d, 'victim');
    writeFileSync(victim, 'precious\n');
    symlinkSync(victim, join(d, `.out.csv.${process.pid}.tmp`));
    writeFileAtomic(join(d, 'out.csv'), 'data\n');
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(readFileSync(join(d, 'out.csv'), 'utf8')).toBe('data\n');
    expect(lstatSync(join(d, 'out.csv')).isFile()).toBe(true);
  });

  it('a symlinked target: the file it points to is replaced, the link stays', () => {
    const d = tmp();
    mkdirSync(join(d, 'real'));
    writeFileSync(join(d, 'real/r.csv'), 'old\n');
    symlinkSync(join(d, 'real/r.csv'), join(d, 'link.csv'));
    writeFileAtomic(join(d, 'link.csv'), 'new\n');
    expect(lstatSync(join(d, 'link.csv')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(d, 'real/r.csv'), 'utf8')).toBe('new\n');
    expect(extra(join(d, 'real'), 'r.csv')).toEqual([]);
    expect(extra(d, 'real', 'link.csv')).toEqual([]);
    symlinkSync(join(d, 'missing'), join(d, 'dangling'));
    expectOutputError(() => writeFileAtomic(join(d, 'dangling'), 'x'), 'ENOENT', 'dangling');
  });

  it('mode 0600 is honoured whatever the umask; a replaced file keeps its bits', () => {
    const d = tmp();
    const key = join(d, 'key.json');
    const old = process.umask(0o000);
    try {
      writeFileAtomic(key, '{}\n', { mode: 0o600 });
    } finally {
      process.umask(old);
    }
    expect(statSync(key).mode & 0o777).toBe(0o600);
    writeFileAtomic(key, '{"a":1}\n'); // no mode: keeps 0600
    chmodSync(key, 0o644);
    writeFileAtomic(key, '{}\n', 0o600); // the old signature: mode as a number
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    chmodSync(key, 0o640);
    writeFileAtomic(key, '{}\n');
    expect(statSync(key).mode & 0o777).toBe(0o640);
    writeFileAtomic(join(d, 'new.txt'), 'x');
    expect(statSync(join(d, 'new.txt')).mode & 0o777).toBe(0o644);
  });
});

describe('targets are checked before work starts; no leftovers after a failure', () => {
  it('missing folder: ENOENT; the target staged before it is removed again', () => {
    const d = tmp();
    writeFileSync(join(d, 'windows.csv'), 'old\n');
    const set = new OutputSet();
    set.add(join(d, 'windows.csv')).writeLine('new');
    expectOutputError(() => set.add(join(d, 'nope/daily.csv')), 'ENOENT', 'nope/daily.csv');
    expect(extra(d, 'windows.csv')).toEqual([]);
    expect(readFileSync(join(d, 'windows.csv'), 'utf8')).toBe('old\n');
    expectOutputError(() => set.commit(), 'EABORTED', '(output set)');
  });

  it('a folder as target: EISDIR; a file where a folder is expected: ENOTDIR', () => {
    const d = tmp();
    mkdirSync(join(d, 'sub'));
    writeFileSync(join(d, 'file'), '');
    expectOutputError(() => writeFileAtomic(join(d, 'sub'), 'x'), 'EISDIR', 'sub');
    expectOutputError(() => writeFileAtomic(join(d, 'new/'), 'x'), 'EISDIR', 'new/');
    expectOutputError(() => writeFileAtomic(join(d, 'file/x.csv'), 'x'), 'ENOTDIR', 'file/x.csv');
    expectOutputError(() => new OutputSet().add(join(d, 'file/deeper/x.csv'), { mkdir: true }), 'ENOTDIR', 'x.csv');
    expect(extra(d, 'sub', 'file')).toEqual([]);
    expect(readdirSync(join(d, 'sub'))).toEqual([]);
  });

  it('discard(): the dropped output leaves its old content and no temp file; the others still commit', () => {
    const d = tmp();
    writeFileSync(join(d, 'roc.svg'), 'old svg\n');
    const set = new OutputSet();
    const roc = set.add(join(d, 'roc.svg'));
    roc.write('half');
    set.add(join(d, 'a.csv')).writeLine('a');
    set.discard(roc);
    expect(() => roc.write('more')).toThrow(OutputError);
    expect(set.commit()).toEqual([join(d, 'a.csv')]);
    expect(readFileSync(join(d, 'roc.svg'), 'utf8')).toBe('old svg\n');
    expect(readFileSync(join(d, 'a.csv'), 'utf8')).toBe('a\n');
    expect(extra(d, 'roc.svg', 'a.csv')).toEqual([]);
  });

  it('the same file twice in one set: EINVAL', () => {
    const d = tmp();
    const set = new OutputSet();
    set.add(join(d, 'a.csv'));
    expectOutputError(() => set.add(join(d, '.', 'a.csv')), 'EINVAL', 'a.csv');
    expect(extra(d)).toEqual([]);
    const s2 = new OutputSet({ stdout: { write: () => true } });
    s2.add('-');
    expectOutputError(() => s2.add('-'), 'EINVAL', '-');
  });

  it('read-only file system: EROFS at add (root: a read-only bind mount)', (ctx) => {
    // root passes every permission check, so only a read-only mount makes a folder unwritable for it;
    // non-root: a 0555 folder (below). Where neither can be set up (no mount rights), skip.
    const d = tmp();
    const src = join(d, 'src');
    const ro = join(d, 'ro');
    mkdirSync(src);
    mkdirSync(ro);
    writeFileSync(join(src, 'old.csv'), 'old\n');
    const m = spawnSync('mount', ['--bind', src, ro]);
    if (m.status !== 0) return ctx.skip();
    try {
      if (spawnSync('mount', ['-o', 'remount,bind,ro', ro]).status !== 0) return ctx.skip();
      expectOutputError(() => new OutputSet().add(join(ro, 'new.csv')), 'EROFS', 'new.csv');
      expectOutputError(() => new OutputSet().add(join(ro, 'old.csv')), 'EROFS', 'old.csv');
      expect(readdirSync(src)).toEqual(['old.csv']);
    } finally {
      unmount(ro);
    }
  });

  it.skipIf(isRoot || process.platform === 'win32')('unwritable folder (non-root): EACCES at add', () => {
    const d = tmp();
    mkdirSync(join(d, 'locked'));
    chmodSync(join(d, 'locked'), 0o555);
    try {
      expectOutputError(() => new OutputSet().add(join(d, 'locked/x.csv')), 'EACCES', 'x.csv');
    } finally {
      chmodSync(join(d, 'locked'), 0o755);
    }
  });

  it('a write error mid-way on a full file system: ENOSPC, old content kept, no temp file (root: a 64 KiB tmpfs)', (ctx) => {
    const d = tmp();
    const mnt = join(d, 'small');
    mkdirSync(mnt);
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]).status !== 0) return ctx.skip();
    try {
      writeFileSync(join(mnt, 'obs.csv'), 'old\n');
      const set = new OutputSet();
      const w = set.add(join(mnt, 'obs.csv'));
      expectOutputError(() => {
        for (let i = 0; i < 100_000; i++) w.writeLine(`${i},receiver-${i},transmitter-${i},-60,,,`);
      }, 'ENOSPC', 'obs.csv');
      expect(readdirSync(mnt)).toEqual(['obs.csv']);
      expect(readFileSync(join(mnt, 'obs.csv'), 'utf8')).toBe('old\n');
      expectOutputError(() => w.writeLine('more'), 'EABORTED', 'obs.csv');
    } finally {
      unmount(mnt);
    }
  });

  it('a write error mid-way (injected EIO after 40 bytes, any platform): all temps of the set removed', () => {
    const d = tmp();
    let written = 0;
    const set = new OutputSet({
      bufferBytes: 16,
      fs: {
        writeSync: (fd, b, off, len) => {
          if (written + len > 40) throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
          written += len;
          return len;
        },
      },
    });
    set.add(join(d, 'first.csv')).writeLine('0123456789');
    const w = set.add(join(d, 'second.csv'));
    expectOutputError(() => {
      for (let i = 0; i < 10; i++) w.writeLine('abcdefghij');
    }, 'EIO', 'second.csv');
    expect(extra(d)).toEqual([]);
  });

  it('abort(), an AbortSignal, a throwing or rejecting callback: nothing written, nothing left', async () => {
    const d = tmp();
    writeFileSync(join(d, 'keep.csv'), 'old\n');
    const s1 = new OutputSet();
    s1.add(join(d, 'keep.csv')).write(Buffer.alloc(3 << 20));
    s1.add(join(d, 'new.csv')).writeLine('x');
    s1.abort();
    s1.abort(); // idempotent
    const gone = new AbortController();
    gone.abort();
    expectOutputError(() => new OutputSet({ signal: gone.signal }).add(join(d, 'x.csv')), 'EABORTED', '(output set)');
    const ac = new AbortController();
    const s2 = new OutputSet({ signal: ac.signal });
    const w2 = s2.add(join(d, 'keep.csv'));
    ac.abort();
    expectOutputError(() => w2.writeLine('late'), 'EABORTED', 'keep.csv');
    expect(() =>
      withOutputSet((s) => {
        s.add(join(d, 'keep.csv')).writeLine('new');
        throw new Error('the work failed');
      }),
    ).toThrow('the work failed');
    await expect(
      withOutputSet(async (s) => {
        s.add(join(d, 'sub/deep/a.csv'), { mkdir: true }).writeLine('new');
        await new Promise((r) => setTimeout(r, 1));
        throw new Error('async work failed');
      }),
    ).rejects.toThrow('async work failed');
    expect(extra(d, 'keep.csv')).toEqual([]); // the folders mkdir made are gone too
    expect(readFileSync(join(d, 'keep.csv'), 'utf8')).toBe('old\n');
    await withOutputSet(async (s) => {
      s.add(join(d, 'sub/deep/a.csv'), { mkdir: true }).writeLine('ok');
    });
    expect(readFileSync(join(d, 'sub/deep/a.csv'), 'utf8')).toBe('ok\n');
  });

  it('a process dying after staging leaves no temp files', () => {
    const d = tmp();
    const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD, 'crash', d], { cwd: ROOT });
    expect(r.status).not.toBe(0);
    expect(r.stderr.toString()).toContain('crash after staging');
    expect(extra(d)).toEqual([]);
  });

  it('a rename failing at commit puts back the outputs already renamed (all or none)', () => {
    const d = tmp();
    writeFileSync(join(d, 'windows.csv'), 'old windows\n');
    const set = new OutputSet();
    set.writeFile(join(d, 'windows.csv'), 'new windows\n');
    set.writeFile(join(d, 'daily.csv'), 'new daily\n');
    set.writeFile(join(d, 'report.html'), 'new report\n');
    mkdirSync(join(d, 'report.html')); // someone makes a folder there while the work runs
    writeFileSync(join(d, 'report.html/x'), '');
    expectOutputError(() => set.commit(), 'EISDIR', 'report.html');
    expect(readFileSync(join(d, 'windows.csv'), 'utf8')).toBe('old windows\n');
    expect(existsSync(join(d, 'daily.csv'))).toBe(false);
    expect(extra(d, 'windows.csv', 'report.html').sort()).toEqual([]);
  });
});

describe('property: random stage/write/commit/abort sequences', () => {
  type Op =
    | { op: 'add'; name: number; mode: 'plain' | 'missing-dir' | 'dir' }
    | { op: 'write'; out: number; text: string; line: boolean }
    | { op: 'bytes'; out: number; n: number }
    | { op: 'fail'; out: number }
    | { op: 'commit' }
    | { op: 'abort' };
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ op: fc.constant('add' as const), name: fc.nat(3), mode: fc.constantFrom('plain' as const, 'plain' as const, 'missing-dir' as const, 'dir' as const) }),
    fc.record({ op: fc.constant('write' as const), out: fc.nat(3), text: fc.string({ unit: 'binary', maxLength: 40 }), line: fc.boolean() }),
    fc.record({ op: fc.constant('bytes' as const), out: fc.nat(3), n: fc.nat(200) }),
    fc.record({ op: fc.constant('fail' as const), out: fc.nat(3) }),
    fc.constant({ op: 'commit' as const }),
    fc.constant({ op: 'abort' as const }),
  );

  it('never leave temp files; targets hold the old content or exactly what was written', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 25 }), (ops) => {
        const d = tmp();
        mkdirSync(join(d, 'adir'));
        const names = ['a.csv', 'b.csv', 'c.bin', 'd.txt'];
        const old = new Map<string, string>();
        names.forEach((n, i) => i % 2 === 0 && (writeFileSync(join(d, n), `old ${n}\n`), old.set(n, `old ${n}\n`)));
        let failNext = false;
        const set = new OutputSet({
          bufferBytes: 32,
          fs: {
            writeSync: (fd, b, off, len) => {
              if (failNext) throw Object.assign(new Error('EIO'), { code: 'EIO' });
              return writeSync(fd, b, off, Math.min(len, 7)); // short writes: the rest must be retried
            },
          },
        });
        const outs: { name: string; text: Buffer[] }[] = [];
        let state: 'open' | 'committed' | 'aborted' = 'open';
        for (const o of ops) {
          try {
            if (o.op === 'add') {
              const p = o.mode === 'plain' ? join(d, names[o.name]) : o.mode === 'dir' ? join(d, 'adir') : join(d, 'none', names[o.name]);
              set.add(p);
              outs.push({ name: names[o.name], text: [] });
            } else if (o.op === 'write' || o.op === 'bytes' || o.op === 'fail') {
              const w = set.outputs[o.out];
              if (!w) continue;
              if (o.op === 'fail') failNext = true;
              const data = o.op === 'bytes' ? Buffer.alloc(o.n, o.n & 0xff) : Buffer.from(o.op === 'write' && o.line ? o.text + '\n' : o.op === 'write' ? o.text : 'x'.repeat(64));
              if (o.op === 'write' && o.line) w.writeLine(o.text);
              else if (o.op === 'write') w.write(o.text);
              else w.write(data);
              outs[o.out].text.push(data);
            } else if (o.op === 'commit') {
              set.commit();
              state = 'committed';
            } else {
              set.abort();
              if (state === 'open') state = 'aborted';
            }
          } catch (e) {
            expect(e).toBeInstanceOf(OutputError); // and it has aborted the set, unless already done
            if (state === 'open') state = 'aborted';
          }
          failNext = false;
        }
        if (state === 'open') set.abort();
        const left = readdirSync(d).filter((n) => n.endsWith('.tmp'));
        expect(left).toEqual([]);
        expect(readdirSync(join(d, 'adir'))).toEqual([]);
        for (const n of names) {
          const p = join(d, n);
          const mine = outs.find((x) => x.name === n);
          if (state === 'committed' && mine) expect(readFileSync(p)).toEqual(Buffer.concat(mine.text));
          else if (old.has(n)) expect(readFileSync(p, 'utf8')).toBe(old.get(n));
          else expect(existsSync(p)).toBe(false);
        }
      }),
      { numRuns: 150 },
    );
  });
});
