// The allow-list of what leaves the server about a data subject. Values are masked unless the
// caller asked to reveal them (with the permission and a reason, audited by the caller).
import type { Row } from '../db/types.js';
import { maskValue } from '../desensitize/mask.js';
import { categoryOf } from './categories.js';

export interface OpenRecord {
  row: Row<'pi_records'>;
  value: string;
}

/**
 * One record. `sensitive` marks every value of a minor (PIPL art. 28 counts all personal
 * information of a child under 14 as sensitive), so the console can handle it accordingly.
 */
export function presentRecord(r: OpenRecord, reveal: boolean, sensitive = false) {
  // Taxonomy categories without a masking rule of their own are masked as free text.
  const mask = categoryOf(r.row.category)?.mask ?? 'text';
  return {
    id: r.row.id,
    category: r.row.category,
    purpose: r.row.purpose,
    value: reveal ? r.value : maskValue(mask, r.value),
    masked: !reveal,
    sensitive,
    source: r.row.source,
    collectedAt: r.row.collected_at,
    expiresAt: r.row.expires_at,
    region: r.row.region,
  };
}

export function presentSubject(
  subject: Row<'subjects'>,
  records: readonly OpenRecord[],
  options: { reveal: boolean },
) {
  const minor = subject.minor === 1;
  return {
    id: subject.id,
    controllerId: subject.controller_id,
    status: subject.status,
    minor,
    createdAt: subject.created_at,
    updatedAt: subject.updated_at,
    erasedAt: subject.erased_at,
    records: records.map((r) => presentRecord(r, options.reveal, minor)),
  };
}

export function presentSubjectSummary(subject: Row<'subjects'>, recordCount: number) {
  return {
    id: subject.id,
    controllerId: subject.controller_id,
    status: subject.status,
    minor: subject.minor === 1,
    recordCount,
    createdAt: subject.created_at,
    erasedAt: subject.erased_at,
  };
}
