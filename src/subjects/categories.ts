// The built-in kinds of personal information and how each is validated, indexed for lookup and
// masked for display. A record may carry any category of the data-map taxonomy that its purpose
// declares; categories not listed here are stored as trimmed text and masked as text.
import {
  normalizeCnResidentId,
  normalizeEmail,
  normalizeIdNumber,
  normalizePhone,
  type IdentifierKind,
} from '../crypto/normalize.js';
import type { MaskKind } from '../desensitize/mask.js';

export interface Category {
  mask: MaskKind;
  /** Identifiers get a blind index so the subject can be found by them. */
  identifier?: IdentifierKind;
  /** Canonical form to store and index, or null when the value is not valid for the category. */
  normalise?: (raw: string) => string | null;
}

export const CATEGORIES = {
  email: { mask: 'email', identifier: 'email', normalise: normalizeEmail },
  phone: { mask: 'phone', identifier: 'phone', normalise: (v) => normalizePhone(v) },
  name: { mask: 'name' },
  cn_resident_id: {
    mask: 'cn_resident_id',
    identifier: 'cn_resident_id',
    normalise: (v) => normalizeCnResidentId(v),
  },
  passport: { mask: 'id_number', identifier: 'passport', normalise: normalizeIdNumber },
  id_number: { mask: 'id_number', identifier: 'id_number', normalise: normalizeIdNumber },
  address: { mask: 'address' },
  location: { mask: 'address' },
  company: { mask: 'text' },
  birth_date: { mask: 'date' },
  bank_card: { mask: 'bank_card' },
  ip_address: { mask: 'ip' },
  face_image: { mask: 'text' },
  health: { mask: 'text' },
  free_text: { mask: 'text' },
} satisfies Record<string, Category>;

export type CategoryName = keyof typeof CATEGORIES;
export const CATEGORY_NAMES = Object.keys(CATEGORIES) as readonly CategoryName[];

export const categoryOf = (name: string): Category | undefined =>
  (CATEGORIES as Record<string, Category>)[name];
