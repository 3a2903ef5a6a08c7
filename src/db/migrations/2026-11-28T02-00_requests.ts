// Rights requests: the requests themselves (personal values sealed with a per-request data key),
// their event history, internal notes and identity-verification codes.
import type { Kysely } from 'kysely';
import { portable } from './portable.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  const t = portable(db);
  await db.schema
    .createTable('requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('parent_id', 'text', (c) => c.references('requests.id'))
    .addColumn('controller_id', 'text', (c) => c.notNull().references('controllers.id'))
    .addColumn('subject_id', 'text')
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('lang', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_token_hash', t.binary, (c) => c.notNull())
    .addColumn('contact_enc', t.binary)
    .addColumn('details_enc', t.binary)
    .addColumn('email_digest', t.binary)
    .addColumn('phone_digest', t.binary)
    .addColumn('dedupe_digest', t.binary)
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('verified_at', 'text')
    .addColumn('verification_channel', 'text')
    .addColumn('due_at', 'text')
    .addColumn('alarm_at', 'text')
    .addColumn('extended_at', 'text')
    .addColumn('extension_reason', 'text')
    .addColumn('assigned_to', 'text')
    .addColumn('refusal_ground', 'text')
    .addColumn('refusal_reason', 'text')
    .addColumn('refusal_evidence_ref', 'text')
    .addColumn('refusal_approved_by', 'text')
    .addColumn('refusal_proposed_by', 'text')
    .addColumn('refusal_proposed_at', 'text')
    .addColumn('fee_status', 'text', (c) => c.notNull().defaultTo('none'))
    .addColumn('fee_amount_cents', 'integer')
    .addColumn('fee_cost_basis', 'text')
    .addColumn('fee_approved_by', 'text')
    .addColumn('forwarded_at', 'text')
    .addColumn('controller_response_at', 'text')
    .addColumn('controller_response_enc', t.binary)
    .addColumn('outcome', 'text')
    .addColumn('closed_at', 'text')
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('requests_queue')
    .on('requests')
    .columns(['status', 'due_at', 'id'])
    .execute();
  await db.schema.createIndex('requests_subject').on('requests').column('subject_id').execute();
  await db.schema
    .createIndex('requests_email')
    .on('requests')
    .columns(['email_digest', 'type', 'received_at'])
    .execute();
  await db.schema
    .createIndex('requests_dedupe')
    .on('requests')
    .columns(['dedupe_digest', 'received_at'])
    .execute();

  await db.schema
    .createTable('request_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('request_id', 'text', (c) => c.notNull().references('requests.id'))
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor_type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('from_status', 'text')
    .addColumn('to_status', 'text')
    .addColumn('reason', 'text')
    .addColumn('details', 'text')
    .execute();
  await db.schema
    .createIndex('request_events_request')
    .on('request_events')
    .columns(['request_id', 'at'])
    .execute();

  await db.schema
    .createTable('request_notes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('request_id', 'text', (c) => c.notNull().references('requests.id'))
    .addColumn('author_id', 'text', (c) => c.notNull())
    .addColumn('body_enc', t.binary, (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('request_verifications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('request_id', 'text', (c) => c.notNull().references('requests.id'))
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('code_hash', t.binary, (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('verified_at', 'text')
    .addColumn('locked_at', 'text')
    .execute();
  await db.schema
    .createIndex('request_verifications_request')
    .on('request_verifications')
    .column('request_id')
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations cannot be reverted');
}
