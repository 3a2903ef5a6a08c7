// Request schemas of the retention API: legal holds and sweeps. Types are derived from them.
import { Type, type Static } from 'typebox';
import { Id, Text } from '../http/schemas.js';

export const HoldParams = Type.Object({ id: Id }, { additionalProperties: false });
export const RunParams = HoldParams;

const HoldScopeSchema = Type.Union([
  Type.Literal('subject'),
  Type.Literal('category'),
  Type.Literal('controller'),
]);

/** Why a hold exists: free text for the record, checked to carry no personal data. */
const HoldReason = Text(500, 10);

export const NewHold = Type.Object(
  {
    scope: HoldScopeSchema,
    targetId: Type.String({
      minLength: 1,
      maxLength: 64,
      pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
      description: 'a subject id, a data-map category key, or a controller id (`self`)',
    }),
    reason: HoldReason,
    endsAt: Type.String({
      format: 'date-time',
      description: 'when the hold stops protecting, unless released earlier',
    }),
  },
  { additionalProperties: false },
);
export type NewHold = Static<typeof NewHold>;

export const ReleaseHold = Type.Object({ reason: HoldReason }, { additionalProperties: false });
export type ReleaseHold = Static<typeof ReleaseHold>;

export const HOLD_STATES = ['active', 'ended', 'released'] as const;
export type HoldState = (typeof HOLD_STATES)[number];

export const HoldList = Type.Object(
  {
    status: Type.Optional(
      Type.Union([Type.Literal('active'), Type.Literal('ended'), Type.Literal('released')]),
    ),
    scope: Type.Optional(HoldScopeSchema),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    after: Type.Optional(Id),
  },
  { additionalProperties: false },
);
export type HoldList = Static<typeof HoldList>;

export const NewRun = Type.Object(
  { dryRun: Type.Boolean({ default: false, description: 'count only; change nothing' }) },
  { additionalProperties: false },
);
export type NewRun = Static<typeof NewRun>;

export const RunList = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    /** Runs are listed newest first; `after` continues below this run id. */
    after: Type.Optional(Id),
  },
  { additionalProperties: false },
);
export type RunList = Static<typeof RunList>;
