// Small helpers for human-readable output: colours (only on a terminal) and aligned tables.
// Colour rules follow https://no-color.org (NO_COLOR set and non-empty disables) and the common
// FORCE_COLOR convention (set and not "0" enables even when not a terminal).
import type { EventEmitter } from 'node:events';
import type { Command } from 'commander';
import type { CliContext } from './context.ts';

export type Env = Record<string, string | undefined>;

/** Whether colour escapes may be written: FORCE_COLOR/NO_COLOR first, else only on a terminal. */
export function colorEnabled(ctx: Pick<CliContext, 'isTTY'>, env: Env = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '' && force !== '0' && force !== 'false') return true;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (force === '0' || force === 'false') return false;
  if (env.TERM === 'dumb') return false;
  return ctx.isTTY;
}

export interface Colors {
  enabled: boolean;
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

const SGR = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39], cyan: [36, 39] };

export function colors(enabled: boolean): Colors {
  const wrap = ([on, off]: number[]) => (s: string) => (enabled ? `\x1b[${on}m${s}\x1b[${off}m` : s);
  return {
    enabled,
    bold: wrap(SGR.bold),
    dim: wrap(SGR.dim),
    red: wrap(SGR.red),
    green: wrap(SGR.green),
    yellow: wrap(SGR.yellow),
    cyan: wrap(SGR.cyan),
  };
}

/** Colours for a context, decided once per call. */
export function ui(ctx: Pick<CliContext, 'isTTY'>, env: Env = process.env): Colors {
  return colors(colorEnabled(ctx, env));
}

// Visible width: escape sequences take no columns.
const ANSI = /\x1b\[[0-9;]*m/g;
export function visibleWidth(s: string): number {
  return s.replace(ANSI, '').length;
}

export type Cell = string | number | boolean | null | undefined;

export interface TableOptions {
  /** Header row; omitted: no header. */
  head?: string[];
  /** Digits after the point for non-integer numbers (default 3). */
  digits?: number;
  /** Wraps header cells, e.g. colors(..).bold. */
  headStyle?: (s: string) => string;
}

function cellText(c: Cell, digits: number): string {
  if (c === null || c === undefined) return '';
  if (typeof c === 'number') return Number.isInteger(c) ? String(c) : c.toFixed(digits);
  return String(c);
}

/**
 * Formats rows as a plain-text table: columns separated by two spaces, numbers right-aligned, text
 * left-aligned, a dashed rule under the header. Returns lines joined with "\n" and a final newline.
 */
export function formatTable(rows: Cell[][], opts: TableOptions = {}): string {
  const digits = opts.digits ?? 3;
  const head = opts.head ?? [];
  const ncol = Math.max(head.length, ...rows.map((r) => r.length), 0);
  const body = rows.map((r) => Array.from({ length: ncol }, (_, i) => cellText(r[i], digits)));
  const numeric = Array.from({ length: ncol }, (_, i) =>
    rows.length > 0 && rows.every((r) => r[i] === undefined || r[i] === null || typeof r[i] === 'number'),
  );
  const widths = Array.from({ length: ncol }, (_, i) =>
    Math.max(visibleWidth(head[i] ?? ''), ...body.map((r) => visibleWidth(r[i]))),
  );
  const pad = (s: string, i: number) => {
    const gap = ' '.repeat(widths[i] - visibleWidth(s));
    return numeric[i] ? gap + s : s + gap;
  };
  const line = (cells: string[]) => cells.map(pad).join('  ').trimEnd();
  const out: string[] = [];
  if (head.length > 0) {
    const h = Array.from({ length: ncol }, (_, i) => head[i] ?? '');
    const style = opts.headStyle ?? ((s: string) => s);
    out.push(h.map((s, i) => style(pad(s, i))).join('  ').trimEnd());
    out.push(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  for (const r of body) out.push(line(r));
  return out.length ? out.join('\n') + '\n' : '';
}

/** "1h 02m", "3m 05s", "12s", "0.4s": for ETAs and elapsed times. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(sec).padStart(2, '0')}s`;
  return `${sec}s`;
}

// --- help text -------------------------------------------------------------------------------------

/** The text a command's addHelpText('after', ...) hooks print, captured without printing it. */
export function afterHelpText(cmd: Command): string {
  let s = '';
  // Command is an EventEmitter at run time (addHelpText registers '<position>Help' listeners); its typings hide emit.
  (cmd as unknown as EventEmitter).emit('afterHelp', { error: false, command: cmd, write: (t: string) => (s += t) });
  return s;
}

/** `$ npx bluezone ...` lines from a help text's examples. */
export function exampleLines(helpText: string): string[] {
  return helpText
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('$ npx bluezone'));
}

/** An example line without its trailing `# comment`. */
function commandPart(line: string): string {
  return line.replace(/\s+#.*$/, '').trim();
}

/**
 * Command groups (e.g. `beacon`) whose own help has no examples get the first example of each
 * subcommand, so `npx bluezone beacon --help` shows how to start, like every leaf command does.
 */
export function addGroupExamples(program: Command): void {
  const visit = (cmd: Command) => {
    for (const sub of cmd.commands) visit(sub);
    if (cmd.commands.length === 0) return;
    const own = exampleLines(afterHelpText(cmd));
    if (cmd !== program && own.length > 0) return;
    const lines = cmd.commands
      .map((sub) => exampleLines(afterHelpText(sub))[0])
      .filter((l): l is string => Boolean(l) && !own.some((o) => commandPart(o) === commandPart(l)));
    if (lines.length === 0) return;
    const title = cmd === program ? 'More examples, one per command:' : 'Examples:';
    cmd.addHelpText('after', `${cmd === program ? '' : '\n'}${title}\n${lines.map((l) => `  ${l}`).join('\n')}`);
  };
  visit(program);
}

/**
 * Usage errors from commander (unknown option, missing argument) end with the same `hint:` line as our
 * own errors, naming the exact help to read: "hint: see `npx bluezone scan export --help`".
 */
export function addUsageHints(program: Command): void {
  const visit = (cmd: Command, path: string[]) => {
    cmd.showHelpAfterError(`hint: see \`${['npx bluezone', ...path, '--help'].join(' ')}\``);
    for (const sub of cmd.commands) visit(sub, [...path, sub.name()]);
  };
  visit(program, []);
}
