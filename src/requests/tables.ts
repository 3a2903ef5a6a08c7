// Row types of the rights-request tables (migration 2026-11-28T02-00_requests.ts).
import type { Lang, RequestChannel, RequestState, RequestType } from './contracts.js';

export interface RequestsTable {
  id: string;
  /** Set on the per-controller children of a request that spans several controllers. */
  parent_id: string | null;
  controller_id: string;
  /** The data subject the request was matched to, once identity is verified. */
  subject_id: string | null;
  type: RequestType;
  channel: RequestChannel;
  lang: Lang;
  status: RequestState;
  status_token_hash: Buffer;
  /** JSON {name, email, phone} sealed with the request's own data key (owner `request`). */
  contact_enc: Buffer | null;
  /** The person's own words, sealed likewise. */
  details_enc: Buffer | null;
  /** Blind indexes of the normalised e-mail / phone (lookup, repeat counting, dedupe). */
  email_digest: Buffer | null;
  phone_digest: Buffer | null;
  /** Hash of (type, contact, details) for deduplicating the same submission. */
  dedupe_digest: Buffer | null;
  received_at: string;
  verified_at: string | null;
  verification_channel: 'email' | 'sms' | null;
  due_at: string | null;
  alarm_at: string | null;
  /** Extension: when it was decided and notified, why, and the new due date. */
  extended_at: string | null;
  extension_reason: string | null;
  assigned_to: string | null;
  refusal_ground: string | null;
  refusal_reason: string | null;
  refusal_evidence_ref: string | null;
  refusal_approved_by: string | null;
  /** Who recorded the refusal and when; a ground needing a second approver waits for another officer. */
  refusal_proposed_by: string | null;
  refusal_proposed_at: string | null;
  fee_status: 'none' | 'flagged' | 'quoted' | 'accepted' | 'waived' | 'declined';
  fee_amount_cents: number | null;
  fee_cost_basis: string | null;
  fee_approved_by: string | null;
  forwarded_at: string | null;
  controller_response_at: string | null;
  /** The controller's answer, sealed with the request key. */
  controller_response_enc: Buffer | null;
  /** JSON: what was done (counts and kinds, never personal values), listed in the reply. */
  outcome: string | null;
  closed_at: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface RequestEventsTable {
  id: string;
  request_id: string;
  at: string;
  actor_type: string;
  actor_id: string | null;
  action: string;
  from_status: string | null;
  to_status: string | null;
  /** Staff reasons; checked to hold no personal values. */
  reason: string | null;
  details: string | null;
}

export interface RequestNotesTable {
  id: string;
  request_id: string;
  author_id: string;
  body_enc: Buffer;
  created_at: string;
}

export interface RequestVerificationsTable {
  id: string;
  request_id: string;
  channel: 'email' | 'sms';
  code_hash: Buffer;
  expires_at: string;
  attempts: number;
  max_attempts: number;
  created_at: string;
  verified_at: string | null;
  locked_at: string | null;
}

export interface RequestTables {
  requests: RequestsTable;
  request_events: RequestEventsTable;
  request_notes: RequestNotesTable;
  request_verifications: RequestVerificationsTable;
}
