// Policy versions under /api/v1/policies: read by anyone who reads consents, published by those
// who manage them. Publishing a version is what makes the banner ask again (for changed purposes).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { principal } from '../http/access.js';
import { PolicyParams, PublishPolicy } from './schema.js';
import { getPolicy, listPolicies, publishPolicy } from './service.js';

export function policyRoutes(ctx: AppContext) {
  return async function register(app: FastifyInstance): Promise<void> {
    const api = app.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['policies'];
    const read = { access: { permission: 'consents.read' as const } };
    api.get('/policies', { config: read, schema: { tags } }, () => listPolicies(ctx));
    api.get(
      '/policies/:version',
      { config: read, schema: { tags, params: PolicyParams } },
      (request) => getPolicy(ctx, request.params.version),
    );
    api.post(
      '/policies',
      {
        config: { access: { permission: 'consents.manage' } },
        schema: { tags, body: PublishPolicy },
      },
      async (request, reply) =>
        reply.code(201).send(await publishPolicy(ctx, principal(request), request.body)),
    );
  };
}
