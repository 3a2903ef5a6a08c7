// Default deny at the HTTP edge. Every route declares `config.access`: either `{ public: true }`
// or the one permission it needs. A route without a declaration answers 403 (and a test walks the
// route table and fails the build for it). Cookie-authenticated writes also need the CSRF header.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { principalFromSession, principalFromToken } from '../access/authenticate.js';
import type { Permission } from '../access/permissions.js';
import { actorOf, type Principal } from '../access/principal.js';
import { csrfTokenOf } from '../access/tokens.js';
import type { AppContext } from '../context.js';
import { constantTimeEqual } from '../crypto/primitives.js';
import { transaction } from '../db/store.js';
import { AppError, csrf, forbidden, unauthenticated } from '../errors.js';

export type Access = { public: true } | { permission: Permission };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    principal: Principal | null;
    sessionSecret: string | null;
  }
}

export const SESSION_COOKIE = 'custos_session';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The principal of an authenticated route; a route marked public never calls this. */
export function principal(request: FastifyRequest): Principal {
  if (request.principal === null) throw unauthenticated();
  return request.principal;
}

function checkCsrf(ctx: AppContext, request: FastifyRequest, secret: string): void {
  const header = request.headers['x-csrf-token'];
  if (
    typeof header !== 'string' ||
    !constantTimeEqual(Buffer.from(header), Buffer.from(csrfTokenOf(secret)))
  )
    throw csrf();
  // Defence in depth: a browser names the page that sent the write; it must be ours.
  const origin = request.headers.origin;
  if (
    typeof origin === 'string' &&
    origin !== new URL(ctx.config.baseUrl).origin &&
    origin !== `${request.protocol}://${request.host}`
  ) {
    throw csrf();
  }
}

async function authenticate(ctx: AppContext, request: FastifyRequest): Promise<Principal> {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const m = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (m === null) throw unauthenticated('Use "Authorization: Bearer <token>".');
    return principalFromToken(ctx, m[1]!);
  }
  const secret = request.cookies[SESSION_COOKIE];
  if (secret === undefined || secret === '') throw unauthenticated();
  const p = await principalFromSession(ctx, secret);
  if (UNSAFE.has(request.method)) checkCsrf(ctx, request, secret);
  request.sessionSecret = secret;
  return p;
}

/** Installs the access hook; runs before the body is parsed, so strangers cost us no parsing. */
export function installAccessControl(app: FastifyInstance, ctx: AppContext): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('sessionSecret', null);
  app.addHook('onRequest', async (request: FastifyRequest, _reply: FastifyReply) => {
    if (request.is404) return;
    const access = request.routeOptions.config.access;
    if (access === undefined) {
      request.log.error(
        { route: request.routeOptions.url },
        'route declares no access rule: denied',
      );
      throw new AppError(
        'forbidden',
        403,
        'Forbidden',
        'This route declares no access rule and is closed.',
      );
    }
    if ('public' in access) return;
    const p = await authenticate(ctx, request);
    request.principal = p;
    if (!p.permissions.has(access.permission)) {
      await transaction(ctx.store, (trx) =>
        ctx.audit.record(trx, {
          actor: actorOf(p),
          action: 'authz.denied',
          outcome: 'denied',
          details: {
            permission: access.permission,
            method: request.method,
            route: request.routeOptions.url ?? '',
          },
        }),
      );
      throw forbidden(access.permission);
    }
  });
}
