// Request schemas of the cross-border transfer register.
import { Type, type Static } from 'typebox';
import { Id, Text } from '../../http/schemas.js';
import { Categories, Country, DateTime } from '../disclosures/schema.js';
import { EXEMPTION_GROUNDS, TRANSFER_MECHANISMS, TRANSFER_STATUSES } from '../tables.js';

const PurposeKey = Type.String({
  pattern: '^[a-z][a-z0-9_.-]{1,63}$',
  description: 'data-map purpose key',
});
const Purposes = Type.Array(PurposeKey, { minItems: 1, maxItems: 50, uniqueItems: true });
const Ref = Text(200);
const Persons = Type.Integer({ minimum: 0, maximum: 2_000_000_000 });
const Mechanism = Type.Enum(TRANSFER_MECHANISMS);
const Ground = Type.Enum(EXEMPTION_GROUNDS);

export const NewTransfer = Type.Object(
  {
    recipientId: Id,
    destinationCountry: Country,
    mechanism: Mechanism,
    /** Security assessment approval no., standard-contract filing no. or certificate no. */
    mechanismRef: Type.Optional(Type.Union([Ref, Type.Null()])),
    exemptionGround: Type.Optional(Type.Union([Ground, Type.Null()])),
    categories: Categories,
    purposes: Purposes,
    expectedYearlyPersons: Persons,
    expiresAt: Type.Optional(Type.Union([DateTime, Type.Null()])),
  },
  { additionalProperties: false },
);
export type NewTransfer = Static<typeof NewTransfer>;

export const TransferPatch = Type.Object(
  {
    recipientId: Type.Optional(Id),
    destinationCountry: Type.Optional(Country),
    mechanism: Type.Optional(Mechanism),
    mechanismRef: Type.Optional(Type.Union([Ref, Type.Null()])),
    exemptionGround: Type.Optional(Type.Union([Ground, Type.Null()])),
    categories: Type.Optional(Categories),
    purposes: Type.Optional(Purposes),
    expectedYearlyPersons: Type.Optional(Persons),
    expiresAt: Type.Optional(Type.Union([DateTime, Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type TransferPatch = Static<typeof TransferPatch>;

export const Approve = Type.Object(
  {
    approvedAt: DateTime,
    expiresAt: Type.Optional(Type.Union([DateTime, Type.Null()])),
  },
  { additionalProperties: false },
);
export type Approve = Static<typeof Approve>;

export const Revoke = Type.Object({ reason: Text(500, 5) }, { additionalProperties: false });
export type Revoke = Static<typeof Revoke>;

export const TransferList = Type.Object(
  {
    recipientId: Type.Optional(Id),
    destinationCountry: Type.Optional(Country),
    status: Type.Optional(Type.Enum(TRANSFER_STATUSES)),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    after: Type.Optional(Id),
  },
  { additionalProperties: false },
);
export type TransferList = Static<typeof TransferList>;

export const VolumesQuery = Type.Object(
  { year: Type.Optional(Type.Integer({ minimum: 2000, maximum: 2200 })) },
  { additionalProperties: false },
);
export type VolumesQuery = Static<typeof VolumesQuery>;
