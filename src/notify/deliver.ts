// Delivering the outbox over SMTP. A sender claims due messages with a lease (so a sender that
// crashes mid-way loses its claim when the lease passes and another takes over), renders each one,
// sends it and marks it sent. Delivery is at-least-once: a crash between the SMTP reply and the
// "sent" mark resends, with the same Message-ID (derived from the outbox id) so mail systems and
// people can recognise the duplicate. Sent messages keep no personal data: the sealed recipient and
// parameters are wiped and a per-message key is destroyed. Failures back off exponentially and,
// after CUSTOS_OUTBOX_MAX_ATTEMPTS, are marked failed for a person to look at.
// Nothing here logs or audits an address or a body: errors are reduced to an SMTP code or class.
//
// Marketing mail is checked against the suppression list once more just before it goes out: a
// person who unsubscribed after the mail was queued gets nothing (their withdrawal takes effect at
// once, PIPL art. 15). Such a mail is marked failed with last_error `suppressed` and wiped.
//
// Webhooks go the same way (claim, lease, back-off, failure after the last attempt, wiped once
// delivered), as one signed HTTPS POST each, and are delivered even when no SMTP server is set.
//
// WEBHOOK SIGNATURES — how a receiver checks that a POST comes from Custos:
//   headers   content-type: application/json
//             x-custos-delivery: <outbox id>   (the same on every retry of one message: dedupe on it)
//             x-custos-event: <event name>     (also in the body as `event`)
//             x-custos-signature: t=<unix seconds>, v1=<hex>
//   v1        = lower-case hex of HMAC-SHA256(key, `${t}.${rawBody}`), where key is the UTF-8 bytes
//               of the whole secret string as it was shown once (`whsec_…`) and rawBody the exact
//               bytes received (verify before parsing: re-serialised JSON may differ).
//   receiver  recomputes v1 and compares in constant time (e.g. crypto.timingSafeEqual), and
//             rejects a timestamp more than 5 minutes from its own clock, so a captured delivery
//             cannot be replayed later. Several `v1=` values may appear while a secret rotates;
//             accept the message when any one matches. Answer 2xx once the message is stored;
//             anything else (or no answer within 10 s) is retried with back-off.
import { createHmac } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import { sql } from 'kysely';
import type { AppContext } from '../context.js';
import { normalizeEmail } from '../crypto/normalize.js';
import { constantTimeEqual } from '../crypto/primitives.js';
import { transaction, type Db, type Trx } from '../db/store.js';
import type { Row } from '../db/types.js';
import { openMail, openWebhookSecret, type OpenMail } from './outbox.js';
import type { OutboxChannel } from './tables.js';
import {
  isTemplateName,
  renderTemplate,
  type TemplateName,
  type TemplateParams,
} from './templates.js';
import type { Rendered } from './render.js';

/** How long a claim lasts; longer than any one SMTP conversation with the timeouts below. */
export const LEASE_MS = 5 * 60_000;
const BATCH = 50;
const BACKOFF_BASE_MS = 60_000;
const BACKOFF_CAP_MS = 6 * 3600_000;
/** One webhook POST may take this long, connection included. */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** How far a receiver should let a signature's timestamp be from its own clock. */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

/** Wait after the n-th failed attempt: 1 min, 2 min, 4 min … at most 6 h. */
export function backoffMs(attempts: number): number {
  return Math.min(BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1), BACKOFF_CAP_MS);
}

export interface DeliveryResult {
  sent: number;
  /** Failed this time, will be tried again later. */
  retried: number;
  /**
   * Out of attempts, undeliverable (the person was erased), or a marketing mail to an address on
   * the suppression list: marked failed.
   */
  failed: number;
  /** Due mail left waiting because no SMTP server is configured (webhooks still go out). */
  waiting: number;
}

// One warning per running context, not one per poll: an unset CUSTOS_SMTP_URL is a setting, not
// an incident, but an operator must learn that mail is piling up.
const warnedNoSmtp = new WeakSet<AppContext>();

type Claimed = Row<'outbox'>;

