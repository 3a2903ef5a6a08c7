// Legal holds: a subject, a whole category or a whole controller's data kept past its retention
// period because a dispute, an investigation or a statute requires it (PIPL art. 47 ¶2: where
// deletion must wait, only storage and security continue). A hold always has an end; once it has
// passed, or the hold is released, it no longer protects anything and the next sweep proceeds.
import { sql } from 'kysely';
import { actorOf, inScope, scopeControllers, type Principal } from '../access/principal.js';
import { looksPersonal } from '../audit/events.js';
import type { AppContext } from '../context.js';
import { newId } from '../db/ids.js';
import { forUpdate, transaction, type Trx } from '../db/store.js';
import type { Row } from '../db/types.js';
import { AppError, conflict, invalidField, notFound } from '../errors.js';
import { presentHold } from './present.js';
import type { HoldList, NewHold, ReleaseHold } from './schema.js';
import type { HoldScope } from './tables.js';

const NOT_PERSONAL =
  'must not contain personal information such as e-mail addresses or phone numbers';

function checkReason(reason: string): void {
  if (looksPersonal(reason)) throw invalidField('/reason', NOT_PERSONAL);
}

/**
 * The controller whose data a hold target belongs to (null for a category, which spans every
 * controller). A target that does not exist or lies outside the caller's scope is refused the same
 * way, so the answer reveals nothing about other controllers.
 */
async function holdTarget(
  trx: Trx,
  caller: Principal,
  scope: HoldScope,
  targetId: string,
): Promise<string | null> {
  switch (scope) {
    case 'subject': {
      const subject = await trx
        .selectFrom('subjects')
        .select(['controller_id', 'status'])
        .where('id', '=', targetId)
        .executeTakeFirst();
      if (subject === undefined || !inScope(caller, subject.controller_id))
        throw invalidField('/targetId', 'is not a subject you can see');
      if (subject.status !== 'active')
        throw invalidField('/targetId', 'is an erased subject: nothing is left to hold');
      return subject.controller_id;
    }
    case 'category': {
      // A category hold reaches every controller's records, so only staff who see them all may.
      if (caller.controllers !== 'all')
        throw new AppError(
          'forbidden',
          403,
          'Forbidden',
          'A category hold covers every controller; it needs staff with access to all controllers.',
        );
      const category = await trx
        .selectFrom('data_categories')
        .select('key')
        .where('key', '=', targetId)
        .executeTakeFirst();
      if (category === undefined)
        throw invalidField('/targetId', 'is not a category of the data map');
      return null;
    }
    case 'controller': {
      const controller = inScope(caller, targetId)
        ? await trx
            .selectFrom('controllers')
            .select('id')
            .where('id', '=', targetId)
            .executeTakeFirst()
        : undefined;
      if (controller === undefined)
        throw invalidField('/targetId', 'is not a controller you can see');
      return controller.id;
    }
    default:
      return scope satisfies never;
  }
}

/** Places a legal hold; audited as retention.hold_create. */
export async function createHold(ctx: AppContext, caller: Principal, input: NewHold) {
  const now = ctx.clock.now();
  checkReason(input.reason);
  // The date-time format admits leap seconds (":60") that JavaScript dates cannot represent.
  const endsAt = Date.parse(input.endsAt);
  if (!Number.isFinite(endsAt)) throw invalidField('/endsAt', 'is not a valid date-time');
  if (endsAt <= now.getTime()) throw invalidField('/endsAt', 'must be in the future');
  return transaction(ctx.store, async (trx) => {
    const controllerId = await holdTarget(trx, caller, input.scope, input.targetId);
    const actor = actorOf(caller);
    const row: Row<'legal_holds'> = {
      id: newId(),
      scope: input.scope,
      target_id: input.targetId,
      controller_id: controllerId,
      reason: input.reason,
      ends_at: new Date(endsAt).toISOString(),
      status: 'active',
      created_by_type: actor.type,
      created_by: actor.id,
      created_at: now.toISOString(),
      released_at: null,
      released_by: null,
      release_reason: null,
    };
    await trx.insertInto('legal_holds').values(row).execute();
    await ctx.audit.record(trx, {
      actor,
      action: 'retention.hold_create',
      target: { type: 'legal_hold', id: row.id },
      controllerId,
      outcome: 'success',
      details: {
        scope: row.scope,
        targetId: row.target_id,
        endsAt: row.ends_at,
        reason: row.reason,
      },
    });
    return presentHold(row, now);
  });
}

