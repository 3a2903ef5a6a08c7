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
// delivered), as one signed HTTPS POST each, and are delivered even when no SMTP server is set;
// the POST and its signature scheme are in webhook.ts, the per-row outcome bookkeeping shared by
// both channels in attempts.ts.
import nodemailer, { type Transporter } from 'nodemailer';
import { sql } from 'kysely';
import type { AppContext } from '../context.js';
import { normalizeEmail } from '../crypto/normalize.js';
import { transaction, type Db, type Trx } from '../db/store.js';
import {
  errorClass,
  markFailed,
  markSent,
  openClaimed,
  retryOrFail,
  type Claimed,
  type Outcome,
} from './attempts.js';
import type { OpenMail } from './outbox.js';
import type { OutboxChannel } from './tables.js';
import {
  isTemplateName,
  renderTemplate,
  type TemplateName,
  type TemplateParams,
} from './templates.js';
import type { Rendered } from './render.js';
import { deliverWebhook } from './webhook.js';

// Importers keep finding these here; they live with the bookkeeping both channels share.
export { backoffMs, errorClass } from './attempts.js';

/** How long a claim lasts; longer than any one SMTP conversation with the timeouts below. */
export const LEASE_MS = 5 * 60_000;
const BATCH = 50;

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

/** The domain of the sender address, for Message-IDs (RFC 5322 §3.6.4: id-left "@" id-right). */
function messageDomain(mailFrom: string): string {
  const m = /@([^\s@<>]+)>?\s*$/.exec(mailFrom);
  return m?.[1] ?? 'custos.invalid';
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
