// The decisions on a request that carry legal weight: refusals on coded grounds (grounds 5, 7 and 8
// only with a second approver and evidence) and fees for excessive repeats (quoted or waived by a
// privacy officer). Each decision, its event, its audit record and the notice share one transaction.

import { type Principal } from '../access/principal.js';

import type { AppContext } from '../context.js';

import { transaction, type Trx } from '../db/store.js';
import type { Row } from '../db/types.js';
import { conflict, invalidField } from '../errors.js';
import { appendEvent, checkStaffText, staffActor, transition } from './events.js';

import { groundInfo } from './grounds.js';
import { loadForStaff } from './lookup.js';
import { complaintContactOf, formatAmount, mailPerson, referenceOf } from './notices.js';

import type { ApproveRefusalBody, FeeQuoteBody, Reason, RefuseBody } from './schema.js';
import { openRequest } from './seal.js';
import { isFinal, nextState } from './states.js';

import { auditOf, reload, view } from './service.js';

/** Queues the refusal notice: ground, reasons, where to complain, and the right to go to court. */
async function sendRefusal(ctx: AppContext, trx: Trx, row: Row<'requests'>) {
  const { contact } = await openRequest(ctx, trx, row);
  const ground = row.refusal_ground;
  if (ground === null) return;
  const info = groundInfo(ground as RefuseBody['ground']);
  await mailPerson(
    ctx,
    trx,
    row,
    contact,
    'request_refused',
    {
      reference: referenceOf(row.id),
      ground: info.label[row.lang],
      reason: row.refusal_reason ?? '',
      complaintContact: await complaintContactOf(ctx, trx, row),
    },
    `refused:${row.version}`,
  );
}

/**
 * Refuses on a coded ground with reasons (PIPL art. 50). Grounds needing a second approver are
 * recorded as pending; they take effect when another privacy officer approves with evidence.
 */
export async function refuseRequest(
  ctx: AppContext,
  caller: Principal,
  id: string,
  input: RefuseBody,
) {
  const reason = checkStaffText('/reason', input.reason);
  const evidence =
    input.evidenceRef === undefined ? null : checkStaffText('/evidenceRef', input.evidenceRef);
  const info = groundInfo(input.ground);
  return transaction(ctx.store, async (trx) => {
    const row = await loadForStaff(trx, caller, id, ctx.store);
    if (row.refusal_ground !== null && row.status !== 'refused')
      throw conflict('A refusal of this request is already waiting for approval.');
    if (nextState(row.status, 'refuse') === null)
      throw conflict(`A request in state "${row.status}" does not allow the action "refuse".`);
    const now = ctx.clock.now().toISOString();
    const fields = {
      refusal_ground: input.ground,
      refusal_reason: reason,
      refusal_evidence_ref: evidence,
      refusal_proposed_by: caller.userId,
      refusal_proposed_at: now,
      refusal_approved_by: null,
    };
    if (info.needsSecondApprover) {
      await trx
        .updateTable('requests')
        .set({ ...fields, version: row.version + 1, updated_at: now })
        .where('id', '=', id)
        .execute();
      await appendEvent(ctx, trx, id, staffActor(caller), {
        action: 'refuse_proposed',
        reason,
        details: { ground: input.ground, evidence: evidence !== null },
      });
      await ctx.audit.record(trx, {
        actor: auditOf(caller),
        action: 'request.refuse',
        target: { type: 'request', id },
        controllerId: row.controller_id,
        outcome: 'success',
        details: { ground: input.ground, pending: true, reason },
      });
      return view(ctx, trx, await reload(trx, id));
    }
    const next = await transition(ctx, trx, row, 'refuse', staffActor(caller), {
      caller,
      reason,
      auditReason: true,
      audit: 'request.refuse',
      set: fields,
      details: { ground: input.ground, pending: false },
    });
    await sendRefusal(ctx, trx, next);
    return view(ctx, trx, next);
  });
}

