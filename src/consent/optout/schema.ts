// Request and response schemas of marketing sends, the suppression list and the one-click
// unsubscribe; types are inferred from them.
import { Type, type Static } from 'typebox';
import { Id, Text } from '../../http/schemas.js';
import { LANGS } from '../../notify/tables.js';

/** Limits shared by the API and the mail template's parameters. */
export const MARKETING_LIMITS = { title: 200, body: 20_000, subjects: 1000 } as const;

/** A subject line: one line, no control characters at all (it becomes a mail header). */
const Title = Type.String({
  minLength: 1,
  maxLength: MARKETING_LIMITS.title,
  pattern: '^[^\\u0000-\\u001F\\u007F\\uD800-\\uDFFF]*$',
});

export const SendMarketingBody = Type.Object(
  {
    title: Title,
    /** Plain text; blank lines separate paragraphs. Escaped in the HTML part. */
    body: Text(MARKETING_LIMITS.body),
    lang: Type.Optional(Type.Enum([...LANGS])),
    subjectIds: Type.Array(Id, {
      minItems: 1,
      maxItems: MARKETING_LIMITS.subjects,
      uniqueItems: true,
    }),
  },
  { additionalProperties: false },
);
export type SendMarketingBody = Static<typeof SendMarketingBody>;

export const SEND_OUTCOMES = ['queued', 'suppressed', 'noConsent', 'noEmail', 'notFound'] as const;
export type SendOutcome = (typeof SEND_OUTCOMES)[number];

export const SendMarketingResult = Type.Object({
  id: Type.String({
    description: 'id of this send (in the audit trail and the mails’ dedupe keys)',
  }),
  mails: Type.Integer({ description: 'mails queued (a person with two addresses gets two)' }),
  counts: Type.Object({
    queued: Type.Integer(),
    suppressed: Type.Integer(),
    noConsent: Type.Integer(),
    noEmail: Type.Integer(),
    notFound: Type.Integer(),
  }),
  outcomes: Type.Array(
    Type.Object({
      subjectId: Type.String(),
      outcome: Type.Enum([...SEND_OUTCOMES]),
    }),
  ),
});
export type SendMarketingResult = Static<typeof SendMarketingResult>;

export const SuppressionList = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
    offset: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
  },
  { additionalProperties: false },
);
export type SuppressionList = Static<typeof SuppressionList>;

export const SUPPRESSION_REASONS = ['unsubscribe', 'withdrawn', 'staff', 'erased'] as const;

export const SuppressionPage = Type.Object({
  count: Type.Integer(),
  entries: Type.Array(
    Type.Object({
      /** The first 8 bytes of the keyed digest, in hex: enough to tell entries apart, no address. */
      digest: Type.String(),
      reason: Type.Enum([...SUPPRESSION_REASONS]),
      source: Type.Union([Type.String(), Type.Null()]),
      createdAt: Type.String(),
    }),
  ),
});
export type SuppressionPage = Static<typeof SuppressionPage>;

export const AddSuppressionBody = Type.Object(
  { email: Type.String({ minLength: 3, maxLength: 254 }) },
  { additionalProperties: false },
);
export type AddSuppressionBody = Static<typeof AddSuppressionBody>;

/**
 * The query of the one-click URL. The token is 32 random bytes in base64url (43 characters); any
 * other shape is a 400 before the database is asked. `lang` picks the page language.
 */
export const UnsubscribeQuery = Type.Object(
  {
    token: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }),
    lang: Type.Optional(Type.String({ maxLength: 16 })),
  },
  { additionalProperties: false },
);
export type UnsubscribeQuery = Static<typeof UnsubscribeQuery>;
