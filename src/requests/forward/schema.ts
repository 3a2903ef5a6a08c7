// Request and response schemas of processor mode: a controller's endpoints, and its answer to a
// forwarded request.
import { Type, type Static } from 'typebox';
import { ControllerId } from '../../controllers/schema.js';
import { Id, Text } from '../../http/schemas.js';
import { REFUSAL_GROUNDS } from '../grounds.js';

export { ControllerId };

export const EndpointParams = Type.Object({ id: ControllerId }, { additionalProperties: false });

export const EndpointsBody = Type.Object(
  {
    forwardEmail: Type.Optional(
      Type.Union([Type.String({ format: 'email', maxLength: 254 }), Type.Null()], {
        description:
          'mailbox for forwarded requests; null falls back to the controller contact e-mail',
      }),
    ),
    webhookUrl: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: 2000 }), Type.Null()], {
        description:
          'https URL receiving signed JSON notices (http only outside production); null removes it',
      }),
    ),
    rotateSecret: Type.Optional(
      Type.Boolean({ description: 'issue a new webhook signing secret (shown once)' }),
    ),
    rotateResponseToken: Type.Optional(
      Type.Boolean({ description: 'issue a new response token (shown once); the old one stops' }),
    ),
  },
  { additionalProperties: false },
);
export type EndpointsBody = Static<typeof EndpointsBody>;

export const ResponseParams = Type.Object({ id: Id }, { additionalProperties: false });

export const CONTROLLER_OUTCOMES = ['fulfilled', 'refused'] as const;
export type ControllerOutcome = (typeof CONTROLLER_OUTCOMES)[number];

export const ControllerResponseBody = Type.Object(
  {
    outcome: Type.Union(CONTROLLER_OUTCOMES.map((o) => Type.Literal(o))),
    summary: Text(2000),
    ground: Type.Optional(
      Type.Union(
        REFUSAL_GROUNDS.map((g) => Type.Literal(g)),
        { description: 'required when the outcome is `refused`' },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ControllerResponseBody = Static<typeof ControllerResponseBody>;
