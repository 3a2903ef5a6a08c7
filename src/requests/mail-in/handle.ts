// One incoming mail, start to finish: parse, check the sender, check the content, then either
// submit it as a request (the intake service sends the receipt and the verification code and
// writes the audit event) or queue a polite answer through the outbox. Nothing here logs or
// stores an address or the text outside the sealed request and the sealed outbox row.
import { createHash } from 'node:crypto';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { AppContext } from '../../context.js';
import { transaction } from '../../db/store.js';
import { isAppError } from '../../errors.js';
import { enqueueMail } from '../../notify/outbox.js';
import type { Lang } from '../contracts.js';
import { submitRequest } from '../intake.js';
import {
  checkAutomatic,
  checkSender,
  contentProblem,
  detailsOf,
  mailboxOf,
  type ContentProblem,
  type SmtpRefusal,
} from './checks.js';
import { guessLang, guessRequestType } from './classify.js';

export type MailOutcome =
  | SmtpRefusal
  /** Accepted (250): a request was created, or the same one already existed. */
  | { kind: 'request'; duplicate: boolean }
  /** Accepted (250) and answered politely; no request. */
  | { kind: 'answered'; problem: ContentProblem | 'unreadable' };

const REASONS: Record<ContentProblem | 'unreadable', Record<Lang, string>> = {
  attachments: {
    'zh-CN':
      '为保护您和他人的信息安全，我们不接受带附件的邮件。请不要附加文件，直接在邮件正文中用纯文本写明您的请求。',
    en: 'To keep your information and other people’s safe, we do not accept mail with attachments. Please write your request as plain text in the body of the mail, without attached files.',
  },
  binary: {
    'zh-CN': '这封邮件的内容无法作为文本读取。请用纯文本写明您的请求，不要附加文件。',
    en: 'The content of this mail could not be read as text. Please send your request as plain text, without attached files.',
  },
  empty: {
    'zh-CN': '这封邮件没有内容。请在邮件正文中写明您希望我们做什么。',
    en: 'This mail was empty. Please write in the body of the mail what you would like us to do.',
  },
  unreadable: {
    'zh-CN': '我们未能从这封邮件中读出一项请求。',
    en: 'We could not read a request from this mail.',
  },
};

/** A stable key for "this mail", so a mail delivered twice is answered once. */
function mailKey(parsed: ParsedMail, raw: Buffer): string {
  const id = parsed.messageId?.trim();
  const material = id !== undefined && id !== '' ? `id:${id}` : `raw:${raw.toString('base64')}`;
  return createHash('sha256').update(material).digest('hex');
}

async function answer(
  ctx: AppContext,
  to: string,
  lang: Lang,
  problem: ContentProblem | 'unreadable',
  key: string,
): Promise<MailOutcome> {
  await transaction(ctx.store, (trx) =>
    enqueueMail(ctx, trx, {
      to,
      template: 'request_mail_rejected',
      lang,
      params: { reason: REASONS[problem][lang] },
      dedupeKey: `mail-in:rejected:${key}`,
    }),
  );
  return { kind: 'answered', problem };
}

/**
 * Handles one mail as received after DATA. `envelopeFrom` is the MAIL FROM address (null for the
 * null reverse-path `<>`). Throws on a fault on our side (the listener answers 451 then, so the
 * sending server keeps the mail and tries again: nothing is lost).
 */
export async function handleMail(
  ctx: AppContext,
  raw: Buffer,
  envelopeFrom: string | null,
): Promise<MailOutcome> {
  let parsed: ParsedMail;
  try {
    parsed = await simpleParser(raw, {
      skipImageLinks: true,
      skipTextLinks: true,
      skipTextToHtml: true,
      maxHtmlLengthToParse: raw.length,
    });
  } catch {
    return { kind: 'refuse', responseCode: 550, message: '5.6.0 The message could not be parsed' };
  }
  const automatic = checkAutomatic(parsed);
  if (automatic !== null) return automatic;
  const sender = checkSender(parsed, envelopeFrom, mailboxOf(ctx.config.mailFrom));
  if ('kind' in sender) return sender;

  const key = mailKey(parsed, raw);
  const lang = guessLang(`${parsed.subject ?? ''}\n${parsed.text ?? ''}`);
  const problem = contentProblem(parsed);
  if (problem !== null) return answer(ctx, sender.email, lang, problem, key);

  const details = detailsOf(parsed);
  try {
    // A mail delivered twice (same Message-ID, same sender and words) is the same submission;
    // the intake service's deduplication returns the existing request instead of a new one.
    const result = await submitRequest(ctx, {
      type: guessRequestType(details),
      channel: 'email',
      lang,
      name: sender.name,
      email: sender.email,
      details,
    });
    return { kind: 'request', duplicate: result.duplicate };
  } catch (error) {
    // The intake refused what we could read (its own limits): say so politely, as for content.
    if (isAppError(error) && error.status >= 400 && error.status < 500 && error.status !== 429) {
      return answer(ctx, sender.email, lang, 'unreadable', key);
    }
    throw error;
  }
}
