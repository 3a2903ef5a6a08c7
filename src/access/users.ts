// Staff accounts. A staff e-mail is personal information too: it is stored sealed under the user's
// own data key and found through a blind index, like a data subject's.
import type { Actor } from '../audit/events.js';
import type { AppContext } from '../context.js';
import { encryptField, decryptField } from '../crypto/fields.js';
import { normalizeEmail } from '../crypto/normalize.js';
import { transaction, type Db, type Trx } from '../db/store.js';
import type { Row } from '../db/types.js';
import { conflict, invalidField, notFound } from '../errors.js';
import { hashPassword, passwordProblem } from './passwords.js';
import { parseRoles, requiresSecondFactor, type Role } from './permissions.js';
import { base32Encode, generateTotpSecret, otpauthUri } from './totp.js';
import { newId } from '../db/ids.js';

export const STAFF_EMAIL_INDEX = 'staff_email';
const emailBinding = (id: string) => ({ table: 'users', column: 'email_enc', rowId: id });
const totpBinding = (id: string) => ({ table: 'users', column: 'totp_secret_enc', rowId: id });

export interface NewUser {
  email: string;
  roles: Role[];
  /** 'all', or the controller ids this person may work on. */
  controllers: 'all' | string[];
  password: string;
  /** Enrol a TOTP second factor; forced for roles that can reveal personal values. */
  totp: boolean;
}

export interface CreatedUser {
  id: string;
  totpUri: string | null;
}

/** Validates and creates a staff account; the TOTP enrolment URI is returned once, never stored in clear. */
export async function createUser(
  ctx: AppContext,
  actor: Actor,
  input: NewUser,
): Promise<CreatedUser> {
  const email = normalizeEmail(input.email);
  if (email === null) throw invalidField('/email', 'is not a valid e-mail address');
  if (input.roles.length === 0) throw invalidField('/roles', 'needs at least one role');
  const problem = passwordProblem(input.password, [email.split('@')[0] ?? '', 'custos']);
  if (problem !== null) throw invalidField('/password', problem);
  const mfa = input.totp || requiresSecondFactor(input.roles);
  // Hash before the transaction: argon2 takes ~20 ms and must not hold the database lock.
  const passwordHash = await hashPassword(input.password);
  const secret = mfa ? generateTotpSecret() : null;
  const id = newId();
  const emailIndex = ctx.keyring.blindIndex(STAFF_EMAIL_INDEX, email);

  await transaction(ctx.store, async (trx) => {
    const existing = await trx
      .selectFrom('users')
      .select('id')
      .where('email_index', '=', emailIndex)
      .executeTakeFirst();
    if (existing) throw conflict('A staff account with this e-mail address already exists.');
    if (input.controllers !== 'all') {
      const ids = [...new Set(input.controllers)];
      const found =
        ids.length === 0
          ? []
          : await trx.selectFrom('controllers').select('id').where('id', 'in', ids).execute();
      if (found.length !== ids.length)
        throw invalidField('/controllers', 'names a controller that does not exist');
    }
    const dek = await ctx.keyring.createDataKey(ctx.store, trx, 'user', id);
    const now = ctx.clock.now().toISOString();
    await trx
      .insertInto('users')
      .values({
        id,
        email_index: emailIndex,
        email_enc: encryptField(dek, email, emailBinding(id)),
        password_hash: passwordHash,
        roles: JSON.stringify([...new Set(input.roles)]),
        all_controllers: input.controllers === 'all' ? 1 : 0,
        totp_secret_enc: secret ? encryptField(dek, base32Encode(secret), totpBinding(id)) : null,
        totp_last_step: null,
        failed_logins: 0,
        locked_until: null,
        hard_locked: 0,
        status: 'active',
        created_at: now,
        updated_at: now,
        last_login_at: null,
      })
      .execute();
    if (input.controllers !== 'all' && input.controllers.length > 0) {
      await trx
        .insertInto('user_controllers')
        .values([...new Set(input.controllers)].map((c) => ({ user_id: id, controller_id: c })))
        .execute();
    }
    await ctx.audit.record(trx, {
      actor,
      action: 'user.create',
      target: { type: 'user', id },
      outcome: 'success',
      details: {
        roles: input.roles,
        scope: input.controllers === 'all' ? 'all' : input.controllers,
        mfa,
      },
    });
  });
  const uri = secret ? otpauthUri({ secret, account: email, issuer: 'Custos' }) : null;
  return { id, totpUri: uri };
}

export async function findUserByEmail(
  ctx: AppContext,
  db: Db | Trx,
  rawEmail: string,
): Promise<Row<'users'> | null> {
  const email = normalizeEmail(rawEmail);
  if (email === null) return null;
  const row = await db
    .selectFrom('users')
    .selectAll()
    .where('email_index', '=', ctx.keyring.blindIndex(STAFF_EMAIL_INDEX, email))
    .executeTakeFirst();
  return row ?? null;
}

