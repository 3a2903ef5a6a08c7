// Schemas shared by several routes: problem documents, paging, identifiers.
import { Type, type Static } from 'typebox';

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.String(),
    errors: Type.Optional(
      Type.Array(Type.Object({ pointer: Type.String(), detail: Type.String() })),
    ),
  },
  { description: 'RFC 9457 problem document' },
);

/** Ids are server-made UUIDs; anything else is a 404, not a 500 from a database cast. */
export const Id = Type.String({ pattern: '^[0-9a-fA-F-]{36}$', maxLength: 36 });
export const IdParams = Type.Object({ id: Id }, { additionalProperties: false });

export const Paging = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    after: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type PagingQuery = Static<typeof Paging>;

/**
 * Free text a person types: bounded, no control characters except newline and tab, and no
 * unpaired surrogates (which databases would silently replace). Ajv matches with the `u` flag,
 * so paired characters such as emoji are single code points and pass.
 */
export const Text = (maxLength: number, minLength = 1) =>
  Type.String({
    minLength,
    maxLength,
    pattern: '^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F\\uD800-\\uDFFF]*$',
  });

export const Region = Type.String({
  pattern: '^[A-Z]{2}(-[A-Z0-9]{1,3})?$',
  description: 'ISO 3166 country (or subdivision) code, e.g. CN',
});

export const errorResponses = {
  400: Problem,
  401: Problem,
  403: Problem,
  404: Problem,
  409: Problem,
  413: Problem,
  415: Problem,
  429: Problem,
};
