// Legal holds and retention sweeps: holds that suspend deletion (PIPL art. 47 ¶2), the resumable
// run reports of the sweep, and the aggregate counts left behind when records are anonymised.
import type { Kysely } from 'kysely';
import { portable } from './portable.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  const t = portable(db);

  await db.schema
    .createTable('legal_holds')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text', (c) => c.notNull())
    // The controller whose data the hold covers; null for a category hold (every controller).
    .addColumn('controller_id', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('ends_at', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_by_type', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('released_at', 'text')
    .addColumn('released_by', 'text')
    .addColumn('release_reason', 'text')
    .execute();
  await db.schema
    .createIndex('legal_holds_target')
    .on('legal_holds')
    .columns(['scope', 'target_id', 'status'])
    .execute();

  await db.schema
    .createTable('retention_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('dry_run', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('actor_type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    // JSON {expiresAt, id} of the last record handled, or null before the first batch.
    .addColumn('cursor', 'text')
    .addColumn('counts', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema
    .createIndex('retention_runs_status')
    .on('retention_runs')
    .columns(['status', 'dry_run'])
    .execute();

  await db.schema
    .createTable('retention_anonymised')
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('region', 'text', (c) => c.notNull())
    // Month of collection, `YYYY-MM`: coarse enough that a count identifies no one.
    .addColumn('month', 'text', (c) => c.notNull())
    .addColumn('records', t.bigint, (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('retention_anonymised_pk', ['purpose', 'category', 'region', 'month'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations cannot be reverted');
}
