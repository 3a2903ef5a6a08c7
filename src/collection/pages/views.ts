// The consultation page: the form built from the data map (a field per declared category, labelled
// with the taxonomy's name), the notice of the purpose, a separate unticked box per optional
// consent with its own notice, and the confirmation. Pure functions from values to HTML; every
// value is escaped where it is written.
import { formatTime } from '../../notify/render.js';
import {
  BIRTH_DATE,
  FIELD_LIMITS,
  kindOf,
  type CollectionPurpose,
  type ConsentOffer,
  type FormField,
  type Lang,
} from '../fields.js';
import type { Notice } from '../notices.js';
import { described, errorLine, errorSummary, markup, sitePage, type Html } from './layout.js';
import { COMMON, TEXTS } from './texts.js';

export const CONSULT_PATH = '/privacy/consult';

/** What the person typed, kept as typed so a re-rendered form shows it again (escaped). */
export interface ConsultValues {
  fields: Record<string, string>;
  consents: Record<string, boolean>;
  guardianEmail: string;
}

/** Problems by the id stem of their field: a category key, `consent-<key>`, `guardianEmail`, `form`. */
export type PageErrors = Record<string, string>;

export interface ConsultForm {
  purpose: CollectionPurpose;
  offers: readonly ConsentOffer[];
  policyVersion: string;
  notices: ReadonlyMap<string, Notice>;
  minorAge: number;
}

const nameOf = (lang: Lang, x: { nameEn: string; nameZh: string }) =>
  lang === 'en' ? x.nameEn : x.nameZh;

/** The element a summary entry links to. */
export const targetOf = (base: string) => (base === 'form' ? 'consult-form' : `field-${base}`);

const action = (lang: Lang) => `${CONSULT_PATH}?lang=${lang}`;

const INPUT_TYPE = { email: 'email', phone: 'tel', date: 'date', text: 'text' } as const;
const AUTOCOMPLETE: Record<string, string> = {
  name: 'name',
  email: 'email',
  phone: 'tel',
  company: 'organization',
  location: 'address-level2',
  [BIRTH_DATE]: 'bday',
};

function fieldInput(lang: Lang, field: FormField, value: string, errors: PageErrors): Html {
  const t = TEXTS[lang];
  const c = COMMON[lang];
  const kind = kindOf(field.key);
  const base = field.key;
  const hintText = kind === 'text' ? null : t.hints[kind];
  const hint = hintText === null ? null : markup`<p class="hint" id="${base}-hint">${hintText}</p>`;
  const aria = described(errors, base, hintText === null ? [] : [`${base}-hint`]);
  const required = field.required ? markup` required aria-required="true"` : null;
  const label = markup`<label for="field-${base}">${nameOf(lang, field)}${field.required ? c.required : c.optional}</label>`;
  const max = FIELD_LIMITS[kind];
  const control =
    kind === 'long_text'
      ? markup`<textarea id="field-${base}" name="${base}" rows="8" maxlength="${max}"${required}${aria}>
${value}</textarea>`
      : markup`<input type="${INPUT_TYPE[kind]}" id="field-${base}" name="${base}" value="${value}" maxlength="${max}" autocomplete="${AUTOCOMPLETE[base] ?? 'off'}"${required}${aria}>`;
  return markup`<div class="field">
${label}
${hint}
${errorLine(errors, base)}
${control}
</div>
`;
}

function guardianInput(lang: Lang, form: ConsultForm, value: string, errors: PageErrors): Html {
  const t = TEXTS[lang];
  const base = 'guardianEmail';
  return markup`<div class="field">
<label for="field-${base}">${t.guardianLabel}${COMMON[lang].optional}</label>
<p class="hint" id="${base}-hint">${t.guardianHint(form.minorAge)}</p>
${errorLine(errors, base)}
<input type="email" id="field-${base}" name="${base}" value="${value}" maxlength="${FIELD_LIMITS.email}" autocomplete="off"${described(errors, base, [`${base}-hint`])}>
</div>
`;
}

function noticeText(notice: Notice | undefined): Html | null {
  return notice === undefined ? null : markup`${notice.text}`;
}

