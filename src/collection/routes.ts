// Purpose-bound collection over HTTP: the public inquiry API (per-network rate limited) and the
// staff views of inquiries. Handlers stay thin.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { tooManyRequests } from '../errors.js';
import { principal } from '../http/access.js';
import { ipPrefix, RateLimiter } from '../http/rate-limit.js';
import { DEFAULT_PURPOSE } from './fields.js';
import { submitInquiry } from './intake.js';
import { InquiryList, InquiryParams, NewInquiry } from './schema.js';
import { getInquiry, listInquiries } from './service.js';

/** Submissions per client network (IPv4 /24, IPv6 /48), as for rights requests. */
export const SUBMIT_LIMIT = { limit: 30, windowMs: 10 * 60_000 } as const;

/** POST /inquiries (public) and the staff views GET /inquiries, GET /inquiries/:id. */
export function collectionRoutes(ctx: AppContext) {
  const now = () => ctx.clock.now().getTime();
  const submits = new RateLimiter(SUBMIT_LIMIT.limit, SUBMIT_LIMIT.windowMs, now);
  // Async so Fastify treats the hook as promise-based (a sync hook would have to call `done`).
  const byNetwork = async (request: FastifyRequest) => {
    const r = submits.hit(ipPrefix(request.ip));
    if (!r.ok) throw tooManyRequests(r.retryAfterSeconds);
  };

  return async function register(app: FastifyInstance): Promise<void> {
    const api = app.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['collection'];

    api.post(
      '/inquiries',
      {
        config: { access: { public: true } },
        schema: { tags, body: NewInquiry },
        onRequest: byNetwork,
      },
      async (request, reply) => {
        const body = request.body;
        const result = await submitInquiry(
          ctx,
          {
            purpose: body.purpose ?? DEFAULT_PURPOSE,
            lang: body.lang ?? 'zh-CN',
            policyVersion: body.policyVersion,
            fields: body.fields,
            consents: body.consents ?? {},
            guardianEmail: body.guardianEmail,
            channel: 'api',
          },
          { ip: request.ip, userAgent: request.headers['user-agent'] },
        );
        return reply.code(201).send(result);
      },
    );

    api.get(
      '/inquiries',
      {
        config: { access: { permission: 'consents.read' } },
        schema: { tags, querystring: InquiryList },
      },
      (request) => listInquiries(ctx, principal(request), request.query),
    );
    api.get(
      '/inquiries/:id',
      {
        config: { access: { permission: 'consents.read' } },
        schema: { tags, params: InquiryParams },
      },
      (request) => getInquiry(ctx, principal(request), request.params.id),
    );
  };
}
