// Row types of the consent and collection tables (created by migrations/2026-11-28T03-00_consent.ts).
// Conventions as in db/types.ts: ISO-8601 UTC text timestamps, 0/1 booleans, JSON text lists.
import type { ConsentDecision, ConsentMethod } from './contracts.js';

export interface PolicyVersionsTable {
  version: string;
  published_at: string;
  summary_en: string;
  summary_zh: string;
  /** JSON list of purpose keys whose notice changed in this version (they are asked again). */
  changed_purposes: string;
  created_at: string;
}

export interface ConsentNoticesTable {
  id: string;
  purpose_key: string;
  lang: 'zh-CN' | 'en';
  policy_version: string;
  /** The exact text shown to the person. */
  text: string;
  /** SHA-256 of `text` as UTF-8: a ledger record names it as proof of what was shown. */
  sha256: Buffer;
  created_at: string;
}

export interface CookieCategoriesTable {
  key: string;
  /** The data-map purpose a grant of this category is a consent to; null for essential. */
  purpose_key: string | null;
  essential: number;
  name_en: string;
  name_zh: string;
  /** JSON list of `{ name, cookies: string[] }` (cookie names; `*` is a wildcard suffix). */
  services: string;
  /** JSON list of Google Consent Mode v2 signals this category grants. */
  gcm: string;
  position: number;
  status: 'active' | 'retired';
  created_at: string;
  updated_at: string;
}

export interface ConsentRecordsTable {
  id: string;
  /** The person, when known (forms, requests, guardians). */
  subject_id: string | null;
  /** Keyed hash of a pseudonymous banner visitor id (never the id itself). */
  visitor_digest: Buffer | null;
  controller_id: string;
  purpose_key: string;
  decision: ConsentDecision;
  policy_version: string;
  /** SHA-256 of the notice text shown; null only for signals that showed none (GPC, DNT). */
  notice_sha256: Buffer | null;
  method: ConsentMethod;
  /** What caused it: `inquiry:<id>`, `request:<id>`, `guardian:<id>`, `banner`, … (never PI). */
  source: string | null;
  lang: 'zh-CN' | 'en';
  /** IPv4 /24 or IPv6 /48 of the client, never the full address. */
  ip_prefix: string | null;
  /** SHA-256 of the User-Agent header. */
  ua_hash: Buffer | null;
  gpc: number;
  dnt: number;
  created_at: string;
  /**
   * The audit event covering the record: its own `consent.record` event, or the `consent.batch`
   * event whose Merkle root includes it (bigint: a string on PostgreSQL).
   */
  audit_seq: number | string | null;
}

export interface ConsentReceiptTokensTable {
  token_hash: Buffer;
  subject_id: string;
  created_at: string;
  expires_at: string;
}

export interface InquiriesTable {
  id: string;
  subject_id: string;
  controller_id: string;
  purpose_key: string;
  lang: 'zh-CN' | 'en';
  policy_version: string;
  /** `received`, or `held` while a guardian's consent is awaited, `answered`, `deleted`. */
  status: 'received' | 'held' | 'answered' | 'deleted';
  channel: 'web' | 'api';
  created_at: string;
  updated_at: string;
}

export interface SuppressionsTable {
  /** Blind index of the normalised e-mail address (kind `email`). */
  digest: Buffer;
  reason: 'unsubscribe' | 'withdrawn' | 'staff' | 'erased';
  source: string | null;
  created_at: string;
}

export interface UnsubscribeTokensTable {
  id: string;
  token_hash: Buffer;
  digest: Buffer;
  subject_id: string | null;
  purpose_key: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export interface GuardianHoldsTable {
  id: string;
  minor_subject_id: string;
  guardian_subject_id: string | null;
  inquiry_id: string | null;
  lang: 'zh-CN' | 'en';
  status: 'pending' | 'code_sent' | 'consented' | 'refused' | 'expired';
  /** SHA-256 of the guardian link token (the link goes to the guardian's address only). */
  token_hash: Buffer;
  code_digest: Buffer | null;
  code_expires_at: string | null;
  attempts: number;
  deadline_at: string;
  created_at: string;
  decided_at: string | null;
}

export interface ConsentTables {
  policy_versions: PolicyVersionsTable;
  consent_notices: ConsentNoticesTable;
  cookie_categories: CookieCategoriesTable;
  consent_records: ConsentRecordsTable;
  consent_receipt_tokens: ConsentReceiptTokensTable;
  inquiries: InquiriesTable;
  suppressions: SuppressionsTable;
  unsubscribe_tokens: UnsubscribeTokensTable;
  guardian_holds: GuardianHoldsTable;
}
