// What happens to a claimed outbox row after one delivery attempt — sent, retried with back-off or
// failed for good — shared by the mail (deliver.ts) and webhook (webhook.ts) channels, so both keep
// the same lease, back-off and wiping rules.
import type { AppContext } from '../context.js';
import { transaction } from '../db/store.js';
import type { Row } from '../db/types.js';
import { openMail, type OpenMail } from './outbox.js';

const BACKOFF_BASE_MS = 60_000;
const BACKOFF_CAP_MS = 6 * 3600_000;

/** Wait after the n-th failed attempt: 1 min, 2 min, 4 min … at most 6 h. */
export function backoffMs(attempts: number): number {
  return Math.min(BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1), BACKOFF_CAP_MS);
}

export type Claimed = Row<'outbox'>;

export type Outcome = 'sent' | 'retried' | 'failed';

/** The error reduced to what may be stored and logged: an SMTP reply code or an error class. */
export function errorClass(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const e = error as { responseCode?: unknown; code?: unknown };
    if (typeof e.responseCode === 'number' && Number.isInteger(e.responseCode))
      return `smtp ${e.responseCode}`;
    if (typeof e.code === 'string' && /^[A-Z][A-Z0-9_]{1,31}$/.test(e.code)) return e.code;
  }
  return 'error';
}

export async function markSent(
  ctx: AppContext,
  row: Claimed,
  messageId: string | null,
): Promise<void> {
  await transaction(ctx.store, async (trx) => {
    await trx
      .updateTable('outbox')
      .set({
        status: 'sent',
        sent_at: ctx.clock.now().toISOString(),
        to_enc: null,
        params_enc: null,
        lease_until: null,
        last_error: null,
        message_id: messageId,
      })
      .where('id', '=', row.id)
      .execute();
    if (row.subject_id === null) await ctx.keyring.destroyDataKey(trx, 'outbox', row.id);
  });
}

/** Marks a message failed for good, with an audit event naming only ids, template and error. */
export async function markFailed(
  ctx: AppContext,
  row: Claimed,
  error: string,
  options: { wipe: boolean },
): Promise<void> {
  await transaction(ctx.store, async (trx) => {
    await trx
      .updateTable('outbox')
      .set({
        status: 'failed',
        lease_until: null,
        last_error: error,
        ...(options.wipe ? { to_enc: null, params_enc: null } : {}),
      })
      .where('id', '=', row.id)
      .execute();
    if (options.wipe && row.subject_id === null)
      await ctx.keyring.destroyDataKey(trx, 'outbox', row.id);
    await ctx.audit.record(trx, {
      actor: { type: 'system', id: null },
      action: 'outbox.failed',
      target: { type: 'outbox', id: row.id },
      outcome: 'failure',
      details: {
        template: row.template,
        channel: row.channel,
        attempts: row.attempts,
        error,
        subject: row.subject_id,
      },
    });
  });
  ctx.log.warn(
    { outbox: row.id, template: row.template, attempts: row.attempts, error },
    'outbound message failed for good',
  );
}

async function markRetry(ctx: AppContext, row: Claimed, error: string): Promise<void> {
  const next = new Date(ctx.clock.now().getTime() + backoffMs(row.attempts)).toISOString();
  await ctx.store.db
    .updateTable('outbox')
    .set({ status: 'pending', lease_until: null, last_error: error, next_attempt_at: next })
    .where('id', '=', row.id)
    .execute();
  ctx.log.warn(
    { outbox: row.id, template: row.template, attempts: row.attempts, error, retryAt: next },
    'outbound message not delivered; will retry',
  );
}

export async function retryOrFail(ctx: AppContext, row: Claimed, error: string): Promise<Outcome> {
  if (row.attempts >= ctx.config.outboxMaxAttempts) {
    await markFailed(ctx, row, error, { wipe: false });
    return 'failed';
  }
  await markRetry(ctx, row, error);
  return 'retried';
}

/** The row's sealed recipient and parameters, or null when their key is gone. */
export async function openClaimed(ctx: AppContext, row: Claimed): Promise<OpenMail | null> {
  try {
    return await openMail(ctx, ctx.store.db, row);
  } catch {
    return null;
  }
}
