// The one output writer (issue 16; shared/docs/interfaces.md "Running it": `--out -` streams to stdout, an
// output path that is not a regular file is written in place, never replaced). Bottom layer: imports only
// Node. docs/outputs.md describes the API and which call site uses what.
//
// Kinds of target:
// - "-": stdout (fd 1), streamed as written;
// - a name of an open descriptor of this process (/dev/stdout, /dev/fd/N, /proc/self/fd/N): that fd, in place;
// - an existing FIFO, character or block device: opened in place (O_WRONLY, no O_CREAT), never replaced;
// - anything else: a regular file, replaced atomically: a temp file beside the real target, created
//   O_CREAT|O_EXCL|O_NOFOLLOW under a random name, fsynced, renamed at commit. A symlinked target is
//   resolved first, so the link stays and the file it points to is replaced.
//
// An OutputSet groups the outputs of one command: each target is checked (and its temp file created)
// when added, before the work starts; commit() renames them all, rolling back the ones already renamed if
// a later rename fails; any failure or abort() removes every temp file (and folders the set created).

import * as nodeFs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';

// no O_CLOEXEC: libuv opens every fd close-on-exec already
const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = nodeFs.constants;

/** Write buffer per output; big chunks keep the simulator's hundreds of MB cheap (bench/output.ts). */
const BUFFER_BYTES = 1 << 20;
/** Longest target name kept in a temp name: ".NAME.<12 hex>.tmp" must stay under NAME_MAX (255). */
const TEMP_BASE_MAX = 200;
/** Temp-name attempts on EEXIST (random names collide only if someone plants them). */
const TEMP_TRIES = 8;
/** Link hops followed when looking for a /proc/PID/fd name (Linux MAXSYMLINKS is 40). */
const MAX_LINK_HOPS = 40;

/**
 * A target that cannot be written, or a write that failed. `code` is the errno name (ENOENT: folder
 * missing, EISDIR, ENOTDIR, EACCES, EROFS, ENOSPC, EPIPE, ...), ELOOP for a symlinked temp path, EINVAL
 * for a target named twice, EABORTED for use after abort. The message is one line naming the path. The
 * CLI maps it to exit 2 (`exitCode`). Every OutputError thrown by an OutputSet has already aborted it.
 */
