// Response headers every answer carries (OWASP Secure Headers, ASVS 3.4): no sniffing, no framing,
// no referrer, nothing cached (answers may hold personal data, ASVS 14.3.2), and a CSP that
// allows nothing for API responses. Pages and the docs UI set their own CSP.
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Sets the headers; also called directly where Fastify answers before any hook (bad URLs). */
export function applySecurityHeaders(
  request: FastifyRequest,
  reply: FastifyReply,
  https: boolean,
): void {
  reply.header('x-content-type-options', 'nosniff');
  reply.header('x-frame-options', 'DENY');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('cross-origin-opener-policy', 'same-origin');
  // Same-origin unless a route says otherwise (the banner's scripts are loaded by other sites).
  if (!reply.hasHeader('cross-origin-resource-policy'))
    reply.header('cross-origin-resource-policy', 'same-origin');
  reply.header(
    'permissions-policy',
    'camera=(), microphone=(), geolocation=(), interest-cohort=()',
  );
  reply.header('x-request-id', request.id);
  if (https) reply.header('strict-transport-security', 'max-age=63072000; includeSubDomains');
  if (!reply.hasHeader('content-security-policy')) {
    reply.header(
      'content-security-policy',
      "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    );
  }
  if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
}

/** The onSend hook applying the headers to every response. */
export function securityHeaders(https: boolean) {
  return (
    request: FastifyRequest,
    reply: FastifyReply,
    payload: unknown,
    done: (err: null, payload: unknown) => void,
  ): void => {
    applySecurityHeaders(request, reply, https);
    done(null, payload);
  };
}

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;
let counter = 0;

/** Keeps a caller's X-Request-Id when it is harmless, otherwise makes one. */
export function requestId(incoming: string | string[] | undefined): string {
  if (typeof incoming === 'string' && REQUEST_ID.test(incoming)) return incoming;
  counter = (counter + 1) % 1e9;
  return `${Date.now().toString(36)}-${process.pid.toString(36)}-${counter.toString(36)}`;
}
