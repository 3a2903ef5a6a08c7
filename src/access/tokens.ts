// Opaque secrets for sessions and API tokens: 256 bits from the CSPRNG (ASVS 7.2.3 asks for at
// least 128), stored only as SHA-256 digests so a database reader cannot replay them.
import { createHash, createHmac, randomBytes } from 'node:crypto';

export const newSecret = (): string => randomBytes(32).toString('base64url');

export const digest = (secret: string): Buffer =>
  createHash('sha256').update(secret, 'utf8').digest();

/** The session id stored in the database: the hex digest of the cookie's secret. */
export const sessionIdOf = (secret: string): string => digest(secret).toString('hex');

/**
 * The CSRF token for a session: derived from the session secret, which only the cookie holder
 * knows, so it needs no storage and cannot be guessed by a cross-site page (double-submit variant
 * bound to the session, OWASP CSRF cheat sheet).
 */
export const csrfTokenOf = (sessionSecret: string): string =>
  createHmac('sha256', sessionSecret).update('custos csrf v1').digest('base64url');

/** API tokens read `cst_<id>_<secret>`; the id finds the row, the secret is checked by digest. */
export function formatApiToken(id: string, secret: string): string {
  return `cst_${id}_${secret}`;
}

export function parseApiToken(raw: string): { id: string; secret: string } | null {
  const m = /^cst_([A-Za-z0-9-]{36})_([A-Za-z0-9_-]{43})$/.exec(raw);
  return m ? { id: m[1]!, secret: m[2]! } : null;
}
