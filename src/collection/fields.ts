// What a collection form may ask for, read from the data map, and the checks every submission
// passes before anything is written, shared by the API and the web page (PIPL art. 6 and GB/T
// 35273 §5.1: collect only what the purpose declares). A problem names the field and what is wrong
// with it in a closed vocabulary, so the API can phrase it in English and the page in the
// person's language; no problem ever quotes the value.
import { normalizeEmail } from '../crypto/normalize.js';
import type { Db, Trx } from '../db/store.js';
import type { LegalBasis } from '../datamap/tables.js';
import { categoryOf } from '../subjects/categories.js';

export type Lang = 'zh-CN' | 'en';

/** The purpose a form collects for when none is named. */
export const DEFAULT_PURPOSE = 'consultation';

/** Where the age question lives: a purpose declaring this category asks for a birth date. */
export const BIRTH_DATE = 'birth_date';

export interface FormField {
  key: string;
  required: boolean;
  nameEn: string;
  nameZh: string;
}

export interface CollectionPurpose {
  key: string;
  nameEn: string;
  nameZh: string;
  legalBasis: LegalBasis;
  fields: FormField[];
}

/** A consent-based purpose the form offers as a separate, optional choice. */
export interface ConsentOffer {
  key: string;
  nameEn: string;
  nameZh: string;
  separate: boolean;
  /** Every category the purpose declares (what a grant lets it keep). */
  categories: string[];
}

/** Everything a check needs from the database. */
export interface FormContext {
  purpose: CollectionPurpose | null;
  policyVersionExists: boolean;
  offers: ConsentOffer[];
  /** Every active consent-based purpose, offered here or not. */
  consentPurposes: ReadonlySet<string>;
}

/** Input kinds, for checking and for the page's input elements. */
export type FieldKind = 'email' | 'phone' | 'date' | 'long_text' | 'text';

export const kindOf = (category: string): FieldKind =>
  category === 'email'
    ? 'email'
    : category === 'phone'
      ? 'phone'
      : category === BIRTH_DATE
        ? 'date'
        : category === 'free_text'
          ? 'long_text'
          : 'text';

/** Longest value per kind, in characters; the page's maxlength attributes use the same. */
export const FIELD_LIMITS: Record<FieldKind, number> = {
  email: 254,
  phone: 32,
  date: 10,
  long_text: 4000,
  text: 200,
};

// Display order only (the data map decides which fields exist): contact first, the question last.
const ORDER = ['name', 'phone', 'email', 'company', 'location', BIRTH_DATE];
const rank = (key: string) =>
  key === 'free_text' ? 1000 : ORDER.includes(key) ? ORDER.indexOf(key) : 100;

/**
 * A purpose of the data map with its active categories, or null when it is not an active
 * purpose. Field names come from the taxonomy, in both languages.
 */
export async function loadPurpose(db: Db | Trx, key: string): Promise<CollectionPurpose | null> {
  const purpose = await db
    .selectFrom('purposes')
    .select(['key', 'name_en', 'name_zh', 'legal_basis'])
    .where('key', '=', key)
    .where('status', '=', 'active')
    .executeTakeFirst();
  if (purpose === undefined) return null;
  const fields = await db
    .selectFrom('purpose_categories')
    .innerJoin('data_categories', 'data_categories.key', 'purpose_categories.category_key')
    .select([
      'purpose_categories.category_key as key',
      'purpose_categories.required',
      'data_categories.name_en',
      'data_categories.name_zh',
    ])
    .where('purpose_categories.purpose_key', '=', key)
    .where('data_categories.status', '=', 'active')
    .execute();
  return {
    key: purpose.key,
    nameEn: purpose.name_en,
    nameZh: purpose.name_zh,
    legalBasis: purpose.legal_basis,
    fields: fields
      .map((f) => ({
        key: f.key,
        required: f.required === 1,
        nameEn: f.name_en,
        nameZh: f.name_zh,
      }))
      .sort((a, b) => rank(a.key) - rank(b.key) || a.key.localeCompare(b.key)),
  };
}

