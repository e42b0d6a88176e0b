/**
 * Malformed HCI bytes: unknown H4 packet type, bad length, or parameters that do not match the
 * declared field table. `offset` is the byte offset in the stream (H4 framer) or in the packet
 * parameters (field decoding); the message names it and shows the offending bytes in hex.
 */
export class InvalidPacketError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly bytes: Uint8Array = new Uint8Array(0),
  ) {
    super(message);
    this.name = 'InvalidPacketError';
  }
}

export function hexOf(bytes: Uint8Array, max = 64): string {
  let s = '';
  const n = Math.min(bytes.length, max);
  for (let i = 0; i < n; i++) s += bytes[i].toString(16).padStart(2, '0');
  return bytes.length > max ? `${s}...(${bytes.length} bytes)` : s;
}
