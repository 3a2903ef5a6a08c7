// Request schemas of the guardian API; types are inferred from them.
import { Type, type Static } from 'typebox';
import { Id } from '../../http/schemas.js';

export const HoldParams = Type.Object({ id: Id }, { additionalProperties: false });

/**
 * The link token as the guardian holds it. Deliberately loose: a token of the wrong shape is just
 * a wrong token (404), so the answer never tells a guesser more than "no such request".
 */
const Token = Type.String({ minLength: 1, maxLength: 128 });

export const GuardianTokenBody = Type.Object({ token: Token }, { additionalProperties: false });
export type GuardianTokenBody = Static<typeof GuardianTokenBody>;

export const GuardianVerifyBody = Type.Object(
  { token: Token, code: Type.String({ minLength: 1, maxLength: 16 }) },
  { additionalProperties: false },
);
export type GuardianVerifyBody = Static<typeof GuardianVerifyBody>;

export const GuardianDecisionBody = Type.Object(
  { token: Token, consent: Type.Boolean() },
  { additionalProperties: false },
);
export type GuardianDecisionBody = Static<typeof GuardianDecisionBody>;
