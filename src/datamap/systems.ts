// Systems: where PI is stored and processed, in which region, run by whom, for which purposes and
// sending it to which recipients. Entrusting a processor, providing to others and storing abroad
// each call for an impact assessment (PIPL art. 55 items 3–4), proposed as the map changes.
import { actorOf, type Principal } from '../access/principal.js';
import type { AppContext } from '../context.js';
import { newId } from '../db/ids.js';
import { transaction, type Trx } from '../db/store.js';
import type { Row } from '../db/types.js';
import { conflict, invalidField } from '../errors.js';
import { proposeAssessments, type TriggerHit } from '../registers/assessments/proposals.js';
import { isOutsideMainland, isRegionCode } from './countries.js';
import {
  activeCategories,
  codeOrder,
  activePurposeKeys,
  activeRecipients,
  loadSystem,
  page,
  refuse,
  unknownItems,
  withLinks,
  mutableColumns,
} from './entries.js';
import { recordChange } from './history.js';
import { changedFields, presentSystem, systemSnapshot, type SystemEntry } from './present.js';
import type { EntryList, NewSystem, SystemPatch } from './schema.js';

export async function listSystems(ctx: AppContext, query: EntryList) {
  let q = ctx.store.db
    .selectFrom('systems')
    .selectAll()
    .orderBy('id')
    .limit(query.limit + 1);
  if (query.status) q = q.where('status', '=', query.status);
  if (query.after) q = q.where('id', '>', query.after);
  const { items, next } = page(await q.execute(), query.limit, (r) => r.id);
  return { items: (await withLinks(ctx.store.db, items)).map(presentSystem), next };
}

export async function getSystem(ctx: AppContext, id: string) {
  return presentSystem(await loadSystem(ctx, ctx.store.db, id));
}

/** Which links the request itself names (a PATCH may leave some alone). */
interface Given {
  categoryKeys: boolean;
  purposeKeys: boolean;
  recipientIds: boolean;
}

/** Checks a system as it would be after the change; returns the recipients it involves. */
async function checkSystem(
  trx: Trx,
  entry: SystemEntry,
  given: Given,
): Promise<Map<string, Row<'recipients'>>> {
  const { row } = entry;
  if (!isRegionCode(row.region))
    throw invalidField('/region', 'is not an ISO 3166 code of an assigned country');
  if (row.operator === 'processor' && row.operator_recipient_id === null)
    throw invalidField(
      '/operatorRecipientId',
      'is required when a processor operates the system (PIPL art. 21)',
    );
  if (row.operator === 'internal' && row.operator_recipient_id !== null)
    throw invalidField('/operatorRecipientId', 'must be null when the system is run internally');
  const recipients = await activeRecipients(trx, [
    ...entry.recipientIds,
    ...(row.operator_recipient_id === null ? [] : [row.operator_recipient_id]),
  ]);
  if (row.operator_recipient_id !== null && !recipients.has(row.operator_recipient_id))
    throw invalidField('/operatorRecipientId', 'is not an active recipient');
  refuse([
    ...(given.categoryKeys
      ? unknownItems(
          '/categoryKeys',
          entry.categoryKeys,
          await activeCategories(trx, entry.categoryKeys),
          'is not an active data category',
        )
      : []),
    ...(given.purposeKeys
      ? unknownItems(
          '/purposeKeys',
          entry.purposeKeys,
          await activePurposeKeys(trx, entry.purposeKeys),
          'is not an active purpose',
        )
      : []),
    ...(given.recipientIds
      ? unknownItems('/recipientIds', entry.recipientIds, recipients, 'is not an active recipient')
      : []),
  ]);
  return recipients;
}

async function writeLinks(trx: Trx, entry: SystemEntry, given: Given): Promise<void> {
  const id = entry.row.id;
  if (given.categoryKeys) {
    await trx.deleteFrom('system_categories').where('system_id', '=', id).execute();
    if (entry.categoryKeys.length > 0)
      await trx
        .insertInto('system_categories')
        .values(entry.categoryKeys.map((k) => ({ system_id: id, category_key: k })))
        .execute();
  }
  if (given.purposeKeys) {
    await trx.deleteFrom('system_purposes').where('system_id', '=', id).execute();
    if (entry.purposeKeys.length > 0)
      await trx
        .insertInto('system_purposes')
        .values(entry.purposeKeys.map((k) => ({ system_id: id, purpose_key: k })))
        .execute();
  }
  if (given.recipientIds) {
    await trx.deleteFrom('system_recipients').where('system_id', '=', id).execute();
    if (entry.recipientIds.length > 0)
      await trx
        .insertInto('system_recipients')
        .values(entry.recipientIds.map((r) => ({ system_id: id, recipient_id: r })))
        .execute();
  }
}

/** Reasons to assess that a system's new version brings (PIPL art. 55 items 3–4). */
function systemTriggers(
  before: SystemEntry | null,
  after: SystemEntry,
  recipients: Map<string, Row<'recipients'>>,
): TriggerHit[] {
  const { row } = after;
  const scope = { type: 'system' as const, id: row.id, label: row.name };
  const origin = { entityType: 'system', entityId: row.id, version: row.version };
  const hits: TriggerHit[] = [];
  const hit = (trigger: TriggerHit['trigger']) => hits.push({ trigger, scope, origin });

  const newOperator =
    row.operator === 'processor' &&
    (before === null || before.row.operator_recipient_id !== row.operator_recipient_id);
  if (newOperator) hit('entrusting');
  const gained = after.recipientIds.filter((r) => !(before?.recipientIds.includes(r) ?? false));
  if (gained.length > 0) hit('providing');

  const abroad = (id: string) => {
    const r = recipients.get(id);
    return r !== undefined && isOutsideMainland(r.country);
  };
  const movedAbroad =
    isOutsideMainland(row.region) && (before === null || before.row.region !== row.region);
  const operatorAbroad =
    newOperator && row.operator_recipient_id !== null && abroad(row.operator_recipient_id);
  if (movedAbroad || operatorAbroad || gained.some(abroad)) hit('cross_border');
  return hits;
}

