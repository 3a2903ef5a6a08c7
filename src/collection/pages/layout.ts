// The frame of the consent domain's public pages (the consultation form and the guardian page):
// the same markup helpers, stylesheet, CSP and language choice as the rights-request pages, so
// every public page looks and behaves alike. Pages work without JavaScript and carry none.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AuditWriteError } from '../../audit/log.js';
import type { AppContext } from '../../context.js';
import { isAppError, tooManyRequests } from '../../errors.js';
import { ipPrefix, type RateLimiter } from '../../http/rate-limit.js';
import { FORM_BODY_LIMIT, parseForm } from '../../requests/pages/form.js';
import { markup, PAGE_CSP, type Html } from '../../requests/pages/html.js';
import { pageLang } from '../../requests/pages/lang.js';
import type { Lang } from '../fields.js';
import { COMMON } from './texts.js';

export { markup, sitePage, type Html } from '../../requests/pages/html.js';

/** Sends a page with the pages' CSP. */
export function sendPage(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply
    .code(status)
    .header('content-security-policy', PAGE_CSP)
    .type('text/html; charset=utf-8')
    .send(body);
}

export const queryOf = (request: FastifyRequest): Record<string, unknown> =>
  (request.query ?? {}) as Record<string, unknown>;

export const formOf = (request: FastifyRequest): Record<string, string> =>
  (request.body ?? {}) as Record<string, string>;

/** The page language: the form field or ?lang=, then Accept-Language, then Simplified Chinese. */
export const langOf = (request: FastifyRequest): Lang =>
  pageLang(formOf(request).lang ?? queryOf(request).lang, request.headers['accept-language']);

/** A short page: a title, one paragraph, and a way back. */
export type MessagePage = (lang: Lang, title: string, text: string) => string;

/**
 * Makes a plugin scope serve pages: it reads only urlencoded forms (at most FORM_BODY_LIMIT
 * bytes; the JSON parser is removed here), limits reads and writes per client network, and turns
 * every error into a page in the reader's language that echoes nothing that was sent.
 */
export function installPageScope(
  app: FastifyInstance,
  ctx: AppContext,
  options: { reads: RateLimiter; writes: RateLimiter; message: MessagePage },
): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT },
    (_request, body, done) => {
      done(null, parseForm(typeof body === 'string' ? body : body.toString('utf8')));
    },
  );

  app.addHook('onRequest', async (request) => {
    const limiter =
      request.method === 'GET' || request.method === 'HEAD' ? options.reads : options.writes;
    const verdict = limiter.hit(ipPrefix(request.ip));
    if (!verdict.ok) throw tooManyRequests(verdict.retryAfterSeconds);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const lang = pageLang(queryOf(request).lang, request.headers['accept-language']);
    const c = COMMON[lang];
    if (isAppError(error) && error.code === 'too-many-requests') {
      const seconds = error.extra.retryAfterSeconds ?? 60;
      reply.header('retry-after', String(seconds));
      return sendPage(reply, 429, options.message(lang, c.tooManyTitle, c.tooManyText(seconds)));
    }
    if (isAppError(error) && error.status === 404)
      return sendPage(reply, 404, options.message(lang, c.notFoundTitle, c.notFoundText));
    const status = isAppError(error) ? error.status : (error.statusCode ?? 500);
    if (status >= 400 && status < 500 && !(error instanceof AuditWriteError)) {
      const code = status === 413 || status === 415 ? status : 400;
      return sendPage(reply, code, options.message(lang, c.badFormTitle, c.badFormText));
    }
    // A known failure (storage or audit unavailable) is a 503; anything else a bare 500.
    const known = isAppError(error) || error instanceof AuditWriteError;
    if (isAppError(error)) request.log.error({ code: error.code }, 'page request failed');
    else
      request.log.error(
        { err: { type: error.name, code: error.code, stack: error.stack } },
        'unexpected error',
      );
    return sendPage(reply, known ? 503 : 500, options.message(lang, c.errorTitle, c.errorText));
  });
}

/** A field's error line, or nothing. `base` is the field's id stem. */
export function errorLine(errors: Readonly<Record<string, string>>, base: string): Html | null {
  const message = errors[base];
  return message === undefined ? null : markup`<p class="error" id="${base}-error">${message}</p>`;
}

/** aria-describedby / aria-invalid for a field: its hints always, the error when there is one. */
export function described(
  errors: Readonly<Record<string, string>>,
  base: string,
  hintIds: readonly string[],
): Html {
  const ids = [...hintIds, ...(errors[base] !== undefined ? [`${base}-error`] : [])];
  const by = ids.length > 0 ? markup` aria-describedby="${ids.join(' ')}"` : null;
  const invalid = errors[base] !== undefined ? markup` aria-invalid="true"` : null;
  return markup`${by}${invalid}`;
}

/** The summary of every problem at the top of a form, each linking to its field. */
export function errorSummary(
  lang: Lang,
  errors: Readonly<Record<string, string>>,
  targetOf: (base: string) => string,
): Html | null {
  const entries = Object.entries(errors);
  if (entries.length === 0) return null;
  const items = entries.map(
    ([base, message]) => markup`<li><a href="#${targetOf(base)}">${message}</a></li>`,
  );
  return markup`<div class="summary" role="alert" aria-labelledby="summary-title">
<p id="summary-title"><strong>${COMMON[lang].errorSummary}</strong></p>
<ul>${items}</ul>
</div>`;
}
