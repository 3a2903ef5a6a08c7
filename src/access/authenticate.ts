// Resolves the caller of a request: a session cookie (staff console) or a bearer API token
// (automation). Sessions end after the idle timeout or the absolute lifetime, whichever is first
// (ASVS 7.3.1/7.3.2); tokens carry scopes, and a token never grants more than its owner holds now.
import type { AppContext } from '../context.js';
import { sessionExpired, unauthenticated } from '../errors.js';
import { isPermission, permissionsOf, type Permission } from './permissions.js';
import type { Principal } from './principal.js';
import { controllerScopeOf, rolesOf } from './users.js';
import { digest, parseApiToken, sessionIdOf } from './tokens.js';
import { constantTimeEqual } from '../crypto/primitives.js';

// Touching last_seen_at on every request would turn every read into a write.
const TOUCH_AFTER_MS = 60_000;

export async function principalFromSession(ctx: AppContext, secret: string): Promise<Principal> {
  const now = ctx.clock.now();
  const id = sessionIdOf(secret);
  const row = await ctx.store.db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([
      'sessions.id as session_id',
      'sessions.last_seen_at',
      'sessions.expires_at',
      'sessions.revoked_at',
      'users.id',
      'users.roles',
      'users.all_controllers',
      'users.status',
      'users.hard_locked',
    ])
    .where('sessions.id', '=', id)
    .executeTakeFirst();
  if (row === undefined) throw unauthenticated('The session is not valid; log in again.');
  if (row.revoked_at !== null || row.status !== 'active' || row.hard_locked === 1)
    throw sessionExpired();
  const idleLimit = Date.parse(row.last_seen_at) + ctx.config.sessionIdleMinutes * 60_000;
  if (row.expires_at <= now.toISOString() || idleLimit <= now.getTime()) throw sessionExpired();
  if (now.getTime() - Date.parse(row.last_seen_at) > TOUCH_AFTER_MS) {
    await ctx.store.db
      .updateTable('sessions')
      .set({ last_seen_at: now.toISOString() })
      .where('id', '=', id)
      .execute();
  }
  const roles = rolesOf(row);
  return {
    via: 'session',
    userId: row.id,
    roles,
    permissions: permissionsOf(roles),
    controllers: await controllerScopeOf(ctx.store.db, row),
    sessionId: id,
    tokenId: null,
  };
}

export async function principalFromToken(ctx: AppContext, raw: string): Promise<Principal> {
  const parsed = parseApiToken(raw);
  if (parsed === null) throw unauthenticated('The API token is malformed.');
  const row = await ctx.store.db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .select([
      'api_tokens.id as token_id',
      'api_tokens.secret_hash',
      'api_tokens.scopes',
      'api_tokens.expires_at',
      'api_tokens.revoked_at',
      'api_tokens.last_used_at',
      'users.id',
      'users.roles',
      'users.all_controllers',
      'users.status',
      'users.hard_locked',
    ])
    .where('api_tokens.id', '=', parsed.id)
    .executeTakeFirst();
  const now = ctx.clock.now().toISOString();
  if (
    row === undefined ||
    !constantTimeEqual(row.secret_hash, digest(parsed.secret)) ||
    row.revoked_at !== null ||
    row.expires_at <= now ||
    row.status !== 'active' ||
    row.hard_locked === 1
  ) {
    throw unauthenticated('The API token is unknown, revoked or expired.');
  }
  if (
    row.last_used_at === null ||
    Date.parse(now) - Date.parse(row.last_used_at) > TOUCH_AFTER_MS
  ) {
    await ctx.store.db
      .updateTable('api_tokens')
      .set({ last_used_at: now })
      .where('id', '=', row.token_id)
      .execute();
  }
  const roles = rolesOf(row);
  const held = permissionsOf(roles);
  const scopes = (JSON.parse(row.scopes) as string[]).filter(
    (s): s is Permission => isPermission(s) && held.has(s),
  );
  return {
    via: 'token',
    userId: row.id,
    roles,
    permissions: new Set(scopes),
    controllers: await controllerScopeOf(ctx.store.db, row),
    sessionId: null,
    tokenId: row.token_id,
  };
}
