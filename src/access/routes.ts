// HTTP routes for staff access: login/logout, the caller's profile, staff accounts and API tokens.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../context.js';
import { ControllerId } from '../controllers/schema.js';
import { transaction } from '../db/store.js';
import { notFound, tooManyRequests } from '../errors.js';
import { principal, SESSION_COOKIE } from '../http/access.js';
import { ipPrefix, RateLimiter } from '../http/rate-limit.js';
import { Id, IdParams, Text } from '../http/schemas.js';
import { createApiToken, listApiTokens, MAX_TOKEN_DAYS, revokeApiToken } from './api-tokens.js';
import { login } from './login.js';
import { PASSWORD_MAX } from './passwords.js';
import { PERMISSIONS, ROLES } from './permissions.js';
import { actorOf } from './principal.js';
import { presentUser } from './present.js';
import { csrfTokenOf } from './tokens.js';
import { controllerScopeOf, createUser, openUserSecrets, unlockUser, updateUser } from './users.js';

const Email = Type.String({ format: 'email', maxLength: 254 });
const RoleList = Type.Array(Type.Enum(ROLES), {
  minItems: 1,
  maxItems: ROLES.length,
  uniqueItems: true,
});
const ControllerScope = Type.Union([
  Type.Literal('all'),
  Type.Array(ControllerId, { maxItems: 500, uniqueItems: true }),
]);

const LoginBody = Type.Object(
  {
    email: Email,
    password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX * 4 }),
    totp: Type.Optional(Type.String({ pattern: '^[0-9]{6,8}$' })),
  },
  { additionalProperties: false },
);
const NewUserBody = Type.Object(
  {
    email: Email,
    roles: RoleList,
    controllers: ControllerScope,
    password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX * 4 }),
    totp: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const UserPatch = Type.Object(
  {
    roles: Type.Optional(RoleList),
    controllers: Type.Optional(ControllerScope),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('disabled')])),
  },
  { additionalProperties: false, minProperties: 1 },
);
const NewTokenBody = Type.Object(
  {
    name: Text(100),
    scopes: Type.Array(Type.Enum(PERMISSIONS), { minItems: 1, uniqueItems: true }),
    expiresInDays: Type.Integer({ minimum: 1, maximum: MAX_TOKEN_DAYS }),
  },
  { additionalProperties: false },
);

function setSessionCookie(
  ctx: AppContext,
  reply: FastifyReply,
  value: string,
  maxAgeSeconds: number,
): void {
  reply.setCookie(SESSION_COOKIE, value, {
    httpOnly: true,
    sameSite: 'strict',
    secure: ctx.config.baseUrl.startsWith('https:'),
    path: '/',
    maxAge: maxAgeSeconds,
  });
}

