// The staff workflow on rights requests: the queue, reading (masked) and revealing, assignment,
// notes, starting work, the one notified extension, refusals on a coded ground (grounds 5, 7 and 8
// with a second approver and evidence), fees for excessive repeats, and fulfilment. Every change is
// one transaction with its history row and audit event; the person hears through the outbox.
import { sql, type ExpressionBuilder } from 'kysely';
import { actorOf, scopeControllers, type Principal } from '../access/principal.js';
import { permissionsOf } from '../access/permissions.js';
import { controllerScopeOf, rolesOf } from '../access/users.js';
import type { AppContext } from '../context.js';
import { newId } from '../db/ids.js';
import { transaction, type Trx } from '../db/store.js';
import type { Database, Row } from '../db/types.js';
import { conflict, invalidField } from '../errors.js';
import { appendEvent, checkStaffText, staffActor, transition } from './events.js';
import { fulfil } from './fulfil/fulfil.js';

import { loadForStaff } from './lookup.js';
import { doneLines, mailPerson, referenceOf } from './notices.js';
import { presentEvent, presentRequest, presentSummary } from './present.js';
import { deadlinesOf } from './schedule.js';
import type {
  AssignBody,
  ExtendBody,
  FulfilBody,
  NoteBody,
  Reason,
  RequestList,
} from './schema.js';
import { openNote, openRequest, requestKey, sealNote } from './seal.js';
import { isFinal, nextState } from './states.js';
import { scrubSqliteWal } from '../subjects/service.js';

const FINAL_STATES = ['fulfilled', 'refused', 'withdrawn', 'expired'] as const;

export async function view(ctx: AppContext, trx: Trx, row: Row<'requests'>) {
  return presentRequest(row, await openRequest(ctx, trx, row), ctx.clock.now().toISOString(), {
    reveal: false,
  });
}

export const auditOf = (caller: Principal) => actorOf(caller);

export const reload = (trx: Trx, id: string) =>
  trx.selectFrom('requests').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

/**
 * The queue: unanswered requests first, then by due date (undated last) and receipt; filtered by
 * state, type, handler and lateness; only the caller's controllers.
 */
export async function listRequests(ctx: AppContext, caller: Principal, query: RequestList) {
  const scope = scopeControllers(caller);
  if (scope !== null && scope.length === 0) return { items: [], next: null };
  const now = ctx.clock.now().toISOString();
  let q = ctx.store.db.selectFrom('requests').selectAll();
  if (scope !== null) q = q.where('controller_id', 'in', scope);
  if (query.status !== undefined) q = q.where('status', '=', query.status);
  if (query.type !== undefined) q = q.where('type', '=', query.type);
  if (query.assigned === 'none') q = q.where('assigned_to', 'is', null);
  else if (query.assigned === 'me') q = q.where('assigned_to', '=', caller.userId);
  else if (query.assigned !== undefined) q = q.where('assigned_to', '=', query.assigned);
  if (query.overdue !== undefined) {
    const late = (eb: ExpressionBuilder<Database, 'requests'>) =>
      eb.and([
        eb('status', 'not in', [...FINAL_STATES, 'forwarded']),
        eb.or([eb('due_at', '<', now), eb('alarm_at', '<', now)]),
      ]);
    q = query.overdue ? q.where((eb) => late(eb)) : q.where((eb) => eb.not(late(eb)));
  }
  const rows = await q
    .orderBy(
      sql`case when status in ('fulfilled', 'refused', 'withdrawn', 'expired') then 1 else 0 end`,
    )
    .orderBy(sql`case when due_at is null then 1 else 0 end`)
    .orderBy('due_at')
    .orderBy('received_at')
    .orderBy('id')
    .limit(query.limit + 1)
    .offset(query.offset)
    .execute();
  const page = rows.slice(0, query.limit);
  return {
    items: page.map((r) => presentSummary(r, now)),
    next: rows.length > query.limit ? query.offset + query.limit : null,
  };
}

/** One request, contact masked. */
export async function getRequest(ctx: AppContext, caller: Principal, id: string) {
  return transaction(ctx.store, async (trx) => view(ctx, trx, await loadForStaff(trx, caller, id)));
}

