// Schemas of the consent endpoints beyond the banner's wire contract (schema.ts): the config query,
// receipts, one-request withdrawal and the staff ledger views. Types are inferred from them.
import { Type, type Static } from 'typebox';
import { Id, Text } from '../http/schemas.js';
import { CONSENT_DECISIONS, CONSENT_METHODS } from './contracts.js';
import { MAX_DECISIONS, VisitorId } from './schema.js';

const Lang = Type.Union([Type.Literal('zh-CN'), Type.Literal('en')]);
const PurposeKey = Type.String({ pattern: '^[a-z][a-z0-9_.-]{1,63}$', maxLength: 64 });
/** A receipt token: 32 random bytes, base64url (receipt-tokens.ts). */
const ReceiptToken = Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', maxLength: 43 });

export const ConfigQuery = Type.Object(
  { lang: Type.Optional(Lang) },
  { additionalProperties: false },
);
export type ConfigQuery = Static<typeof ConfigQuery>;

/** Exactly one of `token` (a known person) or `visitor` (a banner visitor id). */
export const ReceiptQuery = Type.Object(
  { token: Type.Optional(ReceiptToken), visitor: Type.Optional(VisitorId) },
  { additionalProperties: false },
);
export type ReceiptQuery = Static<typeof ReceiptQuery>;

export const WithdrawBody = Type.Object(
  {
    token: ReceiptToken,
    /** The purposes to withdraw; every granted one when omitted. */
    purposes: Type.Optional(
      Type.Array(PurposeKey, { minItems: 1, maxItems: 50, uniqueItems: true }),
    ),
    lang: Type.Optional(Lang),
  },
  { additionalProperties: false },
);
export type WithdrawBody = Static<typeof WithdrawBody>;

export const ConsentList = Type.Object(
  {
    subjectId: Type.Optional(Id),
    purpose: Type.Optional(PurposeKey),
    method: Type.Optional(Type.Union(CONSENT_METHODS.map((m) => Type.Literal(m)))),
    decision: Type.Optional(Type.Union(CONSENT_DECISIONS.map((d) => Type.Literal(d)))),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    /** The last id of the previous page (newest first). */
    after: Type.Optional(Id),
  },
  { additionalProperties: false },
);
export type ConsentList = Static<typeof ConsentList>;

/** Staff record a decision the person made outside the web (phone, paper, in person). */
export const StaffConsentBody = Type.Object(
  {
    decisions: Type.Array(
      Type.Object(
        { purpose: PurposeKey, granted: Type.Boolean() },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: MAX_DECISIONS },
    ),
    /** The language of the notice the person was given. */
    lang: Type.Optional(Lang),
    /** How the decision was taken, for the audit trail (no personal information). */
    reason: Text(500, 10),
  },
  { additionalProperties: false },
);
export type StaffConsentBody = Static<typeof StaffConsentBody>;
