// Runs the one migration history on either dialect (`custos migrate`, and at every start).
import {
  Migrator,
  sql,
  type DatabaseIntrospector,
  type Kysely,
  type MigrationResultSet,
  type DatabaseMetadata,
  type TableMetadata,
} from 'kysely';
import { MIGRATIONS } from './migrations/index.js';
import type { Store } from './store.js';

/**
 * What the migrator asks of the catalogue on PostgreSQL: the schemas, and the tables of our own
 * schema. Kysely's own introspector lists every column of every table in the database and resolves
 * each by name, which fails when another schema's table is dropped meanwhile (seen with parallel
 * test schemas; possible with any concurrent DDL).
 */
function schemaIntrospector<T>(db: Kysely<T>, schema: string): DatabaseIntrospector {
  const getTables = async (): Promise<TableMetadata[]> => {
    const rows = await sql<{ name: string; is_view: boolean }>`
      select table_name as name, table_type = 'VIEW' as is_view
      from information_schema.tables where table_schema = ${schema}`.execute(db);
    return rows.rows.map((r) => ({ name: r.name, schema, isView: r.is_view, columns: [] }));
  };
  return {
    getSchemas: async () =>
      (await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace`.execute(db))
        .rows,
    getTables,
    getMetadata: async (): Promise<DatabaseMetadata> => ({ tables: await getTables() }),
  };
}

/** `db` as the migrator sees it: the same instance, with the schema-bound introspector. */
function withIntrospector<T>(db: Kysely<T>, introspector: DatabaseIntrospector): Kysely<T> {
  return new Proxy(db, {
    get(target, property) {
      if (property === 'introspection') return introspector;
      const value: unknown = Reflect.get(target, property, target);
      // Kysely keeps its state in private fields: its methods must run on the real instance.
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}

/**
 * The migrator. On PostgreSQL its bookkeeping tables live in the connection's current schema,
 * named explicitly: Kysely otherwise looks for them in every schema and may find another's.
 */
async function migrator(store: Store): Promise<Migrator> {
  let migrationTableSchema: string | undefined;
  let db = store.db;
  if (store.dialect === 'postgres') {
    const r = await sql<{ schema: string }>`select current_schema() as schema`.execute(store.db);
    migrationTableSchema = r.rows[0]?.schema;
    if (migrationTableSchema)
      db = withIntrospector(store.db, schemaIntrospector(store.db, migrationTableSchema));
  }
  return new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(MIGRATIONS) },
    ...(migrationTableSchema ? { migrationTableSchema } : {}),
  });
}

/** Applies every pending migration; throws with the failing migration's name on error. */
export async function migrateToLatest(store: Store): Promise<string[]> {
  const result: MigrationResultSet = await (await migrator(store)).migrateToLatest();
  if (result.error !== undefined) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    const reason = result.error instanceof Error ? result.error.message : 'unknown error';
    throw new Error(`migration ${failed} failed: ${reason}`, { cause: result.error });
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Names of migrations not yet applied (readiness checks refuse traffic while any remain). */
export async function pendingMigrations(store: Store): Promise<string[]> {
  const all = await (await migrator(store)).getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}

/** Applies migrations up to and including `name` (upgrade tests start from an older schema). */
export async function migrateTo(store: Store, name: string): Promise<void> {
  if (!(name in MIGRATIONS)) throw new Error(`no migration named ${name}`);
  const result = await (await migrator(store)).migrateTo(name);
  if (result.error !== undefined)
    throw new Error(`migration to ${name} failed`, { cause: result.error });
}
