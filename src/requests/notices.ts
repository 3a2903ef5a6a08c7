// Mail to the person who made a request, through the outbox (written in the transaction of the
// change that causes it). A person who gave only a phone number gets no mail: SMS carries only
// the verification code, and the status page shows everything else.
import type { AppContext } from '../context.js';
import type { Trx } from '../db/store.js';
import type { Row } from '../db/types.js';
import { enqueueMail } from '../notify/outbox.js';
import type { TemplateName, TemplateParams } from '../notify/templates.js';
import type { Lang } from './contracts.js';
import type { FulfilOutcome } from './fulfil/fulfil.js';
import type { Contact } from './seal.js';

/** The reference a person quotes: the request id (unique, and not a secret). */
export const referenceOf = (id: string): string => id;

/** The status page link for the person (the token is the only key to it). */
export const statusUrlOf = (ctx: AppContext, id: string, token: string): string =>
  `${ctx.config.baseUrl.replace(/\/$/, '')}/privacy/requests/${id}?token=${encodeURIComponent(token)}`;

/** Queues a mail to the person's e-mail address; false when they gave none. */
export async function mailPerson<T extends TemplateName>(
  ctx: AppContext,
  trx: Trx,
  row: Pick<Row<'requests'>, 'id' | 'lang'>,
  contact: Contact,
  template: T,
  params: TemplateParams<T>,
  cause: string,
): Promise<boolean> {
  if (contact.email === null) return false;
  await enqueueMail(ctx, trx, {
    to: contact.email,
    template,
    lang: row.lang,
    params,
    dedupeKey: `request:${row.id}:${cause}`,
  });
  return true;
}

/**
 * Where a person complains about an answer (PIPL art. 50; GB/T 35273 §8.7 f): the configured
 * privacy contact, else the controller's contact, else the address our mail comes from.
 */
export async function complaintContactOf(
  ctx: AppContext,
  trx: Trx,
  row: Pick<Row<'requests'>, 'controller_id'>,
): Promise<string> {
  if (ctx.config.privacyContact !== null) return ctx.config.privacyContact;
  const controller = await trx
    .selectFrom('controllers')
    .select('contact_email')
    .where('id', '=', row.controller_id)
    .executeTakeFirst();
  return controller?.contact_email ?? ctx.config.mailFrom;
}

const KIND_WORDS: Record<string, { 'zh-CN': string; en: string }> = {
  package: {
    'zh-CN': '已为您生成个人信息副本',
    en: 'prepared a copy of your personal information',
  },
  erased_records: { 'zh-CN': '已删除个人信息记录', en: 'deleted records of your information' },
  subject_erased: {
    'zh-CN': '已删除您的全部个人信息并销毁其密钥',
    en: 'erased all your information and destroyed its key',
  },
  kept_under_hold: { 'zh-CN': '依法须保留的记录', en: 'records the law requires us to keep' },
  corrected_records: { 'zh-CN': '已更正个人信息记录', en: 'corrected records of your information' },
  consent_withdrawn: {
    'zh-CN': '已停止基于同意的处理并删除相关记录',
    en: 'stopped processing based on your consent and deleted those records',
  },
  restricted: {
    'zh-CN': '除存储和必要的安全保护外，已停止处理',
    en: 'stopped all processing except storage and security',
  },
  explained: { 'zh-CN': '已说明个人信息处理规则', en: 'explained how we handle your information' },
  nothing_held: {
    'zh-CN': '我们未持有您的个人信息',
    en: 'we hold no personal information about you',
  },
  complaint_handled: { 'zh-CN': '已处理您的投诉', en: 'handled your complaint' },
};

/** The outcome's lines as the person reads them: kinds, counts and details, no personal values. */
export function doneLines(outcome: FulfilOutcome, lang: Lang): string[] {
  return outcome.done.map((d) => {
    const words = KIND_WORDS[d.kind]?.[lang] ?? d.kind.replace(/_/g, ' ');
    const count = d.count === undefined ? '' : lang === 'zh-CN' ? `：${d.count}` : `: ${d.count}`;
    const detail =
      d.detail === undefined ? '' : lang === 'zh-CN' ? `（${d.detail}）` : ` (${d.detail})`;
    return `${words}${count}${detail}`;
  });
}

/** A fee in yuan as each language writes it. */
export function formatAmount(cents: number, lang: Lang): string {
  const yuan = (cents / 100).toFixed(2);
  return lang === 'zh-CN' ? `${yuan} 元（人民币）` : `CNY ${yuan}`;
}
