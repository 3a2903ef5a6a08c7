// Row types of the data-map tables (created by migrations/2026-11-28T01-00_datamap.ts).
// Conventions as in db/types.ts: ISO-8601 UTC text timestamps, 0/1 booleans, JSON text lists.

/** PIPL art. 13 ¶1 items 1–7: the lawful bases for processing personal information. */
export const LEGAL_BASES = [
  'consent',
  'contract',
  'legal_duty',
  'emergency',
  'public_interest_reporting',
  'public_data',
  'other_law',
] as const;
export type LegalBasis = (typeof LEGAL_BASES)[number];

/** What happens to a record when its purpose's retention period ends (PIPL art. 47). */
export const RETENTION_ENDS = ['delete', 'anonymise'] as const;
export type RetentionEnd = (typeof RETENTION_ENDS)[number];

/** Kinds of sensitive PI (PIPL art. 28; GB/T 35273-2020 appendix B). */
export const SENSITIVE_KINDS = [
  'biometric',
  'id_document',
  'financial',
  'health',
  'location',
  'minor',
  'religion',
  'specific_identity',
  'communications',
  'credentials',
  'online_activity',
  'criminal_record',
  'other',
] as const;
export type SensitiveKind = (typeof SENSITIVE_KINDS)[number];

export const RECIPIENT_KINDS = [
  'processor',
  'third_party',
  'joint_controller',
  'affiliate',
  'authority',
] as const;
export type RecipientKind = (typeof RECIPIENT_KINDS)[number];

export interface DataCategoriesTable {
  /** Stable code, e.g. `cn_resident_id`; PI records carry it. */
  key: string;
  name_en: string;
  name_zh: string;
  /** Grouping in the taxonomy, e.g. `identity`, `biometric`, `contact`. */
  group_key: string;
  description: string | null;
  sensitive: number;
  sensitive_kind: SensitiveKind | null;
  builtin: number;
  status: 'active' | 'retired';
  version: number;
  created_at: string;
  updated_at: string;
}

export interface PurposesTable {
  /** Stable code, e.g. `consultation`; PI records carry it. */
  key: string;
  name_en: string;
  name_zh: string;
  description: string | null;
  legal_basis: LegalBasis;
  /** Which law or which contract, when the basis is not consent. */
  legal_basis_ref: string | null;
  /** Why each declared category is necessary for the purpose (GB/T 35273 §5.1 minimisation). */
  necessity: string;
  retention_days: number;
  retention_end: RetentionEnd;
  /** `purpose`: kept only as long as the purpose needs; `statute`: a law sets the period. */
  retention_basis: 'purpose' | 'statute';
  separate_consent: number;
  automated_decision: number;
  status: 'active' | 'retired';
  version: number;
  created_at: string;
  updated_at: string;
}

export interface PurposeCategoriesTable {
  purpose_key: string;
  category_key: string;
  /** 1: collection needs it; 0: optional (the person may leave it out). */
  required: number;
}

export interface RecipientsTable {
  id: string;
  name: string;
  kind: RecipientKind;
  /** ISO 3166-1 alpha-2 country where the recipient processes the data. */
  country: string;
  contact: string | null;
  status: 'active' | 'retired';
  version: number;
  created_at: string;
  updated_at: string;
}

export interface SystemsTable {
  id: string;
  name: string;
  description: string | null;
  /** Where the data is stored: ISO 3166 country or subdivision, e.g. `CN`, `CN-BJ`, `SG`. */
  region: string;
  /** Who runs it: ourselves, or a processor (then `operator_recipient_id` names them). */
  operator: 'internal' | 'processor';
  operator_recipient_id: string | null;
  status: 'active' | 'retired';
  version: number;
  created_at: string;
  updated_at: string;
}

export interface SystemCategoriesTable {
  system_id: string;
  category_key: string;
}

export interface SystemPurposesTable {
  system_id: string;
  purpose_key: string;
}

export interface SystemRecipientsTable {
  system_id: string;
  recipient_id: string;
}

/** Every version of every data-map entry, as it was: the map's history. */
export interface DatamapHistoryTable {
  id: string;
  entity_type: 'category' | 'purpose' | 'system' | 'recipient';
  entity_id: string;
  version: number;
  change: 'create' | 'update' | 'retire';
  /** JSON snapshot of the entry (with its links) after the change. */
  snapshot: string;
  actor_type: string;
  actor_id: string | null;
  at: string;
}

export interface DatamapTables {
  data_categories: DataCategoriesTable;
  purposes: PurposesTable;
  purpose_categories: PurposeCategoriesTable;
  recipients: RecipientsTable;
  systems: SystemsTable;
  system_categories: SystemCategoriesTable;
  system_purposes: SystemPurposesTable;
  system_recipients: SystemRecipientsTable;
  datamap_history: DatamapHistoryTable;
}