/** A hold the caller may see: one of their controllers', or any when they see all controllers. */
async function loadHold(
  ctx: AppContext,
  trx: Trx,
  caller: Principal,
  id: string,
  lock: boolean,
): Promise<Row<'legal_holds'>> {
  let q = trx.selectFrom('legal_holds').selectAll().where('id', '=', id);
  if (lock) q = forUpdate(ctx.store, q);
  const row = await q.executeTakeFirst();
  const visible =
    row !== undefined &&
    (caller.controllers === 'all' ||
      (row.controller_id !== null && inScope(caller, row.controller_id)));
  if (!visible) throw notFound('legal hold');
  return row;
}

export async function getHold(ctx: AppContext, caller: Principal, id: string) {
  return transaction(ctx.store, async (trx) =>
    presentHold(await loadHold(ctx, trx, caller, id, false), ctx.clock.now()),
  );
}

/** Holds in the caller's scope; category holds only for staff who see every controller. */
export async function listHolds(ctx: AppContext, caller: Principal, query: HoldList) {
  const now = ctx.clock.now();
  const nowIso = now.toISOString();
  const scope = scopeControllers(caller);
  if (scope !== null && scope.length === 0) return { items: [], next: null };
  let q = ctx.store.db
    .selectFrom('legal_holds')
    .selectAll()
    .orderBy('id')
    .limit(query.limit + 1);
  if (scope !== null) q = q.where('controller_id', 'in', scope);
  if (query.scope !== undefined) q = q.where('scope', '=', query.scope);
  if (query.after !== undefined) q = q.where('id', '>', query.after);
  switch (query.status) {
    case undefined:
      break;
    case 'active':
      q = q.where('status', '=', 'active').where('ends_at', '>', nowIso);
      break;
    case 'ended':
      q = q.where('status', '=', 'active').where('ends_at', '<=', nowIso);
      break;
    case 'released':
      q = q.where('status', '=', 'released');
      break;
    default:
      return query.status satisfies never;
  }
  const rows = await q.execute();
  const page = rows.slice(0, query.limit);
  return {
    items: page.map((r) => presentHold(r, now)),
    next: rows.length > query.limit ? (page[page.length - 1]?.id ?? null) : null,
  };
}

/** Releases a hold before its end; audited as retention.hold_release. */
export async function releaseHold(
  ctx: AppContext,
  caller: Principal,
  id: string,
  input: ReleaseHold,
) {
  checkReason(input.reason);
  const now = ctx.clock.now();
  return transaction(ctx.store, async (trx) => {
    const row = await loadHold(ctx, trx, caller, id, true);
    if (row.status === 'released') throw conflict('This legal hold was already released.');
    const actor = actorOf(caller);
    const released: Row<'legal_holds'> = {
      ...row,
      status: 'released',
      released_at: now.toISOString(),
      released_by: actor.id,
      release_reason: input.reason,
    };
    await trx
      .updateTable('legal_holds')
      .set({
        status: released.status,
        released_at: released.released_at,
        released_by: released.released_by,
        release_reason: released.release_reason,
      })
      .where('id', '=', id)
      .execute();
    await ctx.audit.record(trx, {
      actor,
      action: 'retention.hold_release',
      target: { type: 'legal_hold', id },
      controllerId: row.controller_id,
      outcome: 'success',
      details: {
        scope: row.scope,
        targetId: row.target_id,
        reason: input.reason,
        endedBefore: row.ends_at <= now.toISOString(),
      },
    });
    return presentHold(released, now);
  });
}

/** How many holds the caller can see protect something right now (beside the schedule). */
export async function countActiveHolds(
  ctx: AppContext,
  caller: Principal,
  now: Date,
): Promise<number> {
  const scope = scopeControllers(caller);
  if (scope !== null && scope.length === 0) return 0;
  let q = ctx.store.db
    .selectFrom('legal_holds')
    .select(sql<number>`count(*)`.as('n'))
    .where('status', '=', 'active')
    .where('ends_at', '>', now.toISOString());
  if (scope !== null) q = q.where('controller_id', 'in', scope);
  const row = await q.executeTakeFirst();
  return Number(row?.n ?? 0);
}
