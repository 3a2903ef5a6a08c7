// What the store holds about one person, opened and joined with the data map: each record with its
// category names, its purpose and that purpose's legal basis and retention. Used by every
// fulfilment that reports on or acts on records (PIPL arts. 45, 47, 48).
import type { AppContext } from '../../context.js';
import type { Trx } from '../../db/store.js';
import type { LegalBasis } from '../../datamap/tables.js';
import { disclosuresOfSubject } from '../../registers/disclosures/service.js';
import { openRecords } from '../../subjects/records.js';

export interface HeldRecord {
  id: string;
  category: string;
  categoryName: { zh: string; en: string };
  sensitive: boolean;
  purpose: string;
  purposeName: { zh: string; en: string };
  legalBasis: LegalBasis | null;
  legalBasisRef: string | null;
  retentionDays: number | null;
  retentionBasis: 'purpose' | 'statute' | null;
  /** The value in clear: only ever placed in the sealed package, never logged or presented. */
  value: string;
  source: string;
  collectedAt: string;
  expiresAt: string | null;
  region: string;
  controllerId: string;
  subjectId: string;
}

/** Opens every record of a subject and describes it from the data map. */
export async function heldRecords(
  ctx: AppContext,
  trx: Trx,
  subjectId: string,
): Promise<HeldRecord[]> {
  const open = await openRecords(ctx, trx, subjectId);
  if (open.length === 0) return [];
  const categoryKeys = [...new Set(open.map((r) => r.row.category))];
  const purposeKeys = [...new Set(open.map((r) => r.row.purpose))];
  const categories = new Map(
    (
      await trx
        .selectFrom('data_categories')
        .select(['key', 'name_zh', 'name_en', 'sensitive'])
        .where('key', 'in', categoryKeys)
        .execute()
    ).map((c) => [c.key, c]),
  );
  const purposes = new Map(
    (
      await trx
        .selectFrom('purposes')
        .select([
          'key',
          'name_zh',
          'name_en',
          'legal_basis',
          'legal_basis_ref',
          'retention_days',
          'retention_basis',
        ])
        .where('key', 'in', purposeKeys)
        .execute()
    ).map((p) => [p.key, p]),
  );
  return open.map(({ row, value }) => {
    const c = categories.get(row.category);
    const p = purposes.get(row.purpose);
    return {
      id: row.id,
      category: row.category,
      // A category or purpose missing from the map is named by its key rather than dropped.
      categoryName: { zh: c?.name_zh ?? row.category, en: c?.name_en ?? row.category },
      sensitive: c?.sensitive === 1,
      purpose: row.purpose,
      purposeName: { zh: p?.name_zh ?? row.purpose, en: p?.name_en ?? row.purpose },
      legalBasis: p?.legal_basis ?? null,
      legalBasisRef: p?.legal_basis_ref ?? null,
      retentionDays: p?.retention_days ?? null,
      retentionBasis: p?.retention_basis ?? null,
      value,
      source: row.source,
      collectedAt: row.collected_at,
      expiresAt: row.expires_at,
      region: row.region,
      controllerId: row.controller_id,
      subjectId: row.subject_id,
    };
  });
}

/** Sorted distinct values, for outcome lines and audit details. */
export const distinct = (values: Iterable<string>): string[] => [...new Set(values)].sort();

/**
 * Who received the person's information, from the disclosure register (PIPL art. 45's access
 * report; GB/T 35273 §8.2: corrections and deletions are passed on to them). Recipients are
 * organisations, named as registered; no personal value is involved.
 */
export async function recipientsOf(
  trx: Trx,
  subjectId: string,
): Promise<Array<{ name: string; kind: string; country: string; categories: string[] }>> {
  const byRecipient = new Map<
    string,
    { name: string; kind: string; country: string; categories: string[] }
  >();
  for (const d of await disclosuresOfSubject(trx, subjectId)) {
    const seen = byRecipient.get(d.recipient.id);
    if (seen) seen.categories = distinct([...seen.categories, ...d.categories]);
    else
      byRecipient.set(d.recipient.id, {
        name: d.recipient.name,
        kind: d.recipient.kind,
        country: d.recipient.country,
        categories: distinct(d.categories),
      });
  }
  return [...byRecipient.values()].sort((a, b) => a.name.localeCompare(b.name));
}
