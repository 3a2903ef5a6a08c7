// The wire contract of the public consent API, shared by the server routes, the banner script
// (web/banner) and the benchmark. Types are inferred from the schemas.
import { Type, type Static } from 'typebox';

const Lang = Type.Union([Type.Literal('zh-CN'), Type.Literal('en')]);

/** A banner visitor: a random UUID the browser made and keeps in its first-party cookie. */
export const VisitorId = Type.String({
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
  maxLength: 36,
});

export const CategoryKey = Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$', maxLength: 40 });

/** Most categories one event may decide; a banner has a handful. */
export const MAX_DECISIONS = 16;

/**
 * `POST /api/v1/consent/events`: one choice of a visitor. `granted: false` is recorded as a
 * denial, or as a withdrawal when the category was granted before. A grant of a category whose
 * purpose needs separate consent must come alone (PIPL arts. 23/25/29/39): a bundled one is a 400.
 * Essential categories are not decided and may not be sent.
 */
export const ConsentEventBody = Type.Object(
  {
    visitorId: VisitorId,
    policyVersion: Type.String({ minLength: 1, maxLength: 32 }),
    lang: Lang,
    /** `gpc` / `dnt`: the browser signal denied non-essential categories without a banner. */
    method: Type.Union([
      Type.Literal('banner'),
      Type.Literal('gpc'),
      Type.Literal('dnt'),
      Type.Literal('api'),
    ]),
    /** What the person pressed; kept with the records as context. */
    action: Type.Optional(
      Type.Union([
        Type.Literal('accept_all'),
        Type.Literal('reject_all'),
        Type.Literal('save'),
        Type.Literal('withdraw'),
        Type.Literal('signal'),
      ]),
    ),
    decisions: Type.Array(
      Type.Object(
        { category: CategoryKey, granted: Type.Boolean() },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: MAX_DECISIONS },
    ),
    /** The DOM signals at decision time (`navigator.globalPrivacyControl`, `doNotTrack`). */
    gpc: Type.Optional(Type.Boolean()),
    dnt: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type ConsentEventBody = Static<typeof ConsentEventBody>;

export const ConsentEventResult = Type.Object({
  recorded: Type.Array(
    Type.Object({
      id: Type.String(),
      category: Type.String(),
      purpose: Type.String(),
      decision: Type.String(),
    }),
  ),
  /** Path of this visitor's consent receipt (JSON). */
  receipt: Type.String(),
});
export type ConsentEventResult = Static<typeof ConsentEventResult>;

/** `GET /api/v1/consent/config?lang=`: what the banner shows. */
export const ConsentConfig = Type.Object({
  policyVersion: Type.String(),
  lang: Lang,
  /** Ask again after this many days even without a change. */
  validDays: Type.Integer(),
  categories: Type.Array(
    Type.Object({
      key: Type.String(),
      purpose: Type.Union([Type.String(), Type.Null()]),
      essential: Type.Boolean(),
      /** Needs its own grant, never bundled with another category. */
      separate: Type.Boolean(),
      name: Type.String(),
      /** The exact notice text; its SHA-256 is what the ledger records. */
      notice: Type.String(),
      noticeSha256: Type.String(),
      /** The policy version in which this category's notice last changed: a stored choice made
       * under an older revision is asked again, for this category only. */
      revision: Type.String(),
      services: Type.Array(
        Type.Object({ name: Type.String(), cookies: Type.Array(Type.String()) }),
      ),
      /** Google Consent Mode v2 signals this category grants. */
      gcm: Type.Array(Type.String()),
    }),
  ),
});
export type ConsentConfig = Static<typeof ConsentConfig>;
