// Allow-lists of data-map fields that leave the server, and the snapshots kept in the history.
// The data map describes processing, not people: it holds no personal information of subjects.
import type { Row } from '../db/types.js';

export interface PurposeEntry {
  row: Row<'purposes'>;
  categories: Array<{ key: string; required: boolean }>;
}

export interface SystemEntry {
  row: Row<'systems'>;
  categoryKeys: string[];
  purposeKeys: string[];
  recipientIds: string[];
}

export function presentCategory(row: Row<'data_categories'>) {
  return {
    key: row.key,
    nameEn: row.name_en,
    nameZh: row.name_zh,
    groupKey: row.group_key,
    description: row.description,
    sensitive: row.sensitive === 1,
    sensitiveKind: row.sensitive_kind,
    builtin: row.builtin === 1,
    status: row.status,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function presentPurpose(entry: PurposeEntry) {
  const { row } = entry;
  return {
    key: row.key,
    nameEn: row.name_en,
    nameZh: row.name_zh,
    description: row.description,
    legalBasis: row.legal_basis,
    legalBasisRef: row.legal_basis_ref,
    necessity: row.necessity,
    retentionDays: row.retention_days,
    retentionEnd: row.retention_end,
    retentionBasis: row.retention_basis,
    separateConsent: row.separate_consent === 1,
    automatedDecision: row.automated_decision === 1,
    categories: entry.categories,
    status: row.status,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function presentRecipient(row: Row<'recipients'>) {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    country: row.country,
    contact: row.contact,
    status: row.status,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function presentSystem(entry: SystemEntry) {
  const { row } = entry;
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    region: row.region,
    operator: row.operator,
    operatorRecipientId: row.operator_recipient_id,
    categoryKeys: entry.categoryKeys,
    purposeKeys: entry.purposeKeys,
    recipientIds: entry.recipientIds,
    status: row.status,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * History snapshots keep the stored columns plus the links, in the shape the seed migration
 * wrote for version 1, so every version of an entry reads the same way.
 */
export const purposeSnapshot = (e: PurposeEntry) => ({ ...e.row, categories: e.categories });
export const systemSnapshot = (e: SystemEntry) => ({
  ...e.row,
  category_keys: e.categoryKeys,
  purpose_keys: e.purposeKeys,
  recipient_ids: e.recipientIds,
});

/** Names of the presented fields whose values differ between two versions of an entry. */
export function changedFields(before: object, after: object): string[] {
  const skip = new Set(['version', 'updatedAt', 'createdAt']);
  const a = before as Record<string, unknown>;
  const b = after as Record<string, unknown>;
  return Object.keys(b)
    .filter((k) => !skip.has(k) && JSON.stringify(a[k]) !== JSON.stringify(b[k]))
    .sort();
}
