// Request schemas of the fulfilment routes.
import { Type, type Static } from 'typebox';
import { Id } from '../../http/schemas.js';

export const FileParams = Type.Object({ id: Id }, { additionalProperties: false });

export const FileQuery = Type.Object(
  {
    token: Type.String({
      minLength: 16,
      maxLength: 128,
      pattern: '^[A-Za-z0-9_-]+$',
      description: 'the token from the download link sent to the person',
    }),
  },
  { additionalProperties: false },
);
export type FileQuery = Static<typeof FileQuery>;
