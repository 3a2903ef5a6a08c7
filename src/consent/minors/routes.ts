// The guardian of a child under the minor age verifies by the mailed code and decides (PIPL art.
// 31). Public, token-authenticated, rate limited per network, and new codes per hold.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { tooManyRequests } from '../../errors.js';
import { ipPrefix, RateLimiter } from '../../http/rate-limit.js';
import { resendGuardianCode, verifyGuardian } from './codes.js';
import { decideGuardian } from './decide.js';
import {
  GuardianDecisionBody,
  GuardianTokenBody,
  GuardianVerifyBody,
  HoldParams,
} from './schema.js';

export const GUARDIAN_LIMITS = {
  /** Calls per client network: generous for a person, useless for guessing codes at scale. */
  calls: { limit: 60, windowMs: 10 * 60_000 },
  /** New codes per hold: a guardian waiting for mail presses "send again" a few times at most. */
  codes: { limit: 3, windowMs: 60 * 60_000 },
} as const;

/** POST /guardian/:id/verify, /code and /decision (public, token-authenticated). */
export function guardianRoutes(ctx: AppContext) {
  const now = () => ctx.clock.now().getTime();
  const calls = new RateLimiter(GUARDIAN_LIMITS.calls.limit, GUARDIAN_LIMITS.calls.windowMs, now);
  const codes = new RateLimiter(GUARDIAN_LIMITS.codes.limit, GUARDIAN_LIMITS.codes.windowMs, now);
  const limit = (limiter: RateLimiter, key: string) => {
    const r = limiter.hit(key);
    if (!r.ok) throw tooManyRequests(r.retryAfterSeconds);
  };
  const byNetwork = async (request: FastifyRequest) => limit(calls, ipPrefix(request.ip));

  return async function register(app: FastifyInstance): Promise<void> {
    const api = app.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['consent'];
    const open = { access: { public: true as const } };

    api.post(
      '/guardian/:id/verify',
      {
        config: open,
        schema: { tags, params: HoldParams, body: GuardianVerifyBody },
        onRequest: byNetwork,
      },
      (request) => verifyGuardian(ctx, request.params.id, request.body),
    );
    api.post(
      '/guardian/:id/code',
      {
        config: open,
        schema: { tags, params: HoldParams, body: GuardianTokenBody },
        onRequest: byNetwork,
      },
      (request) =>
        resendGuardianCode(ctx, request.params.id, request.body.token, () =>
          limit(codes, request.params.id),
        ),
    );
    api.post(
      '/guardian/:id/decision',
      {
        config: open,
        schema: { tags, params: HoldParams, body: GuardianDecisionBody },
        onRequest: byNetwork,
      },
      (request) =>
        decideGuardian(ctx, request.params.id, request.body, {
          ip: request.ip,
          userAgent: request.headers['user-agent'],
        }),
    );
  };
}
