// The consultation page GET/POST /privacy/consult: server-rendered HTML in zh-CN and en that works
// without JavaScript. The form is built from the data map (the consultation purpose's declared
// categories), shows the purpose's notice and each optional consent separately, and posts
// application/x-www-form-urlencoded to the same checks and service as POST /api/v1/inquiries.
// Every answer is a page, never a JSON problem, because the reader is a person in a browser.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { isAppError } from '../errors.js';
import { RateLimiter } from '../http/rate-limit.js';
import { checkInquiry, DEFAULT_PURPOSE, loadForm, type InquiryDraft, type Lang } from './fields.js';
import { submitInquiry } from './intake.js';
import { currentPolicyVersion, noticesFor } from './notices.js';
import { baseOf, consultValues, pageErrors } from './pages/form.js';
import { formOf, installPageScope, langOf, sendPage } from './pages/layout.js';
import { TEXTS } from './pages/texts.js';
import {
  confirmationPage,
  consultMessage,
  consultPage,
  CONSULT_PATH,
  type ConsultForm,
  type ConsultValues,
  type PageErrors,
} from './pages/views.js';

// Per network (IPv4 /24, IPv6 /48): generous for reading, tight for writing (as the request form).
const PAGE_LIMIT = { limit: 120, windowMs: 60_000 };
const SUBMIT_LIMIT = { limit: 20, windowMs: 60 * 60_000 };

/** GET and POST /privacy/consult. */
export function collectionPageRoutes(ctx: AppContext) {
  const now = () => ctx.clock.now().getTime();
  const reads = new RateLimiter(PAGE_LIMIT.limit, PAGE_LIMIT.windowMs, now);
  const writes = new RateLimiter(SUBMIT_LIMIT.limit, SUBMIT_LIMIT.windowMs, now);
  const contact = ctx.config.privacyContact;
  const message = (lang: Lang, title: string, text: string) =>
    consultMessage(lang, title, text, contact);

  /** The form as it stands now: the purpose, its offers and the notices of the current policy. */
  async function currentForm(lang: Lang): Promise<ConsultForm | null> {
    const version = await currentPolicyVersion(ctx.store.db, ctx.clock.now());
    if (version === null) return null;
    const form = await loadForm(ctx.store.db, DEFAULT_PURPOSE, version);
    if (form.purpose === null) return null;
    const notices = await noticesFor(
      ctx.store.db,
      [form.purpose.key, ...form.offers.map((o) => o.key)],
      lang,
      version,
    );
    return {
      purpose: form.purpose,
      offers: form.offers,
      policyVersion: version,
      notices,
      minorAge: ctx.config.minorAge,
    };
  }

  function unavailable(reply: FastifyReply, lang: Lang): FastifyReply {
    const t = TEXTS[lang];
    return sendPage(reply, 503, message(lang, t.unavailableTitle, t.unavailableText));
  }

  return async function register(app: FastifyInstance): Promise<void> {
    installPageScope(app, ctx, { reads, writes, message });
    const publicRoute = { config: { access: { public: true as const } }, schema: { hide: true } };

    app.get(CONSULT_PATH, publicRoute, async (request, reply) => {
      const lang = langOf(request);
      const form = await currentForm(lang);
      if (form === null) return unavailable(reply, lang);
      const empty: ConsultValues = { fields: {}, consents: {}, guardianEmail: '' };
      return sendPage(reply, 200, consultPage(lang, form, empty, {}, contact));
    });

    app.post(CONSULT_PATH, publicRoute, async (request: FastifyRequest, reply) => {
      const body = formOf(request);
      const lang = langOf(request);
      const form = await currentForm(lang);
      if (form === null) return unavailable(reply, lang);
      const values = consultValues(form, body);
      const again = (errors: PageErrors) =>
        sendPage(reply, 400, consultPage(lang, form, values, errors, contact));
      const draft: InquiryDraft = {
        purpose: DEFAULT_PURPOSE,
        lang,
        // A form loaded before a new policy version was published still names the one it showed.
        policyVersion: (body.policyVersion ?? '').slice(0, 32),
        fields: values.fields,
        consents: values.consents,
        guardianEmail: values.guardianEmail,
      };
      const checked = checkInquiry(
        await loadForm(ctx.store.db, DEFAULT_PURPOSE, draft.policyVersion),
        draft,
        ctx.clock.now(),
        ctx.config.minorAge,
      );
      if (!checked.ok) return again(pageErrors(lang, checked.problems, ctx.config.minorAge));
      try {
        const result = await submitInquiry(
          ctx,
          { ...draft, channel: 'web' },
          { ip: request.ip, userAgent: request.headers['user-agent'] },
        );
        return sendPage(
          reply,
          200,
          confirmationPage(lang, result, {
            baseUrl: ctx.config.baseUrl,
            minorAge: ctx.config.minorAge,
            contact,
          }),
        );
      } catch (error) {
        // A problem only the service could see (the data map changed in between) is still shown.
        if (isAppError(error) && error.code === 'validation') {
          const errors: PageErrors = {};
          for (const e of error.extra.errors ?? [])
            errors[baseOf(e.pointer.replace(/^\/body/, ''))] = TEXTS[lang].errors.generic;
          return again(errors);
        }
        throw error;
      }
    });
  };
}