function consentBox(
  lang: Lang,
  offer: ConsentOffer,
  form: ConsultForm,
  checked: boolean,
  errors: PageErrors,
): Html {
  const t = TEXTS[lang];
  const base = `consent-${offer.key}`;
  const notice = form.notices.get(offer.key);
  return markup`<div class="choice">
<input type="checkbox" id="field-${base}" name="consent.${offer.key}" value="yes"${checked ? markup` checked` : null}${described(errors, base, [`${base}-notice`, `${base}-hint`])}>
<label for="field-${base}">${t.consentLabel(nameOf(lang, offer))}</label>
<p class="hint" id="${base}-notice">${noticeText(notice)}</p>
<p class="hint" id="${base}-hint">${t.consentHint}</p>
${errorLine(errors, base)}
</div>
`;
}

/** The consultation form, empty or re-rendered with the person's values and a message per field. */
export function consultPage(
  lang: Lang,
  form: ConsultForm,
  values: ConsultValues,
  errors: PageErrors,
  contact: string | null,
): string {
  const t = TEXTS[lang];
  const own = form.notices.get(form.purpose.key);
  const asksAge = form.purpose.fields.some((f) => f.key === BIRTH_DATE);
  const consents =
    form.offers.length === 0
      ? null
      : markup`<fieldset>
<legend>${t.consentsTitle}</legend>
${form.offers.map((o) => consentBox(lang, o, form, values.consents[o.key] === true, errors))}</fieldset>
`;
  const body = markup`<p>${t.formIntro}</p>
${errorSummary(lang, errors, targetOf)}
${errorLine(errors, 'form')}
<form id="consult-form" method="post" action="${action(lang)}" accept-charset="utf-8">
<input type="hidden" name="lang" value="${lang}">
<input type="hidden" name="policyVersion" value="${form.policyVersion}">
${form.purpose.fields.map((f) => fieldInput(lang, f, values.fields[f.key] ?? '', errors))}
${asksAge ? guardianInput(lang, form, values.guardianEmail, errors) : null}
<section class="notice" aria-labelledby="notice-title">
<h2 id="notice-title">${t.noticeTitle}</h2>
<p id="notice-text">${noticeText(own)}</p>
<p>${t.noticeAck}</p>
</section>
${consents}
<div class="actions"><button type="submit">${t.submit}</button></div>
</form>`;
  return sitePage(lang, t.siteTitle, t.formTitle, body, {
    otherLanguageHref: `${CONSULT_PATH}?lang=${COMMON[lang].otherLanguage.lang}`,
    contact,
  });
}

export interface ConsultConfirmation {
  id: string;
  status: 'received' | 'held';
  receipt: string;
  deadlineAt: string | null;
}

/** Shown once after a submission: the reference, the receipt link and what happens next. */
export function confirmationPage(
  lang: Lang,
  result: ConsultConfirmation,
  options: { baseUrl: string; minorAge: number; contact: string | null },
): string {
  const t = TEXTS[lang];
  const next =
    result.status === 'held' && result.deadlineAt !== null
      ? markup`<p class="notice" role="status">${t.held(options.minorAge, formatTime(result.deadlineAt, lang))}</p>`
      : markup`<p>${t.nextStep}</p>`;
  const body = markup`${next}
<dl class="facts">
<dt>${t.reference}</dt><dd class="reference" id="reference">${result.id}</dd>
<dt>${t.receiptLink}</dt><dd class="link"><a id="receipt-link" href="${result.receipt}">${options.baseUrl}${result.receipt}</a></dd>
</dl>
<p class="hint">${t.receiptHint}</p>`;
  return sitePage(lang, t.siteTitle, t.confirmTitle, body, { contact: options.contact });
}

/** A short page with a title, one paragraph and a way back to the form. */
export function consultMessage(lang: Lang, title: string, text: string, contact: string | null) {
  const body = markup`<p>${text}</p>
<p><a href="${CONSULT_PATH}?lang=${lang}">${TEXTS[lang].backToForm}</a></p>`;
  return sitePage(lang, TEXTS[lang].siteTitle, title, body, { contact });
}
