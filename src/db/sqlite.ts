// The embedded SQLite dialect: Kysely's SQLite adapter and compiler over our own small driver.
// Kysely's stock driver prepares every statement anew and opens deferred transactions; ours keeps
// a cache of prepared statements (the hot paths run the same few SQL strings) and opens every
// transaction with BEGIN IMMEDIATE, so two processes on one file (the server and `custos keys
// rotate`) wait for the write lock under busy_timeout instead of failing with SQLITE_BUSY when a
// reader tries to upgrade.
import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
} from 'kysely';

const STATEMENT_CACHE_SIZE = 200;

class SqliteConnection implements DatabaseConnection {
  readonly #cache = new Map<string, BetterSqlite3.Statement>();
  constructor(readonly db: BetterSqlite3.Database) {}

  #prepare(sql: string): BetterSqlite3.Statement {
    let stmt = this.#cache.get(sql);
    if (stmt === undefined) {
      stmt = this.db.prepare(sql);
      if (this.#cache.size >= STATEMENT_CACHE_SIZE) {
        const oldest = this.#cache.keys().next().value;
        if (oldest !== undefined) this.#cache.delete(oldest);
      }
      this.#cache.set(sql, stmt);
    }
    return stmt;
  }

  executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const stmt = this.#prepare(compiled.sql);
    const params = compiled.parameters as unknown[];
    if (stmt.reader) return Promise.resolve({ rows: stmt.all(params) as R[] });
    const { changes, lastInsertRowid } = stmt.run(params);
    return Promise.resolve({
      numAffectedRows: BigInt(changes),
      insertId: BigInt(lastInsertRowid),
      rows: [],
    });
  }

  async *streamQuery<R>(compiled: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    const stmt = this.#prepare(compiled.sql);
    for (const row of stmt.iterate(compiled.parameters)) yield { rows: [row as R] };
  }
}

class SqliteDriver implements Driver {
  #connection: SqliteConnection | undefined;
  #queue: Promise<void> = Promise.resolve();
  #release: (() => void) | undefined;

  constructor(private readonly open: () => BetterSqlite3.Database) {}

  init(): Promise<void> {
    this.#connection = new SqliteConnection(this.open());
    return Promise.resolve();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    // One connection, handed out one holder at a time (a transaction keeps it until it ends).
    const previous = this.#queue;
    let release!: () => void;
    this.#queue = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.#release = release;
    if (this.#connection === undefined) throw new Error('SQLite driver used before init');
    return this.#connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }
  releaseConnection(): Promise<void> {
    const release = this.#release;
    this.#release = undefined;
    release?.();
    return Promise.resolve();
  }
  destroy(): Promise<void> {
    this.#connection?.db.close();
    return Promise.resolve();
  }
}

/** Options for the SQLite file. */
export interface SqliteOptions {
  file: string;
  synchronous: 'FULL' | 'NORMAL';
  readonly?: boolean;
}

/** Opens the file with the pragmas Custos relies on (see docs in ARCHITECTURE.md). */
export function openSqliteFile(options: SqliteOptions): BetterSqlite3.Database {
  const db = new BetterSqlite3(options.file, { readonly: options.readonly ?? false });
  db.pragma('busy_timeout = 10000');
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    // FULL: an acknowledged commit survives power loss, not only a process crash (SQLite docs).
    db.pragma(`synchronous = ${options.synchronous}`);
    // Deleted content (an erased subject's wrapped data key) is overwritten, not left in free pages.
    db.pragma('secure_delete = ON');
  }
  db.pragma('foreign_keys = ON');
  return db;
}

export class CustosSqliteDialect implements Dialect {
  constructor(private readonly open: () => BetterSqlite3.Database) {}
  createDriver(): Driver {
    return new SqliteDriver(this.open);
  }
  createQueryCompiler(): SqliteQueryCompiler {
    return new SqliteQueryCompiler();
  }
  createAdapter(): SqliteAdapter {
    return new SqliteAdapter();
  }
  createIntrospector(db: Kysely<unknown>): SqliteIntrospector {
    return new SqliteIntrospector(db);
  }
}
