// A disclosure entry resting on consent may name the data-map purpose whose separate consent it
// relies on; delivery then checks each person's consent ledger for a current grant of it.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('disclosures').addColumn('consent_purpose', 'text').execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations cannot be reverted');
}
