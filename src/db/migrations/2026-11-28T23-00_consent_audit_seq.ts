// Each consent record names the audit event that covers it: its own `consent.record` event, or the
// `consent.batch` event whose Merkle root is taken over the records of one group-committed banner
// flush. Records written before this column existed each have their own event, found by target.
import { sql, type Kysely } from 'kysely';
import { portable } from './portable.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  const t = portable(db);
  await db.schema.alterTable('consent_records').addColumn('audit_seq', t.bigint).execute();
  await sql`update consent_records set audit_seq = (
      select e.seq from audit_events e
      where e.action = 'consent.record' and e.target_id = consent_records.id)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('migrations cannot be reverted');
}
