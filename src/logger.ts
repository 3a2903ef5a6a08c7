// The one logger: pino, request-scoped through Fastify, redacting. Logs never carry personal
// information: request bodies are never logged, query strings (which may hold status tokens) are
// cut from URLs, and credentials are censored wherever they appear.
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import pino, { type Logger } from 'pino';
import type { LogLevel } from './config.js';

const REDACTED = '[redacted]';

/** Paths censored in every log line (pino redaction) but the access line (AnsweredRequestLog). */
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
      redact: { paths: REDACT_PATHS, censor: REDACTED },
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
 * consent events) the arrival line doubled what each request paid for logging. The line of a
 * request answered without error holds only what the serializers above reduce it to (id, method,
 * route pattern, status, time), so it goes through a child logger without the redaction scan; a
 * line carrying an error keeps the request logger and its redaction, since a library's error
 * message is not ours to vouch for.
 */
export class AnsweredRequestLog extends LogController {
  readonly #access: Logger;

  constructor(log: Logger) {
    super();
    this.#access = log.child({}, { redact: { paths: [], censor: REDACTED } });
  }

  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (error) {
      reply.log.error(
        { req: request, res: reply, responseTime: reply.elapsedTime, err: error },
        'request errored',
      );
      return;
    }
    this.#access.info(
      { reqId: request.id, req: request, res: reply, responseTime: reply.elapsedTime },
      'request completed',
    );
  }
}