export function accessRoutes(ctx: AppContext) {
  // A first, per-network line against password spraying: failed logins per /24 (or /48) network.
  // Only failures count, so a busy office behind one address is not slowed by its own logins;
  // per-account throttles and lockout live in login.ts.
  const loginFailures = new RateLimiter(50, 5 * 60_000, () => ctx.clock.now().getTime());

  return async function register(app: FastifyInstance): Promise<void> {
    const api = app.withTypeProvider<TypeBoxTypeProvider>();

    api.post(
      '/auth/login',
      { config: { access: { public: true } }, schema: { tags: ['access'], body: LoginBody } },
      async (request, reply) => {
        const ip = ipPrefix(request.ip);
        const blocked = loginFailures.check(ip);
        if (!blocked.ok) throw tooManyRequests(blocked.retryAfterSeconds);
        let result;
        try {
          result = await login(ctx, { ...request.body, ipPrefix: ip });
        } catch (error) {
          loginFailures.hit(ip);
          throw error;
        }
        setSessionCookie(ctx, reply, result.sessionSecret, ctx.config.sessionAbsoluteHours * 3600);
        return reply.code(200).send({
          userId: result.userId,
          expiresAt: result.expiresAt,
          csrfToken: csrfTokenOf(result.sessionSecret),
        });
      },
    );

    api.post(
      '/auth/logout',
      { config: { access: { permission: 'self' } }, schema: { tags: ['access'] } },
      async (request, reply) => {
        const p = principal(request);
        if (p.sessionId !== null) {
          await transaction(ctx.store, async (trx) => {
            await trx
              .updateTable('sessions')
              .set({ revoked_at: ctx.clock.now().toISOString() })
              .where('id', '=', p.sessionId)
              .execute();
            await ctx.audit.record(trx, {
              actor: actorOf(p),
              action: 'auth.logout',
              target: { type: 'user', id: p.userId },
              outcome: 'success',
            });
          });
        }
        reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return reply.code(204).send();
      },
    );

    api.get(
      '/me',
      { config: { access: { permission: 'self' } }, schema: { tags: ['access'] } },
      async (request) => {
        const p = principal(request);
        const row = await ctx.store.db
          .selectFrom('users')
          .selectAll()
          .where('id', '=', p.userId)
          .executeTakeFirstOrThrow();
        const { email } = await openUserSecrets(ctx, ctx.store.db, row);
        return {
          ...presentUser(row, email, p.controllers, { own: true }),
          via: p.via,
          permissions: [...p.permissions].sort(),
          csrfToken: request.sessionSecret ? csrfTokenOf(request.sessionSecret) : null,
        };
      },
    );

    api.get(
      '/users',
      { config: { access: { permission: 'users.read' } }, schema: { tags: ['access'] } },
      async () => {
        const rows = await ctx.store.db
          .selectFrom('users')
          .selectAll()
          .orderBy('created_at')
          .execute();
        const items = [];
        for (const row of rows) {
          const { email } = await openUserSecrets(ctx, ctx.store.db, row);
          items.push(
            presentUser(row, email, await controllerScopeOf(ctx.store.db, row), { own: false }),
          );
        }
        return { items };
      },
    );

    api.get(
      '/users/:id',
      {
        config: { access: { permission: 'users.read' } },
        schema: { tags: ['access'], params: IdParams },
      },
      async (request) => {
        const row = await ctx.store.db
          .selectFrom('users')
          .selectAll()
          .where('id', '=', request.params.id)
          .executeTakeFirst();
        if (row === undefined) throw notFound('user');
        const { email } = await openUserSecrets(ctx, ctx.store.db, row);
        return presentUser(row, email, await controllerScopeOf(ctx.store.db, row), {
          own: row.id === principal(request).userId,
        });
      },
    );

    api.post(
      '/users',
      {
        config: { access: { permission: 'users.manage' } },
        schema: { tags: ['access'], body: NewUserBody },
      },
      async (request, reply) => {
        const created = await createUser(ctx, actorOf(principal(request)), {
          ...request.body,
          totp: request.body.totp ?? false,
        });
        return reply.code(201).send(created);
      },
    );

    api.patch(
      '/users/:id',
      {
        config: { access: { permission: 'users.manage' } },
        schema: { tags: ['access'], params: IdParams, body: UserPatch },
      },
      async (request, reply) => {
        await updateUser(ctx, actorOf(principal(request)), request.params.id, request.body);
        return reply.code(204).send();
      },
    );

    api.post(
      '/users/:id/unlock',
      {
        config: { access: { permission: 'users.manage' } },
        schema: { tags: ['access'], params: IdParams },
      },
      async (request, reply) => {
        await unlockUser(ctx, actorOf(principal(request)), request.params.id);
        return reply.code(204).send();
      },
    );

    // A person manages only their own tokens; another person's id answers 404, as if absent.
    const own = (request: { params: { id: string } }, userId: string) => {
      if (request.params.id !== userId) throw notFound('user');
    };

    api.get(
      '/users/:id/tokens',
      {
        config: { access: { permission: 'self' } },
        schema: { tags: ['access'], params: IdParams },
      },
      async (request) => {
        const p = principal(request);
        own(request, p.userId);
        return { items: await listApiTokens(ctx, p) };
      },
    );

    api.post(
      '/users/:id/tokens',
      {
        config: { access: { permission: 'self' } },
        schema: { tags: ['access'], params: IdParams, body: NewTokenBody },
      },
      async (request, reply) => {
        const p = principal(request);
        own(request, p.userId);
        return reply.code(201).send(await createApiToken(ctx, p, request.body));
      },
    );

    api.post(
      '/users/:id/tokens/:tokenId/revoke',
      {
        config: { access: { permission: 'self' } },
        schema: {
          tags: ['access'],
          params: Type.Object({ id: Id, tokenId: Id }, { additionalProperties: false }),
        },
      },
      async (request, reply) => {
        const p = principal(request);
        own(request, p.userId);
        await revokeApiToken(ctx, p, request.params.tokenId);
        return reply.code(204).send();
      },
    );
  };
}
