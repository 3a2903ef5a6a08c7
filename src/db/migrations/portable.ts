// Column types that mean the same thing on SQLite and PostgreSQL. Migrations use only these and
// Kysely's schema builder, so one migration history serves both dialects. This file is frozen
// with the migrations: it must not import application code.
import { PostgresAdapter, type Kysely } from 'kysely';

export interface Portable {
  /** BLOB on SQLite, BYTEA on PostgreSQL. */
  binary: 'blob' | 'bytea';
  /** 64-bit integers (sequence numbers, counters). */
  bigint: 'integer' | 'bigint';
  isPostgres: boolean;
}

export function portable(db: Kysely<unknown>): Portable {
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter;
  return {
    binary: isPostgres ? 'bytea' : 'blob',
    bigint: isPostgres ? 'bigint' : 'integer',
    isPostgres,
  };
}
