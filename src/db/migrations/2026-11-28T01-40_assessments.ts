// Impact assessments (PIPL arts. 55–56), what each one covers, and the policy flags raised by
// high-risk results (a high-risk assessment is a material change for the privacy policy).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('assessments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('triggers', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('origin_ref', 'text')
    .addColumn('lawfulness', 'text')
    .addColumn('impact', 'text')
    .addColumn('measures', 'text')
    .addColumn('risk_rating', 'text')
    .addColumn('residual_risk', 'text')
    .addColumn('approved_by', 'text')
    .addColumn('completed_at', 'text')
    .addColumn('retain_until', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('assessments_status')
    .on('assessments')
    .columns(['status', 'id'])
    .execute();

  await db.schema
    .createTable('assessment_scope')
    .addColumn('assessment_id', 'text', (c) => c.notNull().references('assessments.id'))
    .addColumn('entity_type', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('assessment_scope_pk', ['assessment_id', 'entity_type', 'entity_id'])
    .execute();
  await db.schema
    .createIndex('assessment_scope_entity')
    .on('assessment_scope')
    .columns(['entity_type', 'entity_id'])
    .execute();

  await db.schema
    .createTable('policy_flags')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('source_type', 'text', (c) => c.notNull())
    .addColumn('source_id', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('raised_at', 'text', (c) => c.notNull())
    .addColumn('resolved_at', 'text')
    .execute();
  await db.schema
    .createIndex('policy_flags_open')
    .on('policy_flags')
    .columns(['resolved_at', 'raised_at'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations cannot be reverted');
}
