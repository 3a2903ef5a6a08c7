// A marketing mail: the message the privacy office wrote, with a one-click unsubscribe. The title
// and body are plain text as typed by staff; the HTML part escapes every character of them, so
// markup in a message arrives as visible text, never as markup. The unsubscribe URL travels three
// ways: the RFC 8058 header pair (mail clients show their own "unsubscribe" button and POST to it),
// a visible link in the text part and a link in the HTML part.
import { Type, type Static } from 'typebox';
import { escapeHtml, htmlLines, type Rendered } from '../../notify/render.js';
import type { Lang } from '../../notify/tables.js';

export const MarketingMessageParams = Type.Object({
  title: Type.String({ maxLength: 200 }),
  body: Type.String({ maxLength: 20_000 }),
  /**
   * The one-click unsubscribe URL (RFC 8058), also put in the List-Unsubscribe header: an
   * http(s) URL without spaces or angle brackets, so it can sit between `<` and `>` in a header.
   */
  unsubscribeUrl: Type.String({ pattern: '^https?://[\\x21-\\x3b\\x3d\\x3f-\\x7e]+$' }),
});
export type MarketingMessageParams = Static<typeof MarketingMessageParams>;

const WORDS = {
  'zh-CN': {
    why: '您收到这封邮件，是因为您同意接收我们的产品资讯和活动邀请。',
    how: '如不想再收到此类邮件，可随时退订，无需登录：',
    link: '退订',
  },
  en: {
    why: 'You receive this e-mail because you agreed to hear about our products and events.',
    how: 'You can unsubscribe at any time, without logging in:',
    link: 'Unsubscribe',
  },
} as const;

/** Paragraphs of plain text: blocks separated by an empty line. */
const paragraphs = (text: string): string[] =>
  text
    .split(/\r?\n[ \t]*\r?\n/)
    .map((p) => p.trim())
    .filter((p) => p !== '');

export function renderMarketingMessage(lang: Lang, p: MarketingMessageParams): Rendered {
  const w = WORDS[lang];
  const text = [p.title, '', p.body, '', '——', w.why, `${w.how} ${p.unsubscribeUrl}`, ''].join(
    '\n',
  );
  const html = [
    `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>${escapeHtml(p.title)}</title></head><body>`,
    `<h1>${escapeHtml(p.title)}</h1>`,
    ...paragraphs(p.body).map((para) => `<p>${htmlLines(para)}</p>`),
    '<hr>',
    `<p><small>${escapeHtml(w.why)} ${escapeHtml(w.how)} <a href="${escapeHtml(p.unsubscribeUrl)}">${escapeHtml(w.link)}</a></small></p>`,
    '</body></html>',
  ].join('\n');
  return {
    subject: p.title,
    text,
    html,
    // RFC 8058 §3.1: the HTTPS URI in List-Unsubscribe, and List-Unsubscribe-Post with exactly
    // this key/value pair, tell the mail client a POST to the URI unsubscribes with no further
    // step. (The sender's DKIM signature should cover both fields; that is the MTA's setting.)
    headers: {
      'List-Unsubscribe': `<${p.unsubscribeUrl}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    },
  };
}
