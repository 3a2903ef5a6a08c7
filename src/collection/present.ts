// The allow-list of what leaves the server about an inquiry. The list carries no personal value at
// all; the single view adds the submitted values masked (clear values only through the subject's
// audited reveal) and the consent records the submission made.
import type { Row } from '../db/types.js';
import { presentRecord, type OpenRecord } from '../subjects/present.js';

/** An inquiry as staff see it in a list: ids, states and times, no personal value. */
export function presentInquiry(row: Row<'inquiries'>, hold: Row<'guardian_holds'> | null) {
  return {
    id: row.id,
    purpose: row.purpose_key,
    lang: row.lang,
    policyVersion: row.policy_version,
    status: row.status,
    channel: row.channel,
    subjectId: row.subject_id,
    controllerId: row.controller_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    guardian:
      hold === null
        ? null
        : {
            holdId: hold.id,
            status: hold.status,
            deadlineAt: hold.deadline_at,
            decidedAt: hold.decided_at,
            guardianSubjectId: hold.guardian_subject_id,
          },
  };
}

/** One inquiry with its values masked (sensitive for a minor) and its consent records. */
export function presentInquiryDetail(
  row: Row<'inquiries'>,
  hold: Row<'guardian_holds'> | null,
  records: readonly OpenRecord[],
  consents: ReadonlyArray<Row<'consent_records'>>,
  minor: boolean,
) {
  return {
    ...presentInquiry(row, hold),
    minor,
    fields: records.map((r) => presentRecord(r, false, minor)),
    consents: consents.map((c) => ({
      id: c.id,
      subjectId: c.subject_id,
      purpose: c.purpose_key,
      decision: c.decision,
      method: c.method,
      policyVersion: c.policy_version,
      noticeSha256: c.notice_sha256 === null ? null : Buffer.from(c.notice_sha256).toString('hex'),
      source: c.source,
      createdAt: c.created_at,
    })),
  };
}
