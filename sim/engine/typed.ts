export type NumericArray = Int16Array | Int32Array | Uint8Array | Uint32Array | Float32Array | Float64Array;

/** A copy of `a` in a new typed array of length `n` (default twice as long): for pools that grow by doubling. */
export function grow<T extends NumericArray>(a: T, C: new (n: number) => T, n = a.length * 2): T {
  const b = new C(n);
  b.set(a);
  return b;
}
