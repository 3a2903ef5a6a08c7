// The one logger: pino, request-scoped through Fastify, redacting. Logs never carry personal
// information: request bodies are never logged, query strings (which may hold status tokens) are
// cut from URLs, and credentials are censored wherever they appear.
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

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: {
        req: (req: RequestLike) => ({
          id: req.id,
          method: req.method,
          // The route pattern, not the concrete path: ids are fine, but a path may one day carry PI.
          url: (req.url ?? '').split('?')[0],
          route: req.routeOptions?.url,
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
    },
    destination,
  );
}
