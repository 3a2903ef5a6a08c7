// A marketing mail: the message the privacy office wrote, with a one-click unsubscribe link.
// SCAFFOLD: the renderer is a placeholder; the marketing part replaces it.
import { Type, type Static } from 'typebox';
import type { Rendered } from '../../notify/render.js';
import type { Lang } from '../../notify/tables.js';

export const MarketingMessageParams = Type.Object({
  title: Type.String({ maxLength: 200 }),
  body: Type.String({ maxLength: 20_000 }),
  /** The one-click unsubscribe URL (RFC 8058), also put in the List-Unsubscribe header. */
  unsubscribeUrl: Type.String(),
});
export type MarketingMessageParams = Static<typeof MarketingMessageParams>;

export function renderMarketingMessage(lang: Lang, p: MarketingMessageParams): Rendered {
  const text = `${lang} ${p.title} ${p.body} ${p.unsubscribeUrl}`;
  return { subject: p.title, text, html: text };
}
