// Progress for long jobs (sim run, bench, eval): a redrawn bar with ETA on a terminal, a plain line every
// 10% or 5 s otherwise (CI logs), nothing with --quiet. Always on stderr so stdout stays data, and so
// the bar is decided by stderr being a terminal, not stdout (`sim run 2>log` gets plain lines).
import type { CliContext } from './context.ts';
import { formatDuration } from './ui.ts';

export interface Progress {
  /** Adds n (default 1) to the work done. */
  tick(n?: number): void;
  /** Sets the work done to an absolute value. */
  update(done: number): void;
  /** Finishes: final state and a newline on a terminal, a closing line otherwise. Idempotent. */
  done(): void;
}

export interface ProgressOptions {
  /** Clock in ms; tests inject one. */
  now?: () => number;
  /** Bar width in characters (default 30). */
  width?: number;
}

/**
 * Whether the progress goes to a terminal: the process's stderr decides when it is the stream drawn on;
 * an injected stream (tests, MainIo) follows ctx.isTTY.
 */
export function progressOnTerminal(ctx: Pick<CliContext, 'err' | 'isTTY'>): boolean {
  return ctx.err === process.stderr ? Boolean(process.stderr.isTTY) : ctx.isTTY;
}

/** Terminal redraws at most this often (~10/s). */
const REDRAW_MS = 100;
/** Plain mode: a line at every 10% step, or after this long without one. */
const PLAIN_STEP = 0.1;
const PLAIN_MS = 5000;

export function createProgress(
  ctx: Pick<CliContext, 'err' | 'isTTY' | 'quiet'>,
  label: string,
  total: number,
  opts: ProgressOptions = {},
): Progress {
  const now = opts.now ?? (() => performance.now());
  const width = opts.width ?? 30;
  const t0 = now();
  let done = 0;
  let finished = false;
  let lastDraw = -Infinity;
  let lastLineAt = t0;
  let lastStep = 0;
  const hasTotal = Number.isFinite(total) && total > 0;
  const tty = progressOnTerminal(ctx);

  const eta = (t: number): string => {
    if (!hasTotal || done <= 0) return '?';
    const elapsed = t - t0;
    // The first few ticks say little about the rate (start-up costs): no ETA before 1% or 1 s.
    if (done / total < 0.01 && elapsed < 1000) return '?';
    return formatDuration((elapsed / done) * Math.max(0, total - done));
  };
  const frac = () => (hasTotal ? Math.min(1, done / total) : 0);

  const drawBar = (t: number, final: boolean) => {
    let text: string;
    if (hasTotal) {
      const filled = Math.round(frac() * width);
      const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
      const pct = `${Math.floor(frac() * 100)}%`.padStart(4);
      const tail = final ? `in ${formatDuration(t - t0)}` : `ETA ${eta(t)}`;
      text = `${label} [${bar}] ${pct} ${done}/${total} ${tail}`;
    } else {
      text = `${label} ${done} ${final ? `in ${formatDuration(t - t0)}` : ''}`.trimEnd();
    }
    // \r + erase-line (ECMA-48 EL, CSI K) so a shorter line leaves no leftovers.
    ctx.err.write(`\r${text}\x1b[K${final ? '\n' : ''}`);
    lastDraw = t;
  };

  const plainLine = (t: number) => {
    const pct = hasTotal ? `${Math.floor(frac() * 100)}% ` : '';
    const of = hasTotal ? `${done}/${total}` : String(done);
    ctx.err.write(`${label}: ${pct}(${of}), ETA ${eta(t)}\n`);
    lastLineAt = t;
  };

  const changed = () => {
    if (finished || ctx.quiet) return;
    const t = now();
    if (tty) {
      if (t - lastDraw >= REDRAW_MS) drawBar(t, false);
      return;
    }
    const step = hasTotal ? Math.floor(frac() / PLAIN_STEP) : 0;
    if (step > lastStep && frac() < 1) {
      lastStep = step;
      plainLine(t);
    } else if (t - lastLineAt >= PLAIN_MS) {
      plainLine(t);
    }
  };

  return {
    tick(n = 1) {
      done += n;
      changed();
    },
    update(d: number) {
      done = d;
      changed();
    },
    done() {
      if (finished) return;
      finished = true;
      if (ctx.quiet) return;
      const t = now();
      if (tty) drawBar(t, true);
      else ctx.err.write(`${label}: done (${hasTotal ? `${done}/${total}` : done}) in ${formatDuration(t - t0)}\n`);
    },
  };
}
