// Runs the one migration history on either dialect (`custos migrate`, and at every start).
import { Migrator, sql, type MigrationResultSet } from 'kysely';
import { MIGRATIONS } from './migrations/index.js';
import type { Store } from './store.js';

/**
 * The migrator. On PostgreSQL its bookkeeping tables live in the connection's current schema,
 * named explicitly: Kysely otherwise looks for them in every schema and may find another's.
 */
async function migrator(store: Store): Promise<Migrator> {
  let migrationTableSchema: string | undefined;
  if (store.dialect === 'postgres') {
    const r = await sql<{ schema: string }>`select current_schema() as schema`.execute(store.db);
    migrationTableSchema = r.rows[0]?.schema;
  }
  return new Migrator({
    db: store.db,
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
