// Purposes: why PI is processed, on which lawful basis (PIPL art. 13), which categories each one
// needs and why (minimisation, GB/T 35273 §5.1), and how long the data is kept (art. 19). Their
// retention period drives every record's expiry; sensitive categories bring the duties of arts.
// 28–29 and 55, checked here.
import { actorOf, type Principal } from '../access/principal.js';
import type { AppContext } from '../context.js';
import { transaction, type Trx } from '../db/store.js';
import type { Row } from '../db/types.js';
import { conflict, invalidField, type FieldProblem } from '../errors.js';
import { proposeAssessments, type TriggerHit } from '../registers/assessments/proposals.js';
import { recomputeExpiryForPurpose } from '../retention/expiry.js';
import { checkKey } from './categories.js';
import {
  activeCategories,
  codeOrder,
  loadPurpose,
  page,
  refuse,
  withCategories,
  mutableColumns,
} from './entries.js';
import { recordChange } from './history.js';
import { changedFields, presentPurpose, purposeSnapshot, type PurposeEntry } from './present.js';
import type { EntryList, NewPurpose, PurposePatch } from './schema.js';

export async function listPurposes(ctx: AppContext, query: EntryList) {
  let q = ctx.store.db
    .selectFrom('purposes')
    .selectAll()
    .orderBy('key')
    .limit(query.limit + 1);
  if (query.status) q = q.where('status', '=', query.status);
  if (query.after) q = q.where('key', '>', query.after);
  const { items, next } = page(await q.execute(), query.limit, (r) => r.key);
  return { items: (await withCategories(ctx.store.db, items)).map(presentPurpose), next };
}

export async function getPurpose(ctx: AppContext, key: string) {
  return presentPurpose(await loadPurpose(ctx, ctx.store.db, key));
}

/**
 * Checks a purpose as it would be after the change; returns the sensitive category keys it
 * declares. `givenCategories` is false when a PATCH leaves the list alone (they are in use, so
 * none can have been retired meanwhile).
 */
async function checkPurpose(
  trx: Trx,
  entry: PurposeEntry,
  givenCategories: boolean,
): Promise<Set<string>> {
  const { row } = entry;
  if (row.necessity.trim() === '')
    throw invalidField('/necessity', 'must say why each category is needed (GB/T 35273 §5.1)');
  if (row.legal_basis !== 'consent' && (row.legal_basis_ref ?? '').trim() === '')
    throw invalidField(
      '/legalBasisRef',
      'is required unless the legal basis is consent: name the law, contract or duty relied on',
    );
  const keys = entry.categories.map((c) => c.key);
  const known = await activeCategories(trx, keys);
  if (givenCategories) {
    const seen = new Set<string>();
    const problems: FieldProblem[] = [];
    keys.forEach((k, i) => {
      if (seen.has(k))
        problems.push({ pointer: `/body/categories/${i}/key`, detail: 'is listed twice' });
      else if (!known.has(k))
        problems.push({
          pointer: `/body/categories/${i}/key`,
          detail: 'is not an active data category',
        });
      seen.add(k);
    });
    refuse(problems);
  }
  const sensitive = new Set([...known.values()].filter((c) => c.sensitive === 1).map((c) => c.key));
  if (sensitive.size > 0 && row.legal_basis === 'consent' && row.separate_consent !== 1)
    throw invalidField(
      '/separateConsent',
      'must be true: this purpose relies on consent and declares sensitive categories (PIPL art. 29)',
    );
  return sensitive;
}

const byKey = (list: PurposeEntry['categories']) =>
  [...list].sort((a, b) => codeOrder(a.key, b.key));

async function writeCategories(trx: Trx, entry: PurposeEntry): Promise<void> {
  await trx.deleteFrom('purpose_categories').where('purpose_key', '=', entry.row.key).execute();
  await trx
    .insertInto('purpose_categories')
    .values(
      entry.categories.map((c) => ({
        purpose_key: entry.row.key,
        category_key: c.key,
        required: c.required ? 1 : 0,
      })),
    )
    .execute();
}

/** Reasons to assess that a purpose's new version brings (PIPL art. 55 items 1–2). */
function purposeTriggers(
  before: { sensitive: Set<string>; automated: boolean } | null,
  after: PurposeEntry,
  sensitive: Set<string>,
): TriggerHit[] {
  const key = after.row.key;
  const scope = { type: 'purpose' as const, id: key, label: key };
  const origin = { entityType: 'purpose', entityId: key, version: after.row.version };
  const hits: TriggerHit[] = [];
  if ([...sensitive].some((k) => !(before?.sensitive.has(k) ?? false)))
    hits.push({ trigger: 'sensitive_pi', scope, origin });
  if (after.row.automated_decision === 1 && !(before?.automated ?? false))
    hits.push({ trigger: 'automated_decision', scope, origin });
  return hits;
}

