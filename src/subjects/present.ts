// The allow-list of what leaves the server about a data subject. Values are masked unless the
// caller asked to reveal them (with the permission and a reason, audited by the caller).
import type { Row } from '../db/types.js';
import { maskValue } from '../desensitize/mask.js';
import { categoryOf } from './categories.js';

export interface OpenRecord {
  row: Row<'pi_records'>;
  value: string;
}

export function presentRecord(r: OpenRecord, reveal: boolean) {
  // Taxonomy categories without a masking rule of their own are masked as free text.
  const mask = categoryOf(r.row.category)?.mask ?? 'text';
  return {
    id: r.row.id,
    category: r.row.category,
    purpose: r.row.purpose,
    value: reveal ? r.value : maskValue(mask, r.value),
    masked: !reveal,
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
  return {
    id: subject.id,
    controllerId: subject.controller_id,
    status: subject.status,
    createdAt: subject.created_at,
    updatedAt: subject.updated_at,
    erasedAt: subject.erased_at,
    records: records.map((r) => presentRecord(r, options.reveal)),
  };
}

export function presentSubjectSummary(subject: Row<'subjects'>, recordCount: number) {
  return {
    id: subject.id,
    controllerId: subject.controller_id,
    status: subject.status,
    recordCount,
    createdAt: subject.created_at,
    erasedAt: subject.erased_at,
  };
}
