// Marketing over HTTP: staff sends and the suppression list, and the public one-click unsubscribe
// at GET|POST /api/v1/unsubscribe (RFC 8058). Handlers stay thin.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AuditWriteError } from '../../audit/log.js';
import type { AppContext } from '../../context.js';
import { isAppError, tooManyRequests } from '../../errors.js';
import { principal } from '../../http/access.js';
import { errorHandler } from '../../http/problems.js';
import { ipPrefix, RateLimiter } from '../../http/rate-limit.js';
import type { Lang } from '../../notify/tables.js';
import { PAGE_CSP } from '../../requests/pages/html.js';
import { pageLang } from '../../requests/pages/lang.js';
import { confirmPage, donePage, troublePage, type Trouble } from './page.js';
import {
  AddSuppressionBody,
  SendMarketingBody,
  SuppressionList,
  UnsubscribeQuery,
} from './schema.js';
import { sendMarketing } from './send.js';
import { addSuppression, listSuppressions } from './suppressions.js';
import { ALREADY_USED, checkUnsubscribeToken, unsubscribe } from './unsubscribe.js';

/**
 * Per client network (IPv4 /24, IPv6 /48). Generous: one-click POSTs come from the mail provider's
 * servers, so one network speaks for many people, and a refused POST leaves a person subscribed.
 * The tokens are unguessable, so the limit only caps load.
 */
export const UNSUBSCRIBE_LIMIT = { limit: 600, windowMs: 10 * 60_000 } as const;
/** RFC 8058 bodies are one short key/value pair; the body is not read, only bounded. */
const ONE_CLICK_BODY_LIMIT = 4096;

const PATH = '/unsubscribe';

const wantsHtml = (request: FastifyRequest): boolean =>
  /\btext\/html\b/i.test(request.headers.accept ?? '');

const langOf = (request: FastifyRequest): Lang =>
  pageLang(
    (request.query as Record<string, unknown> | undefined)?.lang,
    request.headers['accept-language'],
  );

function sendPage(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply
    .code(status)
    .header('content-security-policy', PAGE_CSP)
    .type('text/html; charset=utf-8')
    .send(html);
}

/** The same URL in a language: the page's form posts to it, and the switcher links to it. */
const selfUrl = (request: FastifyRequest, token: string, lang: Lang): string =>
  `${request.url.split('?')[0] ?? ''}?token=${encodeURIComponent(token)}&lang=${lang}`;

export function optoutRoutes(ctx: AppContext) {
  const limiter = new RateLimiter(UNSUBSCRIBE_LIMIT.limit, UNSUBSCRIBE_LIMIT.windowMs, () =>
    ctx.clock.now().getTime(),
  );
  const contact = ctx.config.privacyContact;

  /** Errors of the public routes: a page for a browser, a problem document for anything else. */
  function publicErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
    if (!wantsHtml(request)) return errorHandler(error, request, reply);
    const lang = langOf(request);
    const status = isAppError(error) ? error.status : (error.statusCode ?? 500);
    const retryAfter = isAppError(error) ? (error.extra.retryAfterSeconds ?? 60) : 60;
    const page = (code: number, trouble: Trouble) =>
      sendPage(reply, code, troublePage(lang, trouble, contact, retryAfter));
    if (status === 429) {
      reply.header('retry-after', String(retryAfter));
      return page(429, 'tooMany');
    }
    if (status === 410)
      return page(410, isAppError(error) && error.title === ALREADY_USED ? 'used' : 'expired');
    if (status === 404) return page(404, 'invalid');
    if (status >= 400 && status < 500 && !(error instanceof AuditWriteError))
      return page(status === 413 || status === 415 ? status : 400, 'invalid');
    const known = isAppError(error) || error instanceof AuditWriteError;
    request.log.error(
      isAppError(error) ? { code: error.code } : { err: { type: error.name, code: error.code } },
      'unsubscribe page failed',
    );
    return page(known ? 503 : 500, 'error');
  }

  async function publicRoutes(app: FastifyInstance): Promise<void> {
    // RFC 8058 §3.2: the mail client POSTs "List-Unsubscribe=One-Click" as form data (urlencoded
    // or multipart); our page's button posts a form; API clients may send JSON or nothing. The
    // token in the URL is what counts, so every accepted body is bounded and then ignored.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser(
      ['application/x-www-form-urlencoded', 'multipart/form-data', 'application/json'],
      { parseAs: 'string', bodyLimit: ONE_CLICK_BODY_LIMIT },
      (_request, _body, done) => done(null, {}),
    );
    app.addHook('onRequest', async (request) => {
      const verdict = limiter.hit(ipPrefix(request.ip));
      if (!verdict.ok) throw tooManyRequests(verdict.retryAfterSeconds);
    });
    app.setErrorHandler(publicErrors);

    const api = app.withTypeProvider<TypeBoxTypeProvider>();
    const route = {
      config: { access: { public: true as const } },
      schema: { tags: ['marketing'], querystring: UnsubscribeQuery },
    };

    // Never unsubscribes: scanners and previews fetch links. A person gets a page with a button.
    api.get(PATH, route, async (request, reply) => {
      await checkUnsubscribeToken(ctx, request.query.token);
      if (!wantsHtml(request)) return { valid: true };
      const lang = langOf(request);
      const other: Lang = lang === 'en' ? 'zh-CN' : 'en';
      return sendPage(
        reply,
        200,
        confirmPage(
          lang,
          selfUrl(request, request.query.token, lang),
          selfUrl(request, request.query.token, other),
          contact,
        ),
      );
    });

    // The one-click unsubscribe: no login, no CSRF token (RFC 8058: the POST carries no context).
    api.post(PATH, route, async (request, reply) => {
      const lang = langOf(request);
      const result = await unsubscribe(ctx, request.query.token, {
        lang,
        client: { ip: request.ip, userAgent: request.headers['user-agent'] },
      });
      return wantsHtml(request) ? sendPage(reply, 200, donePage(lang, contact)) : result;
    });
  }

  return async function register(app: FastifyInstance): Promise<void> {
    const api = app.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['marketing'];

    api.post(
      '/marketing/messages',
      {
        config: { access: { permission: 'marketing.send' } },
        schema: { tags, body: SendMarketingBody },
      },
      async (request, reply) =>
        reply.code(202).send(await sendMarketing(ctx, principal(request), request.body)),
    );
    api.get(
      '/marketing/suppressions',
      {
        config: { access: { permission: 'consents.read' } },
        schema: { tags, querystring: SuppressionList },
      },
      (request) => listSuppressions(ctx, request.query),
    );
    api.post(
      '/marketing/suppressions',
      {
        config: { access: { permission: 'marketing.send' } },
        schema: { tags, body: AddSuppressionBody },
      },
      async (request, reply) => {
        const result = await addSuppression(ctx, principal(request), request.body);
        return reply.code(result.added ? 201 : 200).send(result);
      },
    );

    await app.register(publicRoutes);
  };
}