/**
 * The consent-based purposes a form for `purpose` can offer: every active purpose based on
 * consent whose required categories the form itself collects (marketing by e-mail on a form that
 * asks for the e-mail address; never the banner's cookie purposes).
 */
async function consentPurposes(
  db: Db | Trx,
  purpose: CollectionPurpose | null,
): Promise<{ offers: ConsentOffer[]; all: Set<string> }> {
  const rows = await db
    .selectFrom('purposes')
    .select(['key', 'name_en', 'name_zh', 'separate_consent'])
    .where('legal_basis', '=', 'consent')
    .where('status', '=', 'active')
    .orderBy('key')
    .execute();
  const all = new Set(rows.map((r) => r.key));
  if (purpose === null || rows.length === 0) return { offers: [], all };
  const links = await db
    .selectFrom('purpose_categories')
    .select(['purpose_key', 'category_key', 'required'])
    .where(
      'purpose_key',
      'in',
      rows.map((r) => r.key),
    )
    .execute();
  const collected = new Set(purpose.fields.map((f) => f.key));
  const offers = rows
    .filter((r) => r.key !== purpose.key)
    .map((r) => {
      const own = links.filter((l) => l.purpose_key === r.key);
      return {
        offer: {
          key: r.key,
          nameEn: r.name_en,
          nameZh: r.name_zh,
          separate: r.separate_consent === 1,
          categories: own.map((l) => l.category_key).sort(),
        },
        needs: own.filter((l) => l.required === 1).map((l) => l.category_key),
      };
    })
    .filter((o) => o.needs.length > 0 && o.needs.every((c) => collected.has(c)))
    .map((o) => o.offer);
  return { offers, all };
}

/** Reads what checking a submission for `purposeKey` under `policyVersion` needs. */
export async function loadForm(
  db: Db | Trx,
  purposeKey: string,
  policyVersion: string | null,
): Promise<FormContext> {
  const purpose = await loadPurpose(db, purposeKey);
  const version =
    policyVersion === null
      ? undefined
      : await db
          .selectFrom('policy_versions')
          .select('version')
          .where('version', '=', policyVersion)
          .executeTakeFirst();
  const { offers, all } = await consentPurposes(db, purpose);
  return {
    purpose,
    policyVersionExists: version !== undefined,
    offers,
    consentPurposes: all,
  };
}

/** What the person sent, from the API or the page, before any check. */
export interface InquiryDraft {
  purpose: string;
  lang: Lang;
  policyVersion: string;
  fields: Readonly<Record<string, string>>;
  consents: Readonly<Record<string, boolean>>;
  guardianEmail?: string | undefined;
}

export type ProblemKind =
  | 'unknown_purpose'
  | 'unknown_policy'
  | 'undeclared'
  | 'required'
  | 'invalid'
  | 'too_long'
  | 'control'
  | 'future_date'
  | 'unknown_consent'
  | 'not_offered'
  | 'bundled'
  | 'minor_consent'
  | 'guardian_required'
  | 'guardian_not_asked'
  | 'guardian_same';

/** One thing wrong with a submission: where (a JSON pointer into the body) and what. */
export interface InputProblem {
  path: string;
  kind: ProblemKind;
  /** The field's category key, for field problems. */
  field?: string;
  max?: number;
}

export interface CheckedValue {
  category: string;
  /** Trimmed; identifiers are normalised again (and indexed) when stored. */
  value: string;
}

export interface CheckedInquiry {
  purpose: CollectionPurpose;
  lang: Lang;
  policyVersion: string;
  values: CheckedValue[];
  consents: Array<{ offer: ConsentOffer; granted: boolean }>;
  /** Under the minor age on the server's date: held until a guardian consents. */
  minor: boolean;
  /** Normalised; set only for a minor. */
  guardianEmail: string | null;
}

/**
 * Control characters (other than tab, and line breaks where text may span lines) or lone
 * surrogates, which databases would silently replace; the same rule as http/schemas.ts Text.
 */
