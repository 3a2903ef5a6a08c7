// Identity verification by a one-time code sent to the contact the person gave (GB/T 35273 §8.7;
// §8.5: never ask for more kinds of personal information than were collected). Codes are six
// random digits, kept only as a keyed hash bound to the request, valid for a few minutes, and
// locked after a few wrong tries; a new code is a new verification.
import { randomInt, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import type { AppContext } from '../context.js';
import { newId } from '../db/ids.js';
import { transaction, type Trx } from '../db/store.js';
import type { Row } from '../db/types.js';
import { conflict, invalidField } from '../errors.js';
import { routeToControllers } from './forward/route.js';
import { PERSON, transition } from './events.js';
import { loadByToken } from './lookup.js';
import { mailPerson, referenceOf, statusUrlOf } from './notices.js';
import { deadlinesOf } from './schedule.js';
import { openRequest, type Contact } from './seal.js';
import type { VerifyBody } from './schema.js';

/** New codes one request may be sent in all; beyond that the person submits again. */
export const MAX_CODES_PER_REQUEST = 5;

/** Keyed hash of a code, bound to its request: a stolen table does not give codes away. */
const codeHash = (ctx: AppContext, requestId: string, code: string): Buffer =>
  ctx.keyring.blindIndex('request_code', `${requestId}:${code}`);

/**
 * How the code will travel: e-mail when the person gave one, else SMS. With no SMS sender
 * configured a phone-only request cannot be verified, so it is refused before anything is written.
 */
export function channelFor(
  ctx: AppContext,
  contact: Pick<Contact, 'email' | 'phone'>,
): 'email' | 'sms' {
  if (contact.email !== null) return 'email';
  if (ctx.config.smsSender === 'none')
    throw invalidField(
      '/email',
      'is needed: codes cannot be sent by text message here, so give an e-mail address',
    );
  return 'sms';
}

/** Creates a verification and sends its code (inside the caller's transaction). */
export async function issueCode(
  ctx: AppContext,
  trx: Trx,
  row: Pick<Row<'requests'>, 'id' | 'lang' | 'controller_id'>,
  contact: Contact,
  channel: 'email' | 'sms',
): Promise<{ expiresAt: string }> {
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const now = ctx.clock.now();
  const expiresAt = new Date(
    now.getTime() + ctx.config.verificationCodeMinutes * 60_000,
  ).toISOString();
  const id = newId();
  await trx
    .insertInto('request_verifications')
    .values({
      id,
      request_id: row.id,
      channel,
      code_hash: codeHash(ctx, row.id, code),
      expires_at: expiresAt,
      attempts: 0,
      max_attempts: ctx.config.verificationMaxAttempts,
      created_at: now.toISOString(),
      verified_at: null,
      locked_at: null,
    })
    .execute();
  if (channel === 'email') {
    await mailPerson(
      ctx,
      trx,
      row,
      contact,
      'request_verification_code',
      {
        reference: referenceOf(row.id),
        code,
        minutes: String(ctx.config.verificationCodeMinutes),
      },
      `code:${id}`,
    );
  } else {
    // The `log` SMS sender (development and test only; production refuses it): the request id and
    // the code, never the number it would go to.
    ctx.log.info({ request: row.id, code }, 'sms verification code (log sender)');
  }
  await ctx.audit.record(trx, {
    actor: { type: 'anonymous', id: null },
    action: 'request.verification_sent',
    target: { type: 'request', id: row.id },
    controllerId: row.controller_id,
    outcome: 'success',
    details: { channel, verification: id },
  });
  return { expiresAt };
}

type Attempt =
  | { kind: 'ok'; row: Row<'requests'> }
  | { kind: 'wrong'; left: number }
  | { kind: 'locked' }
  | { kind: 'expired' };

/** The subject the verified contact belongs to, when exactly one does (no guessing among several). */
async function matchSubject(trx: Trx, row: Row<'requests'>): Promise<string | null> {
  const keys: Array<{ kind: string; digest: Buffer }> = [];
  if (row.email_digest !== null) keys.push({ kind: 'email', digest: row.email_digest });
  if (row.phone_digest !== null) keys.push({ kind: 'phone', digest: row.phone_digest });
  if (keys.length === 0) return null;
  let q = trx
    .selectFrom('subject_identifiers')
    .innerJoin('subjects', 'subjects.id', 'subject_identifiers.subject_id')
    .select('subject_identifiers.subject_id')
    .distinct()
    .where('subjects.status', '=', 'active')
    .where((eb) =>
      eb.or(
        keys.map((k) =>
          eb.and([
            eb('subject_identifiers.kind', '=', k.kind),
            eb('subject_identifiers.digest', '=', k.digest),
          ]),
        ),
      ),
    );
  // A person who named a business client is matched within that client's data only.
  if (row.controller_id !== 'self')
    q = q.where('subject_identifiers.controller_id', '=', row.controller_id);
  const ids = await q.limit(2).execute();
  return ids.length === 1 ? ids[0]!.subject_id : null;
}

/**
 * Checks a code. A wrong code is counted (and the count committed) before the 400 goes out; the
 * last allowed wrong try locks the code. On success the clock starts: the request is matched to
 * its subject, opened with its deadlines and routed to the controllers holding the data.
 */
export async function verifyRequest(ctx: AppContext, id: string, input: VerifyBody) {
  const attempt = await transaction(ctx.store, async (trx): Promise<Attempt> => {
    const row = await loadByToken(ctx.store, trx, id, input.token);
    if (row.verified_at !== null) throw conflict('This request is already verified.');
    if (row.status !== 'received' && row.status !== 'verifying')
      throw conflict(`A request in state "${row.status}" cannot be verified.`);
    const v = await trx
      .selectFrom('request_verifications')
      .selectAll()
      .where('request_id', '=', id)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst();
    if (v === undefined) throw conflict('No code was sent for this request; ask for a new one.');
    if (v.locked_at !== null) return { kind: 'locked' };
    const now = ctx.clock.now();
    if (now.toISOString() >= v.expires_at) return { kind: 'expired' };
    const code = input.code.trim();
    const good = /^[0-9]{6}$/.test(code) && timingSafeEqual(codeHash(ctx, id, code), v.code_hash);
    if (!good) {
      const attempts = v.attempts + 1;
      const lockNow = attempts >= v.max_attempts;
      await trx
        .updateTable('request_verifications')
        .set({ attempts: sql`attempts + 1`, ...(lockNow ? { locked_at: now.toISOString() } : {}) })
        .where('id', '=', v.id)
        .execute();
      await ctx.audit.record(trx, {
        actor: { type: 'anonymous', id: null },
        action: 'request.verify_failed',
        target: { type: 'request', id },
        controllerId: row.controller_id,
        outcome: 'failure',
        details: { verification: v.id, attempts, locked: lockNow },
      });
      return lockNow ? { kind: 'locked' } : { kind: 'wrong', left: v.max_attempts - attempts };
    }
    const at = now.toISOString();
    await trx
      .updateTable('request_verifications')
      .set({ verified_at: at })
      .where('id', '=', v.id)
      .execute();
    const subjectId = await matchSubject(trx, row);
    const deadlines = deadlinesOf(ctx, { receivedAt: row.received_at, verifiedAt: at });
    const opened = await transition(ctx, trx, row, 'verify', PERSON, {
      set: {
        verified_at: at,
        subject_id: subjectId,
        due_at: deadlines.dueAt,
        alarm_at: deadlines.alarmAt,
      },
      audit: 'request.verify',
      details: { channel: v.channel, matched: subjectId !== null },
    });
    const routing = await routeToControllers(ctx, trx, opened);
    const current = await trx
      .selectFrom('requests')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    if (!routing.forwarded) {
      const { contact } = await openRequest(ctx, trx, current);
      await mailPerson(
        ctx,
        trx,
        current,
        contact,
        'request_received',
        {
          reference: referenceOf(id),
          type: current.type,
          statusUrl: statusUrlOf(ctx, id, input.token),
          dueAt: current.due_at,
        },
        'verified',
      );
    }
    return { kind: 'ok', row: current };
  });
  switch (attempt.kind) {
    case 'ok':
      return {
        id,
        status: attempt.row.status,
        dueAt: attempt.row.due_at,
        subjectMatched: attempt.row.subject_id !== null,
      };
    case 'wrong':
      throw invalidField(
        '/code',
        `is not the code we sent; ${attempt.left} ${attempt.left === 1 ? 'try' : 'tries'} left`,
      );
    case 'locked':
      throw conflict(
        'This code is locked after too many wrong tries; ask for a new code (POST …/verification).',
      );
    case 'expired':
      throw invalidField('/code', 'has expired; ask for a new code');
    default:
      return attempt satisfies never;
  }
}

/** Sends a fresh code (the old one stops counting); at most MAX_CODES_PER_REQUEST in all. */
export async function resendCode(ctx: AppContext, id: string, token: string) {
  return transaction(ctx.store, async (trx) => {
    const row = await loadByToken(ctx.store, trx, id, token);
    if (row.verified_at !== null) throw conflict('This request is already verified.');
    if (row.status !== 'received' && row.status !== 'verifying')
      throw conflict(`A request in state "${row.status}" cannot be verified.`);
    const sent = await trx
      .selectFrom('request_verifications')
      .select(sql<number>`count(*)`.as('n'))
      .where('request_id', '=', id)
      .executeTakeFirstOrThrow();
    if (Number(sent.n) >= MAX_CODES_PER_REQUEST)
      throw conflict('No more codes can be sent for this request; please submit it again.');
    const { contact } = await openRequest(ctx, trx, row);
    const channel = row.verification_channel ?? channelFor(ctx, contact);
    // The previous code stops working as soon as a new one is issued.
    await trx
      .updateTable('request_verifications')
      .set({ locked_at: ctx.clock.now().toISOString() })
      .where('request_id', '=', id)
      .where('locked_at', 'is', null)
      .where('verified_at', 'is', null)
      .execute();
    const { expiresAt } = await issueCode(ctx, trx, row, contact, channel);
    return { id, verification: channel, expiresAt };
  });
}
