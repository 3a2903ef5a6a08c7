// The public pages themselves: the request form, the confirmation, the status page and the short
// message pages (not found, too many requests, errors). Pure functions from values to HTML.
import { formatTime } from '../../notify/render.js';
import { REQUEST_TYPES, type Lang, type RequestState, type RequestType } from '../contracts.js';
import { LIMITS, type FieldErrors, type FormField, type FormValues } from './form.js';
import { markup, page, type Html } from './html.js';
import { TEXTS } from './texts.js';

export const FORM_PATH = '/privacy/requests';

export interface ControllerChoice {
  slug: string;
  name: string;
}

const statusPath = (id: string) => `${FORM_PATH}/${encodeURIComponent(id)}`;

/** The status link of a request, as given to the person (relative to the site). */
export function statusHref(id: string, token: string, lang: Lang): string {
  return `${statusPath(id)}?${new URLSearchParams({ token, lang }).toString()}`;
}

function errorLine(errors: FieldErrors, field: FormField | 'code'): Html | null {
  const message = errors[field];
  return message === undefined ? null : markup`<p class="error" id="${field}-error">${message}</p>`;
}

/** aria-describedby / aria-invalid for a field: its hints always, the error when there is one. */
function described(errors: FieldErrors, field: FormField | 'code', hintIds: string[]): Html {
  const ids = [...hintIds, ...(errors[field] !== undefined ? [`${field}-error`] : [])];
  const by = ids.length > 0 ? markup` aria-describedby="${ids.join(' ')}"` : null;
  const invalid = errors[field] !== undefined ? markup` aria-invalid="true"` : null;
  return markup`${by}${invalid}`;
}

function errorSummary(lang: Lang, errors: FieldErrors): Html | null {
  const entries = Object.entries(errors) as Array<[FormField | 'code', string]>;
  if (entries.length === 0) return null;
  const items = entries.map(
    ([field, message]) => markup`<li><a href="#field-${field}">${message}</a></li>`,
  );
  return markup`<div class="summary" role="alert" aria-labelledby="summary-title">
<p id="summary-title"><strong>${TEXTS[lang].errorSummary}</strong></p>
<ul>${items}</ul>
</div>`;
}

function textField(
  lang: Lang,
  field: 'name' | 'email' | 'phone',
  values: FormValues,
  errors: FieldErrors,
  options: {
    type: string;
    autocomplete: string;
    hints: string[];
    hintText?: string;
    optional: boolean;
  },
): Html {
  const t = TEXTS[lang];
  const label = { name: t.nameLabel, email: t.emailLabel, phone: t.phoneLabel }[field];
  const optional = options.optional ? t.optional : '';
  const hint =
    options.hintText !== undefined
      ? markup`<p class="hint" id="${field}-hint">${options.hintText}</p>`
      : null;
  const hints = [...(hint !== null ? [`${field}-hint`] : []), ...options.hints];
  const aria = described(errors, field, hints);
  return markup`<div class="field">
<label for="field-${field}">${label}${optional}</label>
${hint}
${errorLine(errors, field)}
<input type="${options.type}" id="field-${field}" name="${field}" value="${values[field]}" maxlength="${LIMITS[field]}" autocomplete="${options.autocomplete}"${aria}>
</div>`;
}

/** Where a form posts: the language travels in the URL so even a refusal before parsing speaks it. */
const action = (path: string, lang: Lang) => `${path}?lang=${lang}`;

function typeChoice(lang: Lang, type: RequestType, values: FormValues): Html {
  const info = TEXTS[lang].types[type];
  const checked = values.type === type ? markup` checked` : null;
  return markup`<div class="choice">
<input type="radio" id="type-${type}" name="type" value="${type}"${checked} aria-describedby="type-${type}-hint">
<label for="type-${type}">${info.label}</label>
<p class="hint" id="type-${type}-hint">${info.hint}</p>
</div>
`;
}

function controllerSelect(
  lang: Lang,
  values: FormValues,
  errors: FieldErrors,
  controllers: readonly ControllerChoice[],
): Html | null {
  if (controllers.length === 0) return null;
  const t = TEXTS[lang];
  const options = controllers.map((c) => {
    const selected = values.controller === c.slug ? markup` selected` : null;
    return markup`<option value="${c.slug}"${selected}>${c.name}</option>
`;
  });
  return markup`<div class="field">
<label for="field-controller">${t.controllerLabel}${t.optional}</label>
<p class="hint" id="controller-hint">${t.controllerHint}</p>
${errorLine(errors, 'controller')}
<select id="field-controller" name="controller"${described(errors, 'controller', ['controller-hint'])}>
<option value="">${t.controllerUnsure}</option>
${options}</select>
</div>`;
}

