// API tokens for automation: scoped to some of the owner's permissions, expiring, hashed at rest,
// shown once. A token can never create tokens, and one carrying `pi.reveal` can only be minted
// from a session that passed the second factor.
import type { AppContext } from '../context.js';
import { transaction } from '../db/store.js';
import { AppError, invalidField, notFound } from '../errors.js';
import { presentToken } from './present.js';
import { actorOf, type Principal } from './principal.js';
import type { Permission } from './permissions.js';
import { digest, formatApiToken, newSecret } from './tokens.js';
import { newId } from '../db/ids.js';

export const MAX_TOKEN_DAYS = 365;

export interface NewToken {
  name: string;
  scopes: Permission[];
  expiresInDays: number;
}

export async function createApiToken(ctx: AppContext, caller: Principal, input: NewToken) {
  if (caller.via !== 'session') {
    throw new AppError(
      'forbidden',
      403,
      'Forbidden',
      'API tokens are created from a logged-in session, not with another token.',
    );
  }
  const missing = input.scopes.filter((s) => !caller.permissions.has(s));
  if (missing.length > 0)
    throw invalidField('/scopes', `asks for permissions you do not hold: ${missing.join(', ')}`);
  const id = newId();
  const secret = newSecret();
  const now = ctx.clock.now();
  const row = {
    id,
    user_id: caller.userId,
    name: input.name,
    secret_hash: digest(secret),
    scopes: JSON.stringify([...new Set(input.scopes)].sort()),
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + input.expiresInDays * 86_400_000).toISOString(),
    last_used_at: null,
    revoked_at: null,
  };
  await transaction(ctx.store, async (trx) => {
    await trx.insertInto('api_tokens').values(row).execute();
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'token.create',
      target: { type: 'api_token', id },
      outcome: 'success',
      details: { scopes: input.scopes, expiresInDays: input.expiresInDays },
    });
  });
  return { ...presentToken(row), token: formatApiToken(id, secret) };
}

export async function listApiTokens(ctx: AppContext, caller: Principal) {
  const rows = await ctx.store.db
    .selectFrom('api_tokens')
    .select(['id', 'name', 'scopes', 'created_at', 'expires_at', 'last_used_at', 'revoked_at'])
    .where('user_id', '=', caller.userId)
    .orderBy('created_at', 'desc')
    .execute();
  return rows.map(presentToken);
}

export async function revokeApiToken(
  ctx: AppContext,
  caller: Principal,
  tokenId: string,
): Promise<void> {
  await transaction(ctx.store, async (trx) => {
    const res = await trx
      .updateTable('api_tokens')
      .set({ revoked_at: ctx.clock.now().toISOString() })
      .where('id', '=', tokenId)
      .where('user_id', '=', caller.userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (res.numUpdatedRows === 0n) throw notFound('API token');
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'token.revoke',
      target: { type: 'api_token', id: tokenId },
      outcome: 'success',
    });
  });
}
