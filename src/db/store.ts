// Opens the database Custos stores everything in: embedded SQLite by default, PostgreSQL when
// CUSTOS_DB is a postgres:// URL. Domains receive a `Store` and open explicit transactions on it.
import fs from 'node:fs';
import path from 'node:path';
import { Kysely, PostgresDialect, type SelectQueryBuilder, type Transaction } from 'kysely';
import pg from 'pg';
import type { Config } from '../config.js';
import { CustosSqliteDialect, openSqliteFile } from './sqlite.js';
import type { Database } from './types.js';

export type Dialect = 'sqlite' | 'postgres';
export type Db = Kysely<Database>;
export type Trx = Transaction<Database>;

export interface Store {
  db: Db;
  dialect: Dialect;
  /** Path of the SQLite file, or null on PostgreSQL. */
  sqliteFile: string | null;
  close(): Promise<void>;
}

export type StoreOptions =
  | { kind: 'sqlite'; file: string; synchronous?: 'FULL' | 'NORMAL' }
  | { kind: 'postgres'; url: string; poolMax?: number; schema?: string };

export const SQLITE_FILE_NAME = 'custos.db';

/** Store options from the validated configuration. */
export function storeOptions(config: Config): StoreOptions {
  return config.db.kind === 'postgres'
    ? { kind: 'postgres', url: config.db.url, poolMax: config.pgPoolMax }
    : {
        kind: 'sqlite',
        file: path.join(config.dataDir, SQLITE_FILE_NAME),
        synchronous: config.sqliteSynchronous,
      };
}

// node-postgres returns int8 as strings; our counters and sequence numbers stay below 2^53.
const PG_INT8 = 20;
const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format: 'text' | 'binary') =>
    oid === PG_INT8
      ? (v: string) => Number(v)
      : (pg.types.getTypeParser(oid, format) as unknown)) as pg.CustomTypesConfig['getTypeParser'],
};

/** Opens (and for SQLite, creates) the database. Does not migrate; see migrate.ts. */
export function openStore(options: StoreOptions): Store {
  if (options.kind === 'sqlite') {
    fs.mkdirSync(path.dirname(options.file), { recursive: true, mode: 0o700 });
    // Owner-only from the first byte; SQLite gives its -wal and -shm files the same mode.
    fs.closeSync(fs.openSync(options.file, 'a', 0o600));
    const db = new Kysely<Database>({
      dialect: new CustosSqliteDialect(() =>
        openSqliteFile({ file: options.file, synchronous: options.synchronous ?? 'FULL' }),
      ),
    });
    return { db, dialect: 'sqlite', sqliteFile: options.file, close: () => db.destroy() };
  }
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax ?? 10,
    types: pgTypes,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', sqliteFile: null, close: () => db.destroy() };
}

/**
 * Adds FOR UPDATE on PostgreSQL, where concurrent transactions need the row lock. SQLite has no
 * row locks and needs none: every write transaction holds the database lock (BEGIN IMMEDIATE).
 */
export function forUpdate<DB, TB extends keyof DB, O>(
  store: Pick<Store, 'dialect'>,
  qb: SelectQueryBuilder<DB, TB, O>,
): SelectQueryBuilder<DB, TB, O> {
  return store.dialect === 'postgres' ? qb.forUpdate() : qb;
}

/** Runs `fn` in one transaction: everything it writes commits together or not at all. */
export function transaction<T>(store: Store, fn: (trx: Trx) => Promise<T>): Promise<T> {
  return store.db.transaction().execute(fn);
}