function hasControl(value: string, multiline: boolean): boolean {
  for (const ch of value) {
    const c = ch.codePointAt(0) ?? 0;
    if (c === 0x09 || (multiline && (c === 0x0a || c === 0x0d))) continue;
    if (c < 0x20 || c === 0x7f || (c >= 0xd800 && c <= 0xdfff)) return true;
  }
  return false;
}
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const CN_OFFSET_MS = 8 * 3600_000;

/** The civil date in China (UTC+8, no daylight saving) as [year, month, day]. */
export function chinaDate(now: Date): [number, number, number] {
  const d = new Date(now.getTime() + CN_OFFSET_MS);
  return [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
}

/** [year, month, day] of a real calendar date written YYYY-MM-DD from 1900 on, else null. */
export function parseBirthDate(value: string): [number, number, number] | null {
  const m = DATE.exec(value);
  if (m === null) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < 1900 || mo < 1 || mo > 12 || d < 1) return null;
  if (d > new Date(Date.UTC(y, mo, 0)).getUTCDate()) return null;
  return [y, mo, d];
}

/** Completed years between a birth date and a day (a birthday counts on the day itself). */
export function ageOn(birth: [number, number, number], day: [number, number, number]): number {
  const [by, bm, bd] = birth;
  const [y, m, d] = day;
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}

const isAfter = (a: [number, number, number], b: [number, number, number]) =>
  a[0] * 10_000 + a[1] * 100 + a[2] > b[0] * 10_000 + b[1] * 100 + b[2];

/** Checks one value of a declared field; null when it is fine. */
function checkValue(
  key: string,
  value: string,
  today: [number, number, number],
): Omit<InputProblem, 'path' | 'field'> | null {
  const kind = kindOf(key);
  const max = FIELD_LIMITS[kind];
  if (hasControl(value, kind === 'long_text')) return { kind: 'control' };
  if ([...value].length > max) return { kind: 'too_long', max };
  if (kind === 'date') {
    const date = parseBirthDate(value);
    if (date === null) return { kind: 'invalid' };
    if (isAfter(date, today)) return { kind: 'future_date' };
    return null;
  }
  // Built-in identifiers (e-mail, phone, ID numbers) have a canonical form or are invalid.
  const normalise = categoryOf(key)?.normalise;
  if (normalise !== undefined && normalise(value) === null) return { kind: 'invalid' };
  return null;
}

/**
 * Checks a submission against the data map; every problem at once, or the checked values. Empty
 * optional fields count as absent. `now` gives the date ages are computed on (China's civil
 * date, as resident ID birth dates are).
 */
