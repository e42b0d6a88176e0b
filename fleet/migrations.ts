// The collector's schema, one migration per change, applied in order by migrate() (fleet/db.ts). Never
// edit a released migration: add the next one.
export interface Migration {
  version: number;
  name: string;
  sql: string[];
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'sites, beacons, presence counts, viewers',
    sql: [
      `CREATE TABLE districts (id serial PRIMARY KEY, name text NOT NULL UNIQUE)`,
      `CREATE TABLE sites (id serial PRIMARY KEY, name text NOT NULL UNIQUE, district_id integer NOT NULL REFERENCES districts(id))`,
      // token_hash: SHA-256 of a 256-bit random token (docs/fleet.md "Enrolment"); the token itself is never stored.
      `CREATE TABLE beacons (
         id text PRIMARY KEY,
         site_id integer NOT NULL REFERENCES sites(id),
         token_hash text NOT NULL UNIQUE,
         enrolled_at_ms bigint NOT NULL,
         revoked boolean NOT NULL DEFAULT false,
         last_seen_ms bigint,
         state text, slot integer, id_prefix text, restarts integer, last_error text,
         clock_sync text, clock_offset_ms bigint, version text, beacon_time_ms bigint
       )`,
      `CREATE INDEX beacons_site ON beacons(site_id)`,
      // One row per beacon, UTC day and slot: the upload key, so a retried upload replaces, never adds.
      `CREATE TABLE slot_counts (
         beacon_id text NOT NULL REFERENCES beacons(id),
         day date NOT NULL,
         slot smallint NOT NULL CHECK (slot BETWEEN 0 AND 95),
         android integer NOT NULL, ios integer, estimate integer NOT NULL, low integer NOT NULL, high integer NOT NULL,
         stationary_excluded integer NOT NULL,
         received_ms bigint NOT NULL,
         PRIMARY KEY (beacon_id, day, slot)
       )`,
      `CREATE INDEX slot_counts_day ON slot_counts(day, beacon_id)`,
      `CREATE TABLE day_counts (
         beacon_id text NOT NULL REFERENCES beacons(id),
         day date NOT NULL,
         android integer NOT NULL, ios integer, estimate integer NOT NULL, low integer NOT NULL, high integer NOT NULL,
         stationary_excluded integer NOT NULL, slots smallint NOT NULL,
         received_ms bigint NOT NULL,
         PRIMARY KEY (beacon_id, day)
       )`,
      `CREATE INDEX day_counts_day ON day_counts(day, beacon_id)`,
      // Read-only dashboard logins: site_id NULL = the province view. scrypt hash (docs/fleet.md).
      `CREATE TABLE viewers (name text PRIMARY KEY, password_hash text NOT NULL, site_id integer REFERENCES sites(id))`,
    ],
  },
];