/** The user's clear e-mail and TOTP secret (for login checks and for the user's own profile). */
export async function openUserSecrets(
  ctx: AppContext,
  db: Db | Trx,
  user: Pick<Row<'users'>, 'id' | 'email_enc' | 'totp_secret_enc'>,
): Promise<{ email: string; totpSecret: string | null }> {
  const dek = await ctx.keyring.dataKey(db, 'user', user.id);
  if (dek === null) throw notFound('user');
  return {
    email: decryptField(dek, user.email_enc, emailBinding(user.id)),
    totpSecret: user.totp_secret_enc
      ? decryptField(dek, user.totp_secret_enc, totpBinding(user.id))
      : null,
  };
}

export async function controllerScopeOf(
  db: Db | Trx,
  user: Pick<Row<'users'>, 'id' | 'all_controllers'>,
): Promise<'all' | Set<string>> {
  if (user.all_controllers === 1) return 'all';
  const rows = await db
    .selectFrom('user_controllers')
    .select('controller_id')
    .where('user_id', '=', user.id)
    .execute();
  return new Set(rows.map((r) => r.controller_id));
}

export const rolesOf = (user: Pick<Row<'users'>, 'roles'>): Role[] => parseRoles(user.roles);

/** Clears a lockout (`custos admin unlock`, or an administrator through the API). */
export async function unlockUser(ctx: AppContext, actor: Actor, userId: string): Promise<void> {
  await transaction(ctx.store, async (trx) => {
    const res = await trx
      .updateTable('users')
      .set({
        failed_logins: 0,
        locked_until: null,
        hard_locked: 0,
        updated_at: ctx.clock.now().toISOString(),
      })
      .where('id', '=', userId)
      .executeTakeFirst();
    if (res.numUpdatedRows === 0n) throw notFound('user');
    await ctx.audit.record(trx, {
      actor,
      action: 'user.unlock',
      target: { type: 'user', id: userId },
      outcome: 'success',
    });
  });
}

export interface UserChanges {
  roles?: Role[] | undefined;
  controllers?: 'all' | string[] | undefined;
  status?: 'active' | 'disabled' | undefined;
}

/** Changes roles, controller scope or status; refuses to leave the caller without user management. */
export async function updateUser(
  ctx: AppContext,
  actor: Actor,
  userId: string,
  changes: UserChanges,
): Promise<void> {
  if (
    actor.type === 'user' &&
    actor.id === userId &&
    (changes.status === 'disabled' || (changes.roles && !changes.roles.includes('admin')))
  ) {
    throw conflict(
      'You cannot disable yourself or drop your own administrator role; ask another administrator.',
    );
  }
  await transaction(ctx.store, async (trx) => {
    const user = await trx
      .selectFrom('users')
      .select(['id', 'totp_secret_enc'])
      .where('id', '=', userId)
      .executeTakeFirst();
    if (user === undefined) throw notFound('user');
    if (changes.roles !== undefined) {
      if (changes.roles.length === 0) throw invalidField('/roles', 'needs at least one role');
      if (requiresSecondFactor(changes.roles) && user.totp_secret_enc === null) {
        throw invalidField(
          '/roles',
          'these roles can reveal personal data and need an enrolled second factor',
        );
      }
    }
    const now = ctx.clock.now().toISOString();
    await trx
      .updateTable('users')
      .set({
        updated_at: now,
        ...(changes.roles !== undefined
          ? { roles: JSON.stringify([...new Set(changes.roles)]) }
          : {}),
        ...(changes.controllers !== undefined
          ? { all_controllers: changes.controllers === 'all' ? 1 : 0 }
          : {}),
        ...(changes.status !== undefined ? { status: changes.status } : {}),
      })
      .where('id', '=', userId)
      .execute();
    if (changes.controllers !== undefined) {
      await trx.deleteFrom('user_controllers').where('user_id', '=', userId).execute();
      if (changes.controllers !== 'all' && changes.controllers.length > 0) {
        const ids = [...new Set(changes.controllers)];
        const found = await trx
          .selectFrom('controllers')
          .select('id')
          .where('id', 'in', ids)
          .execute();
        if (found.length !== ids.length)
          throw invalidField('/controllers', 'names a controller that does not exist');
        await trx
          .insertInto('user_controllers')
          .values(ids.map((c) => ({ user_id: userId, controller_id: c })))
          .execute();
      }
    }
    if (changes.status === 'disabled') {
      await trx
        .updateTable('sessions')
        .set({ revoked_at: now })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .execute();
    }
    await ctx.audit.record(trx, {
      actor,
      action: 'user.update',
      target: { type: 'user', id: userId },
      outcome: 'success',
      details: {
        ...(changes.roles !== undefined ? { roles: changes.roles } : {}),
        ...(changes.controllers !== undefined
          ? { scope: changes.controllers === 'all' ? 'all' : changes.controllers }
          : {}),
        ...(changes.status !== undefined ? { status: changes.status } : {}),
      },
    });
  });
}
