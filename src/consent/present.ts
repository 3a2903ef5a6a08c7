// What leaves the server about ledger records: an allow-list. Staff see ids, never the visitor
// digest, network prefix or browser hash (kept as evidence in the database only); a receipt shows
// the person the history of their own decisions.
import type { Row } from '../db/types.js';
import type { PurposeState } from './ledger.js';

const hex = (b: Buffer | null): string | null =>
  b === null ? null : Buffer.from(b).toString('hex');

/** One ledger record for staff. */
export const presentRecord = (row: Row<'consent_records'>) => ({
  id: row.id,
  party: row.subject_id !== null ? ('subject' as const) : ('visitor' as const),
  subjectId: row.subject_id,
  controllerId: row.controller_id,
  purpose: row.purpose_key,
  decision: row.decision,
  method: row.method,
  source: row.source,
  policyVersion: row.policy_version,
  noticeSha256: hex(row.notice_sha256),
  lang: row.lang,
  gpc: row.gpc === 1,
  dnt: row.dnt === 1,
  at: row.created_at,
});

/** One event of a receipt's history. */
export const presentEvent = (row: Row<'consent_records'>) => ({
  time: row.created_at,
  decision: row.decision,
  method: row.method,
  policyVersion: row.policy_version,
  noticeSha256: hex(row.notice_sha256),
  language: row.lang,
});

/** The current state of a purpose, derived from its latest record. */
export const presentState = (s: PurposeState) => ({
  purpose: s.purpose,
  state: s.state,
  since: s.record?.created_at ?? null,
  recordId: s.record?.id ?? null,
});
