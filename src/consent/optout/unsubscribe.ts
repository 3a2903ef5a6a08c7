// One-click unsubscribe (RFC 8058). The token in the link is the only credential: no login and no
// CSRF token, because the mail client POSTs without any context (RFC 8058 §3.2: no cookies, no
// authorization) and the 256-bit single-use token is itself unguessable. A GET never unsubscribes:
// mail scanners and link previews fetch URLs in mails (the reason RFC 8058 exists).
//
// Unsubscribing puts the address on the suppression list, uses up the token and records a
// withdrawal of marketing consent in the ledger for the person the mail was sent to.
import type { AppContext } from '../../context.js';
import { transaction } from '../../db/store.js';
import type { Row } from '../../db/types.js';
import { gone, notFound, type AppError } from '../../errors.js';
import type { Lang } from '../../notify/tables.js';
import { appendConsents, type ConsentClient } from '../ledger.js';
import { suppress } from './suppressions.js';
import { findUnsubscribeToken } from './tokens.js';

/** The title of the 410 for a used token (a page tells it apart from an expired one by it). */
export const ALREADY_USED = 'Already unsubscribed';

// 410 rather than 404: the link was genuine, it just no longer does anything.
const alreadyUsed = (): AppError =>
  gone(
    ALREADY_USED,
    'This unsubscribe link was already used; the address gets no more marketing mail.',
  );
const expired = (): AppError =>
  gone(
    'Link expired',
    'This unsubscribe link has expired. Use the link in a more recent mail, or ask the privacy contact.',
  );

/** The token's row when it can still be used; otherwise the 404 or 410 to answer with. */
function usable(row: Row<'unsubscribe_tokens'> | undefined, now: Date): Row<'unsubscribe_tokens'> {
  if (row === undefined) throw notFound('unsubscribe link');
  if (row.used_at !== null) throw alreadyUsed();
  if (Date.parse(row.expires_at) <= now.getTime()) throw expired();
  return row;
}

/** Checks a token for the confirmation page; writes nothing. */
export async function checkUnsubscribeToken(ctx: AppContext, token: string): Promise<void> {
  usable(await findUnsubscribeToken(ctx.store.db, token), ctx.clock.now());
}

/** Unsubscribes the address a token was issued for; a used or unknown token writes nothing. */
export async function unsubscribe(
  ctx: AppContext,
  token: string,
  options: { lang: Lang; client: ConsentClient },
): Promise<{ unsubscribed: true }> {
  return transaction(ctx.store, async (trx) => {
    const now = ctx.clock.now();
    // Locked on PostgreSQL, so two simultaneous clicks cannot both pass the "unused" check.
    const row = usable(await findUnsubscribeToken(trx, token, ctx.store), now);
    await trx
      .updateTable('unsubscribe_tokens')
      .set({ used_at: now.toISOString() })
      .where('id', '=', row.id)
      .execute();
    const added = await suppress(ctx, trx, row.digest, 'unsubscribe', `unsubscribe:${row.id}`);

    // The withdrawal is the person's, so it goes in their ledger (unless they were erased since).
    const subject =
      row.subject_id === null
        ? undefined
        : await trx
            .selectFrom('subjects')
            .select(['id', 'controller_id'])
            .where('id', '=', row.subject_id)
            .where('status', '=', 'active')
            .executeTakeFirst();
    let recordId: string | null = null;
    if (subject !== undefined) {
      const policy = await trx
        .selectFrom('policy_versions')
        .select('version')
        .where('published_at', '<=', now.toISOString())
        .orderBy('published_at', 'desc')
        .orderBy('version', 'desc')
        .limit(1)
        .executeTakeFirstOrThrow();
      const [record] = await appendConsents(ctx, trx, [
        {
          party: { subjectId: subject.id },
          controllerId: subject.controller_id,
          purpose: row.purpose_key,
          decision: 'withdraw',
          policyVersion: policy.version,
          noticeSha256: null,
          method: 'unsubscribe',
          source: `unsubscribe:${row.id}`,
          lang: options.lang,
          client: options.client,
        },
      ]);
      recordId = record?.id ?? null;
    }
    await ctx.audit.record(trx, {
      actor: { type: 'anonymous', id: null },
      action: 'marketing.unsubscribe',
      target: { type: 'unsubscribe_token', id: row.id },
      controllerId: subject?.controller_id ?? null,
      outcome: 'success',
      details: {
        subject: row.subject_id,
        purpose: row.purpose_key,
        consentRecord: recordId,
        newlySuppressed: added,
      },
    });
    return { unsubscribed: true as const };
  });
}
