// What leaves the server about a staff account: an allow-list. The e-mail is masked unless the
// account is the caller's own.
import type { Row } from '../db/types.js';
import { maskValue } from '../desensitize/mask.js';
import { rolesOf } from './users.js';

export function presentUser(
  row: Row<'users'>,
  email: string,
  controllers: 'all' | ReadonlySet<string>,
  options: { own: boolean },
) {
  return {
    id: row.id,
    email: options.own ? email : maskValue('email', email),
    roles: rolesOf(row),
    controllers: controllers === 'all' ? ('all' as const) : [...controllers].sort(),
    status: row.status,
    secondFactor: row.totp_secret_enc !== null,
    locked: row.hard_locked === 1 || row.locked_until !== null,
    createdAt: row.created_at,
    lastLoginAt: row.last_login_at,
  };
}

export function presentToken(
  row: Pick<
    Row<'api_tokens'>,
    'id' | 'name' | 'scopes' | 'created_at' | 'expires_at' | 'last_used_at' | 'revoked_at'
  >,
) {
  return {
    id: row.id,
    name: row.name,
    scopes: JSON.parse(row.scopes) as string[],
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}
