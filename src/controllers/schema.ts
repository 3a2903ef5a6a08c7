import { Type, type Static } from 'typebox';
import { Region, Text } from '../http/schemas.js';

/** Controller ids: server-made UUIDs, or `self` for the company itself. */
export const ControllerId = Type.String({ pattern: '^(self|[0-9a-fA-F-]{36})$', maxLength: 36 });
export const ControllerParams = Type.Object({ id: ControllerId }, { additionalProperties: false });

const Slug = Type.String({
  pattern: '^[a-z0-9][a-z0-9-]{1,62}$',
  description: 'short stable name, lower-case letters, digits and dashes',
});
const ContactEmail = Type.String({ format: 'email', maxLength: 254 });

export const NewController = Type.Object(
  {
    slug: Slug,
    name: Text(200),
    contactEmail: Type.Optional(Type.Union([ContactEmail, Type.Null()])),
    region: Type.Optional(Region),
  },
  { additionalProperties: false },
);
export type NewController = Static<typeof NewController>;

export const ControllerPatch = Type.Object(
  {
    name: Type.Optional(Text(200)),
    contactEmail: Type.Optional(Type.Union([ContactEmail, Type.Null()])),
    region: Type.Optional(Region),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type ControllerPatch = Static<typeof ControllerPatch>;

export const ControllerList = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    after: Type.Optional(ControllerId),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('archived')])),
  },
  { additionalProperties: false },
);
export type ControllerList = Static<typeof ControllerList>;
