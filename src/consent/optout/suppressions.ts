// The marketing suppression list: addresses that must never get marketing mail again, keyed by the
// blind index of the canonical address (the list holds no address, only keyed digests). Every
// marketing send checks it when the mail is queued, and the sender checks it again before the mail
// leaves (notify/deliver.ts), so an unsubscribe between the two still stops the mail.
import { actorOf, type Principal } from '../../access/principal.js';
import type { AppContext } from '../../context.js';
import { transaction, type Trx } from '../../db/store.js';
import { invalidField } from '../../errors.js';
import { suppressionDigest } from '../../notify/deliver.js';
import type { SuppressionsTable } from '../tables.js';
import type { AddSuppressionBody, SuppressionList, SuppressionPage } from './schema.js';

/** Adds a digest to the list; true when it was new (adding it twice is harmless). */
export async function suppress(
  ctx: Pick<AppContext, 'clock'>,
  trx: Trx,
  digest: Buffer,
  reason: SuppressionsTable['reason'],
  source: string | null,
): Promise<boolean> {
  const r = await trx
    .insertInto('suppressions')
    .values({ digest, reason, source, created_at: ctx.clock.now().toISOString() })
    .onConflict((oc) => oc.column('digest').doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** The digests of `digests` that are on the list. */
export async function suppressedAmong(trx: Trx, digests: readonly Buffer[]): Promise<Set<string>> {
  if (digests.length === 0) return new Set();
  const rows = await trx
    .selectFrom('suppressions')
    .select('digest')
    .where('digest', 'in', [...digests])
    .execute();
  return new Set(rows.map((r) => r.digest.toString('hex')));
}

/** The list for staff: reasons, sources and times, each digest shortened; never an address. */
export async function listSuppressions(
  ctx: AppContext,
  query: SuppressionList,
): Promise<SuppressionPage> {
  const db = ctx.store.db;
  const total = await db
    .selectFrom('suppressions')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  const rows = await db
    .selectFrom('suppressions')
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('digest')
    .limit(query.limit)
    .offset(query.offset)
    .execute();
  return {
    count: Number(total.n),
    entries: rows.map((r) => ({
      digest: r.digest.subarray(0, 8).toString('hex'),
      reason: r.reason,
      source: r.source,
      createdAt: r.created_at,
    })),
  };
}

/** A staff member puts an address on the list by hand (e.g. a person asked by phone). */
export async function addSuppression(
  ctx: AppContext,
  caller: Principal,
  input: AddSuppressionBody,
): Promise<{ added: boolean; digest: string }> {
  const digest = suppressionDigest(ctx, input.email);
  // The message names the field, never the value (it is personal data).
  if (digest === null) throw invalidField('/email', 'is not a valid e-mail address');
  return transaction(ctx.store, async (trx) => {
    const added = await suppress(ctx, trx, digest, 'staff', `staff:${caller.userId}`);
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'marketing.suppressed',
      // The trail names no digest: it is a stable pseudonym of the address.
      target: { type: 'suppression', id: null },
      outcome: 'success',
      details: { reason: 'staff', added },
    });
    return { added, digest: digest.subarray(0, 8).toString('hex') };
  });
}