/** The contact and the person's words in clear, for a stated reason (pi.reveal; audited). */
export async function revealRequest(ctx: AppContext, caller: Principal, id: string, input: Reason) {
  const reason = checkStaffText('/reason', input.reason);
  return transaction(ctx.store, async (trx) => {
    const row = await loadForStaff(trx, caller, id);
    const opened = await openRequest(ctx, trx, row);
    // No request-specific reveal action exists in the audit vocabulary; the subject one is reused
    // with `kind: request` and the request as target.
    await ctx.audit.record(trx, {
      actor: auditOf(caller),
      action: 'subject.reveal',
      target: { type: 'request', id },
      controllerId: row.controller_id,
      outcome: 'success',
      details: {
        kind: 'request',
        reason,
        fields: [
          ...(opened.contact.name !== null ? ['name'] : []),
          ...(opened.contact.email !== null ? ['email'] : []),
          ...(opened.contact.phone !== null ? ['phone'] : []),
          ...(opened.details !== null ? ['details'] : []),
        ],
      },
    });
    return presentRequest(row, opened, ctx.clock.now().toISOString(), { reveal: true });
  });
}

export async function listEvents(ctx: AppContext, caller: Principal, id: string) {
  return transaction(ctx.store, async (trx) => {
    await loadForStaff(trx, caller, id);
    const rows = await trx
      .selectFrom('request_events')
      .selectAll()
      .where('request_id', '=', id)
      .orderBy('at')
      .orderBy('id')
      .execute();
    return { items: rows.map(presentEvent) };
  });
}

/** Assigns a handler: an active staff member who may handle requests of this controller. */
export async function assignRequest(
  ctx: AppContext,
  caller: Principal,
  id: string,
  input: AssignBody,
) {
  return transaction(ctx.store, async (trx) => {
    const row = await loadForStaff(trx, caller, id, ctx.store);
    if (isFinal(row.status))
      throw conflict(`A request in state "${row.status}" cannot be assigned.`);
    const user = await trx
      .selectFrom('users')
      .select(['id', 'roles', 'status', 'all_controllers'])
      .where('id', '=', input.userId)
      .executeTakeFirst();
    const scope = user === undefined ? null : await controllerScopeOf(trx, user);
    if (
      user === undefined ||
      user.status !== 'active' ||
      !permissionsOf(rolesOf(user)).has('requests.handle') ||
      (scope !== 'all' && !scope?.has(row.controller_id))
    )
      throw invalidField('/userId', 'is not an active staff member who may handle this request');
    const now = ctx.clock.now().toISOString();
    await trx
      .updateTable('requests')
      .set({ assigned_to: user.id, version: row.version + 1, updated_at: now })
      .where('id', '=', id)
      .execute();
    await appendEvent(ctx, trx, id, staffActor(caller), {
      action: 'assign',
      details: { from: row.assigned_to, to: user.id },
    });
    await ctx.audit.record(trx, {
      actor: auditOf(caller),
      action: 'request.assign',
      target: { type: 'request', id },
      controllerId: row.controller_id,
      outcome: 'success',
      details: { assignee: user.id, previous: row.assigned_to },
    });
    return view(ctx, trx, await reload(trx, id));
  });
}

/** An internal note, sealed with the request's key (it may describe the person). */
export async function addNote(ctx: AppContext, caller: Principal, id: string, input: NoteBody) {
  const body = input.body.trim();
  if (body === '') throw invalidField('/body', 'is empty');
  return transaction(ctx.store, async (trx) => {
    const row = await loadForStaff(trx, caller, id);
    const key = await requestKey(ctx, trx, id);
    const noteId = newId();
    const createdAt = ctx.clock.now().toISOString();
    await trx
      .insertInto('request_notes')
      .values({
        id: noteId,
        request_id: id,
        author_id: caller.userId,
        body_enc: sealNote(key, noteId, body),
        created_at: createdAt,
      })
      .execute();
    await ctx.audit.record(trx, {
      actor: auditOf(caller),
      action: 'request.note',
      target: { type: 'request', id },
      controllerId: row.controller_id,
      outcome: 'success',
      details: { note: noteId },
    });
    return { id: noteId, authorId: caller.userId, body, createdAt };
  });
}

export async function listNotes(ctx: AppContext, caller: Principal, id: string) {
  return transaction(ctx.store, async (trx) => {
    await loadForStaff(trx, caller, id);
    const rows = await trx
      .selectFrom('request_notes')
      .selectAll()
      .where('request_id', '=', id)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    const key = rows.length === 0 ? null : await ctx.keyring.dataKey(trx, 'request', id);
    return {
      items: rows.map((r) => ({
        id: r.id,
        authorId: r.author_id,
        body: key === null ? null : openNote(key, r),
        createdAt: r.created_at,
      })),
    };
  });
}

/** Work begins; the starter becomes the handler when none is assigned. */
export async function startRequest(ctx: AppContext, caller: Principal, id: string) {
  return transaction(ctx.store, async (trx) => {
    const row = await loadForStaff(trx, caller, id, ctx.store);
    const next = await transition(ctx, trx, row, 'start', staffActor(caller), {
      caller,
      set: row.assigned_to === null ? { assigned_to: caller.userId } : {},
    });
    return view(ctx, trx, next);
  });
}

