// Request schemas of the data-map API; the types are derived from them.
import { Type, type Static } from 'typebox';
import { Id, Region, Text } from '../http/schemas.js';
import { LEGAL_BASES, RECIPIENT_KINDS, RETENTION_ENDS, SENSITIVE_KINDS } from './tables.js';

/** Stable codes of categories and purposes; PI records carry them, so they never change. */
export const Key = Type.String({
  pattern: '^[a-z][a-z0-9_]{1,63}$',
  description: 'lower-case letters, digits and underscores, starting with a letter (2–64)',
});
export const KeyParams = Type.Object({ key: Key }, { additionalProperties: false });
export const IdParams = Type.Object({ id: Id }, { additionalProperties: false });

const Status = Type.Union([Type.Literal('active'), Type.Literal('retired')]);
export const EntryList = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    after: Type.Optional(Type.String({ maxLength: 64 })),
    status: Type.Optional(Status),
  },
  { additionalProperties: false },
);
export type EntryList = Static<typeof EntryList>;

const Name = Text(200);
const Description = Type.Union([Text(2000), Type.Null()]);

export const NewCategory = Type.Object(
  {
    key: Key,
    nameEn: Name,
    nameZh: Name,
    groupKey: Key,
    description: Type.Optional(Description),
    sensitive: Type.Boolean(),
    sensitiveKind: Type.Optional(Type.Union([Type.Enum([...SENSITIVE_KINDS]), Type.Null()])),
  },
  { additionalProperties: false },
);
export type NewCategory = Static<typeof NewCategory>;

export const CategoryPatch = Type.Object(
  {
    nameEn: Type.Optional(Name),
    nameZh: Type.Optional(Name),
    groupKey: Type.Optional(Key),
    description: Type.Optional(Description),
    sensitive: Type.Optional(Type.Boolean()),
    sensitiveKind: Type.Optional(Type.Union([Type.Enum([...SENSITIVE_KINDS]), Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type CategoryPatch = Static<typeof CategoryPatch>;

/** 1 day to 100 years: longer is not a retention period but a refusal to decide one (PIPL art. 19). */
const RetentionDays = Type.Integer({ minimum: 1, maximum: 36500 });
const PurposeCategories = Type.Array(
  Type.Object({ key: Key, required: Type.Boolean() }, { additionalProperties: false }),
  { minItems: 1, maxItems: 200 },
);

export const NewPurpose = Type.Object(
  {
    key: Key,
    nameEn: Name,
    nameZh: Name,
    description: Type.Optional(Description),
    legalBasis: Type.Enum([...LEGAL_BASES]),
    legalBasisRef: Type.Optional(Type.Union([Text(500), Type.Null()])),
    necessity: Text(4000),
    retentionDays: RetentionDays,
    retentionEnd: Type.Enum([...RETENTION_ENDS]),
    retentionBasis: Type.Optional(Type.Enum(['purpose', 'statute'])),
    separateConsent: Type.Optional(Type.Boolean()),
    automatedDecision: Type.Optional(Type.Boolean()),
    categories: PurposeCategories,
  },
  { additionalProperties: false },
);
export type NewPurpose = Static<typeof NewPurpose>;

export const PurposePatch = Type.Object(
  {
    nameEn: Type.Optional(Name),
    nameZh: Type.Optional(Name),
    description: Type.Optional(Description),
    legalBasis: Type.Optional(Type.Enum([...LEGAL_BASES])),
    legalBasisRef: Type.Optional(Type.Union([Text(500), Type.Null()])),
    necessity: Type.Optional(Text(4000)),
    retentionDays: Type.Optional(RetentionDays),
    retentionEnd: Type.Optional(Type.Enum([...RETENTION_ENDS])),
    retentionBasis: Type.Optional(Type.Enum(['purpose', 'statute'])),
    separateConsent: Type.Optional(Type.Boolean()),
    automatedDecision: Type.Optional(Type.Boolean()),
    categories: Type.Optional(PurposeCategories),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type PurposePatch = Static<typeof PurposePatch>;

const Country = Type.String({
  pattern: '^[A-Z]{2}$',
  description: 'ISO 3166-1 alpha-2 country code, upper-case, e.g. CN, SG, DE',
});

export const NewRecipient = Type.Object(
  {
    name: Name,
    kind: Type.Enum([...RECIPIENT_KINDS]),
    country: Country,
    contact: Type.Optional(Type.Union([Text(500), Type.Null()])),
  },
  { additionalProperties: false },
);
export type NewRecipient = Static<typeof NewRecipient>;

export const RecipientPatch = Type.Object(
  {
    name: Type.Optional(Name),
    kind: Type.Optional(Type.Enum([...RECIPIENT_KINDS])),
    country: Type.Optional(Country),
    contact: Type.Optional(Type.Union([Text(500), Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type RecipientPatch = Static<typeof RecipientPatch>;

const Keys = Type.Array(Key, { maxItems: 500, uniqueItems: true });
const Ids = Type.Array(Id, { maxItems: 500, uniqueItems: true });
const Operator = Type.Enum(['internal', 'processor']);

export const NewSystem = Type.Object(
  {
    name: Name,
    description: Type.Optional(Description),
    region: Region,
    operator: Operator,
    operatorRecipientId: Type.Optional(Type.Union([Id, Type.Null()])),
    categoryKeys: Type.Optional(Keys),
    purposeKeys: Type.Optional(Keys),
    recipientIds: Type.Optional(Ids),
  },
  { additionalProperties: false },
);
export type NewSystem = Static<typeof NewSystem>;

export const SystemPatch = Type.Object(
  {
    name: Type.Optional(Name),
    description: Type.Optional(Description),
    region: Type.Optional(Region),
    operator: Type.Optional(Operator),
    operatorRecipientId: Type.Optional(Type.Union([Id, Type.Null()])),
    categoryKeys: Type.Optional(Keys),
    purposeKeys: Type.Optional(Keys),
    recipientIds: Type.Optional(Ids),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type SystemPatch = Static<typeof SystemPatch>;

export const ENTITY_TYPES = ['category', 'purpose', 'recipient', 'system'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

export const HistoryQuery = Type.Object(
  {
    entityType: Type.Enum([...ENTITY_TYPES]),
    entityId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
  },
  { additionalProperties: false },
);
export type HistoryQuery = Static<typeof HistoryQuery>;

export const RopaQuery = Type.Object(
  { format: Type.Optional(Type.Enum(['json', 'csv'])) },
  { additionalProperties: false },
);
export type RopaQuery = Static<typeof RopaQuery>;
