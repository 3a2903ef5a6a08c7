// The embedded SQLite dialect: Kysely's SQLite adapter and compiler over our own small driver.
// Kysely's stock driver prepares every statement anew and opens deferred transactions; ours keeps
// a cache of prepared statements (the hot paths run the same few SQL strings), opens physical
// transactions with BEGIN IMMEDIATE, so two processes on one file (the server and `custos keys
// rotate`) wait for the write lock under busy_timeout instead of failing with SQLITE_BUSY when a
// reader tries to upgrade, and commits concurrent transactions as a group (see SqliteDriver).
import BetterSqlite3 from 'better-sqlite3';
import type { CompiledQuery } from 'kysely';
import {
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
  /** Whether the current holder changed anything (its release then waits for durability). */
  wrote = false;
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
    if (stmt.reader) {
      // RETURNING statements are readers that write.
      if (!stmt.readonly) this.wrote = true;
      return Promise.resolve({ rows: stmt.all(params) as R[] });
    }
    this.wrote = true;
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

  exec(sql: string): void {
    this.db.exec(sql);
  }
}

interface Group {
  waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }>;
  flushScheduled: boolean;
}

/**
 * One connection, handed to one holder at a time, with GROUP COMMIT: a transaction ends with
 * RELEASE of its own savepoint inside a shared physical transaction, gives the connection to the
 * next holder already waiting, and its caller resumes only after the physical COMMIT (so every
 * acknowledged write is durable under synchronous=FULL). The COMMIT runs once the holders that
 * were queued have had their turn: under concurrent load many transactions share one fsync;
 * alone, a transaction commits at once. A logical transaction that fails rolls back to its own
 * savepoint without touching the others. Writes outside a transaction join the group likewise.
 */
class SqliteDriver implements Driver {
  #connection: SqliteConnection | undefined;
  #queue: Promise<void> = Promise.resolve();
  #release: (() => void) | undefined;
  #group: Group | null = null;

  constructor(private readonly open: () => BetterSqlite3.Database) {}

  init(): Promise<void> {
    this.#connection = new SqliteConnection(this.open());
    return Promise.resolve();
  }

  async acquireConnection(): Promise<SqliteConnection> {
    const previous = this.#queue;
    let release!: () => void;
    this.#queue = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.#release = release;
    if (this.#connection === undefined) throw new Error('SQLite driver used before init');
    this.#connection.wrote = false;
    return this.#connection;
  }

  beginTransaction(connection: DatabaseConnection): Promise<void> {
    const conn = connection as SqliteConnection;
    if (this.#group === null) {
      conn.exec('begin immediate');
      this.#group = { waiters: [], flushScheduled: false };
    }
    conn.exec('savepoint custos_tx');
    return Promise.resolve();
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    const conn = connection as SqliteConnection;
    conn.exec('release custos_tx');
    return Promise.resolve();
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const conn = connection as SqliteConnection;
    if (conn.db.inTransaction) {
      conn.exec('rollback to custos_tx');
      conn.exec('release custos_tx');
    }
    this.#checkGroupAlive(conn);
    return Promise.resolve();
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const conn = connection as SqliteConnection;
    this.#checkGroupAlive(conn);
    const group = this.#group;
    let durable: Promise<void> | null = null;
    if (group !== null) {
      if (conn.wrote)
        durable = new Promise<void>((resolve, reject) => group.waiters.push({ resolve, reject }));
      if (!group.flushScheduled) {
        group.flushScheduled = true;
        // Queued behind every holder already waiting, so they join this physical transaction.
        void this.#flush(group);
      }
    }
    const release = this.#release;
    this.#release = undefined;
    release?.();
    if (durable !== null) await durable;
  }

  async #flush(group: Group): Promise<void> {
    const conn = await this.acquireConnection();
    try {
      if (this.#group === group) {
        this.#group = null;
        try {
          conn.exec('commit');
          for (const w of group.waiters) w.resolve();
        } catch (error) {
          if (conn.db.inTransaction) conn.exec('rollback');
          for (const w of group.waiters) w.reject(error);
        }
      }
    } finally {
      const release = this.#release;
      this.#release = undefined;
      release?.();
    }
  }

  /** SQLite ends the whole transaction on some errors (I/O, disk full): fail the group then. */
  #checkGroupAlive(conn: SqliteConnection): void {
    const group = this.#group;
    if (group !== null && !conn.db.inTransaction) {
      this.#group = null;
      const error = new Error(
        'the database ended the transaction (I/O error or disk full); nothing in it was saved',
      );
      for (const w of group.waiters) w.reject(error);
    }
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
