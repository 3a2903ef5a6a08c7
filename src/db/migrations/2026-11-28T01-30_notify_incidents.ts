// The transactional outbox and the incident register.
//   outbox             one row per outbound message, written in the transaction of the change that
//                      causes it; recipient and parameters sealed (subject's or per-message data key)
//   incidents          security incidents with grade, clocks and the post-incident report
//   incident_subjects  the data subjects an incident affects (who gets a notice)
import type { Kysely } from 'kysely';
import { portable } from './portable.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  const t = portable(db);

  await db.schema
    .createTable('outbox')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('template', 'text', (c) => c.notNull())
    .addColumn('lang', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text')
    .addColumn('to_enc', t.binary)
    .addColumn('params_enc', t.binary)
    .addColumn('dedupe_key', 'text', (c) => c.notNull().unique())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('lease_until', 'text')
    .addColumn('last_error', 'text')
    .addColumn('message_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'text')
    .execute();
  await db.schema
    .createIndex('outbox_due')
    .on('outbox')
    .columns(['status', 'next_attempt_at'])
    .execute();
  await db.schema.createIndex('outbox_subject').on('outbox').column('subject_id').execute();

  await db.schema
    .createTable('incidents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('controller_id', 'text', (c) => c.notNull().references('controllers.id'))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('detected_at', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'text')
    .addColumn('contained_at', 'text')
    .addColumn('categories', 'text', (c) => c.notNull())
    .addColumn('sensitive', 'integer', (c) => c.notNull())
    .addColumn('persons_affected', t.bigint, (c) => c.notNull())
    .addColumn('cii', 'integer', (c) => c.notNull())
    .addColumn('cause', 'text')
    .addColumn('possible_harm', 'text')
    .addColumn('remedies_taken', 'text')
    .addColumn('person_actions', 'text')
    .addColumn('contact', 'text')
    .addColumn('grade', 'text', (c) => c.notNull())
    .addColumn('grade_computed', 'text', (c) => c.notNull())
    .addColumn('grade_reason', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('regulator_due_at', 'text')
    .addColumn('regulator_reported_at', 'text')
    .addColumn('regulator_authority', 'text')
    .addColumn('regulator_reference', 'text')
    .addColumn('notify_due_at', 'text', (c) => c.notNull())
    .addColumn('notice_decision', 'text')
    .addColumn('notice_decision_reason', 'text')
    .addColumn('notice_decided_at', 'text')
    .addColumn('notified_at', 'text')
    .addColumn('report_due_at', 'text')
    .addColumn('post_report', 'text')
    .addColumn('post_report_at', 'text')
    .addColumn('closed_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('incidents_controller')
    .on('incidents')
    .columns(['controller_id', 'status'])
    .execute();

  await db.schema
    .createTable('incident_subjects')
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id'))
    .addColumn('subject_id', 'text', (c) => c.notNull().references('subjects.id'))
    .addColumn('added_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('incident_subjects_pk', ['incident_id', 'subject_id'])
    .execute();
  await db.schema
    .createIndex('incident_subjects_subject')
    .on('incident_subjects')
    .column('subject_id')
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations cannot be reverted');
}