/** The request form, empty or re-rendered with the person's values and a message per field. */
export function formPage(
  lang: Lang,
  values: FormValues,
  errors: FieldErrors,
  controllers: readonly ControllerChoice[],
  contact: string | null,
): string {
  const t = TEXTS[lang];
  const typeAria = errors.type !== undefined ? markup` aria-describedby="type-error"` : null;
  const body = markup`<p>${t.formIntro}</p>
${errorSummary(lang, errors)}
<form method="post" action="${action(FORM_PATH, lang)}" accept-charset="utf-8">
<input type="hidden" name="lang" value="${lang}">
<fieldset id="field-type"${typeAria}>
<legend>${t.typeLegend}</legend>
${errorLine(errors, 'type')}
${REQUEST_TYPES.map((type) => typeChoice(lang, type, values))}</fieldset>
${textField(lang, 'name', values, errors, { type: 'text', autocomplete: 'name', hints: [], hintText: t.nameHint, optional: true })}
<fieldset>
<legend>${t.emailLabel} / ${t.phoneLabel}</legend>
<p class="hint" id="contact-hint">${t.contactHint}</p>
${textField(lang, 'email', values, errors, { type: 'email', autocomplete: 'email', hints: ['contact-hint'], optional: false })}
${textField(lang, 'phone', values, errors, { type: 'tel', autocomplete: 'tel', hints: ['contact-hint'], optional: false })}
</fieldset>
<div class="field">
<label for="field-details">${t.detailsLabel}${t.optional}</label>
<p class="hint" id="details-hint">${t.detailsHint}</p>
${errorLine(errors, 'details')}
<textarea id="field-details" name="details" rows="8" maxlength="${LIMITS.details}"${described(errors, 'details', ['details-hint'])}>
${values.details}</textarea>
</div>
${controllerSelect(lang, values, errors, controllers)}
<div class="actions"><button type="submit">${t.submit}</button></div>
</form>`;
  return page(lang, t.formTitle, body, {
    otherLanguageHref: `${FORM_PATH}?lang=${t.otherLanguage.lang}`,
    contact,
  });
}

function verifyForm(lang: Lang, id: string, token: string, errors: FieldErrors): Html {
  const t = TEXTS[lang];
  return markup`<form method="post" action="${action(`${statusPath(id)}/verify`, lang)}" accept-charset="utf-8">
<input type="hidden" name="token" value="${token}">
<input type="hidden" name="lang" value="${lang}">
<div class="field">
<label for="field-code">${t.codeLabel}</label>
${errorLine(errors, 'code')}
<input type="text" id="field-code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="12"${described(errors, 'code', [])}>
</div>
<div class="actions"><button type="submit">${t.verifySubmit}</button></div>
</form>
<form method="post" action="${action(`${statusPath(id)}/code`, lang)}" accept-charset="utf-8">
<input type="hidden" name="token" value="${token}">
<input type="hidden" name="lang" value="${lang}">
<div class="actions"><button type="submit" class="secondary">${t.resendCode}</button></div>
</form>`;
}

export interface Confirmation {
  id: string;
  statusToken: string;
  verification: 'email' | 'sms' | null;
  duplicate: boolean;
}

/** Shown once after a submission: the reference, the status link and what to do next. */
export function confirmationPage(
  lang: Lang,
  result: Confirmation,
  baseUrl: string,
  contact: string | null,
): string {
  const t = TEXTS[lang];
  if (result.statusToken === '') {
    // The same request was already open: its token was shown once, at the first submission.
    const body = markup`<p class="notice">${t.confirmDuplicate}</p>
<dl class="facts">
<dt>${t.reference}</dt><dd class="reference">${result.id}</dd>
</dl>
<p>${t.duplicateLink}</p>`;
    return page(lang, t.confirmTitle, body, { contact });
  }
  const href = statusHref(result.id, result.statusToken, lang);
  const duplicate = result.duplicate ? markup`<p class="notice">${t.confirmDuplicate}</p>` : null;
  const next =
    result.verification !== null
      ? markup`<h2>${t.verifyTitle}</h2>
<p>${t.nextStepCode(result.verification)}</p>
${verifyForm(lang, result.id, result.statusToken, {})}`
      : markup`<p>${t.nextStepNone}</p>`;
  const body = markup`${duplicate}
<dl class="facts">
<dt>${t.reference}</dt><dd class="reference">${result.id}</dd>
<dt>${t.statusLink}</dt><dd class="link"><a href="${href}">${baseUrl}${href}</a></dd>
</dl>
<p class="hint">${t.statusLinkHint}</p>
${next}`;
  return page(lang, t.confirmTitle, body, { contact });
}

/** What the status page shows; built from the service's status answer. */
export interface StatusView {
  id: string;
  type: RequestType;
  status: RequestState;
  receivedAt: string;
  dueAt: string | null;
  /** The person still has to enter a code. */
  awaitingCode: boolean;
  fee: { state: 'quoted' | 'accepted' | 'declined'; amountCents: number } | null;
  refusal: { ground: string; reason: string | null; complaintContact: string | null } | null;
  forwarded: { controllerName: string; contact: string | null } | null;
  /** The person may still withdraw (the request is not answered yet). */
  canWithdraw: boolean;
  /** A request split per holder: each part with its holder and state. */
  parts: Array<{ controllerName: string; status: RequestState }>;
}

const money = (cents: number, lang: Lang) =>
  `${lang === 'en' ? 'CNY ' : '¥'}${(cents / 100).toFixed(2)}`;

