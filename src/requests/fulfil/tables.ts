// Row types of the fulfilment tables (migration 2026-11-28T02-10_fulfilment.ts). Conventions as in
// db/types.ts: ISO-8601 UTC text timestamps, JSON text lists. None of these rows holds a personal
// value in clear: packages are sealed, corrections and tombstones record only what and when.

/** A response package (access / copy / portability) for the person to download. */
export interface RequestFilesTable {
  id: string;
  request_id: string;
  controller_id: string;
  subject_id: string | null;
  kind: 'package';
  file_name: string;
  media_type: string;
  /** The file sealed with the request's data key (owner `request`); null once expired or purged. */
  content_enc: Buffer | null;
  size_bytes: number;
  /** Hex SHA-256 of the clear file, printed nowhere but kept to prove what was handed out. */
  sha256: string;
  /** SHA-256 of the download token; the token itself exists only in the link sent to the person. */
  token_hash: Buffer;
  expires_at: string;
  downloads: number;
  last_download_at: string | null;
  purged_at: string | null;
  created_at: string;
}

/** One corrected value (PIPL art. 46): which record, when, by whom, on which request; no values. */
export interface RecordCorrectionsTable {
  id: string;
  record_id: string;
  subject_id: string;
  request_id: string | null;
  category: string;
  corrected_at: string;
  actor_type: string;
  actor_id: string | null;
}

/** What is left of a subject erased on request: enough to answer truthfully, no PI. */
export interface SubjectTombstonesTable {
  subject_id: string;
  controller_id: string;
  request_id: string | null;
  erased_at: string;
  reason_code:
    'deletion_request' | 'account_cancellation' | 'consent_withdrawn' | 'deceased_relative';
}

/** Processing restricted to storage (PIPL arts. 44, 47 ¶2), for every purpose or some. */
export interface SubjectRestrictionsTable {
  id: string;
  subject_id: string;
  controller_id: string;
  request_id: string | null;
  /** `all`, or a JSON list of purpose keys. */
  purposes: string;
  reason_code: 'restriction_request' | 'consent_withdrawn' | 'legal_hold_kept';
  since: string;
  lifted_at: string | null;
}

export interface FulfilmentTables {
  request_files: RequestFilesTable;
  record_corrections: RecordCorrectionsTable;
  subject_tombstones: SubjectTombstonesTable;
  subject_restrictions: SubjectRestrictionsTable;
}
