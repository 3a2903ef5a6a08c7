// Mail to a guardian asked to verify and consent for a child under 14 (PIPL art. 31).
// SCAFFOLD: the renderer is a placeholder; the guardian-flow part replaces it.
import { Type, type Static } from 'typebox';
import type { Rendered } from '../../notify/render.js';
import type { Lang } from '../../notify/tables.js';

export const GuardianCodeParams = Type.Object({
  code: Type.String({ pattern: '^[0-9]{6}$' }),
  minutes: Type.String(),
  /** The guardian page, carrying its token: verify the code and decide there. */
  link: Type.String(),
  /** The purpose the child's data was submitted for, in the mail's language. */
  purposeName: Type.String(),
  /** Until when the data is held before it is deleted. */
  deadline: Type.String(),
});
export type GuardianCodeParams = Static<typeof GuardianCodeParams>;

export function renderGuardianCode(lang: Lang, p: GuardianCodeParams): Rendered {
  const text = `${lang} ${p.code} ${p.link}`;
  return { subject: p.code, text, html: text };
}
