// What the status page needs from the request services, in the page's terms: the services are
// the same ones the API calls (token-checked, audited there); this file only turns their answers
// and their refusals into what a person reads.
import type { AppContext } from '../../context.js';
import { transaction } from '../../db/store.js';
import { isAppError } from '../../errors.js';
import type { Lang } from '../contracts.js';
import { complaintContactOf } from '../notices.js';
import { answerFee, requestStatus, withdrawRequest, type RequestStatus } from '../person.js';
import { resendCode, verifyRequest } from '../verification.js';
import type { StatusView } from './views.js';

/** The view of a request, or null when the id and token do not open one (a 404 page). */
export type StatusOutcome = StatusView | null;

const isNotFound = (error: unknown) => isAppError(error) && error.status === 404;

async function complaintContact(ctx: AppContext, id: string): Promise<string> {
  return transaction(ctx.store, async (trx) => {
    const row = await trx
      .selectFrom('requests')
      .select('controller_id')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    return complaintContactOf(ctx, trx, row);
  });
}

async function toView(ctx: AppContext, s: RequestStatus, lang: Lang): Promise<StatusView> {
  const awaitingCode =
    s.verifiedAt === null && (s.status === 'received' || s.status === 'verifying');
  return {
    id: s.id,
    type: s.type,
    status: s.status,
    receivedAt: s.receivedAt,
    // The clock is paused until the person is verified; a date shown then would mislead.
    dueAt: awaitingCode ? null : s.dueAt,
    awaitingCode,
    fee: s.fee === null ? null : { state: s.fee.status, amountCents: s.fee.amountCents ?? 0 },
    refusal:
      s.refusal === null
        ? null
        : {
            ground: s.refusal.label[lang],
            reason: s.refusal.reason,
            complaintContact: await complaintContact(ctx, s.id),
          },
    forwarded:
      s.forwardedTo === null
        ? null
        : { controllerName: s.forwardedTo.name, contact: s.forwardedTo.contact },
    canWithdraw: s.canWithdraw,
    parts: s.parts.map((p) => ({ controllerName: p.controller, status: p.status })),
  };
}

/** The status of a request for the holder of its token. */
export async function readStatus(
  ctx: AppContext,
  id: string,
  token: string,
  lang: Lang,
): Promise<StatusOutcome> {
  try {
    return await toView(ctx, await requestStatus(ctx, id, token), lang);
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

export type VerifyVerdict = 'verified' | 'wrong' | 'expired' | 'locked' | 'settled' | 'not_found';

/**
 * Checks a code through the verification service. The service counts every wrong try; here only
 * the kind of refusal is read back, from the latest code's own record, to word it for a person.
 */
export async function verifyCode(
  ctx: AppContext,
  id: string,
  token: string,
  code: string,
): Promise<VerifyVerdict> {
  try {
    await verifyRequest(ctx, id, { token, code });
    return 'verified';
  } catch (error) {
    if (!isAppError(error)) throw error;
    if (error.status === 404) return 'not_found';
    if (error.code !== 'validation' && error.code !== 'conflict') throw error;
    const latest = await ctx.store.db
      .selectFrom('request_verifications')
      .select(['expires_at', 'locked_at', 'verified_at'])
      .where('request_id', '=', id)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst();
    if (latest === undefined) return 'expired';
    if (latest.locked_at !== null) return 'locked';
    if (latest.verified_at !== null) return 'settled';
    if (latest.expires_at <= ctx.clock.now().toISOString()) return 'expired';
    return error.code === 'validation' ? 'wrong' : 'settled';
  }
}

/** Sends a fresh code; 'refused' when no more may be sent or the request is past verification. */
export async function newCode(
  ctx: AppContext,
  id: string,
  token: string,
): Promise<'sent' | 'refused' | 'not_found'> {
  try {
    await resendCode(ctx, id, token);
    return 'sent';
  } catch (error) {
    if (isNotFound(error)) return 'not_found';
    if (isAppError(error) && error.code === 'conflict') return 'refused';
    throw error;
  }
}

/** The person's answer to a fee quote; 'settled' when there is no quote waiting any more. */
export async function decideFee(
  ctx: AppContext,
  id: string,
  token: string,
  decision: 'accept' | 'decline',
): Promise<'done' | 'settled' | 'not_found'> {
  try {
    await answerFee(ctx, id, { token, accept: decision === 'accept' });
    return 'done';
  } catch (error) {
    if (isNotFound(error)) return 'not_found';
    if (isAppError(error) && error.code === 'conflict') return 'settled';
    throw error;
  }
}

/** The person withdraws the request; 'settled' when it was answered (or withdrawn) already. */
export async function withdrawByPerson(
  ctx: AppContext,
  id: string,
  token: string,
): Promise<'done' | 'settled' | 'not_found'> {
  try {
    await withdrawRequest(ctx, id, token);
    return 'done';
  } catch (error) {
    if (isNotFound(error)) return 'not_found';
    if (isAppError(error) && error.code === 'conflict') return 'settled';
    throw error;
  }
}
