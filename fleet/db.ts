// One SQL interface over two PostgreSQL back-ends: PGlite (Postgres compiled to WASM, a data folder,
// the default for one office or a test) and a real server through node-postgres' pool (postgres://,
// what a province runs). Same SQL and placeholders ($1) on both.
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { MIGRATIONS } from './migrations.ts';

export interface Sql {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Runs fn inside BEGIN .. COMMIT (ROLLBACK on a throw) on one connection. */
  tx<T>(fn: (q: Pick<Sql, 'query'>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  readonly kind: 'pglite' | 'postgres';
}

export class FleetDbError extends Error {}

export function isPostgresUrl(s: string): boolean {
  return /^postgres(ql)?:\/\//.test(s);
}

async function openPglite(dir: string): Promise<Sql> {
  let db: PGlite;
  try {
    db = await PGlite.create(dir);
  } catch (e) {
    throw new FleetDbError(`${dir}: cannot open the embedded database (${(e as Error).message}); is another collector using it?`);
  }
  // PGlite runs one statement at a time in one session: serialise so a transaction is never interleaved.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = chain.then(fn, fn);
    chain = p.catch(() => undefined);
    return p;
  };
  const q = async <T>(text: string, params?: unknown[]) => (await db.query<T>(text, params)).rows;
  return {
    kind: 'pglite',
    query: (text, params) => serial(() => q(text, params)),
    tx: (fn) => serial(() => db.transaction(async (t) => fn({ query: async <T>(text: string, params?: unknown[]) => (await t.query<T>(text, params)).rows }))),
    close: () => serial(() => db.close()),
  };
}

async function openPostgres(url: string, poolSize: number): Promise<Sql> {
  // int8 (counts, ms timestamps) as numbers: every value we store is far below 2^53.
  const types = { getTypeParser: (oid: number, format?: string) => (oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) };
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types: types as pg.CustomTypesConfig });
  pool.on('error', () => undefined); // an idle client dropped by the server: the pool replaces it
  try {
    const c = await pool.connect();
    c.release();
  } catch (e) {
    await pool.end();
    throw new FleetDbError(`${url.replace(/\/\/[^@/]*@/, '//***@')}: cannot connect to PostgreSQL (${(e as Error).message})`);
  }
  return {
    kind: 'postgres',
    query: async (text, params) => (await pool.query(text, params)).rows,
    tx: async (fn) => {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        const r = await fn({ query: async <T>(text: string, params?: unknown[]) => (await c.query(text, params)).rows as T[] });
        await c.query('COMMIT');
        return r;
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        c.release();
      }
    },
    close: () => pool.end(),
  };
}

/** Opens the store (a folder = PGlite, postgres://... = server) and applies pending migrations. */
export async function openFleetDb(target: string, opts: { poolSize?: number } = {}): Promise<Sql> {
  const sql = isPostgresUrl(target) ? await openPostgres(target, opts.poolSize ?? 10) : await openPglite(target);
  try {
    await migrate(sql);
  } catch (e) {
    await sql.close();
    throw e;
  }
  return sql;
}

/** Applies MIGRATIONS in order, each once, under an advisory lock so two collectors never race. */
export async function migrate(sql: Sql): Promise<number> {
  return sql.tx(async (q) => {
    // 0x42_5a_46 = "BZF": any constant works, it only has to be the same for every collector.
    await q.query('SELECT pg_advisory_xact_lock(4348486)');
    await q.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
    const done = new Set((await q.query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version));
    let n = 0;
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      for (const stmt of m.sql) await q.query(stmt);
      await q.query('INSERT INTO schema_migrations(version, name) VALUES ($1, $2)', [m.version, m.name]);
      n++;
    }
    return n;
  });
}
