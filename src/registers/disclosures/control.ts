// Transfer-of-control records: a merger, division, sale of assets, bankruptcy or similar that
// passes PI to another party, which must keep the protections the policy promised (PIPL art. 22;
// a new purpose would need fresh consent). Corrected in versions, never deleted.
import { actorOf, inScope, scopeControllers, type Principal } from '../../access/principal.js';
import { getController } from '../../controllers/service.js';
import type { AppContext } from '../../context.js';
import { newId } from '../../db/ids.js';
import { transaction, type Db, type Trx } from '../../db/store.js';
import type { Row } from '../../db/types.js';
import { invalidField, notFound } from '../../errors.js';
import { isCountryCode } from '../../datamap/countries.js';
import { changesOf, recordVersion, versionsOf } from './history.js';
import { checkCategories, checkSystems, isoTime, noPersonalText } from './lookups.js';
import { presentControlTransfer } from './present.js';
import type { ControlTransferList, ControlTransferPatch, NewControlTransfer } from './schema.js';

async function loadControlTransfer(
  db: Db | Trx,
  caller: Principal,
  id: string,
): Promise<Row<'control_transfers'>> {
  const row = await db
    .selectFrom('control_transfers')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  if (row === undefined || !inScope(caller, row.controller_id))
    throw notFound('transfer-of-control record');
  return row;
}

function checkText(input: {
  counterparty?: string;
  counterpartyCountry?: string;
  obligationsNote?: string;
  notificationRef?: string | null;
}): void {
  if (input.counterpartyCountry !== undefined && !isCountryCode(input.counterpartyCountry))
    throw invalidField('/counterpartyCountry', 'is not an ISO 3166-1 alpha-2 country code');
  noPersonalText('/counterparty', input.counterparty);
  noPersonalText('/obligationsNote', input.obligationsNote);
  noPersonalText('/notificationRef', input.notificationRef);
}

export async function createControlTransfer(
  ctx: AppContext,
  caller: Principal,
  input: NewControlTransfer,
) {
  checkText(input);
  const effectiveAt = isoTime('/effectiveAt', input.effectiveAt);
  const controllerId = input.controllerId ?? 'self';
  return transaction(ctx.store, async (trx) => {
    await getController(trx, caller, controllerId);
    await checkCategories(trx, '/categories', input.categories);
    await checkSystems(trx, '/systems', input.systems ?? []);
    const now = ctx.clock.now().toISOString();
    const row: Row<'control_transfers'> = {
      id: newId(),
      controller_id: controllerId,
      kind: input.kind,
      counterparty: input.counterparty,
      counterparty_country: input.counterpartyCountry,
      effective_at: effectiveAt,
      categories: JSON.stringify(input.categories),
      persons_count: input.personsCount,
      systems: JSON.stringify(input.systems ?? []),
      obligations_note: input.obligationsNote,
      notification_ref: input.notificationRef ?? null,
      version: 1,
      created_at: now,
      updated_at: now,
    };
    await trx.insertInto('control_transfers').values(row).execute();
    await recordVersion(
      trx,
      'control_transfer',
      row.id,
      1,
      presentControlTransfer(row),
      actorOf(caller),
      now,
    );
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'control_transfer.create',
      target: { type: 'control_transfer', id: row.id },
      controllerId,
      outcome: 'success',
      details: {
        kind: row.kind,
        counterpartyCountry: row.counterparty_country,
        categories: input.categories,
        persons: row.persons_count,
        systems: input.systems ?? [],
      },
    });
    return presentControlTransfer(row);
  });
}

export async function updateControlTransfer(
  ctx: AppContext,
  caller: Principal,
  id: string,
  patch: ControlTransferPatch,
) {
  checkText(patch);
  const effectiveAt =
    patch.effectiveAt === undefined ? undefined : isoTime('/effectiveAt', patch.effectiveAt);
  return transaction(ctx.store, async (trx) => {
    const row = await loadControlTransfer(trx, caller, id);
    if (patch.categories) await checkCategories(trx, '/categories', patch.categories);
    if (patch.systems) await checkSystems(trx, '/systems', patch.systems);
    const now = ctx.clock.now().toISOString();
    const next: Row<'control_transfers'> = {
      ...row,
      kind: patch.kind ?? row.kind,
      counterparty: patch.counterparty ?? row.counterparty,
      counterparty_country: patch.counterpartyCountry ?? row.counterparty_country,
      effective_at: effectiveAt ?? row.effective_at,
      categories: patch.categories ? JSON.stringify(patch.categories) : row.categories,
      persons_count: patch.personsCount ?? row.persons_count,
      systems: patch.systems ? JSON.stringify(patch.systems) : row.systems,
      obligations_note: patch.obligationsNote ?? row.obligations_note,
      notification_ref:
        patch.notificationRef === undefined ? row.notification_ref : patch.notificationRef,
      version: row.version + 1,
      updated_at: now,
    };
    await trx.updateTable('control_transfers').set(changesOf(next)).where('id', '=', id).execute();
    await recordVersion(
      trx,
      'control_transfer',
      id,
      next.version,
      presentControlTransfer(next),
      actorOf(caller),
      now,
    );
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'control_transfer.update',
      target: { type: 'control_transfer', id },
      controllerId: row.controller_id,
      outcome: 'success',
      details: { version: next.version, fields: Object.keys(patch).sort() },
    });
    return presentControlTransfer(next);
  });
}

export async function getControlTransfer(ctx: AppContext, caller: Principal, id: string) {
  return transaction(ctx.store, async (trx) => {
    const row = await loadControlTransfer(trx, caller, id);
    return {
      ...presentControlTransfer(row),
      versions: await versionsOf(trx, 'control_transfer', id),
    };
  });
}

export async function listControlTransfers(
  ctx: AppContext,
  caller: Principal,
  query: ControlTransferList,
) {
  const scope = scopeControllers(caller);
  if (query.controllerId !== undefined && !inScope(caller, query.controllerId))
    return { items: [], next: null };
  if (scope !== null && scope.length === 0) return { items: [], next: null };
  let q = ctx.store.db
    .selectFrom('control_transfers')
    .selectAll()
    .orderBy('id')
    .limit(query.limit + 1);
  if (scope !== null) q = q.where('controller_id', 'in', scope);
  if (query.controllerId !== undefined) q = q.where('controller_id', '=', query.controllerId);
  if (query.after !== undefined) q = q.where('id', '>', query.after);
  const rows = await q.execute();
  const page = rows.slice(0, query.limit);
  return {
    items: page.map(presentControlTransfer),
    next: rows.length > query.limit ? (page[page.length - 1]?.id ?? null) : null,
  };
}
