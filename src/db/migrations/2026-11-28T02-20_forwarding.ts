// Processor mode: where each controller receives forwarded requests, and how it answers.
//   controller_endpoints  per business client: forward mailbox, webhook URL, its signer, and the
//                         SHA-256 of the response token (the token is shown once, never stored)
//   webhook_signers       secrets that sign outbound webhooks, each sealed with its own data key
//   outbox.signer_id      a queued webhook names its signer, so a rotated secret signs retries too
import type { Kysely } from 'kysely';
import { portable } from './portable.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  const t = portable(db);
  await db.schema
    .createTable('webhook_signers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('secret_enc', t.binary, (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('rotated_at', 'text')
    .execute();

  await db.schema
    .createTable('controller_endpoints')
    .addColumn('controller_id', 'text', (c) =>
      c.primaryKey().references('controllers.id').onDelete('cascade'),
    )
    .addColumn('forward_email', 'text')
    .addColumn('webhook_url', 'text')
    .addColumn('webhook_signer_id', 'text', (c) => c.references('webhook_signers.id'))
    .addColumn('response_token_hash', t.binary)
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema.alterTable('outbox').addColumn('signer_id', 'text').execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations cannot be reverted');
}
