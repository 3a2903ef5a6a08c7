// Recipients: the other handlers and processors PI goes to (PIPL arts. 21, 23), with the country
// where they process it, which decides whether providing to them is a cross-border transfer.
import { actorOf, type Principal } from '../access/principal.js';
import type { AppContext } from '../context.js';
import { newId } from '../db/ids.js';
import { transaction, type Trx } from '../db/store.js';
import type { Row } from '../db/types.js';
import { conflict, invalidField } from '../errors.js';
import { proposeAssessments, type TriggerHit } from '../registers/assessments/proposals.js';
import { isCountryCode, isOutsideMainland } from './countries.js';
import { loadRecipient, page, mutableColumns } from './entries.js';
import { recordChange } from './history.js';
import { changedFields, presentRecipient } from './present.js';
import type { EntryList, NewRecipient, RecipientPatch } from './schema.js';

function checkCountry(country: string): void {
  if (!isCountryCode(country))
    throw invalidField('/country', 'is not an assigned ISO 3166-1 alpha-2 country code');
}

export async function listRecipients(ctx: AppContext, query: EntryList) {
  let q = ctx.store.db
    .selectFrom('recipients')
    .selectAll()
    .orderBy('id')
    .limit(query.limit + 1);
  if (query.status) q = q.where('status', '=', query.status);
  if (query.after) q = q.where('id', '>', query.after);
  const { items, next } = page(await q.execute(), query.limit, (r) => r.id);
  return { items: items.map(presentRecipient), next };
}

export async function getRecipient(ctx: AppContext, id: string) {
  return presentRecipient(await loadRecipient(ctx, ctx.store.db, id));
}

export async function createRecipient(ctx: AppContext, caller: Principal, input: NewRecipient) {
  checkCountry(input.country);
  return transaction(ctx.store, async (trx) => {
    const now = ctx.clock.now().toISOString();
    const row: Row<'recipients'> = {
      id: newId(),
      name: input.name,
      kind: input.kind,
      country: input.country,
      contact: input.contact ?? null,
      status: 'active',
      version: 1,
      created_at: now,
      updated_at: now,
    };
    await trx.insertInto('recipients').values(row).execute();
    await recordChange(ctx, trx, caller, {
      entityType: 'recipient',
      entityId: row.id,
      version: 1,
      change: 'create',
      snapshot: row,
      fields: [],
    });
    return { ...presentRecipient(row), proposedAssessments: [] as string[] };
  });
}

/** Active systems that send data to a recipient or are run by it. */
async function systemsUsing(trx: Trx, id: string) {
  const linked = await trx
    .selectFrom('systems as s')
    .innerJoin('system_recipients as sr', 'sr.system_id', 's.id')
    .select(['s.id', 's.name'])
    .where('sr.recipient_id', '=', id)
    .where('s.status', '=', 'active')
    .execute();
  const operated = await trx
    .selectFrom('systems')
    .select(['id', 'name'])
    .where('operator_recipient_id', '=', id)
    .where('status', '=', 'active')
    .execute();
  const byId = new Map([...linked, ...operated].map((s) => [s.id, s]));
  return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
}

export async function updateRecipient(
  ctx: AppContext,
  caller: Principal,
  id: string,
  patch: RecipientPatch,
) {
  if (patch.country !== undefined) checkCountry(patch.country);
  return transaction(ctx.store, async (trx) => {
    const before = await loadRecipient(ctx, trx, id, true);
    if (before.status !== 'active') throw conflict('This recipient is retired.');
    const row: Row<'recipients'> = {
      ...before,
      name: patch.name ?? before.name,
      kind: patch.kind ?? before.kind,
      country: patch.country ?? before.country,
      contact: patch.contact === undefined ? before.contact : patch.contact,
    };
    const fields = changedFields(presentRecipient(before), presentRecipient(row));
    if (fields.length === 0) return { ...presentRecipient(before), proposedAssessments: [] };
    row.version = before.version + 1;
    row.updated_at = ctx.clock.now().toISOString();
    const changes = mutableColumns(row, 'id');
    await trx.updateTable('recipients').set(changes).where('id', '=', id).execute();
    await recordChange(ctx, trx, caller, {
      entityType: 'recipient',
      entityId: id,
      version: row.version,
      change: 'update',
      snapshot: row,
      fields,
    });
    // Moving a recipient abroad makes every system feeding it a cross-border flow (PIPL art. 38).
    const hits: TriggerHit[] =
      row.country !== before.country && isOutsideMainland(row.country)
        ? (await systemsUsing(trx, id)).map((s) => ({
            trigger: 'cross_border' as const,
            scope: { type: 'system' as const, id: s.id, label: s.name },
            origin: { entityType: 'recipient', entityId: id, version: row.version },
          }))
        : [];
    const proposed = await proposeAssessments(ctx, trx, actorOf(caller), hits);
    return { ...presentRecipient(row), proposedAssessments: proposed };
  });
}

/** Retires a recipient no active system sends data to or is run by. */
export async function retireRecipient(ctx: AppContext, caller: Principal, id: string) {
  return transaction(ctx.store, async (trx) => {
    const before = await loadRecipient(ctx, trx, id, true);
    if (before.status !== 'active') throw conflict('This recipient is already retired.');
    const systems = await systemsUsing(trx, id);
    if (systems.length > 0)
      throw conflict(
        `This recipient is still linked to ${systems.length} active system(s): ${systems.map((s) => s.id).join(', ')}.`,
      );
    const row: Row<'recipients'> = {
      ...before,
      status: 'retired',
      version: before.version + 1,
      updated_at: ctx.clock.now().toISOString(),
    };
    await trx
      .updateTable('recipients')
      .set({ status: row.status, version: row.version, updated_at: row.updated_at })
      .where('id', '=', id)
      .execute();
    await recordChange(ctx, trx, caller, {
      entityType: 'recipient',
      entityId: id,
      version: row.version,
      change: 'retire',
      snapshot: row,
      fields: ['status'],
    });
    return { ...presentRecipient(row), proposedAssessments: [] as string[] };
  });
}