export async function createPurpose(ctx: AppContext, caller: Principal, input: NewPurpose) {
  checkKey(input.key);
  return transaction(ctx.store, async (trx) => {
    const clash = await trx
      .selectFrom('purposes')
      .select('key')
      .where('key', '=', input.key)
      .executeTakeFirst();
    if (clash) throw conflict(`A purpose with key "${input.key}" already exists.`);
    const now = ctx.clock.now().toISOString();
    const entry: PurposeEntry = {
      row: {
        key: input.key,
        name_en: input.nameEn,
        name_zh: input.nameZh,
        description: input.description ?? null,
        legal_basis: input.legalBasis,
        legal_basis_ref: input.legalBasisRef ?? null,
        necessity: input.necessity,
        retention_days: input.retentionDays,
        retention_end: input.retentionEnd,
        retention_basis: input.retentionBasis ?? 'purpose',
        separate_consent: input.separateConsent ? 1 : 0,
        automated_decision: input.automatedDecision ? 1 : 0,
        status: 'active',
        version: 1,
        created_at: now,
        updated_at: now,
      },
      categories: input.categories.map((c) => ({ key: c.key, required: c.required })),
    };
    const sensitive = await checkPurpose(trx, entry, true);
    entry.categories = byKey(entry.categories);
    await trx.insertInto('purposes').values(entry.row).execute();
    await writeCategories(trx, entry);
    await recordChange(ctx, trx, caller, {
      entityType: 'purpose',
      entityId: entry.row.key,
      version: 1,
      change: 'create',
      snapshot: purposeSnapshot(entry),
      fields: [],
    });
    const proposed = await proposeAssessments(
      ctx,
      trx,
      actorOf(caller),
      purposeTriggers(null, entry, sensitive),
    );
    return { ...presentPurpose(entry), proposedAssessments: proposed };
  });
}

export async function updatePurpose(
  ctx: AppContext,
  caller: Principal,
  key: string,
  patch: PurposePatch,
) {
  return transaction(ctx.store, async (trx) => {
    const before = await loadPurpose(ctx, trx, key, true);
    if (before.row.status !== 'active') throw conflict('This purpose is retired.');
    const pick = <T>(v: T | undefined, old: T): T => (v === undefined ? old : v);
    const b = before.row;
    const after: PurposeEntry = {
      row: {
        ...b,
        name_en: pick(patch.nameEn, b.name_en),
        name_zh: pick(patch.nameZh, b.name_zh),
        description: pick(patch.description, b.description),
        legal_basis: pick(patch.legalBasis, b.legal_basis),
        legal_basis_ref: pick(patch.legalBasisRef, b.legal_basis_ref),
        necessity: pick(patch.necessity, b.necessity),
        retention_days: pick(patch.retentionDays, b.retention_days),
        retention_end: pick(patch.retentionEnd, b.retention_end),
        retention_basis: pick(patch.retentionBasis, b.retention_basis),
        separate_consent:
          patch.separateConsent === undefined ? b.separate_consent : patch.separateConsent ? 1 : 0,
        automated_decision:
          patch.automatedDecision === undefined
            ? b.automated_decision
            : patch.automatedDecision
              ? 1
              : 0,
      },
      categories: patch.categories
        ? patch.categories.map((c) => ({ key: c.key, required: c.required }))
        : before.categories,
    };
    const sensitive = await checkPurpose(trx, after, patch.categories !== undefined);
    // Stored and presented in key order, so a reordered list is not a change.
    after.categories = byKey(after.categories);
    const beforeCats = await activeCategories(
      trx,
      before.categories.map((c) => c.key),
    );
    const beforeSensitive = new Set(
      [...beforeCats.values()].filter((c) => c.sensitive === 1).map((c) => c.key),
    );
    const fields = changedFields(presentPurpose(before), presentPurpose(after));
    if (fields.length === 0) return { ...presentPurpose(before), proposedAssessments: [] };
    after.row.version = b.version + 1;
    after.row.updated_at = ctx.clock.now().toISOString();
    const changes = mutableColumns(after.row, 'key');
    await trx.updateTable('purposes').set(changes).where('key', '=', key).execute();
    if (patch.categories) await writeCategories(trx, after);
    // The new period applies to records already held, in this same transaction (PIPL art. 19).
    if (after.row.retention_days !== b.retention_days)
      await recomputeExpiryForPurpose(trx, key, after.row.retention_days);
    await recordChange(ctx, trx, caller, {
      entityType: 'purpose',
      entityId: key,
      version: after.row.version,
      change: 'update',
      snapshot: purposeSnapshot(after),
      fields,
    });
    const proposed = await proposeAssessments(
      ctx,
      trx,
      actorOf(caller),
      purposeTriggers(
        { sensitive: beforeSensitive, automated: b.automated_decision === 1 },
        after,
        sensitive,
      ),
    );
    return { ...presentPurpose(after), proposedAssessments: proposed };
  });
}

/** Retires a purpose no active system serves any more. */
export async function retirePurpose(ctx: AppContext, caller: Principal, key: string) {
  return transaction(ctx.store, async (trx) => {
    const before = await loadPurpose(ctx, trx, key, true);
    if (before.row.status !== 'active') throw conflict('This purpose is already retired.');
    const systems = await trx
      .selectFrom('systems as s')
      .innerJoin('system_purposes as sp', 'sp.system_id', 's.id')
      .select('s.id')
      .where('sp.purpose_key', '=', key)
      .where('s.status', '=', 'active')
      .execute();
    if (systems.length > 0)
      throw conflict(
        `This purpose is still served by ${systems.length} active system(s): ${systems.map((s) => s.id).join(', ')}.`,
      );
    const row: Row<'purposes'> = {
      ...before.row,
      status: 'retired',
      version: before.row.version + 1,
      updated_at: ctx.clock.now().toISOString(),
    };
    await trx
      .updateTable('purposes')
      .set({ status: row.status, version: row.version, updated_at: row.updated_at })
      .where('key', '=', key)
      .execute();
    const after = { row, categories: before.categories };
    await recordChange(ctx, trx, caller, {
      entityType: 'purpose',
      entityId: key,
      version: row.version,
      change: 'retire',
      snapshot: purposeSnapshot(after),
      fields: ['status'],
    });
    return { ...presentPurpose(after), proposedAssessments: [] as string[] };
  });
}
