// Cross-origin access to the public consent API (Fetch standard, CORS protocol): the banner runs on
// the organisation's own sites, which are other origins than Custos. Only the public, credential-free
// consent routes get CORS headers; an origin not configured gets none, so the browser withholds
// the answer. No credentials are ever allowed (the API needs none), so `*` is safe where chosen.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';

/** Preflight answers are cached by the browser this long (seconds). */
export const PREFLIGHT_MAX_AGE = 600;

export interface ConsentCors {
  /** onRequest hook: sets the CORS response headers for an allowed origin. */
  headers: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /** Handler answering an OPTIONS preflight for the given methods. */
  preflight: (methods: readonly string[]) => (request: FastifyRequest, reply: FastifyReply) => void;
}

export function consentCors(config: Pick<Config, 'consentOrigins'>): ConsentCors {
  const list =
    config.consentOrigins === '*'
      ? null
      : new Set(config.consentOrigins.map((o) => o.toLowerCase()));
  const allowed = (request: FastifyRequest): string | null => {
    if (list === null) return '*';
    const origin = request.headers.origin;
    return typeof origin === 'string' && list.has(origin.toLowerCase()) ? origin : null;
  };
  const apply = (request: FastifyRequest, reply: FastifyReply): string | null => {
    // The answer differs by Origin only when origins are listed; caches must keep them apart.
    if (list !== null) reply.header('vary', 'Origin');
    const origin = allowed(request);
    if (origin !== null) {
      reply.header('access-control-allow-origin', origin);
      reply.header('access-control-expose-headers', 'retry-after, content-disposition');
    }
    return origin;
  };
  return {
    headers: async (request, reply) => {
      apply(request, reply);
    },
    preflight: (methods) => {
      const allow = [...methods, 'OPTIONS'].join(', ');
      return (request, reply) => {
        if (apply(request, reply) !== null) {
          reply.header('access-control-allow-methods', allow);
          reply.header('access-control-allow-headers', 'content-type');
          reply.header('access-control-max-age', String(PREFLIGHT_MAX_AGE));
        }
        void reply.code(204).send();
      };
    },
  };
}
