// Canonical forms for identifiers that feed blind indexes (keyed HMAC lookup columns).
//
// A blind index only finds a person if the value hashed at write time and the value hashed at
// lookup time are byte-for-byte identical, so every function here maps the many ways a human
// writes an identifier onto one string, and returns null for input that is not a plausible
// identifier of that kind (an invalid value must never be indexed, or it becomes a key nobody can
// reproduce). Every function is idempotent: normalizing a normalized value returns it unchanged.
// None of them throws on any string input.
import { domainToASCII } from 'node:url';
// The "max" metadata is used rather than the default ("min"): "min" validates by number length
// only, so it accepts e.g. the 10-digit "1381234123" or "+8612345678901" as valid Chinese numbers,
// while "max" checks the allocated number ranges (mobile prefixes included). A false "valid"
// would index a value that no real subject can ever ask about; the larger bundle is irrelevant on
// a server.
import { isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js/max';

/** The identifier kinds that have a canonical form for blind indexing. */
export type IdentifierKind = 'email' | 'phone' | 'cn_resident_id' | 'passport' | 'id_number';

const MAX_EMAIL_LENGTH = 254; // RFC 5321 path limit (256) minus the angle brackets
const MAX_LOCAL_PART_LENGTH = 64; // RFC 5321 §4.5.3.1.1, in octets
const MAX_DOMAIN_LABEL_LENGTH = 63; // RFC 1035 §2.3.4

// Dot-atom local part (RFC 5322 §3.2.3) widened to any non-ASCII character for internationalized
// addresses (RFC 6531). Quoted local parts are rejected: they are practically unused and their
// quoting rules would need a canonical form of their own.
const LOCAL_ATOM = /^[a-z0-9!#$%&'*+/=?^_`{|}~\u0080-\u{10FFFF}-]+$/u;
// After IDNA conversion every label is LDH (letters, digits, hyphen); IDN labels are "xn--" punycode.
const DOMAIN_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
// Controls, invisible format characters, separators and lone surrogates (ill-formed UTF-16 would
// be encoded as U+FFFD before hashing and collide).
const CONTROL_OR_SPACE = /[\p{Cc}\p{Cf}\p{Cs}\p{Z}]/u;
// Characters a domain may be written with before IDNA conversion. Anything else (notably "%",
// which the WHATWG host parser would percent-decode) is rejected up front.
const RAW_DOMAIN = /^[a-z0-9.\u0080-\u{10FFFF}-]+$/u;

/**
 * Canonical e-mail address: trimmed, NFKC, lower-cased, the domain in IDNA ASCII (punycode) form;
 * null when it does not have the shape of a deliverable address.
 *
 * The whole address is lower-cased although RFC 5321 lets the local part be case-sensitive: in
 * practice mailbox providers treat it case-insensitively, and for a data-subject request a missed
 * lookup (the person's records silently not found) is far worse than a rare false match between
 * two mailboxes differing only in case. Dots and "+tags" are NOT removed: that equivalence is
 * specific to some providers and would merge distinct people's addresses elsewhere.
 */
export function normalizeEmail(raw: string): string | null {
  // NFKC before and after lower-casing: lower-casing can produce sequences NFKC would rewrite.
  const value = raw.trim().normalize('NFKC').toLowerCase().normalize('NFKC');
  const at = value.indexOf('@');
  if (at < 0 || at !== value.lastIndexOf('@')) return null;
  const local = value.slice(0, at);
  const rawDomain = value.slice(at + 1);
  if (local.length === 0 || Buffer.byteLength(local, 'utf8') > MAX_LOCAL_PART_LENGTH) return null;
  if (CONTROL_OR_SPACE.test(local)) return null;
  if (!local.split('.').every((atom) => LOCAL_ATOM.test(atom))) return null;
  if (!RAW_DOMAIN.test(rawDomain) || CONTROL_OR_SPACE.test(rawDomain)) return null;
  // UTS #46 processing: Unicode domains become punycode so "例子.中国" and its xn-- form hash the
  // same; invalid punycode comes back as the empty string.
  const domain = domainToASCII(rawDomain);
  if (domain.length === 0) return null;
  const labels = domain.split('.');
  if (labels.length < 2) return null;
  for (const label of labels) {
    if (label.length > MAX_DOMAIN_LABEL_LENGTH || !DOMAIN_LABEL.test(label)) return null;
  }
  // An all-numeric top-level label means an IP address, not a mail domain (RFC 3696 §2).
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? '')) return null;
  const address = `${local}@${domain}`;
  return Buffer.byteLength(address, 'utf8') <= MAX_EMAIL_LENGTH ? address : null;
}

