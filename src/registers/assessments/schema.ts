// Request schemas of the impact-assessment register; the types are derived from them.
import { Type, type Static } from 'typebox';
import { Id, Text } from '../../http/schemas.js';
import { ASSESSMENT_STATUSES, RISK_RATINGS, TRIGGERS } from './tables.js';

const Key = Type.String({ pattern: '^[a-z][a-z0-9_]{1,63}$' });
const Triggers = Type.Array(Type.Enum([...TRIGGERS]), {
  minItems: 1,
  maxItems: TRIGGERS.length,
  uniqueItems: true,
});
const Findings = Type.Union([Text(20000), Type.Null()]);
const Rating = Type.Union([Type.Enum([...RISK_RATINGS]), Type.Null()]);

export const AssessmentParams = Type.Object({ id: Id }, { additionalProperties: false });

export const NewAssessment = Type.Object(
  {
    title: Text(300),
    triggers: Triggers,
    purposeKeys: Type.Optional(Type.Array(Key, { maxItems: 200, uniqueItems: true })),
    systemIds: Type.Optional(Type.Array(Id, { maxItems: 200, uniqueItems: true })),
    status: Type.Optional(Type.Enum(['proposed', 'in_progress'])),
    lawfulness: Type.Optional(Findings),
    impact: Type.Optional(Findings),
    measures: Type.Optional(Findings),
    riskRating: Type.Optional(Rating),
    residualRisk: Type.Optional(Rating),
  },
  { additionalProperties: false },
);
export type NewAssessment = Static<typeof NewAssessment>;

export const AssessmentPatch = Type.Object(
  {
    title: Type.Optional(Text(300)),
    triggers: Type.Optional(Triggers),
    purposeKeys: Type.Optional(Type.Array(Key, { maxItems: 200, uniqueItems: true })),
    systemIds: Type.Optional(Type.Array(Id, { maxItems: 200, uniqueItems: true })),
    status: Type.Optional(Type.Enum(['proposed', 'in_progress', 'superseded'])),
    lawfulness: Type.Optional(Findings),
    impact: Type.Optional(Findings),
    measures: Type.Optional(Findings),
    riskRating: Type.Optional(Rating),
    residualRisk: Type.Optional(Rating),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type AssessmentPatch = Static<typeof AssessmentPatch>;

/** Completion may bring the last findings along; whatever is still missing is named in the 400. */
export const CompleteAssessment = Type.Object(
  {
    lawfulness: Type.Optional(Text(20000)),
    impact: Type.Optional(Text(20000)),
    measures: Type.Optional(Text(20000)),
    riskRating: Type.Optional(Type.Enum([...RISK_RATINGS])),
    residualRisk: Type.Optional(Type.Enum([...RISK_RATINGS])),
  },
  { additionalProperties: false },
);
export type CompleteAssessment = Static<typeof CompleteAssessment>;

export const AssessmentList = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    after: Type.Optional(Id),
    status: Type.Optional(Type.Enum([...ASSESSMENT_STATUSES])),
    trigger: Type.Optional(Type.Enum([...TRIGGERS])),
  },
  { additionalProperties: false },
);
export type AssessmentList = Static<typeof AssessmentList>;
