// The consultation form as the browser sends it, read into plain values (only names the form
// has: a declared category, `consent.<purpose>` for an offered consent, `guardianEmail`), and the
// shared checks' problems turned into a message per field in the person's language.
import type { InputProblem, Lang } from '../fields.js';
import { TEXTS } from './texts.js';
import type { ConsultForm, ConsultValues, PageErrors } from './views.js';

/** Names the form itself sends besides its fields. */
const CONTROLS = new Set(['lang', 'policyVersion', 'guardianEmail']);

/**
 * Reads the posted body. A name the form does not have is kept as a field, so the shared checks
 * refuse it by name: a crafted post can neither slip an undeclared category past them nor have
 * it silently dropped.
 */
export function consultValues(
  form: ConsultForm,
  body: Readonly<Record<string, string>>,
): ConsultValues {
  const fields: Record<string, string> = {};
  for (const f of form.purpose.fields) fields[f.key] = body[f.key] ?? '';
  const offered = new Set(form.offers.map((o) => `consent.${o.key}`));
  for (const [name, value] of Object.entries(body))
    if (!Object.hasOwn(fields, name) && !CONTROLS.has(name) && !offered.has(name))
      fields[name] = value;
  const consents: Record<string, boolean> = {};
  // An unticked box sends nothing: the person saw the offer and declined it.
  for (const o of form.offers) consents[o.key] = body[`consent.${o.key}`] === 'yes';
  return { fields, consents, guardianEmail: body.guardianEmail ?? '' };
}

/** The id stem of the field a problem belongs to. */
export function baseOf(path: string): string {
  const [, part = '', key = ''] = path.split('/');
  if (part === 'fields' && key !== '') return key;
  if (part === 'consents' && key !== '') return `consent-${key}`;
  if (part === 'guardianEmail') return 'guardianEmail';
  return 'form';
}

/** One message per field (the first problem found for it); the form's own problems together. */
export function pageErrors(
  lang: Lang,
  problems: readonly InputProblem[],
  minorAge: number,
): PageErrors {
  const e = TEXTS[lang].errors;
  const out: PageErrors = {};
  for (const p of problems) {
    // A name the form does not have has no place on the page: it is reported for the form.
    const base = p.kind === 'undeclared' ? 'form' : baseOf(p.path);
    const message = messageOf(p);
    // Problems of the whole form are all shown; a field shows its first.
    if (out[base] === undefined) out[base] = message;
    else if (base === 'form' && !out[base].includes(message)) out[base] += ` ${message}`;
  }
  return out;

  function messageOf(p: InputProblem): string {
    switch (p.kind) {
      case 'required':
        return e.required;
      case 'invalid':
        return p.path === '/guardianEmail' || p.field === 'email'
          ? e.email
          : p.field === 'phone'
            ? e.phone
            : p.field === 'birth_date'
              ? e.date
              : e.generic;
      case 'future_date':
        return e.futureDate;
      case 'too_long':
        return e.tooLong(p.max ?? 0);
      case 'control':
        return e.control;
      case 'guardian_required':
        return e.guardianRequired(minorAge);
      case 'guardian_same':
        return e.guardianSame;
      case 'minor_consent':
        return e.minorConsent(minorAge);
      case 'unknown_policy':
      case 'unknown_purpose':
        return e.stale;
      case 'undeclared':
        return e.undeclared(p.field ?? '');
      case 'unknown_consent':
      case 'not_offered':
      case 'bundled':
      case 'guardian_not_asked':
        return e.generic;
      default:
        return p.kind satisfies never;
    }
  }
}
