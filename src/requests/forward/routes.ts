// Processor mode over HTTP: staff set where each business client receives forwarded requests, and
// the client answers a forwarded request with its response token.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { principal } from '../../http/access.js';
import { ipPrefix, RateLimiter } from '../../http/rate-limit.js';
import { notFound, tooManyRequests } from '../../errors.js';
import { getEndpoints, putEndpoints } from './endpoints.js';
import { bearerOf, recordControllerResponse, requestForController } from './respond.js';
import { ControllerResponseBody, EndpointParams, EndpointsBody, ResponseParams } from './schema.js';

const ID = /^[0-9a-fA-F-]{36}$/;

export function forwardRoutes(ctx: AppContext) {
  // Wrong tokens per client network: tokens have 256 bits, so this only keeps a prober from
  // costing us database reads, it is not what keeps them out.
  const failures = new RateLimiter(30, 15 * 60_000, () => ctx.clock.now().getTime());

  /** Runs before the body is parsed: strangers get a 404 and cost no parsing. */
  async function authenticateController(request: FastifyRequest): Promise<void> {
    const key = ipPrefix(request.ip);
    const limited = failures.check(key);
    if (!limited.ok) throw tooManyRequests(limited.retryAfterSeconds);
    const { id } = request.params as { id?: unknown };
    try {
      if (typeof id !== 'string' || !ID.test(id)) throw notFound('request');
      await requestForController(ctx, ctx.store.db, id, bearerOf(request.headers.authorization));
    } catch (error) {
      failures.hit(key);
      throw error;
    }
  }

  return async function register(app: FastifyInstance): Promise<void> {
    const api = app.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['controllers'];
    api.get(
      '/controllers/:id/endpoints',
      {
        config: { access: { permission: 'controllers.read' } },
        schema: { tags, params: EndpointParams },
      },
      (request) => getEndpoints(ctx, principal(request), request.params.id),
    );
    api.put(
      '/controllers/:id/endpoints',
      {
        config: { access: { permission: 'controllers.write' } },
        schema: { tags, params: EndpointParams, body: EndpointsBody },
      },
      (request) => putEndpoints(ctx, principal(request), request.params.id, request.body),
    );
    api.post(
      '/requests/:id/controller-response',
      {
        // Not a staff route: the controller authenticates with its response token (checked in
        // the hook below and again, under lock, in the service).
        config: { access: { public: true } },
        onRequest: authenticateController,
        schema: {
          tags: ['requests'],
          params: ResponseParams,
          body: ControllerResponseBody,
          security: [{ token: [] }],
        },
      },
      (request) =>
        recordControllerResponse(
          ctx,
          request.params.id,
          bearerOf(request.headers.authorization),
          request.body,
        ),
    );
  };
}