export class OutputError extends Error {
  readonly exitCode = 2;
  constructor(
    readonly path: string,
    readonly code: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason} (${code})`);
    this.name = 'OutputError';
  }
}

/** The file-system calls used, as a parameter so that tests can inject a failing write. */
export interface OutputFs {
  openSync: typeof nodeFs.openSync;
  writeSync: (fd: number, buf: Uint8Array, offset: number, length: number) => number;
  fsyncSync: typeof nodeFs.fsyncSync;
  fchmodSync: typeof nodeFs.fchmodSync;
  closeSync: typeof nodeFs.closeSync;
  renameSync: typeof nodeFs.renameSync;
  linkSync: typeof nodeFs.linkSync;
  unlinkSync: typeof nodeFs.unlinkSync;
}

const defaultFs: OutputFs = {
  openSync: nodeFs.openSync,
  writeSync: (fd, buf, off, len) => nodeFs.writeSync(fd, buf, off, len),
  fsyncSync: nodeFs.fsyncSync,
  fchmodSync: nodeFs.fchmodSync,
  closeSync: nodeFs.closeSync,
  renameSync: nodeFs.renameSync,
  linkSync: nodeFs.linkSync,
  unlinkSync: nodeFs.unlinkSync,
};

/** Where "-" goes: a file descriptor (default 1), or a stream-like sink (in-process CLI tests). */
export type StdoutSink = number | { write(chunk: Uint8Array): unknown };

export interface OutputSetOptions {
  /** Sink for "-" (default fd 1). */
  stdout?: StdoutSink;
  /** Aborting this signal aborts the set (temp files removed, later writes throw EABORTED). */
  signal?: AbortSignal;
  /** Temp file name for a target's base name; default ".BASE.<12 random hex>.tmp". For tests. */
  tempName?: (base: string) => string;
  /** File-system calls; for tests. */
  fs?: Partial<OutputFs>;
  /** Write buffer per output in bytes (default 1 MiB); small values exercise the chunk edges in tests. */
  bufferBytes?: number;
}

export interface AddOptions {
  /** Permission bits of a new or replaced regular file (e.g. 0o600 for keys). Default: the replaced
   * file's bits, else 0o644. Ignored for in-place targets. */
  mode?: number;
  /** Create missing parent folders (removed again if the set aborts while they are empty). */
  mkdir?: boolean;
}

export type OutputKind = 'stdout' | 'fd' | 'in-place' | 'atomic';

type SetState = 'open' | 'committed' | 'aborted';

/** One output of a set: buffered writes; nothing reaches a regular target before the set commits. */
export class OutputWriter {
  /** Bytes written (buffered or not). */
  bytes = 0;
  /** Lines written through writeLine. */
  lines = 0;
  private buf: Buffer | undefined;
  private pos = 0;
  /** @internal */ fd: number | undefined;
  /** @internal */ closed = false;

  /** @internal use OutputSet.add */
  constructor(
    private readonly set: OutputSet,
    /** The path as given ("-" for stdout). */
    readonly path: string,
    readonly kind: OutputKind,
    /** The file actually written or replaced (the symlink's target for a symlink; "-" for stdout). */
    readonly target: string,
    /** @internal */ public temp: string | undefined,
    fd: number | undefined,
  ) {
    this.fd = fd;
  }

  /** Appends text (UTF-8) or bytes. */
  write(data: string | Uint8Array): void {
    if (this.closed) this.set.checkOpen(this); // commit and abort close every writer of the set
    if (typeof data === 'string') this.writeString(data, false);
    else this.writeBytes(data);
  }

  /** Appends `s` and a newline. */
  writeLine(s: string): void {
    if (this.closed) this.set.checkOpen(this);
    this.writeString(s, true);
    this.lines++;
  }

  private writeString(s: string, newline: boolean): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit (a surrogate pair: 4 bytes for 2 units)
    const max = s.length * 3 + 1;
    let buf = this.buf ?? (this.buf = Buffer.allocUnsafe(this.set.bufferBytes));
    if (this.pos + max > buf.length) {
      this.flush();
      if (max > buf.length) {
        const b = Buffer.from(newline ? s + '\n' : s, 'utf8');
        this.out(b, 0, b.length);
        this.bytes += b.length;
        return;
      }
      buf = this.buf;
    }
    const n = buf.write(s, this.pos, 'utf8');
    this.pos += n;
    this.bytes += n;
    if (newline) {
      buf[this.pos++] = 0x0a;
      this.bytes++;
    }
  }

  private writeBytes(b: Uint8Array): void {
    const buf = this.buf ?? (this.buf = Buffer.allocUnsafe(this.set.bufferBytes));
    const big = b.length >= buf.length >> 2; // big chunks skip the copy, not the queue: flush first
    if (this.pos + b.length > buf.length || (big && this.pos > 0)) this.flush();
    if (big) this.out(b, 0, b.length);
    else {
      buf.set(b, this.pos);
      this.pos += b.length;
    }
    this.bytes += b.length;
  }

  /**
   * Writes the buffer out now: to the device, FIFO or stdout (a live consumer sees it), or to the temp
   * file (still invisible until commit). Writes flush by themselves every bufferBytes.
   */
  flush(): void {
    if (this.closed) this.set.checkOpen(this);
    if (this.pos === 0 || !this.buf) return;
    const n = this.pos;
    this.pos = 0;
    this.out(this.buf, 0, n);
  }

  private out(b: Uint8Array, off: number, len: number): void {
    this.set.writeOut(this, b, off, len);
  }
}

const liveSets = new Set<OutputSet>();
let exitHook = false;

/**
 * The outputs of one command. add() checks a target and stages it (throws OutputError naming the path);
 * commit() publishes every output; abort() (or any OutputError) removes all temp files.
 */
export class OutputSet {
  private readonly writers: OutputWriter[] = [];
  private readonly createdDirs: string[] = [];
  private state: SetState = 'open';
  private readonly fs: OutputFs;
  private readonly stdout: StdoutSink;
  private readonly tempName: (base: string) => string;
  private readonly onAbort = () => this.abort();
  /** @internal */ readonly bufferBytes: number;

  constructor(private readonly opts: OutputSetOptions = {}) {
    this.fs = { ...defaultFs, ...opts.fs };
    this.stdout = opts.stdout ?? 1;
    this.bufferBytes = Math.max(16, opts.bufferBytes ?? BUFFER_BYTES);
    this.tempName = opts.tempName ?? ((base) => `.${base.slice(0, TEMP_BASE_MAX)}.${randomBytes(6).toString('hex')}.tmp`);
    if (opts.signal?.aborted) {
      this.state = 'aborted';
      return;
    }
    opts.signal?.addEventListener('abort', this.onAbort, { once: true });
    liveSets.add(this);
    if (!exitHook) {
      // a crash (uncaught exception, process.exit) still removes the temp files
      exitHook = true;
      process.on('exit', () => {
        for (const s of liveSets) s.abort();
      });
    }
  }

  get outputs(): readonly OutputWriter[] {
    return this.writers;
  }

  /** Checks `path` and stages it: a temp file for a regular file, nothing yet for stdout and devices. */
  add(path: string, o: AddOptions = {}): OutputWriter {
    this.checkOpen();
    try {
      const w = this.stage(path, o);
      this.writers.push(w);
      return w;
    } catch (e) {
      throw this.fail(e, path, 'cannot write');
    }
  }

  /** add() and write the whole of `data`. */
  writeFile(path: string, data: string | Uint8Array, o: AddOptions = {}): OutputWriter {
    const w = this.add(path, o);
    w.write(data);
    return w;
  }

  /** Publishes every output: flush, fsync, rename (all or none of the renames); returns the targets. */
  commit(): string[] {
    this.checkOpen();
    const atomic: OutputWriter[] = [];
    for (const w of this.writers) {
      try {
        w.flush();
        if (w.kind === 'in-place' && w.fd === undefined) this.openInPlace(w); // an empty output still opens (a FIFO reader sees EOF)
        if (w.kind === 'atomic') {
          this.fs.fsyncSync(w.fd!);
          atomic.push(w);
        }
        if (w.fd !== undefined && (w.kind === 'atomic' || w.kind === 'in-place')) this.fs.closeSync(w.fd);
        w.fd = undefined;
        w.closed = true;
      } catch (e) {
        throw this.fail(e, w.path, 'cannot write');
      }
    }
    this.renameAll(atomic);
    this.state = 'committed';
    this.release();
    for (const dir of new Set(atomic.map((w) => dirname(w.target)))) fsyncDir(dir);
    return this.writers.map((w) => w.target);
  }

  /**
   * Drops one staged output that turned out to have nothing to say (eval --roc with one class only): its
   * temp file goes, its target stays as it was. Stdout and in-place targets may already hold data.
   */
  discard(w: OutputWriter): void {
    this.checkOpen();
    const i = this.writers.indexOf(w);
    if (i < 0) return;
    this.writers.splice(i, 1);
    this.drop(w);
  }

  /** Closes a writer's file and removes its temp file (its target stays as it was). */
  private drop(w: OutputWriter): void {
    if (w.fd !== undefined && (w.kind === 'atomic' || w.kind === 'in-place')) {
      try {
        this.fs.closeSync(w.fd);
      } catch {
        /* already closed */
      }
    }
    w.fd = undefined;
    w.closed = true;
    if (w.temp) unlinkQuiet(this.fs, w.temp);
    w.temp = undefined;
  }

  /** Removes every temp file and the folders this set created; earlier outputs stay as they were. */
  abort(): void {
    if (this.state !== 'open') {
      this.release();
      return;
    }
    this.state = 'aborted';
    for (const w of this.writers) this.drop(w);
    for (const d of this.createdDirs.reverse()) {
      try {
        nodeFs.rmdirSync(d); // only when still empty
      } catch {
        break;
      }
    }
    this.release();
  }

  /** @internal */
  checkOpen(w?: OutputWriter): void {
    if (this.state === 'open' && !w?.closed) return;
    throw new OutputError(w?.path ?? '(output set)', 'EABORTED', this.state === 'committed' ? 'output already committed' : 'output set was aborted');
  }

  /** @internal Writes all of b[off, off+len) to the writer's destination. */
  writeOut(w: OutputWriter, b: Uint8Array, off: number, len: number): void {
    try {
      if (w.kind === 'stdout' && typeof this.stdout !== 'number') {
        this.stdout.write(Buffer.from(b.subarray(off, off + len))); // a copy: the buffer is reused
        return;
      }
      if (w.kind === 'in-place' && w.fd === undefined) this.openInPlace(w);
      const fd = w.kind === 'stdout' ? (this.stdout as number) : w.fd!;
      writeAll(this.fs, fd, b, off, len);
    } catch (e) {
      throw this.fail(e, w.path, 'cannot write');
    }
  }

  private release(): void {
    liveSets.delete(this);
    this.opts.signal?.removeEventListener('abort', this.onAbort);
  }

  /** Aborts the set and turns `e` into an OutputError for `path`. */
  private fail(e: unknown, path: string, what: string): OutputError {
    this.abort();
    if (e instanceof OutputError) return e;
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    return new OutputError(path, code, `${what}: ${errnoText(code, (e as Error).message)}`);
  }

  private stage(path: string, o: AddOptions): OutputWriter {
    if (path === '-') {
      this.unique('-', path);
      return new OutputWriter(this, path, 'stdout', '-', undefined, undefined);
    }
    if (path === '') throw new OutputError('""', 'EINVAL', 'empty output path');
    if (path.endsWith('/')) throw new OutputError(path, 'EISDIR', 'names a folder, not a file');
    const fdn = openFdName(path);
    if (fdn !== undefined) {
      nodeFs.fstatSync(fdn); // EBADF now rather than at the first write
      this.unique(`fd ${fdn}`, path);
      return new OutputWriter(this, path, 'fd', `fd ${fdn}`, undefined, fdn);
    }

    let target = resolve(path);
    let st = lstatOrNull(target, path);
    if (st?.isSymbolicLink()) {
      // replace the file the link points to, keep the link (a dangling link: refused)
      try {
        target = nodeFs.realpathSync(target);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
        throw new OutputError(path, code, code === 'ENOENT' ? 'symbolic link to a missing file' : `cannot resolve the symbolic link: ${code}`);
      }
      st = lstatOrNull(target, path);
    }
    if (st?.isDirectory()) throw new OutputError(path, 'EISDIR', 'is a folder, not a file');
    if (st && !st.isFile()) {
      // FIFO, character or block device, socket: written in place, never replaced
      checkAccess(target, path);
      this.unique(target, path);
      return new OutputWriter(this, path, 'in-place', target, undefined, undefined);
    }
    if (st) checkAccess(target, path);
    this.unique(target, path);
    const dir = dirname(target);
    if (!st) this.checkDir(dir, path, o.mkdir === true);
    const { temp, fd } = this.createTemp(dir, basename(target), path);
    try {
      // exact bits whatever the umask; a replaced file keeps its bits and (when root) its owner
      this.fs.fchmodSync(fd, o.mode ?? (st ? st.mode & 0o777 : 0o644));
      if (st && process.getuid?.() === 0) nodeFs.fchownSync(fd, st.uid, st.gid);
    } catch (e) {
      this.fs.closeSync(fd);
      unlinkQuiet(this.fs, temp);
      throw e;
    }
    return new OutputWriter(this, path, 'atomic', target, temp, fd);
  }

  /** The same file named twice in one set would lose one of the outputs. */
  private unique(target: string, path: string): void {
    for (const x of this.writers)
      if (x.target === target) throw new OutputError(path, 'EINVAL', `same file as output ${x.path}`);
  }

  private checkDir(dir: string, path: string, mkdir: boolean): void {
    let st: nodeFs.Stats | null = null;
    try {
      st = nodeFs.statSync(dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR') throw new OutputError(path, 'ENOTDIR', `a part of folder ${dir} is a file, not a folder`);
      if (code !== 'ENOENT') throw e;
    }
    if (st && !st.isDirectory()) throw new OutputError(path, 'ENOTDIR', `${dir} is a file, not a folder`);
    if (st) return;
    if (!mkdir) throw new OutputError(path, 'ENOENT', `folder ${dir} does not exist`);
    const missing: string[] = [];
    for (let d = dir; ; d = dirname(d)) {
      let ds: nodeFs.Stats | null = null;
      try {
        ds = nodeFs.statSync(d);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new OutputError(path, (e as NodeJS.ErrnoException).code ?? 'EIO', `cannot create folder ${dir}`);
      }
      if (ds) {
        if (!ds.isDirectory()) throw new OutputError(path, 'ENOTDIR', `${d} is a file, not a folder`);
        break;
      }
      missing.unshift(d);
      if (dirname(d) === d) break;
    }
    for (const d of missing) {
      try {
        nodeFs.mkdirSync(d);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
        throw new OutputError(path, code, `cannot create folder ${d}: ${errnoText(code, '')}`);
      }
      this.createdDirs.push(d);
    }
  }

  private createTemp(dir: string, base: string, path: string): { temp: string; fd: number } {
    for (let i = 0; i < TEMP_TRIES; i++) {
      const temp = join(dir, this.tempName(base));
      try {
        // O_EXCL: never an existing file or link; O_NOFOLLOW: ELOOP on a link too (POSIX open(), O_CREAT|O_EXCL)
        return { temp, fd: this.fs.openSync(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600) };
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
        if (code === 'EEXIST' || code === 'ELOOP') {
          let link = code === 'ELOOP';
          try {
            link ||= nodeFs.lstatSync(temp).isSymbolicLink();
          } catch {
            /* gone again */
          }
          if (link) throw new OutputError(path, 'ELOOP', `temp file ${temp} is a symbolic link; refusing to write through it`);
          continue;
        }
        throw new OutputError(path, code, `cannot create a file in ${dir}: ${errnoText(code, (e as Error).message)}`);
      }
    }
    throw new OutputError(path, 'EEXIST', `no free temp file name in ${dir}`);
  }

  private openInPlace(w: OutputWriter): void {
    // no O_CREAT (it exists), no O_TRUNC (a device or FIFO); blocks on a FIFO until a reader opens it
    w.fd = this.fs.openSync(w.target, O_WRONLY);
  }

  /**
   * Renames temp files onto their targets. With several, each replaced file is first hard-linked to a
   * backup name, so that a failed rename puts the earlier ones back (all or nothing).
   */
  private renameAll(ws: OutputWriter[]): void {
    // per target: a backup name, null when it existed but could not be linked, undefined when new
    const backups: (string | null | undefined)[] = [];
    const done: OutputWriter[] = [];
    try {
      for (const w of ws) {
        let b: string | null | undefined;
        if (ws.length > 1 && lstatOrNull(w.target, w.path)?.isFile()) {
          b = join(dirname(w.target), this.tempName(basename(w.target)));
          try {
            this.fs.linkSync(w.target, b);
          } catch {
            b = null; // no hard links here: that one cannot be put back
          }
        }
        backups.push(b);
      }
      for (const w of ws) {
        try {
          this.fs.renameSync(w.temp!, w.target);
        } catch (e) {
          // put back what was already replaced; a target that did not exist is removed again
          for (let i = done.length - 1; i >= 0; i--) {
            const b = backups[i];
            try {
              if (b) this.fs.renameSync(b, done[i].target);
              else if (b === undefined) this.fs.unlinkSync(done[i].target);
            } catch {
              /* best effort */
            }
          }
          const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
          throw new OutputError(w.path, code, `cannot replace ${w.target}: ${errnoText(code, (e as Error).message)}; no output was changed`);
        }
        done.push(w);
      }
    } catch (e) {
      for (const b of backups) if (b) unlinkQuiet(this.fs, b);
      for (const w of ws) if (!done.includes(w)) unlinkQuiet(this.fs, w.temp!);
      for (const w of done) w.temp = undefined; // renamed away: not ours to remove
      throw this.fail(e, ws[0]?.path ?? '(output set)', 'cannot commit');
    }
    for (const b of backups) if (b) unlinkQuiet(this.fs, b);
  }
}

/**
 * Runs `fn` with a fresh set, commits when it returns (or its promise resolves), aborts when it throws.
 * Returns fn's result.
 */
export function withOutputSet<T>(fn: (set: OutputSet) => Promise<T>, opts?: OutputSetOptions): Promise<T>;
export function withOutputSet<T>(fn: (set: OutputSet) => T, opts?: OutputSetOptions): T;
export function withOutputSet<T>(fn: (set: OutputSet) => T | Promise<T>, opts: OutputSetOptions = {}): T | Promise<T> {
  const set = new OutputSet(opts);
  let r: T | Promise<T>;
  try {
    r = fn(set);
  } catch (e) {
    set.abort();
    throw e;
  }
  if (r instanceof Promise)
    return r.then(
      (v) => {
        set.commit();
        return v;
      },
      (e: unknown) => {
        set.abort();
        throw e;
      },
    );
  try {
    set.commit();
  } catch (e) {
    set.abort();
    throw e;
  }
  return r;
}

/**
 * Small synchronous whole-file write (state files; keys with mode 0o600), same rules as an OutputSet.
 * A number as third argument is the mode (the signature of the old firmware/util/atomicWrite.ts).
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, o: number | (AddOptions & OutputSetOptions) = {}): void {
  const opts = typeof o === 'number' ? { mode: o } : o;
  const set = new OutputSet(opts);
  set.writeFile(path, data, opts);
  set.commit();
}

// --- helpers

/** Writes everything, retrying partial writes and EAGAIN (a non-blocking stdout pipe that is full). */
function writeAll(fs: OutputFs, fd: number, b: Uint8Array, off: number, len: number): void {
  while (len > 0) {
    let n: number;
    try {
      n = fs.writeSync(fd, b, off, len);
    } catch (e) {
      // a slow reader (a pager) may hold the pipe full for minutes: wait, do not give up
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(sleeper, 0, 0, 1);
      continue;
    }
    off += n;
    len -= n;
  }
}
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** fd number when `path` names an open descriptor of this process (/dev/stdout, /dev/fd/N, /proc/self/fd/N). */
export function openFdName(path: string): number | undefined {
  let cur = resolve(path);
  for (let i = 0; i < MAX_LINK_HOPS; i++) {
    let dirReal: string;
    try {
      dirReal = nodeFs.realpathSync(dirname(cur));
    } catch {
      return undefined;
    }
    const m = /^\/proc\/(\d+)\/fd$/.exec(dirReal);
    if (m && Number(m[1]) === process.pid && /^\d+$/.test(basename(cur))) return Number(basename(cur));
    let st: nodeFs.Stats;
    try {
      st = nodeFs.lstatSync(cur);
    } catch {
      return undefined;
    }
    if (!st.isSymbolicLink()) return undefined;
    cur = resolve(dirReal, nodeFs.readlinkSync(cur));
  }
  return undefined;
}

function lstatOrNull(p: string, shown: string): nodeFs.Stats | null {
  try {
    return nodeFs.lstatSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    if (code === 'ENOENT') return null;
    if (code === 'ENOTDIR') throw new OutputError(shown, 'ENOTDIR', 'a part of the path is a file, not a folder');
    throw new OutputError(shown, code, errnoText(code, (e as Error).message));
  }
}

function checkAccess(target: string, shown: string): void {
  try {
    nodeFs.accessSync(target, nodeFs.constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EACCES';
    throw new OutputError(shown, code, `not writable: ${errnoText(code, (e as Error).message)}`);
  }
}

function unlinkQuiet(fs: OutputFs, p: string): void {
  try {
    fs.unlinkSync(p);
  } catch {
    /* already gone */
  }
}

function fsyncDir(dir: string): void {
  // makes the renames durable; some file systems refuse fsync on a folder (EINVAL), which is harmless
  let fd: number | undefined;
  try {
    fd = nodeFs.openSync(dir, nodeFs.constants.O_RDONLY);
    nodeFs.fsyncSync(fd);
  } catch {
    /* best effort */
  } finally {
    if (fd !== undefined) nodeFs.closeSync(fd);
  }
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EISDIR: 'is a folder',
  ENOTDIR: 'not a folder',
  EPIPE: 'the reader closed the pipe',
  EIO: 'input/output error',
  ENXIO: 'no reader or device',
  ENAMETOOLONG: 'name too long',
};

export function errnoText(code: string, fallback: string): string {
  return ERRNO_TEXT[code] ?? (fallback.split('\n')[0] || code);
}
