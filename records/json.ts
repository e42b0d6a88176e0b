// snake_case keys for every JSON the CLI prints or writes (docs/interfaces.md "Running it"): the code's
// objects are camelCase (JavaScript), their JSON form is not. One converter, used at the edge.

/** `pl1mDb` -> `pl1m_db`, `kBreakM` -> `k_break_m`; keys already snake_case are unchanged. */
export function snakeCase(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

/** A copy of a JSON-like value with every object key in snake_case (arrays and nested objects too). */
export function snakeKeys<T>(value: T): unknown {
  if (Array.isArray(value)) return value.map((v) => snakeKeys(v));
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[snakeCase(k)] = snakeKeys(v);
    return out;
  }
  return value;
}
