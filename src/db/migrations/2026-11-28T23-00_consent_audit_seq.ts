// Each consent record names the audit event that covers it: its own `consent.record` event, or the
// `consent.batch` event whose Merkle root is taken over the records of one group-committed banner
// flush. Records written before this column existed each have their own event, found by target.
// The two lookup indexes become partial: a banner record has no subject and a person's record no
// visitor digest, so each row now enters the one index it is found by (one B-tree insert fewer per
// record on the banner's hot path; the queries' `= ?` and `in (…)` imply the index condition).
import { sql, type Kysely } from 'kysely';
import { portable } from './portable.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  const t = portable(db);
  await db.schema.alterTable('consent_records').addColumn('audit_seq', t.bigint).execute();
  await sql`update consent_records set audit_seq = (
      select e.seq from audit_events e
      where e.action = 'consent.record' and e.target_id = consent_records.id)`.execute(db);
  await db.schema.dropIndex('consent_records_subject').execute();
  await db.schema.dropIndex('consent_records_visitor').execute();
  await sql`create index consent_records_subject on consent_records (subject_id, purpose_key, created_at)
      where subject_id is not null`.execute(db);
  await sql`create index consent_records_visitor on consent_records (visitor_digest, purpose_key, created_at)
      where visitor_digest is not null`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('migrations cannot be reverted');
}
