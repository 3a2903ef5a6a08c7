// Foundation schema: keyring and data keys, controllers and subjects with encrypted PI records,
// blind indexes, staff access, and the verifiable audit log.
import { sql, type Kysely } from 'kysely';
import { portable } from './portable.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  const t = portable(db);

  await db.schema
    .createTable('keyring')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('material', t.binary)
    .addColumn('public_key', t.binary)
    .addColumn('encryptions', t.bigint, (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('retired_at', 'text')
    .addUniqueConstraint('keyring_purpose_version', ['purpose', 'version'])
    .execute();

  await db.schema
    .createTable('data_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_type', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('kek_version', 'integer', (c) => c.notNull())
    .addColumn('wrapped', t.binary, (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('data_keys_owner', ['owner_type', 'owner_id'])
    .execute();
  await db.schema
    .createIndex('data_keys_kek_version')
    .on('data_keys')
    .column('kek_version')
    .execute();

  await db.schema
    .createTable('controllers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('contact_email', 'text')
    .addColumn('region', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('builtin', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('subjects')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('controller_id', 'text', (c) => c.notNull().references('controllers.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('erased_at', 'text')
    .execute();
  await db.schema
    .createIndex('subjects_controller')
    .on('subjects')
    .columns(['controller_id', 'created_at'])
    .execute();

  await db.schema
    .createTable('pi_records')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subject_id', 'text', (c) => c.notNull().references('subjects.id'))
    .addColumn('controller_id', 'text', (c) => c.notNull().references('controllers.id'))
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('value_enc', t.binary)
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('collected_at', 'text', (c) => c.notNull())
    .addColumn('region', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('pi_records_subject').on('pi_records').column('subject_id').execute();

  await db.schema
    .createTable('subject_identifiers')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('digest', t.binary, (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull().references('subjects.id'))
    .addColumn('record_id', 'text', (c) => c.notNull())
    .addColumn('controller_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('subject_identifiers_pk', [
      'kind',
      'digest',
      'subject_id',
      'record_id',
    ])
    .execute();
  await db.schema
    .createIndex('subject_identifiers_subject')
    .on('subject_identifiers')
    .column('subject_id')
    .execute();

  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email_index', t.binary, (c) => c.notNull().unique())
    .addColumn('email_enc', t.binary, (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('roles', 'text', (c) => c.notNull())
    .addColumn('all_controllers', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('totp_secret_enc', t.binary)
    .addColumn('totp_last_step', t.bigint)
    .addColumn('failed_logins', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('locked_until', 'text')
    .addColumn('hard_locked', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('last_login_at', 'text')
    .execute();

  await db.schema
    .createTable('user_controllers')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('controller_id', 'text', (c) => c.notNull().references('controllers.id'))
    .addPrimaryKeyConstraint('user_controllers_pk', ['user_id', 'controller_id'])
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('ip_prefix', 'text')
    .addColumn('revoked_at', 'text')
    .execute();
  await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();

  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('secret_hash', t.binary, (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .addColumn('revoked_at', 'text')
    .execute();
  await db.schema.createIndex('api_tokens_user').on('api_tokens').column('user_id').execute();

  await db.schema
    .createTable('audit_events')
    .addColumn('seq', t.bigint, (c) => c.primaryKey())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('actor_type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('target_type', 'text')
    .addColumn('target_id', 'text')
    .addColumn('controller_id', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('entry', t.binary, (c) => c.notNull())
    .addColumn('leaf_hash', t.binary, (c) => c.notNull())
    .addColumn('mac', t.binary, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('audit_events_target')
    .on('audit_events')
    .columns(['target_type', 'target_id'])
    .execute();
  await db.schema
    .createIndex('audit_events_action')
    .on('audit_events')
    .columns(['action', 'seq'])
    .execute();

  await db.schema
    .createTable('audit_nodes')
    .addColumn('level', 'integer', (c) => c.notNull())
    .addColumn('idx', t.bigint, (c) => c.notNull())
    .addColumn('hash', t.binary, (c) => c.notNull())
    .addPrimaryKeyConstraint('audit_nodes_pk', ['level', 'idx'])
    .execute();

  await db.schema
    .createTable('audit_head')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('size', t.bigint, (c) => c.notNull())
    .addColumn('frontier', t.binary, (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('audit_checkpoints')
    .addColumn('size', t.bigint, (c) => c.primaryKey())
    .addColumn('root', t.binary, (c) => c.notNull())
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('signature', t.binary, (c) => c.notNull())
    .addColumn('key_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  const now = new Date().toISOString();
  // The company itself is the built-in controller `self`; business clients are added beside it.
  await sql`insert into controllers (id, slug, name, contact_email, region, status, builtin, created_at, updated_at)
            values ('self', 'self', 'This company', null, 'CN', 'active', 1, ${now}, ${now})`.execute(
    db,
  );
  await sql`insert into audit_head (id, size, frontier, updated_at) values (1, 0, ${Buffer.alloc(0)}, ${now})`.execute(
    db,
  );
}

export async function down(): Promise<void> {
  // Migration history is append-only: a schema change is a new migration, never a rollback.
  throw new Error('foundation migration cannot be reverted');
}
