// Fulfilment of rights requests: the sealed response packages with their download tokens, the
// history of corrections, the tombstones of subjects erased on request, and restrictions of
// processing (PIPL arts. 44–47).
import type { Kysely } from 'kysely';
import { portable } from './portable.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  const t = portable(db);

  await db.schema
    .createTable('request_files')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('request_id', 'text', (c) => c.notNull().references('requests.id'))
    .addColumn('controller_id', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('media_type', 'text', (c) => c.notNull())
    // Sealed with the request's data key; null once expired or purged.
    .addColumn('content_enc', t.binary)
    .addColumn('size_bytes', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('token_hash', t.binary, (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('downloads', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_download_at', 'text')
    .addColumn('purged_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('request_files_request')
    .on('request_files')
    .column('request_id')
    .execute();
  await db.schema
    .createIndex('request_files_subject')
    .on('request_files')
    .column('subject_id')
    .execute();
  await db.schema
    .createIndex('request_files_expiry')
    .on('request_files')
    .columns(['purged_at', 'expires_at'])
    .execute();

  await db.schema
    .createTable('record_corrections')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('record_id', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text', (c) => c.references('requests.id'))
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('corrected_at', 'text', (c) => c.notNull())
    .addColumn('actor_type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .execute();
  await db.schema
    .createIndex('record_corrections_record')
    .on('record_corrections')
    .columns(['record_id', 'corrected_at'])
    .execute();
  await db.schema
    .createIndex('record_corrections_subject')
    .on('record_corrections')
    .column('subject_id')
    .execute();

  await db.schema
    .createTable('subject_tombstones')
    .addColumn('subject_id', 'text', (c) => c.primaryKey())
    .addColumn('controller_id', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text', (c) => c.references('requests.id'))
    .addColumn('erased_at', 'text', (c) => c.notNull())
    .addColumn('reason_code', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('subject_restrictions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('controller_id', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text', (c) => c.references('requests.id'))
    // 'all', or a JSON list of purpose keys.
    .addColumn('purposes', 'text', (c) => c.notNull())
    .addColumn('reason_code', 'text', (c) => c.notNull())
    .addColumn('since', 'text', (c) => c.notNull())
    .addColumn('lifted_at', 'text')
    .execute();
  await db.schema
    .createIndex('subject_restrictions_subject')
    .on('subject_restrictions')
    .columns(['subject_id', 'lifted_at'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations cannot be reverted');
}