/** Claims up to `limit` due messages (pending and due, or sending with an expired lease). */
async function claim(
  ctx: AppContext,
  now: Date,
  limit: number,
  channels: readonly OutboxChannel[],
): Promise<Claimed[]> {
  const at = now.toISOString();
  const leaseUntil = new Date(now.getTime() + LEASE_MS).toISOString();
  // A read first: an idle poll must not take SQLite's write lock every few seconds.
  const due = await ctx.store.db
    .selectFrom('outbox')
    .select('id')
    .where('channel', 'in', channels)
    .where((eb) =>
      eb.or([
        eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', at)]),
        eb.and([eb('status', '=', 'sending'), eb('lease_until', '<=', at)]),
      ]),
    )
    .limit(1)
    .executeTakeFirst();
  if (due === undefined) return [];
  return transaction(ctx.store, async (trx) => {
    let q = trx
      .selectFrom('outbox')
      .select('id')
      .where('channel', 'in', channels)
      .where((eb) =>
        eb.or([
          eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', at)]),
          eb.and([eb('status', '=', 'sending'), eb('lease_until', '<=', at)]),
        ]),
      )
      .orderBy('next_attempt_at')
      .limit(limit);
    // Several instances may deliver at once on PostgreSQL: each skips rows another is claiming.
    if (ctx.store.dialect === 'postgres') q = q.forUpdate().skipLocked();
    const ids = (await q.execute()).map((r) => r.id);
    if (ids.length === 0) return [];
    await trx
      .updateTable('outbox')
      .set({ status: 'sending', lease_until: leaseUntil, attempts: sql`attempts + 1` })
      .where('id', 'in', ids)
      .execute();
    return trx.selectFrom('outbox').selectAll().where('id', 'in', ids).orderBy('id').execute();
  });
}

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

/** The domain of the sender address, for Message-IDs (RFC 5322 §3.6.4: id-left "@" id-right). */
function messageDomain(mailFrom: string): string {
  const m = /@([^\s@<>]+)>?\s*$/.exec(mailFrom);
  return m?.[1] ?? 'custos.invalid';
}

async function markSent(ctx: AppContext, row: Claimed, messageId: string | null): Promise<void> {
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
async function markFailed(
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

// Fields the sender sets itself; a template's extra headers may not replace them.
const OWN_HEADERS = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'subject',
  'message-id',
  'content-language',
  'auto-submitted',
  'content-type',
  'content-transfer-encoding',
  'mime-version',
  'date',
]);
const HEADER_NAME = /^[A-Za-z][A-Za-z0-9-]{0,63}$/;
// Printable ASCII only: no line break can start a header of its own (header injection).
const HEADER_VALUE = /^[\x20-\x7e]{1,998}$/;

const headersOk = (headers: Record<string, string>): boolean =>
  Object.entries(headers).every(
    ([k, v]) => HEADER_NAME.test(k) && !OWN_HEADERS.has(k.toLowerCase()) && HEADER_VALUE.test(v),
  );

function render(row: Claimed, mail: OpenMail): Rendered | null {
  if (!isTemplateName(row.template)) return null;
  const name: TemplateName = row.template;
  try {
    const rendered = renderTemplate(name, row.lang, mail.params as TemplateParams<typeof name>);
    if (rendered.headers !== undefined && !headersOk(rendered.headers)) return null;
    return rendered;
  } catch {
    return null;
  }
}

/** Templates whose mail is never sent to an address on the marketing suppression list. */
const SUPPRESSIBLE: ReadonlySet<string> = new Set<TemplateName>(['marketing_message']);

/**
 * The key of an address in the suppression list: the blind index of its canonical form (kind
 * `email`, the same digest that finds a subject by address), or null for an invalid address.
 */
export function suppressionDigest(
  ctx: Pick<AppContext, 'keyring'>,
  address: string,
): Buffer | null {
  const normalised = normalizeEmail(address);
  return normalised === null ? null : ctx.keyring.blindIndex('email', normalised);
}

