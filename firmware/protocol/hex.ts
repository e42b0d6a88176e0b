// Hex helpers. BluezoneIDs and keys are shown as UPPERCASE hex (bluezone-protocol.md 1.1, 6.2: SQL hex()).

const HEX_DIGITS = '0123456789ABCDEF';
const BYTE_TO_HEX: string[] = Array.from({ length: 256 }, (_, b) => HEX_DIGITS[b >> 4] + HEX_DIGITS[b & 15]);

/** A hex string that could not be decoded; `offset` is the character position in the input. */
export class HexError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'HexError';
  }
}

/** Bytes to UPPERCASE hex, no separators. */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += BYTE_TO_HEX[bytes[i]];
  return s;
}

function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 65 && c <= 70) return c - 55; // A-F
  if (c >= 97 && c <= 102) return c - 87; // a-f
  return -1;
}

/**
 * Hex to bytes. Accepts either case, an optional leading "0x", and spaces, tabs, ':' or '-' between
 * bytes (so "02 01 02" and "02:01:02" work). Throws HexError naming `what` and the character offset.
 */
export function fromHex(s: string, what = 'hex string'): Uint8Array {
  const out = new Uint8Array(s.length >> 1);
  let n = 0;
  let i = 0;
  if (s.startsWith('0x') || s.startsWith('0X')) i = 2;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 9 || c === 58 || c === 45 || c === 10 || c === 13) {
      i++;
      continue;
    }
    const hi = nibble(c);
    if (hi < 0) throw new HexError(`${what}: invalid hex character ${JSON.stringify(s[i])} at offset ${i}`, i);
    if (i + 1 >= s.length) throw new HexError(`${what}: odd number of hex digits (lone digit at offset ${i})`, i);
    const lo = nibble(s.charCodeAt(i + 1));
    if (lo < 0) {
      const what2 = /[\s:-]/.test(s[i + 1]) ? 'a byte split by a separator' : `invalid hex character ${JSON.stringify(s[i + 1])}`;
      throw new HexError(`${what}: ${what2} at offset ${i + 1}`, i + 1);
    }
    out[n++] = (hi << 4) | lo;
    i += 2;
  }
  return out.slice(0, n);
}

/** fromHex plus an exact byte-length check (e.g. 32 for keys, 12 for BluezoneIDs). */
export function fromHexExact(s: string, bytes: number, what = 'hex string'): Uint8Array {
  const b = fromHex(s, what);
  if (b.length !== bytes) {
    throw new HexError(`${what}: expected ${bytes} bytes (${bytes * 2} hex digits), got ${b.length}`, s.length);
  }
  return b;
}

