// Data categories: the taxonomy of PI kinds (GB/T 35273 appendix B), sensitive ones flagged
// (PIPL art. 28). Making a category sensitive reaches every purpose that declares it: consent-based
// purposes must then ask separately (art. 29), and each one needs an impact assessment (art. 55).
import { actorOf, type Principal } from '../access/principal.js';
import { looksPersonal } from '../audit/events.js';
import type { AppContext } from '../context.js';
import { transaction, type Trx } from '../db/store.js';
import type { Row } from '../db/types.js';
import { conflict, invalidField } from '../errors.js';
import { proposeAssessments, type TriggerHit } from '../registers/assessments/proposals.js';
import { loadCategory, page, mutableColumns } from './entries.js';
import { recordChange } from './history.js';
import { changedFields, presentCategory } from './present.js';
import type { CategoryPatch, EntryList, NewCategory } from './schema.js';

/** Keys name kinds of data; one that looks like a phone or ID number is refused outright. */
export function checkKey(key: string): void {
  if (looksPersonal(key)) throw invalidField('/key', 'must not look like a phone or ID number');
}

function checkSensitivity(sensitive: boolean, kind: string | null): void {
  if (sensitive && kind === null)
    throw invalidField('/sensitiveKind', 'is required for a sensitive category (PIPL art. 28)');
  if (!sensitive && kind !== null)
    throw invalidField('/sensitiveKind', 'must be null unless the category is sensitive');
}

export async function listCategories(ctx: AppContext, query: EntryList) {
  let q = ctx.store.db
    .selectFrom('data_categories')
    .selectAll()
    .orderBy('key')
    .limit(query.limit + 1);
  if (query.status) q = q.where('status', '=', query.status);
  if (query.after) q = q.where('key', '>', query.after);
  const { items, next } = page(await q.execute(), query.limit, (r) => r.key);
  return { items: items.map(presentCategory), next };
}

export async function getCategory(ctx: AppContext, key: string) {
  return presentCategory(await loadCategory(ctx, ctx.store.db, key));
}

export async function createCategory(ctx: AppContext, caller: Principal, input: NewCategory) {
  checkKey(input.key);
  const kind = input.sensitiveKind ?? null;
  checkSensitivity(input.sensitive, kind);
  return transaction(ctx.store, async (trx) => {
    const clash = await trx
      .selectFrom('data_categories')
      .select('key')
      .where('key', '=', input.key)
      .executeTakeFirst();
    if (clash) throw conflict(`A data category with key "${input.key}" already exists.`);
    const now = ctx.clock.now().toISOString();
    const row: Row<'data_categories'> = {
      key: input.key,
      name_en: input.nameEn,
      name_zh: input.nameZh,
      group_key: input.groupKey,
      description: input.description ?? null,
      sensitive: input.sensitive ? 1 : 0,
      sensitive_kind: kind,
      builtin: 0,
      status: 'active',
      version: 1,
      created_at: now,
      updated_at: now,
    };
    await trx.insertInto('data_categories').values(row).execute();
    const presented = presentCategory(row);
    await recordChange(ctx, trx, caller, {
      entityType: 'category',
      entityId: row.key,
      version: 1,
      change: 'create',
      snapshot: row,
      fields: [],
    });
    return { ...presented, proposedAssessments: [] as string[] };
  });
}

/** Active purposes declaring a category, with their consent settings. */
async function purposesUsing(trx: Trx, key: string) {
  return trx
    .selectFrom('purposes as p')
    .innerJoin('purpose_categories as pc', 'pc.purpose_key', 'p.key')
    .select(['p.key', 'p.version', 'p.legal_basis', 'p.separate_consent'])
    .where('pc.category_key', '=', key)
    .where('p.status', '=', 'active')
    .orderBy('p.key')
    .execute();
}

export async function updateCategory(
  ctx: AppContext,
  caller: Principal,
  key: string,
  patch: CategoryPatch,
) {
  return transaction(ctx.store, async (trx) => {
    const before = await loadCategory(ctx, trx, key, true);
    if (before.status !== 'active') throw conflict('This data category is retired.');
    const sensitive = patch.sensitive ?? before.sensitive === 1;
    const kind =
      patch.sensitiveKind !== undefined
        ? patch.sensitiveKind
        : sensitive
          ? before.sensitive_kind
          : null;
    checkSensitivity(sensitive, kind);
    const row: Row<'data_categories'> = {
      ...before,
      name_en: patch.nameEn ?? before.name_en,
      name_zh: patch.nameZh ?? before.name_zh,
      group_key: patch.groupKey ?? before.group_key,
      description: patch.description === undefined ? before.description : patch.description,
      sensitive: sensitive ? 1 : 0,
      sensitive_kind: kind,
    };
    const fields = changedFields(presentCategory(before), presentCategory(row));
    if (fields.length === 0) return { ...presentCategory(before), proposedAssessments: [] };

    const hits: TriggerHit[] = [];
    if (sensitive && before.sensitive === 0) {
      const users = await purposesUsing(trx, key);
      const unconsented = users
        .filter((p) => p.legal_basis === 'consent' && p.separate_consent === 0)
        .map((p) => p.key);
      if (unconsented.length > 0)
        throw conflict(
          `Purposes ${unconsented.join(', ')} rely on consent without separate consent; ` +
            'set separateConsent on them first (PIPL art. 29).',
        );
      for (const p of users)
        hits.push({
          trigger: 'sensitive_pi',
          scope: { type: 'purpose', id: p.key, label: p.key },
          origin: { entityType: 'category', entityId: key, version: before.version + 1 },
        });
    }
    row.version = before.version + 1;
    row.updated_at = ctx.clock.now().toISOString();
    const changes = mutableColumns(row, 'key');
    await trx.updateTable('data_categories').set(changes).where('key', '=', key).execute();
    await recordChange(ctx, trx, caller, {
      entityType: 'category',
      entityId: key,
      version: row.version,
      change: 'update',
      snapshot: row,
      fields,
    });
    const proposed = await proposeAssessments(ctx, trx, actorOf(caller), hits);
    return { ...presentCategory(row), proposedAssessments: proposed };
  });
}

/** Retires a category no active purpose or system declares any more. */
export async function retireCategory(ctx: AppContext, caller: Principal, key: string) {
  return transaction(ctx.store, async (trx) => {
    const before = await loadCategory(ctx, trx, key, true);
    if (before.status !== 'active') throw conflict('This data category is already retired.');
    const purposes = (await purposesUsing(trx, key)).map((p) => p.key);
    const systems = await trx
      .selectFrom('systems as s')
      .innerJoin('system_categories as sc', 'sc.system_id', 's.id')
      .select('s.id')
      .where('sc.category_key', '=', key)
      .where('s.status', '=', 'active')
      .execute();
    if (purposes.length > 0 || systems.length > 0)
      throw conflict(
        `This data category is still used by ${purposes.length} active purpose(s)` +
          `${purposes.length > 0 ? ` (${purposes.join(', ')})` : ''} and ${systems.length} active system(s).`,
      );
    const row: Row<'data_categories'> = {
      ...before,
      status: 'retired',
      version: before.version + 1,
      updated_at: ctx.clock.now().toISOString(),
    };
    await trx
      .updateTable('data_categories')
      .set({ status: row.status, version: row.version, updated_at: row.updated_at })
      .where('key', '=', key)
      .execute();
    await recordChange(ctx, trx, caller, {
      entityType: 'category',
      entityId: key,
      version: row.version,
      change: 'retire',
      snapshot: row,
      fields: ['status'],
    });
    return { ...presentCategory(row), proposedAssessments: [] as string[] };
  });
}