/** True when the address is on the suppression list (an address that is not one counts as on it). */
export async function isSuppressed(
  ctx: Pick<AppContext, 'keyring'>,
  db: Db | Trx,
  address: string,
): Promise<boolean> {
  const digest = suppressionDigest(ctx, address);
  if (digest === null) return true;
  const hit = await db
    .selectFrom('suppressions')
    .select('reason')
    .where('digest', '=', digest)
    .executeTakeFirst();
  return hit !== undefined;
}

/** A marketing mail whose address was suppressed after it was queued: never sent, wiped. */
async function markSuppressed(ctx: AppContext, row: Claimed): Promise<void> {
  await transaction(ctx.store, async (trx) => {
    await trx
      .updateTable('outbox')
      .set({
        status: 'failed',
        lease_until: null,
        last_error: 'suppressed',
        to_enc: null,
        params_enc: null,
      })
      .where('id', '=', row.id)
      .execute();
    if (row.subject_id === null) await ctx.keyring.destroyDataKey(trx, 'outbox', row.id);
    await ctx.audit.record(trx, {
      actor: { type: 'system', id: null },
      action: 'marketing.suppressed',
      target: { type: 'outbox', id: row.id },
      outcome: 'success',
      details: { template: row.template, subject: row.subject_id, at: 'delivery' },
    });
  });
  ctx.log.info({ outbox: row.id, template: row.template }, 'suppressed address: mail not sent');
}

/**
 * The `x-custos-signature` value for a body sent at unix time `t` (scheme at the top of this file).
 */
