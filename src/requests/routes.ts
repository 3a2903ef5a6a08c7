// Rights requests over HTTP: the public intake API (submit, verify, status and the person's own
// actions, all per-network rate limited) and the staff workflow. Handlers stay thin.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { tooManyRequests } from '../errors.js';
import { principal } from '../http/access.js';
import { ipPrefix, RateLimiter } from '../http/rate-limit.js';
import { submitRequest } from './intake.js';
import { answerFee, appealRequest, requestStatus, withdrawRequest } from './person.js';
import {
  AppealBody,
  ApproveRefusalBody,
  AssignBody,
  ExtendBody,
  FeeDecision,
  FeeQuoteBody,
  FulfilBody,
  NewRequest,
  NoteBody,
  Reason,
  RefuseBody,
  RequestList,
  RequestParams,
  TokenBody,
  TokenQuery,
  VerifyBody,
} from './schema.js';
import {
  addNote,
  assignRequest,
  extendRequest,
  fulfilRequest,
  getRequest,
  listEvents,
  listNotes,
  listRequests,
  revealRequest,
  startRequest,
} from './service.js';
import { approveRefusal, quoteFee, refuseRequest, waiveFee } from './decisions.js';
import { resendCode, verifyRequest } from './verification.js';

/** Public limits per client network (IPv4 /24, IPv6 /48) and per request. */
export const PUBLIC_LIMITS = {
  submit: { limit: 30, windowMs: 10 * 60_000 },
  /** Token-authenticated calls (status, verify, withdraw, fee, appeal). */
  person: { limit: 120, windowMs: 10 * 60_000 },
  /** New codes per request: a person waiting for mail presses "send again" a few times at most. */
  resend: { limit: 3, windowMs: 60 * 60_000 },
} as const;

