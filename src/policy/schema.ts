// Policy versions over HTTP: the wire shapes of list, read and publish. Types are inferred here.
import { Type, type Static } from 'typebox';
import { Text } from '../http/schemas.js';

/** A version label such as `2026.2`; it names the version in every ledger record made under it. */
export const PolicyVersion = Type.String({ pattern: '^[0-9A-Za-z._-]{1,32}$', maxLength: 32 });

export const PolicyParams = Type.Object(
  { version: PolicyVersion },
  { additionalProperties: false },
);

const Lang = Type.Union([Type.Literal('zh-CN'), Type.Literal('en')]);

/** Most notices one publication may change: every purpose in both languages, with room. */
export const MAX_NOTICES = 200;

export const PublishPolicy = Type.Object(
  {
    version: PolicyVersion,
    summaryEn: Text(2000),
    summaryZh: Text(2000),
    /** Notices that are new or changed; those of other purposes carry over unchanged. */
    notices: Type.Array(
      Type.Object(
        {
          purpose: Type.String({ pattern: '^[a-z][a-z0-9_.-]{1,63}$', maxLength: 64 }),
          lang: Lang,
          text: Text(8000),
        },
        { additionalProperties: false },
      ),
      { maxItems: MAX_NOTICES },
    ),
  },
  { additionalProperties: false },
);
export type PublishPolicy = Static<typeof PublishPolicy>;
