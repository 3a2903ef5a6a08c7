// Request schemas of the disclosure, law-enforcement and transfer-of-control registers.
import { Type, type Static } from 'typebox';
import { ControllerId } from '../../controllers/schema.js';
import { Key as PurposeKey } from '../../datamap/schema.js';
import { LEGAL_BASES } from '../../datamap/tables.js';
import { Id, Text } from '../../http/schemas.js';
import { CONTROL_TRANSFER_KINDS, LE_STATUSES } from '../tables.js';

export const CategoryKey = Type.String({
  pattern: '^[a-z][a-z0-9_]{0,63}$',
  description: 'data-map category key',
});
export const Categories = Type.Array(CategoryKey, {
  minItems: 1,
  maxItems: 100,
  uniqueItems: true,
});
export const DateTime = Type.String({ format: 'date-time' });
export const Country = Type.String({
  pattern: '^[A-Z]{2}$',
  description: 'ISO 3166-1 alpha-2 country code, e.g. CN, SG',
});
const Ref = Text(200);
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) =>
  Type.Union([t, Type.Null()]);

export const Params = Type.Object({ id: Id }, { additionalProperties: false });

// Disclosures ---------------------------------------------------------------------------------

export const NewDisclosure = Type.Object(
  {
    controllerId: Type.Optional(ControllerId),
    recipientId: Id,
    purpose: Text(500),
    categories: Categories,
    legalBasis: Type.Enum(LEGAL_BASES),
    separateConsentRef: Type.Optional(Nullable(Ref)),
    consentPurpose: Type.Optional(Nullable(PurposeKey)),
    personsCount: Type.Integer({ minimum: 0, maximum: 2_000_000_000 }),
    disclosedAt: DateTime,
    leRequestId: Type.Optional(Nullable(Id)),
    transferId: Type.Optional(Nullable(Id)),
    note: Type.Optional(Nullable(Text(2000))),
  },
  { additionalProperties: false },
);
export type NewDisclosure = Static<typeof NewDisclosure>;

export const DisclosurePatch = Type.Object(
  {
    recipientId: Type.Optional(Id),
    purpose: Type.Optional(Text(500)),
    categories: Type.Optional(Categories),
    legalBasis: Type.Optional(Type.Enum(LEGAL_BASES)),
    separateConsentRef: Type.Optional(Nullable(Ref)),
    consentPurpose: Type.Optional(Nullable(PurposeKey)),
    personsCount: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_000_000_000 })),
    disclosedAt: Type.Optional(DateTime),
    leRequestId: Type.Optional(Nullable(Id)),
    transferId: Type.Optional(Nullable(Id)),
    note: Type.Optional(Nullable(Text(2000))),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type DisclosurePatch = Static<typeof DisclosurePatch>;

export const DisclosureList = Type.Object(
  {
    recipientId: Type.Optional(Id),
    controllerId: Type.Optional(ControllerId),
    from: Type.Optional(DateTime),
    to: Type.Optional(DateTime),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    after: Type.Optional(Id),
  },
  { additionalProperties: false },
);
export type DisclosureList = Static<typeof DisclosureList>;

export const Deliver = Type.Object(
  {
    subjectIds: Type.Array(Id, { minItems: 1, maxItems: 1000, uniqueItems: true }),
    reason: Text(500, 10),
  },
  { additionalProperties: false },
);
export type Deliver = Static<typeof Deliver>;

// Law-enforcement and court requests ------------------------------------------------------------

export const NewLeRequest = Type.Object(
  {
    controllerId: Type.Optional(ControllerId),
    authority: Text(200),
    authorityCountry: Country,
    instrumentRef: Ref,
    receivedAt: DateTime,
    scopeRequested: Text(4000),
    subjectIds: Type.Optional(Type.Array(Id, { maxItems: 1000, uniqueItems: true })),
  },
  { additionalProperties: false },
);
export type NewLeRequest = Static<typeof NewLeRequest>;

export const LePatch = Type.Object(
  {
    authority: Type.Optional(Text(200)),
    authorityCountry: Type.Optional(Country),
    instrumentRef: Type.Optional(Ref),
    receivedAt: Type.Optional(DateTime),
    scopeRequested: Type.Optional(Text(4000)),
    subjectIds: Type.Optional(Type.Array(Id, { maxItems: 1000, uniqueItems: true })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type LePatch = Static<typeof LePatch>;

export const LeDecision = Type.Union([
  Type.Literal('granted'),
  Type.Literal('partially_granted'),
  Type.Literal('refused'),
]);

export const Decide = Type.Object(
  {
    decision: LeDecision,
    reason: Text(2000, 5),
    disclosedCategories: Type.Optional(Categories),
    disclosedSummary: Type.Optional(Text(4000)),
    competentApprovalRef: Type.Optional(Ref),
  },
  { additionalProperties: false },
);
export type Decide = Static<typeof Decide>;

export const LeList = Type.Object(
  {
    controllerId: Type.Optional(ControllerId),
    status: Type.Optional(Type.Enum(LE_STATUSES)),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    after: Type.Optional(Id),
  },
  { additionalProperties: false },
);
export type LeList = Static<typeof LeList>;

// Transfer of control (mergers, divisions, sales) ------------------------------------------------

const Systems = Type.Array(Id, { maxItems: 200, uniqueItems: true });

export const NewControlTransfer = Type.Object(
  {
    controllerId: Type.Optional(ControllerId),
    kind: Type.Enum(CONTROL_TRANSFER_KINDS),
    counterparty: Text(200),
    counterpartyCountry: Country,
    effectiveAt: DateTime,
    categories: Categories,
    personsCount: Type.Integer({ minimum: 0, maximum: 2_000_000_000 }),
    systems: Type.Optional(Systems),
    obligationsNote: Text(4000, 10),
    notificationRef: Type.Optional(Nullable(Ref)),
  },
  { additionalProperties: false },
);
export type NewControlTransfer = Static<typeof NewControlTransfer>;

export const ControlTransferPatch = Type.Object(
  {
    kind: Type.Optional(Type.Enum(CONTROL_TRANSFER_KINDS)),
    counterparty: Type.Optional(Text(200)),
    counterpartyCountry: Type.Optional(Country),
    effectiveAt: Type.Optional(DateTime),
    categories: Type.Optional(Categories),
    personsCount: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_000_000_000 })),
    systems: Type.Optional(Systems),
    obligationsNote: Type.Optional(Text(4000, 10)),
    notificationRef: Type.Optional(Nullable(Ref)),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type ControlTransferPatch = Static<typeof ControlTransferPatch>;

export const ControlTransferList = Type.Object(
  {
    controllerId: Type.Optional(ControllerId),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    after: Type.Optional(Id),
  },
  { additionalProperties: false },
);
export type ControlTransferList = Static<typeof ControlTransferList>;
