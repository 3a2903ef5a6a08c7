// The guardian's page at /privacy/guardian/:id?token= (no JavaScript): enter the mailed code, then
// consent or refuse. It calls the same services as the guardian API; every answer is a page.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Lang } from '../../collection/fields.js';
import { noticesFor } from '../../collection/notices.js';
import {
  formOf,
  installPageScope,
  langOf,
  queryOf,
  sendPage,
} from '../../collection/pages/layout.js';
import { COMMON } from '../../collection/pages/texts.js';
import type { AppContext } from '../../context.js';
import { isAppError, tooManyRequests } from '../../errors.js';
import { RateLimiter } from '../../http/rate-limit.js';
import { resendGuardianCode, tryGuardianCode } from './codes.js';
import { decideGuardian } from './decide.js';
import { GUARDIAN_PURPOSE, guardianView } from './holds.js';
import { GUARDIAN_LIMITS } from './routes.js';
import { GUARDIAN_TEXTS } from './texts.js';
import { GUARDIAN_PATH, guardianMessage, guardianPage } from './views.js';

const PAGE_LIMIT = { limit: 120, windowMs: 60_000 };
const ID = /^[0-9a-fA-F-]{36}$/;

/** A refusal the page shows as the current state of the hold rather than as an error page. */
const isConflict = (error: unknown) => isAppError(error) && error.status === 409;

/** GET and POST /privacy/guardian/:id. */
export function guardianPageRoutes(ctx: AppContext) {
  const now = () => ctx.clock.now().getTime();
  const reads = new RateLimiter(PAGE_LIMIT.limit, PAGE_LIMIT.windowMs, now);
  const writes = new RateLimiter(GUARDIAN_LIMITS.calls.limit, GUARDIAN_LIMITS.calls.windowMs, now);
  const codes = new RateLimiter(GUARDIAN_LIMITS.codes.limit, GUARDIAN_LIMITS.codes.windowMs, now);
  const contact = ctx.config.privacyContact;
  const message = (lang: Lang, title: string, text: string) =>
    guardianMessage(lang, title, text, contact);

  const notFound = (reply: FastifyReply, lang: Lang) =>
    sendPage(reply, 404, message(lang, COMMON[lang].notFoundTitle, COMMON[lang].notFoundText));

  /** Renders the hold as it stands now; a 404 page when id and token do not open one. */
  async function render(
    reply: FastifyReply,
    lang: Lang,
    id: string,
    token: string,
    extra: {
      status?: number;
      notice?: string;
      errors?: Record<string, string>;
      receipt?: string | null;
    } = {},
  ): Promise<FastifyReply> {
    const view = await guardianView(ctx, id, token);
    if (view === null) return notFound(reply, lang);
    const notices = await noticesFor(
      ctx.store.db,
      [view.purpose.key, GUARDIAN_PURPOSE],
      lang,
      view.policyVersion,
    );
    return sendPage(
      reply,
      extra.status ?? 200,
      guardianPage(lang, view, token, {
        ...(extra.notice !== undefined ? { notice: extra.notice } : {}),
        ...(extra.errors !== undefined ? { errors: extra.errors } : {}),
        ...(extra.receipt !== undefined ? { receipt: extra.receipt } : {}),
        notices,
        guardianPurpose: GUARDIAN_PURPOSE,
        minorAge: ctx.config.minorAge,
        now: ctx.clock.now(),
        baseUrl: ctx.config.baseUrl,
        contact,
      }),
    );
  }

  return async function register(app: FastifyInstance): Promise<void> {
    installPageScope(app, ctx, { reads, writes, message });
    const publicRoute = { config: { access: { public: true as const } }, schema: { hide: true } };

    app.get(`${GUARDIAN_PATH}/:id`, publicRoute, async (request, reply) => {
      const lang = langOf(request);
      const { id } = request.params as { id: string };
      const token = queryOf(request).token;
      if (!ID.test(id) || typeof token !== 'string' || token === '' || token.length > 128)
        return notFound(reply, lang);
      return render(reply, lang, id, token);
    });

    app.post(`${GUARDIAN_PATH}/:id`, publicRoute, async (request, reply) => {
      const body = formOf(request);
      const lang = langOf(request);
      const { id } = request.params as { id: string };
      const token = body.token ?? '';
      if (!ID.test(id) || token === '' || token.length > 128) return notFound(reply, lang);
      const t = GUARDIAN_TEXTS[lang];
      try {
        switch (body.action) {
          case 'verify': {
            const code = (body.code ?? '').trim().slice(0, 16);
            if (code === '')
              return await render(reply, lang, id, token, {
                status: 400,
                errors: { code: t.errors.codeRequired },
              });
            const verdict = await tryGuardianCode(ctx, id, { token, code });
            switch (verdict.kind) {
              case 'ok':
              case 'used':
                return await render(reply, lang, id, token, { notice: t.verified });
              case 'wrong':
                return await render(reply, lang, id, token, {
                  status: 400,
                  errors: { code: t.errors.code(verdict.left) },
                });
              case 'expired':
                return await render(reply, lang, id, token, {
                  status: 400,
                  errors: { code: t.errors.codeExpired },
                });
              case 'locked':
                return await render(reply, lang, id, token, {
                  status: 400,
                  errors: { code: t.errors.codeLocked },
                });
              default:
                return verdict satisfies never;
            }
          }
          case 'code': {
            try {
              await resendGuardianCode(ctx, id, token, () => {
                const verdict = codes.hit(id);
                if (!verdict.ok) throw tooManyRequests(verdict.retryAfterSeconds);
              });
            } catch (error) {
              // Shown at the code field: the page itself is not rate limited here.
              if (isAppError(error) && error.code === 'too-many-requests')
                return await render(reply, lang, id, token, {
                  status: 429,
                  errors: { code: t.errors.tooManyCodes },
                });
              throw error;
            }
            return await render(reply, lang, id, token, { notice: t.codeResent });
          }
          case 'decide': {
            if (body.decision !== 'consent' && body.decision !== 'refuse')
              return await render(reply, lang, id, token, { status: 400 });
            const decided = await decideGuardian(
              ctx,
              id,
              { token, consent: body.decision === 'consent' },
              { ip: request.ip, userAgent: request.headers['user-agent'] },
            );
            return await render(reply, lang, id, token, { receipt: decided.receipt });
          }
          default:
            return await render(reply, lang, id, token, { status: 400 });
        }
      } catch (error) {
        // The hold is decided, expired or not yet verified: the page shows where it stands.
        if (isConflict(error)) return render(reply, lang, id, token, { status: 409 });
        throw error;
      }
    });
  };
}
