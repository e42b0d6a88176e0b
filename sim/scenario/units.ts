// Duration and time-of-day strings used in scenario files ("90s", "15m", "1h30m", "08:30", "+10m").

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/** "250ms", "90s", "15m", "1h30m", "2d" or a plain number of seconds; undefined if malformed. */
export function parseDuration(v: string | number): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? Math.round(v * 1000) : undefined;
  const s = v.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|min|s|m|h|d)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * UNIT_MS[m[2]];
    matched = re.lastIndex;
  }
  if (matched === 0 || matched !== s.length) return undefined;
  return Math.round(total);
}

/**
 * A moment of the run as ms after its start: "HH:MM[:SS]" is a UTC clock time on the start's day
 * (clamped to 0 when before the start), "+15m" an offset from the start.
 */
export function parseMoment(v: string, startMs: number): number | undefined {
  const s = v.trim();
  if (s.startsWith('+')) return parseDuration(s.slice(1));
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(s);
  if (!m) return undefined;
  const h = Number(m[1]);
  const mi = Number(m[2]);
  const se = Number(m[3] ?? 0);
  if (h > 47 || mi > 59 || se > 59) return undefined;
  const day = Math.floor(startMs / 86_400_000) * 86_400_000;
  return Math.max(0, day + ((h * 60 + mi) * 60 + se) * 1000 - startMs);
}

