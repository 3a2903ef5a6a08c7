// Disclosure, law-enforcement, transfer-of-control and cross-border transfer registers, the
// persons counted per transfer and year (the 2024 Provisions count from 1 January), and the
// history of every register entry. Subject ids carry no foreign key: erasure must not be blocked
// by the record that the person's data once went out (PIPL art. 56 keeps such records 3 years).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('disclosures')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('controller_id', 'text', (c) => c.notNull().references('controllers.id'))
    .addColumn('recipient_id', 'text', (c) => c.notNull().references('recipients.id'))
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('categories', 'text', (c) => c.notNull())
    .addColumn('legal_basis', 'text', (c) => c.notNull())
    .addColumn('separate_consent_ref', 'text')
    .addColumn('persons_count', 'integer', (c) => c.notNull())
    .addColumn('disclosed_at', 'text', (c) => c.notNull())
    .addColumn('le_request_id', 'text')
    .addColumn('transfer_id', 'text')
    .addColumn('note', 'text')
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('disclosures_controller')
    .on('disclosures')
    .columns(['controller_id', 'disclosed_at'])
    .execute();
  await db.schema
    .createIndex('disclosures_recipient')
    .on('disclosures')
    .column('recipient_id')
    .execute();

  await db.schema
    .createTable('disclosure_subjects')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('disclosure_id', 'text', (c) => c.notNull().references('disclosures.id'))
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('controller_id', 'text', (c) => c.notNull())
    .addColumn('categories', 'text', (c) => c.notNull())
    .addColumn('records', 'integer', (c) => c.notNull())
    .addColumn('via', 'text', (c) => c.notNull())
    .addColumn('delivered_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('disclosure_subjects_subject')
    .on('disclosure_subjects')
    .columns(['subject_id', 'delivered_at'])
    .execute();
  await db.schema
    .createIndex('disclosure_subjects_disclosure')
    .on('disclosure_subjects')
    .column('disclosure_id')
    .execute();

  await db.schema
    .createTable('le_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('controller_id', 'text', (c) => c.notNull().references('controllers.id'))
    .addColumn('authority', 'text', (c) => c.notNull())
    .addColumn('authority_country', 'text', (c) => c.notNull())
    .addColumn('instrument_ref', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('scope_requested', 'text', (c) => c.notNull())
    .addColumn('subject_ids', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('decision_reason', 'text')
    .addColumn('disclosed_categories', 'text')
    .addColumn('disclosed_summary', 'text')
    .addColumn('competent_approval_ref', 'text')
    .addColumn('decided_at', 'text')
    .addColumn('disclosure_id', 'text')
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('le_requests_controller')
    .on('le_requests')
    .columns(['controller_id', 'received_at'])
    .execute();

  await db.schema
    .createTable('control_transfers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('controller_id', 'text', (c) => c.notNull().references('controllers.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('counterparty', 'text', (c) => c.notNull())
    .addColumn('counterparty_country', 'text', (c) => c.notNull())
    .addColumn('effective_at', 'text', (c) => c.notNull())
    .addColumn('categories', 'text', (c) => c.notNull())
    .addColumn('persons_count', 'integer', (c) => c.notNull())
    .addColumn('systems', 'text', (c) => c.notNull())
    .addColumn('obligations_note', 'text', (c) => c.notNull())
    .addColumn('notification_ref', 'text')
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('transfers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('recipient_id', 'text', (c) => c.notNull().references('recipients.id'))
    .addColumn('destination_country', 'text', (c) => c.notNull())
    .addColumn('mechanism', 'text', (c) => c.notNull())
    .addColumn('mechanism_ref', 'text')
    .addColumn('exemption_ground', 'text')
    .addColumn('categories', 'text', (c) => c.notNull())
    .addColumn('purposes', 'text', (c) => c.notNull())
    .addColumn('expected_yearly_persons', 'integer', (c) => c.notNull())
    .addColumn('approved_at', 'text')
    .addColumn('expires_at', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .addColumn('revoke_reason', 'text')
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('transfers_recipient')
    .on('transfers')
    .columns(['recipient_id', 'status'])
    .execute();

  await db.schema
    .createTable('transfer_persons')
    .addColumn('transfer_id', 'text', (c) => c.notNull().references('transfers.id'))
    .addColumn('year', 'integer', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('sensitive', 'integer', (c) => c.notNull())
    .addColumn('first_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('transfer_persons_pk', [
      'transfer_id',
      'year',
      'subject_id',
      'sensitive',
    ])
    .execute();
  // Handler-wide distinct counts per year read this index only.
  await db.schema
    .createIndex('transfer_persons_year')
    .on('transfer_persons')
    .columns(['year', 'sensitive', 'subject_id'])
    .execute();

  await db.schema
    .createTable('transfer_warnings')
    .addColumn('year', 'integer', (c) => c.notNull())
    .addColumn('threshold', 'text', (c) => c.notNull())
    .addColumn('persons', 'integer', (c) => c.notNull())
    .addColumn('warned_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('transfer_warnings_pk', ['year', 'threshold'])
    .execute();

  await db.schema
    .createTable('register_history')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('entity_type', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('snapshot', 'text', (c) => c.notNull())
    .addColumn('actor_type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('at', 'text', (c) => c.notNull())
    .addUniqueConstraint('register_history_version', ['entity_type', 'entity_id', 'version'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations cannot be reverted');
}
