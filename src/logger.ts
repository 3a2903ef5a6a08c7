// The one logger: pino, request-scoped through Fastify, redacting. Logs never carry personal
// information: request bodies are never logged, query strings (which may hold status tokens) are
// cut from URLs, and credentials are censored wherever they appear.
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import pino, { type Logger } from 'pino';
import type { LogLevel } from './config.js';

/** Paths censored in every log line (pino redaction). */
export const REDACT_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.totp',
  '*.email',
  '*.phone',
  '*.value',
  '*.values',
  '*.token',
  '*.secret',
  '*.reason',
  'body',
  '*.body',
];

interface RequestLike {
  id?: string;
  method?: string;
  url?: string;
  routeOptions?: { url?: string };
}

/** A path with its query cut and every segment that might carry personal data replaced. */
export function scrubPath(url: string): string {
  const path = url.split('?')[0] ?? '';
  return path
    .split('/')
    .map((seg) => (seg.length > 40 || /\d{5,}|@|%40/.test(seg) ? '…' : seg))
    .join('/');
}

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: {
        req: (req: RequestLike) => ({
          id: req.id,
          method: req.method,
          // The route pattern rather than the concrete path: anybody can type personal data into a
          // URL. Unmatched paths are logged with anything that could be such data blanked out.
          url: req.routeOptions?.url ?? scrubPath(req.url ?? ''),
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
    },
    destination,
  );
}

/**
 * One line per request, when it is answered, instead of Fastify's two (arrival and answer): the
 * answer's line says everything the arrival's does, and on the public high-volume routes (banner
 * consent events) the arrival line doubled what each request paid for logging.
 */
export class AnsweredRequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const line = { req: request, res: reply, responseTime: reply.elapsedTime };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}
