// The transactional outbox (DESIGN.md "Storage"): a message is a row written in the transaction of
// the change that causes it, so a rolled-back change sends nothing and a committed one is never
// lost, even if the process dies right after the commit. The recipient and the parameters may be
// personal information, so they are sealed: with the subject's data key when the message is about
// a known subject (erasing the subject then also makes its queued mail unreadable), otherwise with
// a data key of the message's own, destroyed once the message is sent.
import type { AppContext } from '../context.js';
import { decryptField, encryptField } from '../crypto/fields.js';
import { newId } from '../db/ids.js';
import type { Db, Trx } from '../db/store.js';
import type { Row } from '../db/types.js';
import { conflict } from '../errors.js';
import type { Lang } from './tables.js';
import { checkParams, type TemplateName, type TemplateParams } from './templates.js';

export interface NewMail<T extends TemplateName> {
  to: string;
  /** The person the mail is about; their data key seals it. */
  subjectId?: string | undefined;
  template: T;
  lang: Lang;
  params: TemplateParams<T>;
  /** Stable key of the cause (e.g. `incident:<id>:subject:<id>`): queued at most once. */
  dedupeKey: string;
}

export interface Enqueued {
  id: string;
  /** False when a message with the same dedupe key was already queued (nothing new written). */
  queued: boolean;
}

const binding = (id: string, column: 'to_enc' | 'params_enc') => ({
  table: 'outbox',
  column,
  rowId: id,
});

/**
 * Queues one e-mail inside the caller's transaction. Repeating the same `dedupeKey` is harmless.
 * Throws a conflict when the subject was erased (there is no key left to seal the message with).
 */
export async function enqueueMail<T extends TemplateName>(
  ctx: AppContext,
  trx: Trx,
  mail: NewMail<T>,
): Promise<Enqueued> {
  checkParams(mail.template, mail.params);
  const existing = await trx
    .selectFrom('outbox')
    .select('id')
    .where('dedupe_key', '=', mail.dedupeKey)
    .executeTakeFirst();
  if (existing !== undefined) return { id: existing.id, queued: false };

  const id = newId();
  let key: Buffer | null;
  if (mail.subjectId !== undefined) {
    key = await ctx.keyring.dataKey(trx, 'subject', mail.subjectId);
    if (key === null) throw conflict('The person this message is for was erased.');
  } else {
    key = await ctx.keyring.createDataKey(ctx.store, trx, 'outbox', id);
  }
  const now = ctx.clock.now().toISOString();
  const inserted = await trx
    .insertInto('outbox')
    .values({
      id,
      channel: 'email',
      template: mail.template,
      lang: mail.lang,
      subject_id: mail.subjectId ?? null,
      to_enc: encryptField(key, mail.to, binding(id, 'to_enc')),
      params_enc: encryptField(key, JSON.stringify(mail.params), binding(id, 'params_enc')),
      dedupe_key: mail.dedupeKey,
      status: 'pending',
      attempts: 0,
      next_attempt_at: now,
      lease_until: null,
      last_error: null,
      message_id: null,
      created_at: now,
      sent_at: null,
    })
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) {
    // A concurrent transaction queued the same message first: ours is not needed.
    if (mail.subjectId === undefined) await ctx.keyring.destroyDataKey(trx, 'outbox', id);
    const winner = await trx
      .selectFrom('outbox')
      .select('id')
      .where('dedupe_key', '=', mail.dedupeKey)
      .executeTakeFirstOrThrow();
    return { id: winner.id, queued: false };
  }
  return { id, queued: true };
}

/** What a sender needs to deliver one message: opened only in memory, never logged. */
export interface OpenMail {
  to: string;
  params: unknown;
}

/** Opens a queued message; null when its key is gone (the subject was erased). */
export async function openMail(
  ctx: AppContext,
  db: Db | Trx,
  row: Pick<Row<'outbox'>, 'id' | 'subject_id' | 'to_enc' | 'params_enc'>,
): Promise<OpenMail | null> {
  if (row.to_enc === null || row.params_enc === null) return null;
  const key =
    row.subject_id !== null
      ? await ctx.keyring.dataKey(db, 'subject', row.subject_id)
      : await ctx.keyring.dataKey(db, 'outbox', row.id);
  if (key === null) return null;
  return {
    to: decryptField(key, row.to_enc, binding(row.id, 'to_enc')),
    params: JSON.parse(decryptField(key, row.params_enc, binding(row.id, 'params_enc'))),
  };
}