export function signWebhook(secret: string, t: number, body: string): string {
  const v1 = createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${t}.${body}`).digest('hex');
  return `t=${t}, v1=${v1}`;
}

/**
 * What a receiver does with `x-custos-signature` (kept here as the reference implementation of the
 * scheme): true when one `v1` matches and `t` is within `toleranceSeconds` of `nowSeconds`.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string,
  body: string,
  nowSeconds: number,
  toleranceSeconds = WEBHOOK_TOLERANCE_SECONDS,
): boolean {
  const parts = header.split(',').map((p) => p.trim());
  const t = Number(parts.find((p) => p.startsWith('t='))?.slice(2));
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, t, body).split('v1=')[1]!, 'hex');
  return parts
    .filter((p) => p.startsWith('v1='))
    .some((p) => {
      const given = Buffer.from(p.slice(3), 'hex');
      return given.length === expected.length && constantTimeEqual(given, expected);
    });
}

/** A failed POST reduced to what may be stored and logged: an HTTP status or an error class. */
function webhookErrorClass(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'timeout';
  if (error instanceof Error && error.cause !== undefined) {
    const cause = errorClass(error.cause);
    if (cause !== 'error') return cause;
  }
  return errorClass(error);
}

type Outcome = 'sent' | 'retried' | 'failed';

async function retryOrFail(ctx: AppContext, row: Claimed, error: string): Promise<Outcome> {
  if (row.attempts >= ctx.config.outboxMaxAttempts) {
    await markFailed(ctx, row, error, { wipe: false });
    return 'failed';
  }
  await markRetry(ctx, row, error);
  return 'retried';
}

async function openClaimed(ctx: AppContext, row: Claimed): Promise<OpenMail | null> {
  try {
    return await openMail(ctx, ctx.store.db, row);
  } catch {
    return null;
  }
}

async function deliverMail(
  ctx: AppContext,
  row: Claimed,
  transport: () => Transporter,
): Promise<Outcome> {
  const mail = await openClaimed(ctx, row);
  if (mail === null) {
    // The key is gone: the person was erased after the mail was queued. Never send it.
    await markFailed(ctx, row, 'recipient_erased', { wipe: true });
    return 'failed';
  }
  if (SUPPRESSIBLE.has(row.template) && (await isSuppressed(ctx, ctx.store.db, mail.to))) {
    await markSuppressed(ctx, row);
    return 'failed';
  }
  const rendered = render(row, mail);
  if (rendered === null) {
    await markFailed(ctx, row, 'bad_template', { wipe: true });
    return 'failed';
  }
  const messageId = `<${row.id}@${messageDomain(ctx.config.mailFrom)}>`;
  try {
    await transport().sendMail({
      from: ctx.config.mailFrom,
      to: mail.to,
      subject: rendered.subject,
      text: rendered.text,
      html: rendered.html,
      messageId,
      headers: {
        ...rendered.headers,
        'Content-Language': row.lang,
        'Auto-Submitted': 'auto-generated',
      },
    });
  } catch (error) {
    return retryOrFail(ctx, row, errorClass(error));
  }
  await markSent(ctx, row, messageId);
  return 'sent';
}

async function deliverWebhook(ctx: AppContext, row: Claimed): Promise<Outcome> {
  const hook = await openClaimed(ctx, row);
  if (hook === null) {
    await markFailed(ctx, row, 'key_destroyed', { wipe: true });
    return 'failed';
  }
  const secret =
    row.signer_id === null ? null : await openWebhookSecret(ctx, ctx.store.db, row.signer_id);
  if (secret === null) {
    // The receiver's webhook was removed: nobody could check a signature any more.
    await markFailed(ctx, row, 'no_signer', { wipe: true });
    return 'failed';
  }
  const body = JSON.stringify(hook.params);
  const t = Math.floor(ctx.clock.now().getTime() / 1000);
  let error: string;
  try {
    const res = await fetch(hook.to, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Custos-Webhook/1',
        'x-custos-delivery': row.id,
        'x-custos-event': row.template,
        'x-custos-signature': signWebhook(secret, t, body),
      },
      body,
      // A redirect would send the signed body somewhere nobody configured: it counts as a failure.
      redirect: 'manual',
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    await res.body?.cancel();
    if (res.status >= 200 && res.status < 300) {
      await markSent(ctx, row, row.id);
      return 'sent';
    }
    error = `http ${res.status}`;
  } catch (e) {
    error = webhookErrorClass(e);
  }
  return retryOrFail(ctx, row, error);
}

/**
 * Delivers due messages once (the `outbox.deliver` job calls this; tests call it to drain).
 * Returns counts only. Without CUSTOS_SMTP_URL, mail waits and webhooks still go out.
 */
export async function deliverOutbox(
  ctx: AppContext,
  options: { limit?: number } = {},
): Promise<DeliveryResult> {
  const result: DeliveryResult = { sent: 0, retried: 0, failed: 0, waiting: 0 };
  const now = ctx.clock.now();
  const smtpUrl = ctx.config.smtpUrl;
  if (smtpUrl === null) {
    const due = await ctx.store.db
      .selectFrom('outbox')
      .select(sql<number>`count(*)`.as('n'))
      .where('channel', '=', 'email')
      .where('status', 'in', ['pending', 'sending'])
      .executeTakeFirstOrThrow();
    result.waiting = Number(due.n);
    if (result.waiting > 0 && !warnedNoSmtp.has(ctx)) {
      warnedNoSmtp.add(ctx);
      ctx.log.warn(
        { waiting: result.waiting },
        'outbound mail is queued but CUSTOS_SMTP_URL is not set: messages wait until it is',
      );
    }
  }
  const channels: OutboxChannel[] = smtpUrl === null ? ['webhook'] : ['email', 'webhook'];
  const claimed = await claim(ctx, now, options.limit ?? BATCH, channels);
  if (claimed.length === 0) return result;
  let transport: Transporter | null = null;
  const openTransport = (): Transporter => {
    transport ??= nodemailer.createTransport({
      url: smtpUrl ?? '',
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
      // Message contents never come from files or URLs; refuse them even if a template slipped.
      disableFileAccess: true,
      disableUrlAccess: true,
      logger: false,
    });
    return transport;
  };
  try {
    for (const row of claimed) {
      const outcome =
        row.channel === 'webhook'
          ? await deliverWebhook(ctx, row)
          : await deliverMail(ctx, row, openTransport);
      result[outcome]++;
    }
  } finally {
    (transport as Transporter | null)?.close();
  }
  return result;
}
