// What the person who made a request can do with its status token: see where it stands, withdraw
// it, answer a fee quote, and appeal a refusal. Answers carry no personal values.
import type { AppContext } from '../context.js';
import { newId } from '../db/ids.js';
import { transaction } from '../db/store.js';
import type { Row } from '../db/types.js';
import { conflict } from '../errors.js';
import { appendEvent, PERSON, transition } from './events.js';
import { nextState } from './states.js';
import { groundInfo, type RefusalGround } from './grounds.js';
import { loadByToken } from './lookup.js';
import { referenceOf } from './notices.js';
import { deadlinesOf } from './schedule.js';
import type { AppealBody, FeeDecision } from './schema.js';
import { requestKey, sealNote } from './seal.js';

/** The person's view of a request. */
export async function presentStatus(ctx: AppContext, row: Row<'requests'>) {
  const controller =
    row.status === 'forwarded'
      ? await ctx.store.db
          .selectFrom('controllers')
          .select(['name', 'contact_email'])
          .where('id', '=', row.controller_id)
          .executeTakeFirst()
      : undefined;
  const refused = row.status === 'refused' && row.refusal_ground !== null;
  // A request split per holder shows each part (holder name and state, nothing of the answer).
  const parts =
    row.parent_id === null
      ? await ctx.store.db
          .selectFrom('requests')
          .innerJoin('controllers', 'controllers.id', 'requests.controller_id')
          .select(['requests.id', 'requests.status', 'controllers.name'])
          .where('requests.parent_id', '=', row.id)
          .orderBy('requests.id')
          .execute()
      : [];
  return {
    id: row.id,
    reference: referenceOf(row.id),
    type: row.type,
    status: row.status,
    receivedAt: row.received_at,
    verifiedAt: row.verified_at,
    dueAt: row.due_at,
    extended: row.extended_at !== null,
    fee:
      row.fee_status === 'quoted' || row.fee_status === 'accepted' || row.fee_status === 'declined'
        ? {
            status: row.fee_status,
            amountCents: row.fee_amount_cents,
            costBasis: row.fee_cost_basis,
          }
        : null,
    refusal: refused
      ? {
          ground: row.refusal_ground,
          label: groundInfo(row.refusal_ground as RefusalGround).label,
          reason: row.refusal_reason,
        }
      : null,
    forwardedTo:
      controller === undefined
        ? null
        : { name: controller.name, contact: controller.contact_email },
    closedAt: row.closed_at,
    canWithdraw: nextState(row.status, 'withdraw') !== null,
    parts: parts.map((p) => ({ id: p.id, controller: p.name, status: p.status })),
  };
}

export type RequestStatus = Awaited<ReturnType<typeof presentStatus>>;

/** The status of a request for the holder of its token. */
export async function requestStatus(ctx: AppContext, id: string, token: string) {
  const row = await transaction(ctx.store, (trx) => loadByToken(ctx.store, trx, id, token));
  return presentStatus(ctx, row);
}

/**
 * The person withdraws their request (allowed until it is answered). Withdrawing a request that was
 * split per holder withdraws every part still open, so no holder goes on working it.
 */
export async function withdrawRequest(ctx: AppContext, id: string, token: string) {
  const row = await transaction(ctx.store, async (trx) => {
    const row = await loadByToken(ctx.store, trx, id, token);
    const withdrawn = await transition(ctx, trx, row, 'withdraw', PERSON);
    const parts = await trx
      .selectFrom('requests')
      .selectAll()
      .where('parent_id', '=', row.id)
      .execute();
    for (const part of parts)
      if (nextState(part.status, 'withdraw') !== null)
        await transition(ctx, trx, part, 'withdraw', PERSON, {
          reason: 'The person withdrew the whole request.',
        });
    return withdrawn;
  });
  return presentStatus(ctx, row);
}

/** The person accepts the quoted fee, or declines it, which withdraws the request. */
export async function answerFee(ctx: AppContext, id: string, input: FeeDecision) {
  const row = await transaction(ctx.store, async (trx) => {
    const row = await loadByToken(ctx.store, trx, id, input.token);
    if (row.fee_status !== 'quoted') throw conflict('There is no fee quote waiting for an answer.');
    if (!input.accept)
      return transition(ctx, trx, row, 'withdraw', PERSON, {
        set: { fee_status: 'declined' },
        audit: 'request.fee',
        details: { decision: 'declined' },
      });
    const now = ctx.clock.now().toISOString();
    await trx
      .updateTable('requests')
      .set({ fee_status: 'accepted', version: row.version + 1, updated_at: now })
      .where('id', '=', id)
      .execute();
    await appendEvent(ctx, trx, id, PERSON, {
      action: 'fee_accepted',
      details: { decision: 'accepted' },
    });
    await ctx.audit.record(trx, {
      actor: { type: 'anonymous', id: null },
      action: 'request.fee',
      target: { type: 'request', id },
      controllerId: row.controller_id,
      outcome: 'success',
      details: { decision: 'accepted' },
    });
    return { ...row, fee_status: 'accepted' as const, updated_at: now, version: row.version + 1 };
  });
  return presentStatus(ctx, row);
}

/**
 * The person contests an answer: the request goes back to work with a fresh deadline. Their words
 * are sealed as a note (they may hold personal details); one appeal per request.
 */
export async function appealRequest(ctx: AppContext, id: string, input: AppealBody) {
  const row = await transaction(ctx.store, async (trx) => {
    const row = await loadByToken(ctx.store, trx, id, input.token);
    const earlier = await trx
      .selectFrom('request_events')
      .select('id')
      .where('request_id', '=', id)
      .where('action', '=', 'appeal')
      .executeTakeFirst();
    if (earlier !== undefined) throw conflict('This request was already appealed once.');
    const now = ctx.clock.now().toISOString();
    const deadlines = deadlinesOf(ctx, { receivedAt: now, verifiedAt: now });
    const next = await transition(ctx, trx, row, 'appeal', PERSON, {
      set: {
        due_at: deadlines.dueAt,
        alarm_at: deadlines.alarmAt,
        refusal_ground: null,
        refusal_reason: null,
        refusal_evidence_ref: null,
        refusal_approved_by: null,
        refusal_proposed_by: null,
        refusal_proposed_at: null,
      },
      details: { previousGround: row.refusal_ground },
    });
    const noteId = newId();
    await trx
      .insertInto('request_notes')
      .values({
        id: noteId,
        request_id: id,
        author_id: 'person',
        body_enc: sealNote(await requestKey(ctx, trx, id), noteId, input.reason.trim()),
        created_at: now,
      })
      .execute();
    return next;
  });
  return presentStatus(ctx, row);
}
