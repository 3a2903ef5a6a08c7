// The public request and status pages: server-rendered HTML in zh-CN and en that works without
// JavaScript (PIPL art. 50: a convenient way to make requests). Forms post
// application/x-www-form-urlencoded; every answer is a page, never a JSON problem, because the
// reader is a person in a browser. The pages call the same services as the API.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AuditWriteError } from '../audit/log.js';
import type { AppContext } from '../context.js';
import { AppError, isAppError, tooManyRequests } from '../errors.js';
import { ipPrefix, RateLimiter } from '../http/rate-limit.js';
import type { Lang } from './contracts.js';
import { submitRequest } from './intake.js';
import {
  checkForm,
  fieldOfPointer,
  FORM_BODY_LIMIT,
  formValues,
  parseForm,
  type FieldErrors,
} from './pages/form.js';
import { PAGE_CSP, STYLESHEET_PATH } from './pages/html.js';
import { pageLang } from './pages/lang.js';
import { activeControllerChoices } from './pages/lookups.js';
import { SITE_CSS } from './pages/site-css.js';
import {
  decideFee,
  newCode,
  readStatus,
  verifyCode,
  withdrawByPerson,
  type StatusOutcome,
} from './pages/status.js';
import { TEXTS } from './pages/texts.js';
import {
  confirmationPage,
  formPage,
  FORM_PATH,
  messagePage,
  statusPage,
  type StatusView,
} from './pages/views.js';

// Per network (IPv4 /24, IPv6 /48): generous for reading, tight for writing. Submissions also
// cost the person nothing to repeat later, so a low ceiling harms nobody; code guessing is capped
// again per request by the verification service.
const PAGE_LIMIT = { limit: 120, windowMs: 60_000 };
const SUBMIT_LIMIT = { limit: 20, windowMs: 60 * 60_000 };
const ACTION_LIMIT = { limit: 30, windowMs: 10 * 60_000 };

const ID = /^[0-9A-Za-z-]{1,64}$/;

const query = (request: FastifyRequest): Record<string, unknown> =>
  (request.query ?? {}) as Record<string, unknown>;

const formBody = (request: FastifyRequest): Record<string, string> =>
  (request.body ?? {}) as Record<string, string>;

function send(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply
    .code(status)
    .header('content-security-policy', PAGE_CSP)
    .type('text/html; charset=utf-8')
    .send(body);
}

