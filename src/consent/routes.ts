// The consent API under /api/v1. Public, cross-origin and credential-free for websites: the banner
// configuration, consent events (group-committed, see writer.ts), receipts and one-request
// withdrawal, each rate limited per client network. For staff: the ledger, one person's
// consents, and decisions recorded on a person's behalf. Handlers stay thin.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { actorOf } from '../access/principal.js';
import type { AppContext } from '../context.js';
import { tooManyRequests } from '../errors.js';
import { principal } from '../http/access.js';
import { ipPrefix, RateLimiter } from '../http/rate-limit.js';
import { IdParams } from '../http/schemas.js';
import { consentCatalog } from './catalog.js';
import { consentCors } from './cors.js';
import {
  ConfigQuery,
  ConsentList,
  ReceiptQuery,
  StaffConsentBody,
  WithdrawBody,
} from './endpoints.js';
import { checkEvent } from './events.js';
import { consentReceipt } from './receipt.js';
import { ConsentConfig, ConsentEventBody, ConsentEventResult } from './schema.js';
import { listConsents, recordStaffConsent, subjectConsents } from './staff.js';
import { checkConsentLedger } from './verify.js';
import { withdrawByToken } from './withdraw.js';
import { createConsentWriter } from './writer.js';

/** A consent event is a few hundred bytes; anything near this is not one. */
export const EVENT_BODY_LIMIT = 8 * 1024;

/** Receipt downloads and token withdrawals per client network (token holders, a few a day). */
export const PERSON_LIMIT = { limit: 120, windowMs: 10 * 60_000 } as const;

export function consentRoutes(ctx: AppContext) {
  const now = () => ctx.clock.now().getTime();
  const perMinute = ctx.config.consentEventsPerMinute;
  const events = perMinute > 0 ? new RateLimiter(perMinute, 60_000, now) : null;
  const personCalls = new RateLimiter(PERSON_LIMIT.limit, PERSON_LIMIT.windowMs, now);
  const byNetwork = (limiter: RateLimiter | null) => async (request: FastifyRequest) => {
    if (limiter === null) return;
    const r = limiter.hit(ipPrefix(request.ip));
    if (!r.ok) throw tooManyRequests(r.retryAfterSeconds);
  };
  const cors = consentCors(ctx.config);

  return async function register(app: FastifyInstance): Promise<void> {
    const api = app.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['consent'];
    const open = { access: { public: true as const } };
    const writer = createConsentWriter(ctx);
    app.addHook('onClose', () => writer.close());

    // ---- public, cross-origin ----
    api.options('/consent/config', { config: open }, cors.preflight(['GET']));
    api.get(
      '/consent/config',
      {
        config: open,
        schema: { tags, querystring: ConfigQuery, response: { 200: ConsentConfig } },
        onRequest: cors.headers,
      },
      async (request, reply) => {
        const catalog = await consentCatalog(ctx);
        // Shared caches may keep it briefly; a changed policy reaches the banner within a minute.
        reply.header('cache-control', 'public, max-age=60');
        return catalog.config(request.query.lang ?? 'zh-CN');
      },
    );

    api.options('/consent/events', { config: open }, cors.preflight(['POST']));
    api.post(
      '/consent/events',
      {
        config: open,
        bodyLimit: EVENT_BODY_LIMIT,
        // A response schema: serialised by a compiled function on the hot path.
        schema: { tags, body: ConsentEventBody, response: { 201: ConsentEventResult } },
        onRequest: [cors.headers, byNetwork(events)],
      },
      async (request, reply) => {
        const catalog = await consentCatalog(ctx);
        const { records, decisions } = checkEvent(catalog, request.body, {
          ip: request.ip,
          headers: request.headers,
          rawHeaders: request.raw.rawHeaders,
        });
        const rows = await writer.write(records);
        return reply.code(201).send({
          recorded: rows.map((row, i) => ({
            id: row.id,
            category: decisions[i]!.category,
            purpose: row.purpose_key,
            decision: row.decision,
          })),
          receipt: `/api/v1/consent/receipt?visitor=${request.body.visitorId}`,
        });
      },
    );

    api.options('/consent/receipt', { config: open }, cors.preflight(['GET']));
    api.get(
      '/consent/receipt',
      {
        config: open,
        schema: { tags, querystring: ReceiptQuery },
        onRequest: [cors.headers, byNetwork(personCalls)],
      },
      async (request, reply) => {
        const receipt = await consentReceipt(ctx, request.query);
        return reply
          .header('content-disposition', 'attachment; filename="consent-receipt.json"')
          .send(receipt);
      },
    );

    api.post(
      '/consent/withdraw',
      {
        config: open,
        schema: { tags, body: WithdrawBody },
        onRequest: byNetwork(personCalls),
      },
      (request) =>
        withdrawByToken(ctx, request.body, {
          ip: request.ip,
          userAgent: request.headers['user-agent'],
        }),
    );

    // ---- staff ----
    // The ledger against the audit trail (verify.ts); the audit log's own check is /audit/verify.
    api.get(
      '/consents/verify',
      { config: { access: { permission: 'audit.verify' } }, schema: { tags } },
      (request) => checkConsentLedger(ctx, actorOf(principal(request))),
    );
    api.get(
      '/consents',
      {
        config: { access: { permission: 'consents.read' } },
        schema: { tags, querystring: ConsentList },
      },
      (request) => listConsents(ctx, principal(request), request.query),
    );
    api.get(
      '/consents/subjects/:id',
      { config: { access: { permission: 'consents.read' } }, schema: { tags, params: IdParams } },
      (request) => subjectConsents(ctx, principal(request), request.params.id),
    );
    api.post(
      '/consents/subjects/:id',
      {
        config: { access: { permission: 'subjects.write' } },
        schema: { tags, params: IdParams, body: StaffConsentBody },
      },
      async (request, reply) =>
        reply
          .code(201)
          .send(await recordStaffConsent(ctx, principal(request), request.params.id, request.body)),
    );
  };
}
