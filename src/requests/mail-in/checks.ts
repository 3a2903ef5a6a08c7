// What an incoming mail must satisfy before it can become a request. Two kinds of "no":
// - refusals at the SMTP level (5xx), for mail whose sender we cannot trust to be the person: an
//   automatic answer to a forged sender would send a verification code or a receipt to a
//   stranger (backscatter), so these are never answered by mail;
// - polite answers, for mail from a plausible sender that we still cannot take as a request
//   (attachments, binary content, nothing written): the person is told what to do instead.
// Messages here go back to the sending server; they never quote an address or the content.
import type { ParsedMail } from 'mailparser';
import { normalizeEmail } from '../../crypto/normalize.js';

export interface SmtpRefusal {
  kind: 'refuse';
  responseCode: number;
  message: string;
}

export interface Sender {
  /** The From address, normalised (lower-case, IDNA domain). */
  email: string;
  /** The display name, when the mail gave one. */
  name: string | undefined;
}

const refuse = (responseCode: number, message: string): SmtpRefusal => ({
  kind: 'refuse',
  responseCode,
  message,
});

/** The mailbox part of a setting like `Privacy <privacy@example.com>`, normalised. */
export function mailboxOf(value: string): string | null {
  const m = /<([^<>]+)>\s*$/.exec(value);
  return normalizeEmail(m ? m[1]! : value);
}

const domainOf = (address: string): string => address.slice(address.lastIndexOf('@') + 1);

/** Longest display name kept; longer ones are cut (they are only a courtesy). */
export const MAX_NAME = 200;

/**
 * The person behind a mail, or an SMTP refusal. The From header must hold exactly one valid
 * address whose domain is the domain of the envelope sender (MAIL FROM): a header sender that
 * the envelope does not back is treated as forged (the same alignment DMARC asks for, RFC 7489
 * §3.1, in its strict form).
 */
export function checkSender(
  parsed: ParsedMail,
  envelopeFrom: string | null,
  ownAddress: string | null,
): Sender | SmtpRefusal {
  const fromHeaders = parsed.headerLines.filter((h) => h.key === 'from').length;
  if (fromHeaders === 0) return refuse(550, '5.7.1 The message has no From address');
  if (fromHeaders > 1) return refuse(550, '5.7.1 The message has more than one From header');
  const mailboxes = (parsed.from?.value ?? []).flatMap((a) =>
    a.group !== undefined ? a.group : [a],
  );
  if (mailboxes.length === 0) return refuse(550, '5.7.1 The message has no From address');
  if (mailboxes.length > 1) return refuse(550, '5.7.1 The message must have exactly one sender');
  const mailbox = mailboxes[0]!;
  const email = normalizeEmail(mailbox.address ?? '');
  if (email === null) return refuse(550, '5.1.7 The From address is not valid');
  const envelope = envelopeFrom === null ? null : normalizeEmail(envelopeFrom);
  if (envelope === null) return refuse(550, '5.7.1 A valid envelope sender is required');
  if (domainOf(email) !== domainOf(envelope)) {
    return refuse(550, '5.7.1 The From address does not match the envelope sender');
  }
  if (ownAddress !== null && email === ownAddress) {
    return refuse(550, '5.7.1 Mail from this address is not accepted');
  }
  const name = mailbox.name.replace(/[\p{Cc}\p{Cf}]/gu, '').trim();
  return { email, name: name === '' ? undefined : [...name].slice(0, MAX_NAME).join('') };
}

/**
 * Refuses automatic mail (out-of-office replies, bounces, lists): answering it could start a mail
 * loop, and no person asked anything (RFC 3834 §2, §5).
 */
export function checkAutomatic(parsed: ParsedMail): SmtpRefusal | null {
  const auto = parsed.headers.get('auto-submitted');
  if (typeof auto === 'string' && auto.trim().toLowerCase() !== 'no') {
    return refuse(550, '5.7.1 Automatic mail is not accepted here');
  }
  const precedence = parsed.headers.get('precedence');
  if (typeof precedence === 'string' && /^(bulk|junk|list)$/i.test(precedence.trim())) {
    return refuse(550, '5.7.1 Bulk or list mail is not accepted here');
  }
  return null;
}

export type ContentProblem = 'attachments' | 'binary' | 'empty';

// C0 controls other than tab, line feed, form feed and carriage return, DEL, and U+FFFD (bytes
// that did not decode in the declared charset): text a person typed does not contain them.
function isNotText(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0c && c !== 0x0d) || c === 0x7f)
      return true;
    if (c === 0xfffd) return true;
  }
  return false;
}

/** Why the content cannot be taken as a request, or null when it is plain readable text. */
export function contentProblem(parsed: ParsedMail): ContentProblem | null {
  // mailparser files every part that is not text (images, application/*, even a whole body of
  // application/octet-stream) under attachments.
  if (parsed.attachments.length > 0) return 'attachments';
  const text = `${parsed.subject ?? ''}\n${parsed.text ?? ''}`;
  if (isNotText(text)) return 'binary';
  if (text.trim() === '') return 'empty';
  return null;
}

/** Longest request text kept from a mail (subject and body together). */
export const MAX_DETAILS = 4000;

/** The person's words: the subject, a blank line, the body; trimmed and cut to MAX_DETAILS. */
export function detailsOf(parsed: ParsedMail): string {
  const subject = (parsed.subject ?? '').trim();
  const body = (parsed.text ?? '').replace(/\r\n?/g, '\n').trim();
  const joined = subject !== '' && body !== '' ? `${subject}\n\n${body}` : subject || body;
  return [...joined].slice(0, MAX_DETAILS).join('').trim();
}
