// Request and response schemas of the inquiry API; types are inferred from them. Which fields and
// consents a submission may carry depends on the data map, so the schema checks only their shape
// and the service names every field the data map does not declare (never a silent drop).
import { Type, type Static } from 'typebox';
import { Id, Text } from '../http/schemas.js';

/** A data-map key (purpose or category), as the data map writes them. */
const Key = Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$', maxLength: 64 });

/** Most fields or consents one submission may carry: far above any real form. */
export const MAX_ENTRIES = 40;

export const InquiryLang = Type.Union([Type.Literal('zh-CN'), Type.Literal('en')]);

export const NewInquiry = Type.Object(
  {
    /** The data-map purpose the form collects for; `consultation` by default. */
    purpose: Type.Optional(Key),
    lang: Type.Optional(InquiryLang),
    /** The policy version whose notices the person was shown. */
    policyVersion: Type.String({ minLength: 1, maxLength: 32 }),
    /** Values by data-map category key; only categories the purpose declares are accepted. */
    fields: Type.Record(Key, Text(8192, 0), {
      additionalProperties: false,
      maxProperties: MAX_ENTRIES,
    }),
    /** Optional consents offered on the form, by purpose key: true grants, false declines. */
    consents: Type.Optional(
      Type.Record(Key, Type.Boolean(), { additionalProperties: false, maxProperties: MAX_ENTRIES }),
    ),
    /** Required when the person is under the minor age: where the guardian's code goes. */
    guardianEmail: Type.Optional(Type.String({ maxLength: 320 })),
  },
  { additionalProperties: false },
);
export type NewInquiry = Static<typeof NewInquiry>;

export const InquiryParams = Type.Object({ id: Id }, { additionalProperties: false });

export const INQUIRY_STATUSES = ['received', 'held', 'answered', 'deleted'] as const;

export const InquiryList = Type.Object(
  {
    status: Type.Optional(Type.Union(INQUIRY_STATUSES.map((s) => Type.Literal(s)))),
    purpose: Type.Optional(Key),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    after: Type.Optional(Id),
  },
  { additionalProperties: false },
);
export type InquiryList = Static<typeof InquiryList>;
