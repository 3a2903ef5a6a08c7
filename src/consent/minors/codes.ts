// The guardian's one-time code lives apart from the hold itself: issuing, checking and resending it
// carry their own rules (a digest bound to the hold, expiry, a lockout after wrong tries, single
// use), and holds.ts only needs the first of them.
import { randomInt, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import type { AppContext } from '../../context.js';
import { newId } from '../../db/ids.js';
import { transaction, type Trx } from '../../db/store.js';
import { conflict, invalidField } from '../../errors.js';
import { enqueueMail } from '../../notify/outbox.js';
import {
  assertOpen,
  guardianEmailOf,
  guardianLink,
  type Hold,
  inquiryOf,
  loadHold,
  PERSON,
} from './holds.js';

/** Keyed digest of a code, bound to its hold: a copy of the table does not give codes away. */
const codeDigest = (ctx: AppContext, holdId: string, code: string): Buffer =>
  ctx.keyring.blindIndex('guardian_code', `${holdId}:${code}`);

/** Issues a fresh code for the hold (the previous one stops working) and mails it. */
export async function sendCode(
  ctx: AppContext,
  trx: Trx,
  hold: Pick<Hold, 'id' | 'lang' | 'minor_subject_id' | 'deadline_at'>,
  token: string,
  guardianEmail: string,
  purpose: { nameEn: string; nameZh: string },
): Promise<void> {
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const now = ctx.clock.now();
  await trx
    .updateTable('guardian_holds')
    .set({
      status: 'code_sent',
      code_digest: codeDigest(ctx, hold.id, code),
      code_expires_at: new Date(
        now.getTime() + ctx.config.verificationCodeMinutes * 60_000,
      ).toISOString(),
      attempts: 0,
    })
    .where('id', '=', hold.id)
    .execute();
  await enqueueMail(ctx, trx, {
    to: guardianEmail,
    // Sealed with the child's key: shredding the child also makes queued mail unreadable.
    subjectId: hold.minor_subject_id,
    template: 'guardian_code',
    lang: hold.lang,
    params: {
      code,
      minutes: String(ctx.config.verificationCodeMinutes),
      link: guardianLink(ctx, hold.id, token, hold.lang),
      purposeName: hold.lang === 'en' ? purpose.nameEn : purpose.nameZh,
      deadline: hold.deadline_at,
    },
    dedupeKey: `guardian:${hold.id}:code:${newId()}`,
  });
  await ctx.audit.record(trx, {
    actor: PERSON,
    action: 'guardian.code_sent',
    target: { type: 'guardian_hold', id: hold.id },
    controllerId: null,
    outcome: 'success',
    details: { minor: hold.minor_subject_id },
  });
}

/** What entering a code did. `used`: the hold was already verified (a code works once). */
export type CodeVerdict =
  | { kind: 'ok' }
  | { kind: 'wrong'; left: number }
  | { kind: 'locked' }
  | { kind: 'expired' }
  | { kind: 'used' };

/**
 * Checks the guardian's code. A wrong code is counted (and the count committed) before the answer
 * goes out; the last allowed wrong try locks the code until a new one is sent. A hold that is not
 * open any more is a 409, an unknown id or token a 404.
 */
export async function tryGuardianCode(
  ctx: AppContext,
  id: string,
  input: { token: string; code: string },
): Promise<CodeVerdict> {
  return transaction(ctx.store, async (trx): Promise<CodeVerdict> => {
    const hold = await loadHold(ctx, trx, id, input.token);
    assertOpen(ctx, hold);
    if (hold.status === 'pending') return { kind: 'used' };
    const max = ctx.config.verificationMaxAttempts;
    if (hold.code_digest === null || hold.attempts >= max) return { kind: 'locked' };
    const now = ctx.clock.now().toISOString();
    if (hold.code_expires_at === null || now >= hold.code_expires_at) return { kind: 'expired' };
    const code = input.code.trim();
    const good =
      /^[0-9]{6}$/.test(code) &&
      timingSafeEqual(codeDigest(ctx, id, code), Buffer.from(hold.code_digest));
    if (!good) {
      const attempts = hold.attempts + 1;
      await trx
        .updateTable('guardian_holds')
        .set({ attempts: sql`attempts + 1` })
        .where('id', '=', id)
        .execute();
      await ctx.audit.record(trx, {
        actor: PERSON,
        action: 'guardian.verify_failed',
        target: { type: 'guardian_hold', id },
        controllerId: null,
        outcome: 'failure',
        details: { attempts, locked: attempts >= max },
      });
      return attempts >= max ? { kind: 'locked' } : { kind: 'wrong', left: max - attempts };
    }
    // Single use: the digest goes, so the same code cannot be entered again.
    await trx
      .updateTable('guardian_holds')
      .set({ status: 'pending', code_digest: null, code_expires_at: null })
      .where('id', '=', id)
      .execute();
    await ctx.audit.record(trx, {
      actor: PERSON,
      action: 'guardian.verify',
      target: { type: 'guardian_hold', id },
      controllerId: null,
      outcome: 'success',
      details: { minor: hold.minor_subject_id },
    });
    return { kind: 'ok' };
  });
}

/** The API's verification: the verdict, or the 4xx that explains it. */
export async function verifyGuardian(
  ctx: AppContext,
  id: string,
  input: { token: string; code: string },
): Promise<{ id: string; status: 'pending' }> {
  const verdict = await tryGuardianCode(ctx, id, input);
  switch (verdict.kind) {
    case 'ok':
      return { id, status: 'pending' };
    case 'wrong':
      throw invalidField(
        '/code',
        `is not the code we sent; ${verdict.left} ${verdict.left === 1 ? 'try' : 'tries'} left`,
      );
    case 'locked':
      throw conflict(
        'This code is locked after too many wrong tries; ask for a new code (POST …/code).',
      );
    case 'expired':
      throw invalidField('/code', 'has expired; ask for a new code (POST …/code)');
    case 'used':
      throw conflict('This code was already used: the guardian is verified and can now decide.');
    default:
      return verdict satisfies never;
  }
}

/**
 * Sends the guardian a new code; only while the code is not yet verified. `limit` runs once the
 * token and state are checked (it throws when too many codes were sent), so a caller without the
 * token cannot use up the guardian's new codes.
 */
export async function resendGuardianCode(
  ctx: AppContext,
  id: string,
  token: string,
  limit: () => void = () => undefined,
): Promise<{ id: string; status: 'code_sent' }> {
  return transaction(ctx.store, async (trx) => {
    const hold = await loadHold(ctx, trx, id, token);
    assertOpen(ctx, hold);
    if (hold.status === 'pending')
      throw conflict('The guardian is already verified and can now decide.');
    limit();
    const email = await guardianEmailOf(ctx, trx, hold);
    const { purpose } = await inquiryOf(trx, hold);
    await sendCode(ctx, trx, hold, token, email, purpose);
    return { id, status: 'code_sent' as const };
  });
}