function feeSection(lang: Lang, view: StatusView, token: string): Html | null {
  const fee = view.fee;
  if (fee === null) return null;
  const t = TEXTS[lang];
  const decision =
    fee.state === 'quoted'
      ? markup`<form method="post" action="${action(`${statusPath(view.id)}/fee`, lang)}" accept-charset="utf-8" class="actions">
<input type="hidden" name="token" value="${token}">
<input type="hidden" name="lang" value="${lang}">
<button type="submit" name="decision" value="accept">${t.feeAccept}</button>
<button type="submit" name="decision" value="decline" class="secondary">${t.feeDecline}</button>
</form>`
      : markup`<p>${fee.state === 'accepted' ? t.feeAccepted : t.feeDeclined}</p>`;
  return markup`<h2>${t.feeTitle}</h2>
<p>${t.feeQuote(money(fee.amountCents, lang))}</p>
${decision}`;
}

function refusalSection(lang: Lang, view: StatusView): Html | null {
  const refusal = view.refusal;
  if (refusal === null) return null;
  const t = TEXTS[lang];
  const reason =
    refusal.reason !== null ? markup`<dt>${t.refusalReason}</dt><dd>${refusal.reason}</dd>` : null;
  const complaint =
    refusal.complaintContact !== null
      ? markup`<dt>${t.privacyContact}</dt><dd>${refusal.complaintContact}</dd>`
      : null;
  return markup`<h2>${t.refusalTitle}</h2>
<dl class="facts">
<dt>${t.refusalGround}</dt><dd>${refusal.ground}</dd>
${reason}
${complaint}
</dl>
<p>${t.refusalRights}</p>`;
}

function forwardedSection(lang: Lang, view: StatusView): Html | null {
  const forwarded = view.forwarded;
  if (forwarded === null) return null;
  const t = TEXTS[lang];
  const contact =
    forwarded.contact !== null ? markup`<p>${t.forwardedContact}: ${forwarded.contact}</p>` : null;
  return markup`<h2>${t.forwardedTitle}</h2>
<p>${t.forwardedText(forwarded.controllerName)}</p>
${contact}`;
}

function partsSection(lang: Lang, view: StatusView): Html | null {
  if (view.parts.length === 0) return null;
  const t = TEXTS[lang];
  const rows = view.parts.map(
    (p) => markup`<dt>${p.controllerName}</dt><dd>${t.states[p.status]}</dd>`,
  );
  return markup`<h2>${t.partsTitle}</h2>
<p>${t.partsText}</p>
<dl class="facts">
${rows}
</dl>`;
}

function withdrawSection(lang: Lang, view: StatusView, token: string): Html | null {
  if (!view.canWithdraw) return null;
  const t = TEXTS[lang];
  return markup`<h2>${t.withdrawTitle}</h2>
<p>${t.withdrawText}</p>
<form method="post" action="${action(`${statusPath(view.id)}/withdraw`, lang)}" accept-charset="utf-8" class="actions">
<input type="hidden" name="token" value="${token}">
<input type="hidden" name="lang" value="${lang}">
<button type="submit" class="secondary">${t.withdrawSubmit}</button>
</form>`;
}

/** The status page of one request (reached only with its token). */
export function statusPage(
  lang: Lang,
  view: StatusView,
  token: string,
  options: { notice?: string; errors?: FieldErrors; contact: string | null },
): string {
  const t = TEXTS[lang];
  const errors = options.errors ?? {};
  const notice =
    options.notice !== undefined
      ? markup`<p class="notice" role="status">${options.notice}</p>`
      : null;
  const due = view.dueAt !== null ? formatTime(view.dueAt, lang) : t.dueAtPaused;
  const verify = view.awaitingCode
    ? markup`<h2>${t.verifyTitle}</h2>
${verifyForm(lang, view.id, token, errors)}`
    : null;
  const body = markup`${notice}
${errorSummary(lang, errors)}
<dl class="facts">
<dt>${t.reference}</dt><dd class="reference">${view.id}</dd>
<dt>${t.typeLabel}</dt><dd>${t.types[view.type].label}</dd>
<dt>${t.stateLabel}</dt><dd><strong>${t.states[view.status]}</strong></dd>
<dt>${t.receivedAt}</dt><dd>${formatTime(view.receivedAt, lang)}</dd>
<dt>${t.dueAt}</dt><dd>${due}</dd>
</dl>
${verify}
${feeSection(lang, view, token)}
${refusalSection(lang, view)}
${forwardedSection(lang, view)}
${partsSection(lang, view)}
${withdrawSection(lang, view, token)}`;
  return page(lang, t.statusTitle, body, {
    otherLanguageHref: statusHref(view.id, token, t.otherLanguage.lang),
    contact: options.contact,
  });
}

/** A short page with a title, one paragraph and a way back to the form. */
export function messagePage(
  lang: Lang,
  title: string,
  text: string,
  contact: string | null,
): string {
  const body = markup`<p>${text}</p>
    <p><a href="${FORM_PATH}?lang=${lang}">${TEXTS[lang].backToForm}</a></p>`;
  return page(lang, title, body, { contact });
}