/** The second approver of a refusal on ground 5, 7 or 8: another officer, with evidence attached. */
export async function approveRefusal(
  ctx: AppContext,
  caller: Principal,
  id: string,
  input: ApproveRefusalBody,
) {
  const given =
    input.evidenceRef === undefined ? null : checkStaffText('/evidenceRef', input.evidenceRef);
  return transaction(ctx.store, async (trx) => {
    const row = await loadForStaff(trx, caller, id, ctx.store);
    if (row.refusal_ground === null || row.status === 'refused')
      throw conflict('No refusal of this request is waiting for approval.');
    if (row.refusal_proposed_by === caller.userId)
      throw conflict(
        'A refusal on this ground needs a second approver: another privacy officer must approve it.',
      );
    const evidence = given ?? row.refusal_evidence_ref;
    if (evidence === null)
      throw invalidField('/evidenceRef', 'is required: this ground needs evidence on record');
    const next = await transition(ctx, trx, row, 'refuse', staffActor(caller), {
      caller,
      reason: row.refusal_reason,
      auditReason: true,
      audit: 'request.refuse',
      set: { refusal_evidence_ref: evidence, refusal_approved_by: caller.userId },
      details: {
        ground: row.refusal_ground,
        approved: true,
        proposedBy: row.refusal_proposed_by ?? '',
      },
    });
    await sendRefusal(ctx, trx, next);
    return view(ctx, trx, next);
  });
}

/** A fee for an excessive repeat: approved by an officer with its cost basis, and sent as a quote. */
export async function quoteFee(
  ctx: AppContext,
  caller: Principal,
  id: string,
  input: FeeQuoteBody,
) {
  const basis = checkStaffText('/costBasis', input.costBasis);
  return transaction(ctx.store, async (trx) => {
    const row = await loadForStaff(trx, caller, id, ctx.store);
    if (isFinal(row.status)) throw conflict(`A request in state "${row.status}" takes no fee.`);
    if (row.fee_status !== 'flagged')
      throw conflict('A fee can only be quoted for a request flagged as an excessive repeat.');
    const now = ctx.clock.now().toISOString();
    await trx
      .updateTable('requests')
      .set({
        fee_status: 'quoted',
        fee_amount_cents: input.amountCents,
        fee_cost_basis: basis,
        fee_approved_by: caller.userId,
        version: row.version + 1,
        updated_at: now,
      })
      .where('id', '=', id)
      .execute();
    await appendEvent(ctx, trx, id, staffActor(caller), {
      action: 'fee_quoted',
      reason: basis,
      details: { amountCents: input.amountCents },
    });
    await ctx.audit.record(trx, {
      actor: auditOf(caller),
      action: 'request.fee',
      target: { type: 'request', id },
      controllerId: row.controller_id,
      outcome: 'success',
      details: { decision: 'quoted', amountCents: input.amountCents, costBasis: basis },
    });
    const next = await reload(trx, id);
    const { contact } = await openRequest(ctx, trx, next);
    await mailPerson(
      ctx,
      trx,
      next,
      contact,
      'request_fee_quoted',
      {
        reference: referenceOf(id),
        amount: formatAmount(input.amountCents, next.lang),
        costBasis: basis,
      },
      'fee_quoted',
    );
    return view(ctx, trx, next);
  });
}

/** No fee after all (flagged or quoted): the request proceeds free of charge. */
export async function waiveFee(ctx: AppContext, caller: Principal, id: string, input: Reason) {
  const reason = checkStaffText('/reason', input.reason);
  return transaction(ctx.store, async (trx) => {
    const row = await loadForStaff(trx, caller, id, ctx.store);
    if (row.fee_status !== 'flagged' && row.fee_status !== 'quoted')
      throw conflict('There is no fee to waive on this request.');
    await trx
      .updateTable('requests')
      .set({
        fee_status: 'waived',
        fee_approved_by: caller.userId,
        version: row.version + 1,
        updated_at: ctx.clock.now().toISOString(),
      })
      .where('id', '=', id)
      .execute();
    await appendEvent(ctx, trx, id, staffActor(caller), { action: 'fee_waived', reason });
    await ctx.audit.record(trx, {
      actor: auditOf(caller),
      action: 'request.fee',
      target: { type: 'request', id },
      controllerId: row.controller_id,
      outcome: 'success',
      details: { decision: 'waived', reason },
    });
    return view(ctx, trx, await reload(trx, id));
  });
}
