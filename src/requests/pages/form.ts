// The request form as the browser sends it (application/x-www-form-urlencoded), read into plain
// values and checked field by field so each problem can be shown next to its field in the
// person's language. The service checks again; these checks exist for the person, not for safety.
import { normalizeEmail, normalizePhone } from '../../crypto/normalize.js';
import { REQUEST_TYPES, type Lang, type RequestType, type SubmitInput } from '../contracts.js';
import { TEXTS } from './texts.js';

export const FORM_FIELDS = ['type', 'name', 'email', 'phone', 'details', 'controller'] as const;
export type FormField = (typeof FORM_FIELDS)[number];

/** What the person typed, kept as typed so a re-rendered form shows it again (escaped). */
export type FormValues = Record<FormField, string>;
export type FieldErrors = Partial<Record<FormField | 'code', string>>;

/** Longest accepted value per field, shared with the form's maxlength attributes. */
export const LIMITS: Record<Exclude<FormField, 'type' | 'controller'>, number> = {
  name: 200,
  email: 254,
  phone: 32,
  details: 4000,
};

/** A form body must stay small: the longest legal form, percent-encoded, is well under this. */
export const FORM_BODY_LIMIT = 64 * 1024;

/**
 * Reads an urlencoded body. Only the first value of each name counts, and names we do not know
 * are dropped, so a crafted body cannot smuggle fields into the service call.
 */
export function parseForm(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    if (!Object.prototype.hasOwnProperty.call(out, k)) out[k] = v;
  }
  return out;
}

export function formValues(body: Record<string, string>): FormValues {
  const get = (k: FormField) => body[k] ?? '';
  return {
    type: get('type'),
    name: get('name'),
    email: get('email'),
    phone: get('phone'),
    details: get('details'),
    controller: get('controller'),
  };
}

const isRequestType = (v: string): v is RequestType =>
  (REQUEST_TYPES as readonly string[]).includes(v);

/**
 * Checks the values; returns the service input, or the problems by field. `controllers` are the
 * slugs a person may choose from (active controllers).
 */
export function checkForm(
  values: FormValues,
  lang: Lang,
  controllers: ReadonlySet<string>,
): { ok: true; input: SubmitInput } | { ok: false; errors: FieldErrors } {
  const t = TEXTS[lang].errors;
  const errors: FieldErrors = {};
  const type = values.type.trim();
  if (!isRequestType(type)) errors.type = t.type;
  const name = values.name.trim();
  const email = values.email.trim();
  const phone = values.phone.trim();
  const details = values.details.trim();
  const controller = values.controller.trim();
  for (const [field, value] of [
    ['name', name],
    ['email', email],
    ['phone', phone],
    ['details', details],
  ] as const) {
    if ([...value].length > LIMITS[field]) errors[field] = t.tooLong(LIMITS[field]);
  }
  if (email === '' && phone === '') errors.email = t.contact;
  if (email !== '' && errors.email === undefined && normalizeEmail(email) === null)
    errors.email = t.email;
  if (phone !== '' && errors.phone === undefined && normalizePhone(phone) === null)
    errors.phone = t.phone;
  if (controller !== '' && !controllers.has(controller)) errors.controller = t.controller;
  if (Object.keys(errors).length > 0 || !isRequestType(type)) return { ok: false, errors };
  return {
    ok: true,
    input: {
      type,
      channel: 'web',
      lang,
      name: name === '' ? undefined : name,
      email: email === '' ? undefined : email,
      phone: phone === '' ? undefined : phone,
      details: details === '' ? undefined : details,
      controller: controller === '' ? undefined : controller,
    },
  };
}

/**
 * Maps a service validation pointer (`/body/email`) to a form field, so a problem only the
 * service knows about is still shown in the right place.
 */
export function fieldOfPointer(pointer: string): FormField | 'code' | null {
  const last = pointer.split('/').filter((s) => s !== '')[1] ?? '';
  if (last === 'code') return 'code';
  return (FORM_FIELDS as readonly string[]).includes(last) ? (last as FormField) : null;
}