export async function createSystem(ctx: AppContext, caller: Principal, input: NewSystem) {
  return transaction(ctx.store, async (trx) => {
    const now = ctx.clock.now().toISOString();
    const entry: SystemEntry = {
      row: {
        id: newId(),
        name: input.name,
        description: input.description ?? null,
        region: input.region,
        operator: input.operator,
        operator_recipient_id: input.operatorRecipientId ?? null,
        status: 'active',
        version: 1,
        created_at: now,
        updated_at: now,
      },
      categoryKeys: [...(input.categoryKeys ?? [])].sort(codeOrder),
      purposeKeys: [...(input.purposeKeys ?? [])].sort(codeOrder),
      recipientIds: [...(input.recipientIds ?? [])].sort(codeOrder),
    };
    // Pointers name positions in the request, so check the lists in the order they were sent.
    const given = { categoryKeys: true, purposeKeys: true, recipientIds: true };
    const recipients = await checkSystem(
      trx,
      {
        ...entry,
        categoryKeys: input.categoryKeys ?? [],
        purposeKeys: input.purposeKeys ?? [],
        recipientIds: input.recipientIds ?? [],
      },
      given,
    );
    await trx.insertInto('systems').values(entry.row).execute();
    await writeLinks(trx, entry, given);
    await recordChange(ctx, trx, caller, {
      entityType: 'system',
      entityId: entry.row.id,
      version: 1,
      change: 'create',
      snapshot: systemSnapshot(entry),
      fields: [],
    });
    const proposed = await proposeAssessments(
      ctx,
      trx,
      actorOf(caller),
      systemTriggers(null, entry, recipients),
    );
    return { ...presentSystem(entry), proposedAssessments: proposed };
  });
}

export async function updateSystem(
  ctx: AppContext,
  caller: Principal,
  id: string,
  patch: SystemPatch,
) {
  return transaction(ctx.store, async (trx) => {
    const before = await loadSystem(ctx, trx, id, true);
    if (before.row.status !== 'active') throw conflict('This system is retired.');
    const b = before.row;
    const operator = patch.operator ?? b.operator;
    const after: SystemEntry = {
      row: {
        ...b,
        name: patch.name ?? b.name,
        description: patch.description === undefined ? b.description : patch.description,
        region: patch.region ?? b.region,
        operator,
        // Switching to internal operation drops the processor unless the request names one.
        operator_recipient_id:
          patch.operatorRecipientId !== undefined
            ? patch.operatorRecipientId
            : operator === 'internal'
              ? null
              : b.operator_recipient_id,
      },
      categoryKeys: patch.categoryKeys ?? before.categoryKeys,
      purposeKeys: patch.purposeKeys ?? before.purposeKeys,
      recipientIds: patch.recipientIds ?? before.recipientIds,
    };
    const given = {
      categoryKeys: patch.categoryKeys !== undefined,
      purposeKeys: patch.purposeKeys !== undefined,
      recipientIds: patch.recipientIds !== undefined,
    };
    const recipients = await checkSystem(trx, after, given);
    const sorted: SystemEntry = {
      ...after,
      categoryKeys: [...after.categoryKeys].sort(codeOrder),
      purposeKeys: [...after.purposeKeys].sort(codeOrder),
      recipientIds: [...after.recipientIds].sort(codeOrder),
    };
    const fields = changedFields(presentSystem(before), presentSystem(sorted));
    if (fields.length === 0) return { ...presentSystem(before), proposedAssessments: [] };
    sorted.row.version = b.version + 1;
    sorted.row.updated_at = ctx.clock.now().toISOString();
    const changes = mutableColumns(sorted.row, 'id');
    await trx.updateTable('systems').set(changes).where('id', '=', id).execute();
    await writeLinks(trx, sorted, given);
    await recordChange(ctx, trx, caller, {
      entityType: 'system',
      entityId: id,
      version: sorted.row.version,
      change: 'update',
      snapshot: systemSnapshot(sorted),
      fields,
    });
    const proposed = await proposeAssessments(
      ctx,
      trx,
      actorOf(caller),
      systemTriggers(before, sorted, recipients),
    );
    return { ...presentSystem(sorted), proposedAssessments: proposed };
  });
}

/** Retires a system; nothing else in the map depends on a system, so this is always allowed. */
export async function retireSystem(ctx: AppContext, caller: Principal, id: string) {
  return transaction(ctx.store, async (trx) => {
    const before = await loadSystem(ctx, trx, id, true);
    if (before.row.status !== 'active') throw conflict('This system is already retired.');
    const after: SystemEntry = {
      ...before,
      row: {
        ...before.row,
        status: 'retired',
        version: before.row.version + 1,
        updated_at: ctx.clock.now().toISOString(),
      },
    };
    await trx
      .updateTable('systems')
      .set({
        status: after.row.status,
        version: after.row.version,
        updated_at: after.row.updated_at,
      })
      .where('id', '=', id)
      .execute();
    await recordChange(ctx, trx, caller, {
      entityType: 'system',
      entityId: id,
      version: after.row.version,
      change: 'retire',
      snapshot: systemSnapshot(after),
      fields: ['status'],
    });
    return { ...presentSystem(after), proposedAssessments: [] as string[] };
  });
}
