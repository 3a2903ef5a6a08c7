// Request and response schemas of the rights-request API; types are inferred from them.
import { Type, type Static } from 'typebox';
import { Id, Text } from '../http/schemas.js';
import { LANGS, REQUEST_STATES, REQUEST_TYPES } from './contracts.js';
import { REFUSAL_GROUNDS } from './grounds.js';

/** Longest free text a person may send with a request. */
export const MAX_DETAILS = 4000;

export const RequestParams = Type.Object({ id: Id }, { additionalProperties: false });

export const NewRequest = Type.Object(
  {
    type: Type.Union(
      REQUEST_TYPES.map((t) => Type.Literal(t)),
      { description: `one of ${REQUEST_TYPES.join(', ')}` },
    ),
    lang: Type.Optional(Type.Union(LANGS.map((l) => Type.Literal(l)))),
    name: Type.Optional(Text(200)),
    email: Type.Optional(Type.String({ maxLength: 320 })),
    phone: Type.Optional(Type.String({ maxLength: 40 })),
    details: Type.Optional(Text(MAX_DETAILS, 0)),
    controller: Type.Optional(Type.String({ maxLength: 64, description: 'controller slug' })),
  },
  { additionalProperties: false },
);
export type NewRequest = Static<typeof NewRequest>;

/**
 * The status token as the person holds it. Deliberately loose: a token of the wrong shape is just
 * a wrong token (404), so the answer never tells a guesser more than "no such request".
 */
const Token = Type.String({ minLength: 1, maxLength: 128 });

export const TokenBody = Type.Object({ token: Token }, { additionalProperties: false });
export type TokenBody = Static<typeof TokenBody>;
export const TokenQuery = Type.Object({ token: Token }, { additionalProperties: false });

export const VerifyBody = Type.Object(
  { token: Token, code: Type.String({ maxLength: 16 }) },
  { additionalProperties: false },
);
export type VerifyBody = Static<typeof VerifyBody>;

export const FeeDecision = Type.Object(
  { token: Token, accept: Type.Boolean() },
  { additionalProperties: false },
);
export type FeeDecision = Static<typeof FeeDecision>;

export const AppealBody = Type.Object(
  { token: Token, reason: Text(2000) },
  { additionalProperties: false },
);
export type AppealBody = Static<typeof AppealBody>;

// ---- staff ----

export const RequestList = Type.Object(
  {
    status: Type.Optional(Type.Union(REQUEST_STATES.map((s) => Type.Literal(s)))),
    type: Type.Optional(Type.Union(REQUEST_TYPES.map((t) => Type.Literal(t)))),
    assigned: Type.Optional(
      Type.Union([Type.Literal('me'), Type.Literal('none'), Id], {
        description: '`me`, `none` or a user id',
      }),
    ),
    overdue: Type.Optional(Type.Boolean()),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    offset: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
  },
  { additionalProperties: false },
);
export type RequestList = Static<typeof RequestList>;

export const Reason = Type.Object({ reason: Text(500) }, { additionalProperties: false });
export type Reason = Static<typeof Reason>;

export const AssignBody = Type.Object({ userId: Id }, { additionalProperties: false });
export type AssignBody = Static<typeof AssignBody>;

export const NoteBody = Type.Object({ body: Text(4000) }, { additionalProperties: false });
export type NoteBody = Static<typeof NoteBody>;

export const ExtendBody = Type.Object(
  {
    reason: Text(1000),
    workingDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 60 })),
    months: Type.Optional(Type.Integer({ minimum: 1, maximum: 2 })),
  },
  { additionalProperties: false },
);
export type ExtendBody = Static<typeof ExtendBody>;

export const RefuseBody = Type.Object(
  {
    ground: Type.Union(
      REFUSAL_GROUNDS.map((g) => Type.Literal(g)),
      { description: `one of ${REFUSAL_GROUNDS.join(', ')}` },
    ),
    reason: Text(2000),
    evidenceRef: Type.Optional(Text(200)),
  },
  { additionalProperties: false },
);
export type RefuseBody = Static<typeof RefuseBody>;

export const ApproveRefusalBody = Type.Object(
  { evidenceRef: Type.Optional(Text(200)) },
  { additionalProperties: false },
);
export type ApproveRefusalBody = Static<typeof ApproveRefusalBody>;

export const FeeQuoteBody = Type.Object(
  {
    amountCents: Type.Integer({ minimum: 1, maximum: 100_000_00 }),
    costBasis: Text(1000),
  },
  { additionalProperties: false },
);
export type FeeQuoteBody = Static<typeof FeeQuoteBody>;

export const FulfilBody = Type.Object(
  {
    corrections: Type.Optional(
      Type.Array(
        Type.Object({ recordId: Id, value: Text(8192) }, { additionalProperties: false }),
        { minItems: 1, maxItems: 100 },
      ),
    ),
    act: Type.Optional(Type.Union([Type.Literal('access'), Type.Literal('deletion')])),
    purposes: Type.Optional(
      Type.Array(Type.String({ pattern: '^[a-z][a-z0-9_.-]{1,63}$' }), {
        minItems: 1,
        maxItems: 100,
        uniqueItems: true,
      }),
    ),
  },
  { additionalProperties: false },
);
export type FulfilBody = Static<typeof FulfilBody>;