/**
 * The one extension, notified to the person with its reason. PIPL mode adds working days; GDPR
 * mode adds one or two months, and only within the first month after receipt (GDPR art. 12(3)).
 */
export async function extendRequest(
  ctx: AppContext,
  caller: Principal,
  id: string,
  input: ExtendBody,
) {
  const reason = checkStaffText('/reason', input.reason);
  const gdpr = ctx.config.requestDeadlineMode === 'gdpr';
  if (gdpr && input.workingDays !== undefined)
    throw invalidField('/workingDays', 'does not apply in GDPR mode; give months (1 or 2)');
  if (!gdpr && input.months !== undefined)
    throw invalidField('/months', 'applies in GDPR mode only; give workingDays');
  if (gdpr && input.months === undefined) throw invalidField('/months', 'is required');
  if (!gdpr && input.workingDays === undefined) throw invalidField('/workingDays', 'is required');
  return transaction(ctx.store, async (trx) => {
    const row = await loadForStaff(trx, caller, id, ctx.store);
    if (row.extended_at !== null) throw conflict('This request was already extended once.');
    if (nextState(row.status, 'extend') === null)
      throw conflict(`A request in state "${row.status}" does not allow the action "extend".`);
    const now = ctx.clock.now().toISOString();
    const base = { receivedAt: row.received_at, verifiedAt: row.verified_at };
    if (gdpr) {
      const firstMonth = deadlinesOf(ctx, base).dueAt;
      if (firstMonth !== null && now > firstMonth)
        throw conflict(
          'An extension must be decided and notified within the first month after receipt.',
        );
    }
    const extension = gdpr ? { months: input.months } : { workingDays: input.workingDays };
    const deadlines = deadlinesOf(ctx, { ...base, extension });
    const next = await transition(ctx, trx, row, 'extend', staffActor(caller), {
      caller,
      reason,
      auditReason: true,
      audit: 'request.extend',
      set: {
        extended_at: now,
        extension_reason: reason,
        due_at: deadlines.dueAt,
        alarm_at: deadlines.alarmAt,
      },
      details: gdpr ? { months: input.months ?? 0 } : { workingDays: input.workingDays ?? 0 },
    });
    const { contact } = await openRequest(ctx, trx, next);
    if (next.due_at !== null)
      await mailPerson(
        ctx,
        trx,
        next,
        contact,
        'request_extended',
        { reference: referenceOf(id), dueAt: next.due_at, reason },
        'extended',
      );
    return view(ctx, trx, next);
  });
}

/** Carries the request out against the store, records what was done and tells the person. */
export async function fulfilRequest(
  ctx: AppContext,
  caller: Principal,
  id: string,
  input: FulfilBody,
) {
  const result = await transaction(ctx.store, async (trx) => {
    const row = await loadForStaff(trx, caller, id, ctx.store);
    if (nextState(row.status, 'fulfil') === null)
      throw conflict(`A request in state "${row.status}" does not allow the action "fulfil".`);
    if (row.fee_status === 'flagged' || row.fee_status === 'quoted')
      throw conflict(
        'A fee decision is pending: quote or waive the fee, or wait for the person’s answer.',
      );
    if (row.refusal_ground !== null)
      throw conflict('A refusal of this request is waiting for approval.');
    const outcome = await fulfil(ctx, trx, row, caller, {
      corrections: input.corrections,
      act: input.act,
      purposes: input.purposes,
    });
    // The stored outcome keeps when the download expires, never its link: the token in it is
    // a bearer secret and travels only in the sealed mail to the person.
    const stored = {
      ...outcome,
      download: outcome.download && { expiresAt: outcome.download.expiresAt },
    };
    const next = await transition(ctx, trx, row, 'fulfil', staffActor(caller), {
      caller,
      set: { outcome: JSON.stringify(stored) },
      details: { kinds: outcome.done.map((d) => d.kind), partial: outcome.partial },
    });
    const { contact } = await openRequest(ctx, trx, next);
    await mailPerson(
      ctx,
      trx,
      next,
      contact,
      'request_fulfilled',
      {
        reference: referenceOf(id),
        type: next.type,
        done: doneLines(outcome, next.lang),
        partial: outcome.partial,
        downloadUrl: outcome.download?.url ?? null,
        downloadExpiresAt: outcome.download?.expiresAt ?? null,
      },
      `fulfilled:${next.version}`,
    );
    return view(ctx, trx, next);
  });
  // An erasure leaves old page images in SQLite's write-ahead log until a checkpoint.
  await scrubSqliteWal(ctx);
  return result;
}