export function requestPageRoutes(ctx: AppContext) {
  const now = () => ctx.clock.now().getTime();
  const limiters = {
    page: new RateLimiter(PAGE_LIMIT.limit, PAGE_LIMIT.windowMs, now),
    submit: new RateLimiter(SUBMIT_LIMIT.limit, SUBMIT_LIMIT.windowMs, now),
    action: new RateLimiter(ACTION_LIMIT.limit, ACTION_LIMIT.windowMs, now),
  };
  const contact = ctx.config.privacyContact;

  const notFoundPage = (reply: FastifyReply, lang: Lang) =>
    send(
      reply,
      404,
      messagePage(lang, TEXTS[lang].notFoundTitle, TEXTS[lang].notFoundText, contact),
    );

  function renderStatus(
    reply: FastifyReply,
    lang: Lang,
    outcome: StatusOutcome,
    token: string,
    extra: { status?: number; notice?: string; errors?: FieldErrors } = {},
  ): FastifyReply {
    if (outcome === null) return notFoundPage(reply, lang);
    const view: StatusView = outcome;
    return send(
      reply,
      extra.status ?? 200,
      statusPage(lang, view, token, {
        ...(extra.notice !== undefined ? { notice: extra.notice } : {}),
        ...(extra.errors !== undefined ? { errors: extra.errors } : {}),
        contact,
      }),
    );
  }

  return async function register(app: FastifyInstance): Promise<void> {
    // Only HTML forms reach these routes: the JSON parser is removed in this scope, and the form
    // parser reads at most FORM_BODY_LIMIT bytes through URLSearchParams.
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
        request.method === 'GET' || request.method === 'HEAD'
          ? limiters.page
          : request.url.split('?')[0] === FORM_PATH
            ? limiters.submit
            : limiters.action;
      const verdict = limiter.hit(ipPrefix(request.ip));
      if (!verdict.ok) throw tooManyRequests(verdict.retryAfterSeconds);
    });

    // Errors become pages in the reader's language; nothing here echoes what was sent.
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const lang = pageLang(query(request).lang, request.headers['accept-language']);
      const t = TEXTS[lang];
      if (isAppError(error) && error.code === 'too-many-requests') {
        reply.header('retry-after', String(error.extra.retryAfterSeconds ?? 60));
        return send(
          reply,
          429,
          messagePage(
            lang,
            t.tooManyTitle,
            t.tooManyText(error.extra.retryAfterSeconds ?? 60),
            contact,
          ),
        );
      }
      if (isAppError(error) && error.status === 404) return notFoundPage(reply, lang);
      const status = isAppError(error) ? error.status : (error.statusCode ?? 500);
      if (status >= 400 && status < 500 && !(error instanceof AuditWriteError)) {
        const code = status === 413 || status === 415 ? status : 400;
        return send(reply, code, messagePage(lang, t.badFormTitle, t.badFormText, contact));
      }
      // A known failure (storage or audit unavailable) is a 503; anything else a bare 500.
      const known = isAppError(error) || error instanceof AuditWriteError;
      if (isAppError(error)) request.log.error({ code: error.code }, 'page request failed');
      else
        request.log.error(
          { err: { type: error.name, code: error.code, stack: error.stack } },
          'unexpected error',
        );
      return send(reply, known ? 503 : 500, messagePage(lang, t.errorTitle, t.errorText, contact));
    });

    const publicRoute = { config: { access: { public: true as const } }, schema: { hide: true } };

    app.get(STYLESHEET_PATH, publicRoute, async (_request, reply) =>
      reply
        .header('cache-control', 'public, max-age=3600')
        .type('text/css; charset=utf-8')
        .send(SITE_CSS),
    );

    app.get(FORM_PATH, publicRoute, async (request, reply) => {
      const lang = pageLang(query(request).lang, request.headers['accept-language']);
      const controllers = await activeControllerChoices(ctx);
      const empty = formValues({});
      return send(reply, 200, formPage(lang, empty, {}, controllers, contact));
    });

    app.post(FORM_PATH, publicRoute, async (request, reply) => {
      const body = formBody(request);
      const lang = pageLang(body.lang ?? query(request).lang, request.headers['accept-language']);
      const values = formValues(body);
      const controllers = await activeControllerChoices(ctx);
      const checked = checkForm(values, lang, new Set(controllers.map((c) => c.slug)));
      const again = (errors: FieldErrors) =>
        send(reply, 400, formPage(lang, values, errors, controllers, contact));
      if (!checked.ok) return again(checked.errors);
      try {
        const result = await submitRequest(ctx, checked.input, { ip: request.ip });
        return send(reply, 200, confirmationPage(lang, result, ctx.config.baseUrl, contact));
      } catch (error) {
        // A problem only the service could see (its own limits) is still shown at its field.
        if (isAppError(error) && error.code === 'validation') {
          const errors: FieldErrors = {};
          for (const e of error.extra.errors ?? []) {
            const field = fieldOfPointer(e.pointer);
            if (field !== null && field !== 'code') errors[field] = TEXTS[lang].errors.generic;
          }
          if (Object.keys(errors).length > 0) return again(errors);
        }
        throw error;
      }
    });

    app.get(`${FORM_PATH}/:id`, publicRoute, async (request, reply) => {
      const q = query(request);
      const lang = pageLang(q.lang, request.headers['accept-language']);
      const { id } = request.params as { id: string };
      const token = typeof q.token === 'string' ? q.token : '';
      if (!ID.test(id) || token === '') return notFoundPage(reply, lang);
      return renderStatus(reply, lang, await readStatus(ctx, id, token, lang), token);
    });

    /** The id, token and language of a form posted from a status page; null → 404 page. */
    const tokenForm = (request: FastifyRequest) => {
      const body = formBody(request);
      const lang = pageLang(body.lang ?? query(request).lang, request.headers['accept-language']);
      const { id } = request.params as { id: string };
      const token = body.token ?? '';
      return { body, lang, id, token, ok: ID.test(id) && token !== '' };
    };

    app.post(`${FORM_PATH}/:id/verify`, publicRoute, async (request, reply) => {
      const { body, lang, id, token, ok } = tokenForm(request);
      if (!ok) return notFoundPage(reply, lang);
      const t = TEXTS[lang];
      const code = (body.code ?? '').trim();
      if (code === '') {
        return renderStatus(reply, lang, await readStatus(ctx, id, token, lang), token, {
          status: 400,
          errors: { code: t.errors.codeRequired },
        });
      }
      const verdict = await verifyCode(ctx, id, token, code.slice(0, 16));
      if (verdict === 'not_found') return notFoundPage(reply, lang);
      const after = await readStatus(ctx, id, token, lang);
      switch (verdict) {
        case 'verified':
          return renderStatus(reply, lang, after, token, { notice: t.verified });
        case 'settled':
          return renderStatus(reply, lang, after, token, { notice: t.alreadySettled });
        case 'wrong':
        case 'expired':
        case 'locked': {
          const message = {
            wrong: t.errors.code,
            expired: t.errors.codeExpired,
            locked: t.errors.codeLocked,
          }[verdict];
          return renderStatus(reply, lang, after, token, {
            status: 400,
            errors: { code: message },
          });
        }
        default:
          return verdict satisfies never;
      }
    });

    app.post(`${FORM_PATH}/:id/code`, publicRoute, async (request, reply) => {
      const { lang, id, token, ok } = tokenForm(request);
      if (!ok) return notFoundPage(reply, lang);
      const sent = await newCode(ctx, id, token);
      if (sent === 'not_found') return notFoundPage(reply, lang);
      const t = TEXTS[lang];
      return renderStatus(reply, lang, await readStatus(ctx, id, token, lang), token, {
        ...(sent === 'sent' ? { notice: t.codeResent } : { status: 409, notice: t.codeRefused }),
      });
    });

    app.post(`${FORM_PATH}/:id/withdraw`, publicRoute, async (request, reply) => {
      const { lang, id, token, ok } = tokenForm(request);
      if (!ok) return notFoundPage(reply, lang);
      const done = await withdrawByPerson(ctx, id, token);
      if (done === 'not_found') return notFoundPage(reply, lang);
      const t = TEXTS[lang];
      return renderStatus(reply, lang, await readStatus(ctx, id, token, lang), token, {
        ...(done === 'done'
          ? { notice: t.withdrawDone }
          : { status: 409, notice: t.alreadySettled }),
      });
    });

    app.post(`${FORM_PATH}/:id/fee`, publicRoute, async (request, reply) => {
      const { body, lang, id, token, ok } = tokenForm(request);
      if (!ok) return notFoundPage(reply, lang);
      const decision = body.decision;
      if (decision !== 'accept' && decision !== 'decline') {
        throw new AppError('validation', 400, 'Invalid request', 'Unknown fee decision.');
      }
      const done = await decideFee(ctx, id, token, decision);
      if (done === 'not_found') return notFoundPage(reply, lang);
      const t = TEXTS[lang];
      const notice =
        done === 'settled'
          ? t.alreadySettled
          : decision === 'accept'
            ? t.feeAccepted
            : t.feeDeclined;
      return renderStatus(reply, lang, await readStatus(ctx, id, token, lang), token, { notice });
    });
  };
}
