// A controller's answer to a request forwarded to it. The controller is the handler (PIPL art. 21):
// it decides, and Custos records the decision and passes it on to the person. The controller
// authenticates with its response token; a wrong token, another controller's request or a request
// that was never forwarded all look the same (404), so nothing is learnt by guessing ids.
import { timingSafeEqual } from 'node:crypto';
import { looksPersonal } from '../../audit/events.js';
import type { AppContext } from '../../context.js';
import { encryptField } from '../../crypto/fields.js';
import { newId } from '../../db/ids.js';
import { forUpdate, transaction, type Db, type Trx } from '../../db/store.js';
import type { Row } from '../../db/types.js';
import { conflict, invalidField, notFound } from '../../errors.js';
import { settleParent } from '../events.js';
import { groundInfo } from '../grounds.js';
import { complaintContactOf, mailPerson, referenceOf } from '../notices.js';
import { openRequest, requestKey } from '../seal.js';
import { isFinal, nextState } from '../states.js';
import { responseTokenHash } from './endpoints.js';
import type { ControllerResponseBody } from './schema.js';

/** The token from `Authorization: Bearer <token>`, or null. */
export function bearerOf(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string') return null;
  const m = /^Bearer\s+(\S{1,200})$/i.exec(header.trim());
  return m === null ? null : m[1]!;
}

/**
 * The request, when `token` is the response token of the controller it was routed to (compared as
 * digests in constant time); otherwise 404. `lock` locks the request row for a change.
 */
export async function requestForController(
  ctx: AppContext,
  db: Db | Trx,
  requestId: string,
  token: string | null,
  lock = false,
): Promise<Row<'requests'>> {
  if (token === null) throw notFound('request');
  let q = db.selectFrom('requests').selectAll().where('id', '=', requestId);
  if (lock) q = forUpdate(ctx.store, q);
  const row = await q.executeTakeFirst();
  if (row === undefined || row.controller_id === 'self') throw notFound('request');
  const endpoint = await db
    .selectFrom('controller_endpoints')
    .select('response_token_hash')
    .where('controller_id', '=', row.controller_id)
    .executeTakeFirst();
  const stored = endpoint?.response_token_hash ?? null;
  const given = responseTokenHash(token);
  if (stored === null || stored.length !== given.length || !timingSafeEqual(stored, given))
    throw notFound('request');
  // Only requests actually passed on to the controller are its to answer.
  if (row.forwarded_at === null) throw notFound('request');
  return row;
}

function checkAnswer(input: ControllerResponseBody): { summary: string } {
  const summary = input.summary.trim();
  if (summary === '') throw invalidField('/summary', 'is empty');
  // The summary is mailed to the person and kept; it describes what was done, not who they are.
  if (looksPersonal(summary))
    throw invalidField(
      '/summary',
      'must not contain personal information such as e-mail addresses, phone or ID numbers',
    );
  if (input.outcome === 'refused' && input.ground === undefined)
    throw invalidField('/ground', 'is required when the outcome is refused');
  if (input.outcome === 'fulfilled' && input.ground !== undefined)
    throw invalidField('/ground', 'applies only to a refusal');
  return { summary };
}

export interface ControllerAnswer {
  id: string;
  status: Row<'requests'>['status'];
  answeredAt: string;
}

/**
 * Records a controller's answer: sealed with the request's key, the request closed as fulfilled or
 * refused through the state machine, the person told in the controller's words. Once only.
 */
export async function recordControllerResponse(
  ctx: AppContext,
  requestId: string,
  token: string | null,
  input: ControllerResponseBody,
): Promise<ControllerAnswer> {
  const { summary } = checkAnswer(input);
  return transaction(ctx.store, async (trx) => {
    const row = await requestForController(ctx, trx, requestId, token, true);
    if (row.controller_response_at !== null)
      throw conflict('This request was already answered; the answer cannot be changed.');
    const action = input.outcome === 'fulfilled' ? 'fulfil' : 'refuse';
    const to = nextState(row.status, action);
    if (to === null)
      throw conflict(`A request in state "${row.status}" cannot take the controller's answer.`);

    const now = ctx.clock.now().toISOString();
    const key = await requestKey(ctx, trx, row.id);
    const answer = { outcome: input.outcome, summary, ground: input.ground ?? null, at: now };
    const sealed = encryptField(key, JSON.stringify(answer), {
      table: 'requests',
      column: 'controller_response_enc',
      rowId: row.id,
    });
    await trx
      .updateTable('requests')
      .set({
        status: to,
        controller_response_at: now,
        controller_response_enc: sealed,
        refusal_ground: input.ground ?? null,
        outcome: JSON.stringify({ by: 'controller', outcome: input.outcome }),
        closed_at: isFinal(to) ? now : null,
        version: row.version + 1,
        updated_at: now,
      })
      .where('id', '=', row.id)
      .execute();
    // The controller is the actor of record here, not a staff member or the system.
    await trx
      .insertInto('request_events')
      .values({
        id: newId(),
        request_id: row.id,
        at: now,
        actor_type: 'controller',
        actor_id: row.controller_id,
        action: 'controller_response',
        from_status: row.status,
        to_status: to,
        reason: null,
        details: JSON.stringify({ outcome: input.outcome, ground: input.ground ?? null }),
      })
      .execute();
    if (row.parent_id !== null)
      await trx
        .insertInto('request_events')
        .values({
          id: newId(),
          request_id: row.parent_id,
          at: now,
          actor_type: 'controller',
          actor_id: row.controller_id,
          action: 'child_answered',
          from_status: null,
          to_status: null,
          reason: null,
          details: JSON.stringify({ child: row.id, outcome: input.outcome }),
        })
        .execute();

    const controller = await trx
      .selectFrom('controllers')
      .select(['name', 'contact_email'])
      .where('id', '=', row.controller_id)
      .executeTakeFirstOrThrow();
    const { contact } = await openRequest(ctx, trx, row);
    // The person knows the umbrella's reference when the request was split.
    const reference = referenceOf(row.parent_id ?? row.id);
    const zh = row.lang === 'zh-CN';
    const notified =
      input.outcome === 'fulfilled'
        ? await mailPerson(
            ctx,
            trx,
            row,
            contact,
            'request_fulfilled',
            {
              reference,
              type: row.type,
              done: [
                zh
                  ? `${controller.name}答复：${summary}`
                  : `${controller.name} answered: ${summary}`,
              ],
              partial: false,
              downloadUrl: null,
              downloadExpiresAt: null,
            },
            'controller_response',
          )
        : await mailPerson(
            ctx,
            trx,
            row,
            contact,
            'request_refused',
            {
              reference,
              ground: groundInfo(input.ground!).label[row.lang],
              reason: summary,
              // The controller refused, so it is the first place to take a complaint.
              complaintContact:
                controller.contact_email ?? (await complaintContactOf(ctx, trx, row)),
            },
            'controller_response',
          );
    await ctx.audit.record(trx, {
      actor: { type: 'system', id: null },
      action: 'request.controller_response',
      target: { type: 'request', id: row.id },
      controllerId: row.controller_id,
      outcome: 'success',
      details: {
        by: 'controller',
        outcome: input.outcome,
        ground: input.ground ?? null,
        from: row.status,
        to,
        parent: row.parent_id,
        notified,
      },
    });
    // The last part answered closes the umbrella request (events.ts).
    if (row.parent_id !== null && isFinal(to)) await settleParent(ctx, trx, row.parent_id);
    return { id: row.id, status: to, answeredAt: now };
  });
}