export function requestRoutes(ctx: AppContext) {
  const now = () => ctx.clock.now().getTime();
  const submits = new RateLimiter(PUBLIC_LIMITS.submit.limit, PUBLIC_LIMITS.submit.windowMs, now);
  const personCalls = new RateLimiter(
    PUBLIC_LIMITS.person.limit,
    PUBLIC_LIMITS.person.windowMs,
    now,
  );
  const resends = new RateLimiter(PUBLIC_LIMITS.resend.limit, PUBLIC_LIMITS.resend.windowMs, now);
  const limit = (limiter: RateLimiter, key: string) => {
    const r = limiter.hit(key);
    if (!r.ok) throw tooManyRequests(r.retryAfterSeconds);
  };
  // Async so Fastify treats the hook as promise-based (a sync hook would have to call `done`).
  const byNetwork = (limiter: RateLimiter) => async (request: FastifyRequest) => {
    limit(limiter, ipPrefix(request.ip));
  };

  return async function register(app: FastifyInstance): Promise<void> {
    const api = app.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['requests'];
    const open = { access: { public: true as const } };
    const perm = (
      permission: 'requests.read' | 'requests.handle' | 'requests.approve' | 'pi.reveal',
    ) => ({
      access: { permission },
    });

    // ---- the person ----
    api.post(
      '/requests',
      { config: open, schema: { tags, body: NewRequest }, onRequest: byNetwork(submits) },
      async (request, reply) => {
        const body = request.body;
        const result = await submitRequest(
          ctx,
          {
            type: body.type,
            channel: 'api',
            lang: body.lang ?? 'zh-CN',
            name: body.name,
            email: body.email,
            phone: body.phone,
            details: body.details,
            controller: body.controller,
          },
          { ip: request.ip },
        );
        return reply
          .code(result.duplicate ? 200 : 201)
          .send({ ...result, statusToken: result.duplicate ? null : result.statusToken });
      },
    );
    api.post(
      '/requests/:id/verify',
      {
        config: open,
        schema: { tags, params: RequestParams, body: VerifyBody },
        onRequest: byNetwork(personCalls),
      },
      (request) => verifyRequest(ctx, request.params.id, request.body),
    );
    api.post(
      '/requests/:id/verification',
      {
        config: open,
        schema: { tags, params: RequestParams, body: TokenBody },
        onRequest: byNetwork(personCalls),
      },
      (request) => {
        limit(resends, request.params.id);
        return resendCode(ctx, request.params.id, request.body.token);
      },
    );
    api.get(
      '/requests/:id/status',
      {
        config: open,
        schema: { tags, params: RequestParams, querystring: TokenQuery },
        onRequest: byNetwork(personCalls),
      },
      (request) => requestStatus(ctx, request.params.id, request.query.token),
    );
    api.post(
      '/requests/:id/withdraw',
      {
        config: open,
        schema: { tags, params: RequestParams, body: TokenBody },
        onRequest: byNetwork(personCalls),
      },
      (request) => withdrawRequest(ctx, request.params.id, request.body.token),
    );
    api.post(
      '/requests/:id/fee',
      {
        config: open,
        schema: { tags, params: RequestParams, body: FeeDecision },
        onRequest: byNetwork(personCalls),
      },
      (request) => answerFee(ctx, request.params.id, request.body),
    );
    api.post(
      '/requests/:id/appeal',
      {
        config: open,
        schema: { tags, params: RequestParams, body: AppealBody },
        onRequest: byNetwork(personCalls),
      },
      (request) => appealRequest(ctx, request.params.id, request.body),
    );

    // ---- staff ----
    api.get(
      '/requests',
      { config: perm('requests.read'), schema: { tags, querystring: RequestList } },
      (request) => listRequests(ctx, principal(request), request.query),
    );
    api.get(
      '/requests/:id',
      { config: perm('requests.read'), schema: { tags, params: RequestParams } },
      (request) => getRequest(ctx, principal(request), request.params.id),
    );
    api.post(
      '/requests/:id/reveal',
      { config: perm('pi.reveal'), schema: { tags, params: RequestParams, body: Reason } },
      (request) => revealRequest(ctx, principal(request), request.params.id, request.body),
    );
    api.get(
      '/requests/:id/events',
      { config: perm('requests.read'), schema: { tags, params: RequestParams } },
      (request) => listEvents(ctx, principal(request), request.params.id),
    );
    api.post(
      '/requests/:id/assign',
      {
        config: perm('requests.handle'),
        schema: { tags, params: RequestParams, body: AssignBody },
      },
      (request) => assignRequest(ctx, principal(request), request.params.id, request.body),
    );
    api.post(
      '/requests/:id/notes',
      { config: perm('requests.handle'), schema: { tags, params: RequestParams, body: NoteBody } },
      async (request, reply) =>
        reply
          .code(201)
          .send(await addNote(ctx, principal(request), request.params.id, request.body)),
    );
    api.get(
      '/requests/:id/notes',
      { config: perm('requests.handle'), schema: { tags, params: RequestParams } },
      (request) => listNotes(ctx, principal(request), request.params.id),
    );
    api.post(
      '/requests/:id/start',
      { config: perm('requests.handle'), schema: { tags, params: RequestParams } },
      (request) => startRequest(ctx, principal(request), request.params.id),
    );
    api.post(
      '/requests/:id/extend',
      {
        config: perm('requests.handle'),
        schema: { tags, params: RequestParams, body: ExtendBody },
      },
      (request) => extendRequest(ctx, principal(request), request.params.id, request.body),
    );
    api.post(
      '/requests/:id/refuse',
      {
        config: perm('requests.handle'),
        schema: { tags, params: RequestParams, body: RefuseBody },
      },
      (request) => refuseRequest(ctx, principal(request), request.params.id, request.body),
    );
    api.post(
      '/requests/:id/refuse/approve',
      {
        config: perm('requests.approve'),
        schema: { tags, params: RequestParams, body: ApproveRefusalBody },
      },
      (request) => approveRefusal(ctx, principal(request), request.params.id, request.body),
    );
    // The person answers a quote at POST /requests/:id/fee; staff set it here.
    api.post(
      '/requests/:id/fee/quote',
      {
        config: perm('requests.approve'),
        schema: { tags, params: RequestParams, body: FeeQuoteBody },
      },
      (request) => quoteFee(ctx, principal(request), request.params.id, request.body),
    );
    api.post(
      '/requests/:id/fee/waive',
      { config: perm('requests.approve'), schema: { tags, params: RequestParams, body: Reason } },
      (request) => waiveFee(ctx, principal(request), request.params.id, request.body),
    );
    api.post(
      '/requests/:id/fulfil',
      {
        config: perm('requests.handle'),
        schema: { tags, params: RequestParams, body: FulfilBody },
      },
      (request) => fulfilRequest(ctx, principal(request), request.params.id, request.body),
    );
  };
}
