// When a PI record's retention ends: its collection time plus its purpose's retention period.
// Stored on the record (`pi_records.expires_at`, indexed) so a sweep finds expired records by an
// index range instead of joining purposes over the whole table.
import type { Db, Trx } from '../db/store.js';

const DAY_MS = 86_400_000;

export function expiryOf(collectedAt: string, retentionDays: number): string {
  return new Date(Date.parse(collectedAt) + retentionDays * DAY_MS).toISOString();
}

/**
 * Recomputes `expires_at` for every record of a purpose after its retention period changed.
 * Runs inside the caller's transaction, so the new period and the new expiries land together.
 */
export async function recomputeExpiryForPurpose(
  trx: Trx | Db,
  purposeKey: string,
  retentionDays: number,
): Promise<number> {
  let changed = 0;
  let after = '';
  for (;;) {
    const page = await trx
      .selectFrom('pi_records')
      .select(['id', 'collected_at', 'expires_at'])
      .where('purpose', '=', purposeKey)
      .where('id', '>', after)
      .orderBy('id')
      .limit(1000)
      .execute();
    if (page.length === 0) return changed;
    for (const row of page) {
      const next = expiryOf(row.collected_at, retentionDays);
      if (next !== row.expires_at) {
        await trx
          .updateTable('pi_records')
          .set({ expires_at: next })
          .where('id', '=', row.id)
          .execute();
        changed++;
      }
    }
    after = page[page.length - 1]!.id;
  }
}
