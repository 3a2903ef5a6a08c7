import { Type, type Static } from 'typebox';
import { ControllerId } from '../controllers/schema.js';
import { Id, Region, Text } from '../http/schemas.js';
import { CATEGORY_NAMES } from './categories.js';

export const SubjectParams = Type.Object({ id: Id }, { additionalProperties: false });

export const NewRecord = Type.Object(
  {
    category: Type.String({
      pattern: '^[a-z][a-z0-9_]{1,63}$',
      description: `category key from the data map (it must be declared for the purpose); built-in categories with validation: ${CATEGORY_NAMES.join(', ')}`,
    }),
    purpose: Type.String({
      pattern: '^[a-z][a-z0-9_.-]{1,63}$',
      description: 'purpose code from the data map',
    }),
    value: Text(8192),
    source: Type.String({
      pattern: '^[a-z][a-z0-9_.:-]{1,63}$',
      description: 'where it was collected, e.g. web_form, api, import',
    }),
    collectedAt: Type.Optional(Type.String({ format: 'date-time' })),
    region: Type.Optional(Region),
  },
  { additionalProperties: false },
);
export type NewRecord = Static<typeof NewRecord>;

export const NewSubject = Type.Object(
  {
    controllerId: Type.Optional(ControllerId),
    records: Type.Array(NewRecord, { minItems: 1, maxItems: 100 }),
  },
  { additionalProperties: false },
);
export type NewSubject = Static<typeof NewSubject>;

export const NewRecords = Type.Object(
  { records: Type.Array(NewRecord, { minItems: 1, maxItems: 100 }) },
  { additionalProperties: false },
);

export const SubjectList = Type.Object(
  {
    controllerId: Type.Optional(ControllerId),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('erased')])),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    after: Type.Optional(Id),
  },
  { additionalProperties: false },
);
export type SubjectList = Static<typeof SubjectList>;

/** Identifiers travel in the body, never in a URL (ASVS 14.2.1): exactly one per search. */
export const SubjectSearch = Type.Object(
  {
    email: Type.Optional(Type.String({ minLength: 3, maxLength: 254 })),
    phone: Type.Optional(Type.String({ minLength: 3, maxLength: 40 })),
    idNumber: Type.Optional(Type.String({ minLength: 4, maxLength: 64 })),
    controllerId: Type.Optional(ControllerId),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type SubjectSearch = Static<typeof SubjectSearch>;

export const Reason = Type.Object(
  {
    reason: Text(500, 10),
    recordIds: Type.Optional(Type.Array(Id, { minItems: 1, maxItems: 100, uniqueItems: true })),
  },
  { additionalProperties: false },
);
export type Reason = Static<typeof Reason>;

export const EraseBody = Type.Object({ reason: Text(500, 10) }, { additionalProperties: false });
