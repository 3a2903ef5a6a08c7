// The history of a request: every transition and workflow step is a row in request_events (with
// actor and reason) and an audit event in the same transaction. Transitions go through the state
// machine only; a forbidden one is a 409 naming the state and the action.
import { actorOf, type Principal } from '../access/principal.js';
import type { Actor, AuditAction, DetailValue } from '../audit/events.js';
import { looksPersonal } from '../audit/events.js';
import type { AppContext } from '../context.js';
import { newId } from '../db/ids.js';
import { forUpdate, type Trx } from '../db/store.js';
import type { Row, RowUpdate } from '../db/types.js';
import { conflict, invalidField } from '../errors.js';
import { REQUEST_STATES } from './contracts.js';
import { isFinal, nextState, type RequestAction } from './states.js';

/** Who acted on a request: staff, the person holding the status token, or the system (jobs). */
export interface RequestActor {
  type: 'user' | 'token' | 'person' | 'system';
  id: string | null;
}

export const PERSON: RequestActor = { type: 'person', id: null };
export const SYSTEM: RequestActor = { type: 'system', id: null };

export function staffActor(p: Principal): RequestActor {
  const a = actorOf(p);
  return { type: a.type === 'token' ? 'token' : 'user', id: p.userId };
}

/** The audit actor: a person acting with their status token is anonymous to the audit log. */
export function auditActor(actor: RequestActor, caller?: Principal): Actor {
  if (caller !== undefined) return actorOf(caller);
  if (actor.type === 'person') return { type: 'anonymous', id: null };
  if (actor.type === 'system') return { type: 'system', id: null };
  return { type: actor.type, id: actor.id };
}

/** Staff-written text that is stored in clear and may be audited: no personal values in it. */
export function checkStaffText(pointer: string, value: string): string {
  const trimmed = value.trim();
  if (trimmed === '') throw invalidField(pointer, 'is empty');
  if (looksPersonal(trimmed))
    throw invalidField(
      pointer,
      'must not contain personal information such as e-mail addresses, phone or ID numbers',
    );
  return trimmed;
}

export interface EventInput {
  action: string;
  from?: string | null;
  to?: string | null;
  reason?: string | null;
  details?: Record<string, DetailValue> | undefined;
}

/** Appends one row to the request's history. */
export async function appendEvent(
  ctx: AppContext,
  trx: Trx,
  requestId: string,
  actor: RequestActor,
  e: EventInput,
): Promise<void> {
  await trx
    .insertInto('request_events')
    .values({
      id: newId(),
      request_id: requestId,
      at: ctx.clock.now().toISOString(),
      actor_type: actor.type,
      actor_id: actor.id,
      action: e.action,
      from_status: e.from ?? null,
      to_status: e.to ?? null,
      reason: e.reason ?? null,
      details: e.details === undefined ? null : JSON.stringify(e.details),
    })
    .execute();
}

export interface TransitionOptions {
  reason?: string | null | undefined;
  /** Other columns changed with the state. */
  set?: RowUpdate<'requests'> | undefined;
  /** Ids and codes only; added to the event row and the audit event. */
  details?: Record<string, DetailValue> | undefined;
  audit?: AuditAction | undefined;
  /** The staff member, when staff act (the audit names a token as well as its owner). */
  caller?: Principal | undefined;
  /** Whether the reason may go into the audit event (staff reasons are checked; a person's words are not). */
  auditReason?: boolean | undefined;
}

/** Moves a request along the state machine, recording the event and the audit entry. */
export async function transition(
  ctx: AppContext,
  trx: Trx,
  row: Row<'requests'>,
  action: RequestAction,
  actor: RequestActor,
  options: TransitionOptions = {},
): Promise<Row<'requests'>> {
  const to = nextState(row.status, action);
  if (to === null)
    throw conflict(`A request in state "${row.status}" does not allow the action "${action}".`);
  const now = ctx.clock.now().toISOString();
  const changes: RowUpdate<'requests'> = {
    ...options.set,
    status: to,
    version: row.version + 1,
    updated_at: now,
    closed_at: isFinal(to) ? now : null,
  };
  await trx.updateTable('requests').set(changes).where('id', '=', row.id).execute();
  await appendEvent(ctx, trx, row.id, actor, {
    action,
    from: row.status,
    to,
    reason: options.reason ?? null,
    details: options.details,
  });
  await ctx.audit.record(trx, {
    actor: auditActor(actor, options.caller),
    action: options.audit ?? 'request.transition',
    target: { type: 'request', id: row.id },
    controllerId: row.controller_id,
    outcome: 'success',
    details: {
      action,
      from: row.status,
      to,
      ...(options.auditReason === true && options.reason ? { reason: options.reason } : {}),
      ...options.details,
    },
  });
  const moved = { ...row, ...(changes as Partial<Row<'requests'>>) };
  if (row.parent_id !== null && isFinal(to)) await settleParent(ctx, trx, row.parent_id);
  return moved;
}

/**
 * A request split per holder is an umbrella over its parts. Once every part has reached a final
 * state (answered, refused, withdrawn or expired), the umbrella closes as fulfilled: its work, to
 * see each part answered, is done; the outcome counts the parts by state, and `partial` says that
 * not every part was fulfilled. Called whenever a part reaches a final state, in its transaction.
 */
export async function settleParent(ctx: AppContext, trx: Trx, parentId: string): Promise<void> {
  const parent = await forUpdate(
    ctx.store,
    trx.selectFrom('requests').selectAll().where('id', '=', parentId),
  ).executeTakeFirst();
  if (parent === undefined || isFinal(parent.status)) return;
  const parts = await trx
    .selectFrom('requests')
    .select(['id', 'status'])
    .where('parent_id', '=', parentId)
    .execute();
  if (parts.length === 0 || parts.some((p) => !isFinal(p.status))) return;
  const counts = REQUEST_STATES.filter(isFinal).map((state) => ({
    kind: `parts_${state}`,
    count: parts.filter((p) => p.status === state).length,
  }));
  const outcome = {
    done: [{ kind: 'parts_answered', count: parts.length }, ...counts.filter((c) => c.count > 0)],
    partial: parts.some((p) => p.status !== 'fulfilled'),
    download: null,
  };
  await transition(ctx, trx, parent, 'fulfil', SYSTEM, {
    reason: 'Every part of the request has reached a final answer.',
    set: { outcome: JSON.stringify(outcome) },
    details: Object.fromEntries(counts.map((c) => [c.kind, c.count])),
  });
}
