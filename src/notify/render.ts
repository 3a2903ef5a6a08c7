// Pieces every mail template uses: HTML escaping and dates written for people in each language.
import type { Lang } from './tables.js';

/** A rendered message: the subject line, a plain-text body and the same body as HTML. */
export interface Rendered {
  subject: string;
  text: string;
  html: string;
  /**
   * Extra header fields the message needs (e.g. RFC 8058 List-Unsubscribe), built from the sealed
   * parameters at delivery time. Values are single-line ASCII; they cannot replace the fields the
   * sender sets itself (From, To, Subject, Message-ID, Content-Language, Auto-Submitted).
   */
  headers?: Record<string, string>;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and attribute values (OWASP XSS prevention rule 1). */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** Escaped text with line breaks kept. */
export function htmlLines(value: string): string {
  return escapeHtml(value).replace(/\r?\n/g, '<br>');
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * A moment as a reader expects it: English readers get UTC, Chinese readers Beijing time (UTC+8
 * all year; China keeps no daylight saving, so a fixed offset is exact).
 */
export function formatTime(iso: string, lang: Lang): string {
  const d = new Date(iso);
  if (lang === 'en') {
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
  }
  const b = new Date(d.getTime() + 8 * 3600_000);
  return `${b.getUTCFullYear()}年${b.getUTCMonth() + 1}月${b.getUTCDate()}日 ${pad(b.getUTCHours())}:${pad(b.getUTCMinutes())}（北京时间）`;
}

/** One titled block of a plain message; a null heading makes a bare paragraph. */
export interface Section {
  heading: string | null;
  body: string;
}

/**
 * A plain message from a greeting, sections and a closing: the text part, and the same content as
 * escaped HTML. Used by the short transactional mails (rights requests).
 */
export function renderSections(
  lang: Lang,
  subject: string,
  greeting: string,
  sections: readonly Section[],
  closing: string,
): Rendered {
  const text = [
    greeting,
    '',
    ...sections.flatMap((s) => (s.heading === null ? [s.body, ''] : [`${s.heading}:`, s.body, ''])),
    closing,
    '',
  ].join('\n');
  const html = [
    `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head><body>`,
    `<p>${escapeHtml(greeting)}</p>`,
    ...sections.map((s) =>
      s.heading === null
        ? `<p>${htmlLines(s.body)}</p>`
        : `<h3>${escapeHtml(s.heading)}</h3><p>${htmlLines(s.body)}</p>`,
    ),
    `<p>${escapeHtml(closing)}</p>`,
    '</body></html>',
  ].join('\n');
  return { subject, text, html };
}
