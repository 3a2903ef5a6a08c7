// Controllers: the company's business clients, for whom Custos holds data as a processor (PIPL
// art. 21), plus the built-in controller `self`, the company itself. Staff scoped to some
// controllers never see the others: every query here filters by the caller's scope.
import { actorOf, inScope, scopeControllers, type Principal } from '../access/principal.js';
import type { AppContext } from '../context.js';
import { transaction, type Db, type Trx } from '../db/store.js';
import type { Row } from '../db/types.js';
import { conflict, notFound } from '../errors.js';
import { presentController } from './present.js';
import type { ControllerList, ControllerPatch, NewController } from './schema.js';
import { newId } from '../db/ids.js';
import { destroyWebhookSigner } from '../notify/outbox.js';

/** Loads a controller the caller may see, or answers 404 (also for ones outside the scope). */
export async function getController(
  db: Db | Trx,
  caller: Principal,
  id: string,
): Promise<Row<'controllers'>> {
  if (!inScope(caller, id)) throw notFound('controller');
  const row = await db
    .selectFrom('controllers')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  if (row === undefined) throw notFound('controller');
  return row;
}

export async function listControllers(ctx: AppContext, caller: Principal, query: ControllerList) {
  const scope = scopeControllers(caller);
  if (scope !== null && scope.length === 0) return { items: [], next: null };
  let q = ctx.store.db
    .selectFrom('controllers')
    .selectAll()
    .orderBy('id')
    .limit(query.limit + 1);
  if (scope !== null) q = q.where('id', 'in', scope);
  if (query.status) q = q.where('status', '=', query.status);
  if (query.after) q = q.where('id', '>', query.after);
  const rows = await q.execute();
  const page = rows.slice(0, query.limit);
  return {
    items: page.map(presentController),
    next: rows.length > query.limit ? (page[page.length - 1]?.id ?? null) : null,
  };
}

export async function createController(ctx: AppContext, caller: Principal, input: NewController) {
  const id = newId();
  const now = ctx.clock.now().toISOString();
  return transaction(ctx.store, async (trx) => {
    const clash = await trx
      .selectFrom('controllers')
      .select('id')
      .where('slug', '=', input.slug)
      .executeTakeFirst();
    if (clash) throw conflict(`A controller with slug "${input.slug}" already exists.`);
    const row: Row<'controllers'> = {
      id,
      slug: input.slug,
      name: input.name,
      contact_email: input.contactEmail ?? null,
      region: input.region ?? 'CN',
      status: 'active',
      builtin: 0,
      created_at: now,
      updated_at: now,
    };
    await trx.insertInto('controllers').values(row).execute();
    // A scoped creator must be able to see what they created.
    if (caller.controllers !== 'all')
      await trx
        .insertInto('user_controllers')
        .values({ user_id: caller.userId, controller_id: id })
        .execute();
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'controller.create',
      target: { type: 'controller', id },
      controllerId: id,
      outcome: 'success',
      details: { region: row.region },
    });
    return presentController(row);
  });
}

export async function updateController(
  ctx: AppContext,
  caller: Principal,
  id: string,
  patch: ControllerPatch,
) {
  return transaction(ctx.store, async (trx) => {
    const row = await getController(trx, caller, id);
    const next: Row<'controllers'> = {
      ...row,
      name: patch.name ?? row.name,
      contact_email: patch.contactEmail === undefined ? row.contact_email : patch.contactEmail,
      region: patch.region ?? row.region,
      updated_at: ctx.clock.now().toISOString(),
    };
    await trx
      .updateTable('controllers')
      .set({
        name: next.name,
        contact_email: next.contact_email,
        region: next.region,
        updated_at: next.updated_at,
      })
      .where('id', '=', id)
      .execute();
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'controller.update',
      target: { type: 'controller', id },
      controllerId: id,
      outcome: 'success',
      details: { fields: Object.keys(patch).sort() },
    });
    return presentController(next);
  });
}

/** Archives a controller: it keeps its data (retention decides that) but takes no new subjects. */
export async function archiveController(ctx: AppContext, caller: Principal, id: string) {
  return transaction(ctx.store, async (trx) => {
    const row = await getController(trx, caller, id);
    if (row.builtin === 1) throw conflict('The built-in controller "self" cannot be archived.');
    const now = ctx.clock.now().toISOString();
    await trx
      .updateTable('controllers')
      .set({ status: 'archived', updated_at: now })
      .where('id', '=', id)
      .execute();
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'controller.archive',
      target: { type: 'controller', id },
      controllerId: id,
      outcome: 'success',
    });
    return presentController({ ...row, status: 'archived', updated_at: now });
  });
}

const HOLDERS = [
  ['subjects', 'data subjects'],
  ['incidents', 'incidents'],
  ['disclosures', 'disclosures'],
  ['le_requests', 'law-enforcement requests'],
  ['control_transfers', 'transfer-of-control records'],
  ['requests', 'rights requests'],
] as const;

/** Deletes a controller that never held data; one with subjects must be archived instead. */
export async function deleteController(
  ctx: AppContext,
  caller: Principal,
  id: string,
): Promise<void> {
  await transaction(ctx.store, async (trx) => {
    const row = await getController(trx, caller, id);
    if (row.builtin === 1) throw conflict('The built-in controller "self" cannot be deleted.');
    // Anything recorded under the controller keeps it alive: registers are evidence, and their
    // rows reference it. Such a controller is archived instead.
    for (const [table, what] of HOLDERS) {
      const used = await trx
        .selectFrom(table)
        .select('controller_id')
        .where('controller_id', '=', id)
        .limit(1)
        .executeTakeFirst();
      if (used) throw conflict(`This controller has ${what}; archive it instead.`);
    }
    const held = await trx
      .selectFrom('legal_holds')
      .select('id')
      .where('scope', '=', 'controller')
      .where('target_id', '=', id)
      .limit(1)
      .executeTakeFirst();
    if (held) throw conflict('This controller has legal holds; archive it instead.');
    // Its webhook secret dies with it; the endpoint row itself goes by the foreign key's cascade.
    const endpoint = await trx
      .selectFrom('controller_endpoints')
      .select('webhook_signer_id')
      .where('controller_id', '=', id)
      .executeTakeFirst();
    if (endpoint?.webhook_signer_id)
      await destroyWebhookSigner(ctx, trx, endpoint.webhook_signer_id);
    await trx.deleteFrom('controller_endpoints').where('controller_id', '=', id).execute();
    await trx.deleteFrom('user_controllers').where('controller_id', '=', id).execute();
    await trx.deleteFrom('controllers').where('id', '=', id).execute();
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'controller.archive',
      target: { type: 'controller', id },
      controllerId: id,
      outcome: 'success',
      details: { deleted: true },
    });
  });
}
