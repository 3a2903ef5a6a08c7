// The transactional outbox (DESIGN.md "Storage"): a message is a row written in the transaction of
// the change that causes it, so a rolled-back change sends nothing and a committed one is never
// lost, even if the process dies right after the commit. The recipient and the parameters may be
// personal information, so they are sealed: with the subject's data key when the message is about
// a known subject (erasing the subject then also makes its queued mail unreadable), otherwise with
// a data key of the message's own, destroyed once the message is sent.
//
// Webhooks (processor mode: a request forwarded to a business client) travel the same way: the
// URL and the JSON body are sealed with a per-message key, and the body is signed at delivery time
// with the current secret of the message's signer (see webhook.ts for the signature scheme).
import { randomBytes } from 'node:crypto';
import type { AppContext } from '../context.js';
import { decryptField, encryptField } from '../crypto/fields.js';
import { newId } from '../db/ids.js';
import type { Db, Trx } from '../db/store.js';
import type { Row } from '../db/types.js';
import { conflict } from '../errors.js';
import type { Lang, OutboxChannel } from './tables.js';
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
  return insertMessage(ctx, trx, {
    channel: 'email',
    template: mail.template,
    lang: mail.lang,
    subjectId: mail.subjectId,
    to: mail.to,
    params: JSON.stringify(mail.params),
    dedupeKey: mail.dedupeKey,
    signerId: null,
  });
}

export interface NewWebhook {
  /** The receiver's URL (it may carry a token in its query: sealed like an address). */
  url: string;
  /** The signer whose secret signs the body when it is sent. */
  signerId: string;
  /** The event name, also sent in the body (e.g. `request.forwarded`). */
  event: string;
  lang: Lang;
  /** The JSON body; it may hold personal data and is sealed until sent. */
  body: Record<string, unknown>;
  dedupeKey: string;
}

/**
 * Queues one signed webhook POST inside the caller's transaction, sealed with a per-message key.
 * Delivery, retries and failure follow the same rules as mail.
 */
export async function enqueueWebhook(
  ctx: AppContext,
  trx: Trx,
  hook: NewWebhook,
): Promise<Enqueued> {
  return insertMessage(ctx, trx, {
    channel: 'webhook',
    template: hook.event,
    lang: hook.lang,
    subjectId: undefined,
    to: hook.url,
    params: JSON.stringify(hook.body),
    dedupeKey: hook.dedupeKey,
    signerId: hook.signerId,
  });
}

interface NewMessage {
  channel: OutboxChannel;
  template: string;
  lang: Lang;
  subjectId: string | undefined;
  to: string;
  /** Serialised JSON. */
  params: string;
  dedupeKey: string;
  signerId: string | null;
}

async function insertMessage(ctx: AppContext, trx: Trx, m: NewMessage): Promise<Enqueued> {
  const existing = await trx
    .selectFrom('outbox')
    .select('id')
    .where('dedupe_key', '=', m.dedupeKey)
    .executeTakeFirst();
  if (existing !== undefined) return { id: existing.id, queued: false };

  const id = newId();
  let key: Buffer | null;
  if (m.subjectId !== undefined) {
    key = await ctx.keyring.dataKey(trx, 'subject', m.subjectId);
    if (key === null) throw conflict('The person this message is for was erased.');
  } else {
    key = await ctx.keyring.createDataKey(ctx.store, trx, 'outbox', id);
  }
  const now = ctx.clock.now().toISOString();
  const inserted = await trx
    .insertInto('outbox')
    .values({
      id,
      channel: m.channel,
      template: m.template,
      lang: m.lang,
      subject_id: m.subjectId ?? null,
      to_enc: encryptField(key, m.to, binding(id, 'to_enc')),
      params_enc: encryptField(key, m.params, binding(id, 'params_enc')),
      dedupe_key: m.dedupeKey,
      status: 'pending',
      attempts: 0,
      next_attempt_at: now,
      lease_until: null,
      last_error: null,
      message_id: null,
      created_at: now,
      sent_at: null,
      signer_id: m.signerId,
    })
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) {
    // A concurrent transaction queued the same message first: ours is not needed.
    if (m.subjectId === undefined) await ctx.keyring.destroyDataKey(trx, 'outbox', id);
    const winner = await trx
      .selectFrom('outbox')
      .select('id')
      .where('dedupe_key', '=', m.dedupeKey)
      .executeTakeFirstOrThrow();
    return { id: winner.id, queued: false };
  }
  return { id, queued: true };
}

const signerBinding = (id: string) => ({
  table: 'webhook_signers',
  column: 'secret_enc',
  rowId: id,
});

/** A new signing secret: 256 bits from the CSPRNG, shown to the receiver once. */
const newSigningSecret = (): string => `whsec_${randomBytes(32).toString('base64url')}`;

/**
 * Creates a webhook signer inside the caller's transaction. Returns its id and the secret, which
 * the caller shows once to the receiver; only its sealed form is stored.
 */
export async function createWebhookSigner(
  ctx: AppContext,
  trx: Trx,
): Promise<{ id: string; secret: string }> {
  const id = newId();
  const secret = newSigningSecret();
  const key = await ctx.keyring.createDataKey(ctx.store, trx, 'outbox', id);
  await trx
    .insertInto('webhook_signers')
    .values({
      id,
      secret_enc: encryptField(key, secret, signerBinding(id)),
      created_at: ctx.clock.now().toISOString(),
      rotated_at: null,
    })
    .execute();
  return { id, secret };
}

/** Replaces a signer's secret; messages still queued are signed with the new one. */
export async function rotateWebhookSigner(ctx: AppContext, trx: Trx, id: string): Promise<string> {
  const key = await ctx.keyring.dataKey(trx, 'outbox', id);
  if (key === null) throw conflict('This webhook signer no longer exists.');
  const secret = newSigningSecret();
  await trx
    .updateTable('webhook_signers')
    .set({
      secret_enc: encryptField(key, secret, signerBinding(id)),
      rotated_at: ctx.clock.now().toISOString(),
    })
    .where('id', '=', id)
    .execute();
  return secret;
}

/** Deletes a signer and destroys its key; its queued webhooks then fail instead of going out. */
export async function destroyWebhookSigner(ctx: AppContext, trx: Trx, id: string): Promise<void> {
  await trx.deleteFrom('webhook_signers').where('id', '=', id).execute();
  await ctx.keyring.destroyDataKey(trx, 'outbox', id);
}

/** The current secret of a signer, or null when it was destroyed. Never log it. */
export async function openWebhookSecret(
  ctx: AppContext,
  db: Db | Trx,
  id: string,
): Promise<string | null> {
  const row = await db
    .selectFrom('webhook_signers')
    .select('secret_enc')
    .where('id', '=', id)
    .executeTakeFirst();
  if (row === undefined) return null;
  const key = await ctx.keyring.dataKey(db, 'outbox', id);
  if (key === null) return null;
  return decryptField(key, row.secret_enc, signerBinding(id));
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