// Digits with the usual visual separators and an optional leading "+". libphonenumber would
// otherwise extract a number from arbitrary text ("call 138…", "tel:…", "… ext 5"), and an
// index key must come from a value that is a phone number, not one that contains one.
const PHONE_SHAPE = /^\+?[0-9().\s-]+$/;

/**
 * Canonical phone number in E.164 ("+8613812341234"), or null when it is not a valid number.
 *
 * Numbers without an international prefix are read in `defaultRegion` (mainland China by
 * default), so "138 1234 1234", "+86 138-1234-1234" and "0086 (138) 1234 1234" all give the same
 * key. Full-width digits are accepted (NFKC), letters and extensions are not.
 */
export function normalizePhone(raw: string, defaultRegion = 'CN'): string | null {
  const value = raw.normalize('NFKC').trim();
  // An unknown region is a caller error, but the contract is "null, never throws".
  if (!PHONE_SHAPE.test(value) || !isSupportedCountry(defaultRegion)) return null;
  const parsed = parsePhoneNumberFromString(value, defaultRegion);
  return parsed !== undefined && parsed.isValid() ? parsed.number : null;
}

const CN_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CN_ID_CHECK_CHARS = '10X98765432';
const CN_ID_SHAPE = /^[1-9][0-9]{16}[0-9X]$/;
const CN_OFFSET_MS = 8 * 60 * 60 * 1000; // birth dates are civil dates in China (UTC+8)

/**
 * Canonical 18-character PRC resident identity number (GB 11643-1999), or null.
 *
 * Spaces are removed and a trailing "x" upper-cased (both are common when typed); the region
 * code must start with 1-9, the embedded birth date must be a real calendar date from 1900 up to
 * today (China time), and the ISO 7064 MOD 11-2 check character must match. `now` exists for
 * tests; callers leave it out.
 */
export function normalizeCnResidentId(raw: string, now: Date = new Date()): string | null {
  const value = raw.normalize('NFKC').replace(/\s+/g, '').toUpperCase();
  if (!CN_ID_SHAPE.test(value)) return null;

  const year = Number(value.slice(6, 10));
  const month = Number(value.slice(10, 12));
  const day = Number(value.slice(12, 14));
  if (year < 1900 || month < 1 || month > 12 || day < 1) return null;
  // Day 0 of the next month is the last day of this one; UTC avoids DST and zone surprises.
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return null;
  const today = new Date(now.getTime() + CN_OFFSET_MS);
  const todayKey =
    today.getUTCFullYear() * 10_000 + (today.getUTCMonth() + 1) * 100 + today.getUTCDate();
  if (year * 10_000 + month * 100 + day > todayKey) return null;

  let sum = 0;
  for (let i = 0; i < CN_ID_WEIGHTS.length; i += 1) {
    sum += Number(value[i]) * (CN_ID_WEIGHTS[i] ?? 0);
  }
  return value[17] === CN_ID_CHECK_CHARS[sum % 11] ? value : null;
}

/**
 * Canonical generic document number (passport, driving licence, foreign ID …), or null.
 *
 * NFKC (full-width characters become ASCII), spaces and hyphens removed, upper-cased; the result
 * must be 4-64 ASCII letters and digits. The character set is checked before upper-casing, so
 * non-ASCII letters that upper-case to ASCII ("ß" → "SS", "ı" → "I") are rejected rather than
 * silently folded onto someone else's number.
 */
export function normalizeIdNumber(raw: string): string | null {
  const value = raw.normalize('NFKC').replace(/[\s\-\u2010\u2011\u2012\u2013\u2014\u2212]+/g, '');
  if (!/^[A-Za-z0-9]{4,64}$/.test(value)) return null;
  return value.toUpperCase();
}

/** Canonical form of `raw` as an identifier of `kind`; passports use the generic document rule. */
export function normalizeIdentifier(kind: IdentifierKind, raw: string): string | null {
  switch (kind) {
    case 'email':
      return normalizeEmail(raw);
    case 'phone':
      return normalizePhone(raw);
    case 'cn_resident_id':
      return normalizeCnResidentId(raw);
    case 'passport':
    case 'id_number':
      return normalizeIdNumber(raw);
  }
}
