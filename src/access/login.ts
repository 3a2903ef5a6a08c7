// Logging in: password, then the second factor, with throttling that slows an attacker without
// letting one lock a colleague out for good (ASVS 6.1.1/6.3.1, NIST SP 800-63B §5.2.2): after
// `loginBackoffAfter` consecutive failures each attempt waits an exponentially growing delay (at
// most 15 min); after `loginLockAfter` (≤ 100) the account is locked until an administrator
// unlocks it. Every attempt, good or bad, is an audit event, without the e-mail address.
import type { Actor } from '../audit/events.js';
import type { AppContext } from '../context.js';
import { transaction } from '../db/store.js';
import type { Row } from '../db/types.js';
import { AppError, locked, mfaRequired, tooManyRequests, unauthenticated } from '../errors.js';
import { decoyHash, hashPassword, needsRehash, verifyPassword } from './passwords.js';
import { requiresSecondFactor } from './permissions.js';
import { base32Decode, verifyTotp } from './totp.js';
import { findUserByEmail, openUserSecrets, rolesOf } from './users.js';
import { newSecret, sessionIdOf } from './tokens.js';

const MAX_DELAY_SECONDS = 15 * 60;
const WRONG = 'The e-mail address or password is wrong.';

export interface LoginInput {
  email: string;
  password: string;
  totp?: string | undefined;
  /** Truncated client address, kept with the session for the user's own session list. */
  ipPrefix: string | null;
}

export interface LoginResult {
  userId: string;
  sessionSecret: string;
  expiresAt: string;
}

const anonymous: Actor = { type: 'anonymous', id: null };

async function recordFailure(
  ctx: AppContext,
  user: Row<'users'> | null,
  reason: string,
): Promise<AppError> {
  const now = ctx.clock.now();
  return transaction(ctx.store, async (trx) => {
    if (user === null) {
      await ctx.audit.record(trx, {
        actor: anonymous,
        action: 'auth.login_failed',
        outcome: 'failure',
        details: { reason },
      });
      return unauthenticated(WRONG);
    }
    const failures = user.failed_logins + 1;
    const hard = failures >= ctx.config.loginLockAfter;
    const over = failures - ctx.config.loginBackoffAfter;
    const delay = over >= 0 ? Math.min(2 ** over, MAX_DELAY_SECONDS) : 0;
    await trx
      .updateTable('users')
      .set({
        failed_logins: failures,
        locked_until: delay > 0 ? new Date(now.getTime() + delay * 1000).toISOString() : null,
        hard_locked: hard ? 1 : 0,
        updated_at: now.toISOString(),
      })
      .where('id', '=', user.id)
      .execute();
    const target = { type: 'user', id: user.id };
    await ctx.audit.record(trx, {
      actor: anonymous,
      action: 'auth.login_failed',
      target,
      outcome: 'failure',
      details: { reason, failures },
    });
    if (hard) {
      await ctx.audit.record(trx, {
        actor: { type: 'system', id: null },
        action: 'auth.locked',
        target,
        outcome: 'success',
        details: { failures },
      });
      return locked();
    }
    return reason === 'totp'
      ? mfaRequired('The one-time code is wrong or already used.')
      : unauthenticated(WRONG);
  });
}

/** Checks the credentials and opens a session; throws a problem describing what failed. */
export async function login(ctx: AppContext, input: LoginInput): Promise<LoginResult> {
  const now = ctx.clock.now();
  const user = await findUserByEmail(ctx, ctx.store.db, input.email);
  if (user === null || user.status !== 'active') {
    await verifyPassword(await decoyHash(), input.password);
    throw await recordFailure(ctx, null, user === null ? 'unknown-account' : 'disabled');
  }
  if (user.hard_locked === 1) throw locked();
  if (user.locked_until !== null && user.locked_until > now.toISOString()) {
    throw tooManyRequests(
      (Date.parse(user.locked_until) - now.getTime()) / 1000,
      'Too many failed logins; wait before trying again.',
    );
  }
  if (!(await verifyPassword(user.password_hash, input.password)))
    throw await recordFailure(ctx, user, 'password');

  const roles = rolesOf(user);
  const secrets = await openUserSecrets(ctx, ctx.store.db, user);
  let totpStep: number | null = null;
  if (secrets.totpSecret !== null) {
    if (input.totp === undefined || input.totp === '') throw mfaRequired();
    const check = verifyTotp(
      base32Decode(secrets.totpSecret),
      input.totp,
      Math.floor(now.getTime() / 1000),
      {
        lastUsedStep: user.totp_last_step,
      },
    );
    if (!check.ok) throw await recordFailure(ctx, user, 'totp');
    totpStep = check.step;
  } else if (requiresSecondFactor(roles)) {
    throw new AppError(
      'forbidden',
      403,
      'Second factor not enrolled',
      'This role requires a second factor; ask an administrator to enrol one.',
    );
  }

  const rehash = needsRehash(user.password_hash) ? await hashPassword(input.password) : null;
  const secret = newSecret();
  const expiresAt = new Date(
    now.getTime() + ctx.config.sessionAbsoluteHours * 3600_000,
  ).toISOString();
  await transaction(ctx.store, async (trx) => {
    await trx
      .updateTable('users')
      .set({
        failed_logins: 0,
        locked_until: null,
        last_login_at: now.toISOString(),
        updated_at: now.toISOString(),
        ...(totpStep !== null ? { totp_last_step: totpStep } : {}),
        ...(rehash !== null ? { password_hash: rehash } : {}),
      })
      .where('id', '=', user.id)
      .execute();
    await trx
      .insertInto('sessions')
      .values({
        id: sessionIdOf(secret),
        user_id: user.id,
        created_at: now.toISOString(),
        last_seen_at: now.toISOString(),
        expires_at: expiresAt,
        ip_prefix: input.ipPrefix,
        revoked_at: null,
      })
      .execute();
    await ctx.audit.record(trx, {
      actor: { type: 'user', id: user.id },
      action: 'auth.login',
      target: { type: 'user', id: user.id },
      outcome: 'success',
      details: { mfa: totpStep !== null },
    });
  });
  return { userId: user.id, sessionSecret: secret, expiresAt };
}
