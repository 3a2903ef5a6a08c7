// Row types of the disclosure, law-enforcement, transfer-of-control and cross-border transfer
// registers (created by migrations/2026-11-28T01-20_registers.ts). Conventions as in db/types.ts:
// ISO-8601 UTC text timestamps, 0/1 booleans, JSON text lists.

/** Cross-border transfer mechanisms (PIPL art. 38; 2024 Cross-Border Data Flow Provisions). */
export const TRANSFER_MECHANISMS = [
  'security_assessment',
  'standard_contract',
  'certification',
  'exemption',
] as const;
export type TransferMechanism = (typeof TRANSFER_MECHANISMS)[number];

/** Grounds of the 2024 Provisions that exempt a transfer from assessment, contract and certification. */
export const EXEMPTION_GROUNDS = [
  'contract_necessity',
  'hr_management',
  'emergency',
  'small_volume',
  'collected_abroad',
] as const;
export type ExemptionGround = (typeof EXEMPTION_GROUNDS)[number];

export const TRANSFER_STATUSES = ['draft', 'approved', 'revoked', 'expired'] as const;
export type TransferStatus = (typeof TRANSFER_STATUSES)[number];

export const LE_STATUSES = ['received', 'granted', 'partially_granted', 'refused'] as const;
export type LeStatus = (typeof LE_STATUSES)[number];

export const CONTROL_TRANSFER_KINDS = [
  'merger',
  'acquisition',
  'division',
  'asset_sale',
  'bankruptcy',
  'other',
] as const;
export type ControlTransferKind = (typeof CONTROL_TRANSFER_KINDS)[number];

/** One provision or public disclosure of PI to another party (PIPL arts. 23, 25). */
export interface DisclosuresTable {
  id: string;
  controller_id: string;
  recipient_id: string;
  purpose: string;
  /** JSON list of data-map category keys. */
  categories: string;
  legal_basis: string;
  /** The separate consent (PIPL arts. 23, 25) relied on when the basis is consent. */
  separate_consent_ref: string | null;
  /**
   * The data-map purpose (consent basis) whose separate consent the entry relies on; when set,
   * delivery requires each person's current ledger grant of it.
   */
  consent_purpose: string | null;
  persons_count: number;
  disclosed_at: string;
  le_request_id: string | null;
  transfer_id: string | null;
  note: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}

/** Who was disclosed under an entry: a delivery through Custos or a granted authority request. */
export interface DisclosureSubjectsTable {
  id: string;
  disclosure_id: string;
  subject_id: string;
  controller_id: string;
  /** JSON list of the categories that actually went out for this person. */
  categories: string;
  records: number;
  via: 'delivery' | 'le_request';
  delivered_at: string;
}

/** A law-enforcement, court or other authority request for PI, with its decision. */
export interface LeRequestsTable {
  id: string;
  controller_id: string;
  authority: string;
  authority_country: string;
  instrument_ref: string;
  received_at: string;
  scope_requested: string;
  /** JSON list of subject ids the request names. */
  subject_ids: string;
  status: LeStatus;
  decision_reason: string | null;
  disclosed_categories: string | null;
  disclosed_summary: string | null;
  /** PIPL art. 41: approval of the competent PRC authority for a foreign request. */
  competent_approval_ref: string | null;
  decided_at: string | null;
  disclosure_id: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}

/** A merger, division, sale or similar passing PI to another party (PIPL art. 22). */
export interface ControlTransfersTable {
  id: string;
  controller_id: string;
  kind: ControlTransferKind;
  counterparty: string;
  counterparty_country: string;
  effective_at: string;
  categories: string;
  persons_count: number;
  /** JSON list of data-map system ids that move to the new party. */
  systems: string;
  obligations_note: string;
  notification_ref: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}

/** A cross-border transfer and the mechanism that makes it lawful (PIPL arts. 38–40). */
export interface TransfersTable {
  id: string;
  recipient_id: string;
  destination_country: string;
  mechanism: TransferMechanism;
  mechanism_ref: string | null;
  exemption_ground: ExemptionGround | null;
  categories: string;
  purposes: string;
  expected_yearly_persons: number;
  approved_at: string | null;
  expires_at: string | null;
  status: 'draft' | 'approved' | 'revoked';
  revoked_at: string | null;
  revoke_reason: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}

/** Persons sent abroad: one row per transfer, calendar year, person and sensitivity. */
export interface TransferPersonsTable {
  transfer_id: string;
  year: number;
  subject_id: string;
  sensitive: number;
  first_at: string;
}

/** Threshold warnings already raised, so each is raised once per year. */
export interface TransferWarningsTable {
  year: number;
  threshold: string;
  persons: number;
  warned_at: string;
}

/** Every version of every register entry, as it was (corrections never overwrite history). */
export interface RegisterHistoryTable {
  id: string;
  entity_type: 'disclosure' | 'le_request' | 'control_transfer' | 'transfer';
  entity_id: string;
  version: number;
  snapshot: string;
  actor_type: string;
  actor_id: string | null;
  at: string;
}

export interface RegisterTables {
  disclosures: DisclosuresTable;
  disclosure_subjects: DisclosureSubjectsTable;
  le_requests: LeRequestsTable;
  control_transfers: ControlTransfersTable;
  transfers: TransfersTable;
  transfer_persons: TransferPersonsTable;
  transfer_warnings: TransferWarningsTable;
  register_history: RegisterHistoryTable;
}
