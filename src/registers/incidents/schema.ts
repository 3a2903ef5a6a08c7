// Request schemas of the incident register; the types are inferred from them.
import { Type, type Static } from 'typebox';
import { ControllerId } from '../../controllers/schema.js';
import { Id, Text } from '../../http/schemas.js';
import { LANGS } from '../../notify/tables.js';
import { INCIDENT_GRADES, INCIDENT_KINDS, INCIDENT_STATUSES, NOTICE_DECISIONS } from './tables.js';

export const IncidentParams = Type.Object({ id: Id }, { additionalProperties: false });

/** One line of text: no control characters at all (titles end up in mail subject lines). */
const Line = (maxLength: number) =>
  Type.String({
    minLength: 1,
    maxLength,
    pattern: '^[^\\u0000-\\u001F\\u007F\\uD800-\\uDFFF]*$',
  });
const When = Type.String({ format: 'date-time' });
const CategoryKey = Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' });
const Categories = Type.Array(CategoryKey, { minItems: 1, maxItems: 100, uniqueItems: true });
const Persons = Type.Integer({ minimum: 0, maximum: 10_000_000_000 });
const Grade = Type.Enum(INCIDENT_GRADES);
const SubjectIds = Type.Array(Id, { maxItems: 10_000, uniqueItems: true });

const editable = {
  title: Line(200),
  kind: Type.Enum(INCIDENT_KINDS),
  description: Text(10_000),
  detectedAt: When,
  occurredAt: When,
  categories: Categories,
  personsAffected: Persons,
  cii: Type.Boolean(),
  cause: Text(5000),
  possibleHarm: Text(5000),
  remediesTaken: Text(5000),
  personActions: Text(5000),
  contact: Text(500),
  grade: Grade,
  gradeReason: Text(1000, 5),
  subjectIds: SubjectIds,
};

export const NewIncident = Type.Object(
  {
    controllerId: Type.Optional(ControllerId),
    title: editable.title,
    kind: editable.kind,
    description: editable.description,
    detectedAt: editable.detectedAt,
    occurredAt: Type.Optional(editable.occurredAt),
    containedAt: Type.Optional(When),
    categories: editable.categories,
    personsAffected: editable.personsAffected,
    cii: editable.cii,
    cause: Type.Optional(editable.cause),
    possibleHarm: Type.Optional(editable.possibleHarm),
    remediesTaken: Type.Optional(editable.remediesTaken),
    personActions: Type.Optional(editable.personActions),
    contact: Type.Optional(editable.contact),
    grade: Type.Optional(editable.grade),
    gradeReason: Type.Optional(editable.gradeReason),
    subjectIds: Type.Optional(editable.subjectIds),
  },
  { additionalProperties: false },
);
export type NewIncident = Static<typeof NewIncident>;

/** Corrections before the incident is closed; `subjectIds` replaces the affected set. */
export const IncidentPatch = Type.Object(
  {
    title: Type.Optional(editable.title),
    kind: Type.Optional(editable.kind),
    description: Type.Optional(editable.description),
    detectedAt: Type.Optional(editable.detectedAt),
    occurredAt: Type.Optional(Type.Union([editable.occurredAt, Type.Null()])),
    categories: Type.Optional(editable.categories),
    personsAffected: Type.Optional(editable.personsAffected),
    cii: Type.Optional(editable.cii),
    cause: Type.Optional(editable.cause),
    possibleHarm: Type.Optional(editable.possibleHarm),
    remediesTaken: Type.Optional(editable.remediesTaken),
    personActions: Type.Optional(editable.personActions),
    contact: Type.Optional(editable.contact),
    grade: Type.Optional(Type.Union([editable.grade, Type.Null()])),
    gradeReason: Type.Optional(editable.gradeReason),
    subjectIds: Type.Optional(editable.subjectIds),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type IncidentPatch = Static<typeof IncidentPatch>;

export const IncidentList = Type.Object(
  {
    status: Type.Optional(Type.Enum(INCIDENT_STATUSES)),
    overdue: Type.Optional(Type.Boolean()),
    controllerId: Type.Optional(ControllerId),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    after: Type.Optional(Id),
  },
  { additionalProperties: false },
);
export type IncidentList = Static<typeof IncidentList>;

export const ContainBody = Type.Object({ containedAt: When }, { additionalProperties: false });
export type ContainBody = Static<typeof ContainBody>;

export const RegulatorReportBody = Type.Object(
  { reportedAt: When, authority: Line(200), reference: Line(200) },
  { additionalProperties: false },
);
export type RegulatorReportBody = Static<typeof RegulatorReportBody>;

export const NoticeDecisionBody = Type.Object(
  { decision: Type.Enum(NOTICE_DECISIONS), reason: Text(2000, 10) },
  { additionalProperties: false },
);
export type NoticeDecisionBody = Static<typeof NoticeDecisionBody>;

export const NotifyBody = Type.Object(
  { channel: Type.Literal('email'), lang: Type.Optional(Type.Enum(LANGS)) },
  { additionalProperties: false },
);
export type NotifyBody = Static<typeof NotifyBody>;

export const NoticeQuery = Type.Object(
  { lang: Type.Enum(LANGS, { default: 'zh-CN' }) },
  { additionalProperties: false },
);
export type NoticeQuery = Static<typeof NoticeQuery>;

export const PostReportBody = Type.Object(
  {
    rootCause: Text(10_000),
    measures: Text(10_000),
    lessons: Text(10_000),
    impact: Type.Optional(Text(10_000)),
    followUp: Type.Optional(Text(10_000)),
  },
  { additionalProperties: false },
);
export type PostReportBody = Static<typeof PostReportBody>;
