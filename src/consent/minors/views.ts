// The guardian page: what was submitted (kinds of information, never values), the deadline, then
// the code form, then the decision with the notices the decision rests on. Pure functions.
import type { Lang } from '../../collection/fields.js';
import type { Notice } from '../../collection/notices.js';
import {
  described,
  errorLine,
  errorSummary,
  markup,
  sitePage,
  type Html,
} from '../../collection/pages/layout.js';
import { COMMON } from '../../collection/pages/texts.js';
import { formatTime } from '../../notify/render.js';
import type { GuardianView } from './holds.js';
import { GUARDIAN_TEXTS } from './texts.js';

export const GUARDIAN_PATH = '/privacy/guardian';

export const guardianPath = (id: string) => `${GUARDIAN_PATH}/${encodeURIComponent(id)}`;

const action = (id: string, lang: Lang) => `${guardianPath(id)}?lang=${lang}`;

const nameOf = (lang: Lang, x: { nameEn: string; nameZh: string }) =>
  lang === 'en' ? x.nameEn : x.nameZh;

export interface GuardianPageOptions {
  notice?: string;
  errors?: Record<string, string>;
  /** The guardian's receipt path, right after consenting. */
  receipt?: string | null;
  /** The notices of the child's purpose and of the guardian's own data, in the page language. */
  notices: ReadonlyMap<string, Notice>;
  guardianPurpose: string;
  minorAge: number;
  now: Date;
  baseUrl: string;
  contact: string | null;
}

function hidden(lang: Lang, token: string): Html {
  return markup`<input type="hidden" name="token" value="${token}">
<input type="hidden" name="lang" value="${lang}">`;
}

function verifySection(
  lang: Lang,
  view: GuardianView,
  token: string,
  errors: Record<string, string>,
) {
  const t = GUARDIAN_TEXTS[lang];
  return markup`<h2>${t.verifyTitle}</h2>
<form method="post" action="${action(view.id, lang)}" accept-charset="utf-8">
${hidden(lang, token)}
<input type="hidden" name="action" value="verify">
<div class="field">
<label for="field-code">${t.codeLabel}${COMMON[lang].required}</label>
<p class="hint" id="code-hint">${t.codeHint}</p>
${errorLine(errors, 'code')}
<input type="text" id="field-code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="12" required aria-required="true"${described(errors, 'code', ['code-hint'])}>
</div>
<div class="actions"><button type="submit">${t.verifySubmit}</button></div>
</form>
<form method="post" action="${action(view.id, lang)}" accept-charset="utf-8">
${hidden(lang, token)}
<input type="hidden" name="action" value="code">
<div class="actions"><button type="submit" class="secondary">${t.resend}</button></div>
</form>`;
}

function decideSection(lang: Lang, view: GuardianView, token: string, o: GuardianPageOptions) {
  const t = GUARDIAN_TEXTS[lang];
  const purposeNotice = o.notices.get(view.purpose.key);
  const guardianNotice = o.notices.get(o.guardianPurpose);
  return markup`<h2>${t.decideTitle}</h2>
${purposeNotice === undefined ? null : markup`<section class="notice" aria-labelledby="purpose-notice-title"><h3 id="purpose-notice-title">${t.purposeNoticeTitle}</h3><p id="purpose-notice">${purposeNotice.text}</p></section>`}
${guardianNotice === undefined ? null : markup`<section class="notice" aria-labelledby="guardian-notice-title"><h3 id="guardian-notice-title">${t.guardianNoticeTitle}</h3><p id="guardian-notice">${guardianNotice.text}</p></section>`}
<form method="post" action="${action(view.id, lang)}" accept-charset="utf-8">
${hidden(lang, token)}
<input type="hidden" name="action" value="decide">
<p class="hint" id="refuse-hint">${t.refuseHint}</p>
<div class="actions">
<button type="submit" name="decision" value="consent">${t.consent}</button>
<button type="submit" name="decision" value="refuse" class="secondary" aria-describedby="refuse-hint">${t.refuse}</button>
</div>
</form>`;
}

/** The guardian page of one hold (reached only with its token). */
export function guardianPage(
  lang: Lang,
  view: GuardianView,
  token: string,
  o: GuardianPageOptions,
): string {
  const t = GUARDIAN_TEXTS[lang];
  const errors = o.errors ?? {};
  const open =
    (view.status === 'code_sent' || view.status === 'pending') &&
    o.now.toISOString() < view.deadlineAt;
  const state =
    view.status === 'consented'
      ? t.consented
      : view.status === 'refused'
        ? t.refused
        : !open
          ? t.expired
          : null;
  const notice =
    o.notice !== undefined ? markup`<p class="notice" role="status">${o.notice}</p>` : null;
  const receipt =
    o.receipt !== undefined && o.receipt !== null
      ? markup`<dl class="facts"><dt>${t.receiptLink}</dt><dd class="link"><a id="receipt-link" href="${o.receipt}">${o.baseUrl}${o.receipt}</a></dd></dl>
<p class="hint">${t.receiptHint}</p>`
      : null;
  const categories = view.categories.map((c) => nameOf(lang, c)).join(lang === 'en' ? ', ' : '、');
  const facts = markup`<dl class="facts">
<dt>${t.purposeLabel}</dt><dd>${nameOf(lang, view.purpose)}</dd>
${categories === '' ? null : markup`<dt>${t.categoriesLabel}</dt><dd>${categories}</dd>`}
<dt>${t.deadlineLabel}</dt><dd>${formatTime(view.deadlineAt, lang)}</dd>
</dl>`;
  const step = !open
    ? null
    : view.status === 'code_sent'
      ? verifySection(lang, view, token, errors)
      : decideSection(lang, view, token, o);
  const body = markup`${notice}
${errorSummary(lang, errors, (base) => `field-${base}`)}
${state === null ? markup`<p>${t.intro(o.minorAge)}</p>` : markup`<p class="notice" id="state" role="status">${state}</p>`}
${receipt}
${facts}
${step}`;
  return sitePage(lang, t.siteTitle, t.title, body, {
    otherLanguageHref: `${guardianPath(view.id)}?${new URLSearchParams({ token, lang: COMMON[lang].otherLanguage.lang }).toString()}`,
    contact: o.contact,
  });
}

/** A short page with a title and one paragraph. */
export function guardianMessage(lang: Lang, title: string, text: string, contact: string | null) {
  return sitePage(lang, GUARDIAN_TEXTS[lang].siteTitle, title, markup`<p>${text}</p>`, { contact });
}
