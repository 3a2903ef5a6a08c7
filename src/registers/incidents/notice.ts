// The notice to persons affected by an incident (PIPL art. 57): built from the incident record
// and the data map's category names, rendered by the outbox's `incident_notice` template. It
// carries no personal data: the same text goes to everyone affected.
import type { Db, Trx } from '../../db/store.js';
import type { Row } from '../../db/types.js';
import { invalidField } from '../../errors.js';
import { renderTemplate, type IncidentNoticeParams } from '../../notify/templates.js';
import type { Lang } from '../../notify/tables.js';

export interface CategoryInfo {
  key: string;
  en: string;
  zh: string;
  sensitive: boolean;
}

/**
 * The data-map categories for `keys`, in the given order. With a `pointer`, an unknown key is a
 * 400 naming it; without one (keys already stored), unknown keys are skipped.
 */
export async function lookupCategories(
  db: Db | Trx,
  keys: readonly string[],
  pointer: string | null,
): Promise<CategoryInfo[]> {
  if (keys.length === 0) return [];
  const rows = await db
    .selectFrom('data_categories')
    .select(['key', 'name_en', 'name_zh', 'sensitive'])
    .where('key', 'in', [...keys])
    .execute();
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const out: CategoryInfo[] = [];
  keys.forEach((key, i) => {
    const r = byKey.get(key);
    if (r === undefined) {
      if (pointer !== null)
        throw invalidField(`${pointer}/${i}`, 'is not a category in the data map');
      return;
    }
    out.push({ key, en: r.name_en, zh: r.name_zh, sensitive: r.sensitive === 1 });
  });
  return out;
}

/** The parts PIPL art. 57 ¶1 requires that the incident record does not have yet. */
export function missingNoticeParts(row: Row<'incidents'>): string[] {
  const parts: Array<[string, string | null]> = [
    ['cause', row.cause],
    ['possibleHarm', row.possible_harm],
    ['remediesTaken', row.remedies_taken],
    ['personActions', row.person_actions],
    ['contact', row.contact],
  ];
  return parts.filter(([, v]) => v === null || v.trim() === '').map(([k]) => k);
}

// Shown in a preview where a required part is still missing; notices are never sent with it.
const MISSING = '—';

export interface Notice {
  params: IncidentNoticeParams;
  missing: string[];
  render: (lang: Lang) => ReturnType<typeof renderTemplate>;
}

export async function buildNotice(db: Db | Trx, row: Row<'incidents'>): Promise<Notice> {
  const categories = await lookupCategories(db, JSON.parse(row.categories) as string[], null);
  const params: IncidentNoticeParams = {
    reference: row.id,
    title: row.title,
    description: row.description,
    occurredAt: row.occurred_at,
    detectedAt: row.detected_at,
    containedAt: row.contained_at,
    categories: categories.map(({ key, en, zh }) => ({ key, en, zh })),
    cause: row.cause ?? MISSING,
    possibleHarm: row.possible_harm ?? MISSING,
    remediesTaken: row.remedies_taken ?? MISSING,
    personActions: row.person_actions ?? MISSING,
    contact: row.contact ?? MISSING,
  };
  return {
    params,
    missing: missingNoticeParts(row),
    render: (lang) => renderTemplate('incident_notice', lang, params),
  };
}