export function checkInquiry(
  form: FormContext,
  draft: InquiryDraft,
  now: Date,
  minorAge: number,
): { ok: true; inquiry: CheckedInquiry } | { ok: false; problems: InputProblem[] } {
  const problems: InputProblem[] = [];
  if (!form.policyVersionExists) problems.push({ path: '/policyVersion', kind: 'unknown_policy' });
  const purpose = form.purpose;
  if (purpose === null) {
    problems.push({ path: '/purpose', kind: 'unknown_purpose' });
    return { ok: false, problems };
  }
  const today = chinaDate(now);
  const declared = new Map(purpose.fields.map((f) => [f.key, f]));
  for (const key of Object.keys(draft.fields).sort())
    if (!declared.has(key))
      problems.push({ path: `/fields/${key}`, kind: 'undeclared', field: key });

  const values: CheckedValue[] = [];
  for (const field of purpose.fields) {
    const value = (draft.fields[field.key] ?? '').trim();
    const path = `/fields/${field.key}`;
    if (value === '') {
      if (field.required) problems.push({ path, kind: 'required', field: field.key });
      continue;
    }
    const problem = checkValue(field.key, value, today);
    if (problem !== null) problems.push({ path, field: field.key, ...problem });
    else values.push({ category: field.key, value });
  }

  const birth = values.find((v) => v.category === BIRTH_DATE);
  const birthDate = birth === undefined ? null : parseBirthDate(birth.value);
  const minor = birthDate !== null && ageOn(birthDate, today) < minorAge;

  const offers = new Map(form.offers.map((o) => [o.key, o]));
  const consents: CheckedInquiry['consents'] = [];
  for (const [key, granted] of Object.entries(draft.consents).sort(([a], [b]) =>
    a.localeCompare(b),
  )) {
    const path = `/consents/${key}`;
    const offer = offers.get(key);
    if (!form.consentPurposes.has(key)) problems.push({ path, kind: 'unknown_consent' });
    else if (offer === undefined) problems.push({ path, kind: 'not_offered' });
    // A child under the minor age cannot consent on their own (PIPL art. 31); declining is fine.
    else if (granted && minor) problems.push({ path, kind: 'minor_consent' });
    else consents.push({ offer, granted });
  }
  // A purpose needing separate consent (PIPL arts. 23, 25, 29, 39) is never granted in one
  // gesture with another consent; the form's own purpose counts when it rests on consent.
  const grants = consents.filter((c) => c.granted);
  const grantCount = grants.length + (purpose.legalBasis === 'consent' ? 1 : 0);
  for (const c of grants)
    if (c.offer.separate && grantCount > 1)
      problems.push({ path: `/consents/${c.offer.key}`, kind: 'bundled' });

  const rawGuardian = draft.guardianEmail?.trim() ?? '';
  let guardianEmail: string | null = null;
  if (!declared.has(BIRTH_DATE)) {
    if (rawGuardian !== '') problems.push({ path: '/guardianEmail', kind: 'guardian_not_asked' });
  } else if (minor) {
    guardianEmail = rawGuardian === '' ? null : normalizeEmail(rawGuardian);
    const own = values.find((v) => v.category === 'email');
    if (rawGuardian === '') problems.push({ path: '/guardianEmail', kind: 'guardian_required' });
    else if (guardianEmail === null) problems.push({ path: '/guardianEmail', kind: 'invalid' });
    else if (own !== undefined && normalizeEmail(own.value) === guardianEmail)
      problems.push({ path: '/guardianEmail', kind: 'guardian_same' });
  } else if (rawGuardian !== '' && normalizeEmail(rawGuardian) === null) {
    // Not needed for an adult (and then not kept), but a malformed one is still a mistake.
    problems.push({ path: '/guardianEmail', kind: 'invalid' });
  }

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    inquiry: {
      purpose,
      lang: draft.lang,
      policyVersion: draft.policyVersion,
      values,
      consents,
      minor,
      guardianEmail: minor ? guardianEmail : null,
    },
  };
}

/** The problem in English, for the API's problem document (never quoting the value). */
export function describeProblem(p: InputProblem, purpose: string, minorAge: number): string {
  switch (p.kind) {
    case 'unknown_purpose':
      return 'is not an active purpose in the data map';
    case 'unknown_policy':
      return 'is not a published policy version';
    case 'undeclared':
      return `is not a category the data map declares for purpose "${purpose}"`;
    case 'required':
      return 'is required';
    case 'invalid':
      return p.path === '/guardianEmail' || p.field === 'email'
        ? 'is not a valid e-mail address'
        : p.field === 'phone'
          ? 'is not a valid phone number (a mainland number, or +country code and number)'
          : p.field === BIRTH_DATE
            ? 'is not a real date written YYYY-MM-DD'
            : `is not a valid ${(p.field ?? 'value').replace(/_/g, ' ')}`;
    case 'too_long':
      return `is longer than ${p.max ?? 0} characters`;
    case 'control':
      return 'contains control characters or line breaks where none are allowed';
    case 'future_date':
      return 'is in the future';
    case 'unknown_consent':
      return 'is not a purpose based on consent in the data map';
    case 'not_offered':
      return 'is not offered on this form: the form does not collect what that purpose needs';
    case 'bundled':
      return 'needs separate consent and cannot be granted together with another consent';
    case 'minor_consent':
      return `cannot be granted by a person under ${minorAge}; a guardian decides`;
    case 'guardian_required':
      return `is required: the person is under ${minorAge}, so a guardian must verify and consent (PIPL art. 31)`;
    case 'guardian_not_asked':
      return 'is only taken on a form that asks for a birth date';
    case 'guardian_same':
      return 'must be the guardian’s own address, not the one given for the child';
    default:
      return p.kind satisfies never;
  }
}
