// Finding a request: by the person's status token, or by a staff member within their controller
// scope. Both answer 404 for anything they may not see, so neither reveals that a request exists.
import { createHash, timingSafeEqual } from 'node:crypto';
import { scopeControllers, type Principal } from '../access/principal.js';
import { forUpdate, type Store, type Trx } from '../db/store.js';
import type { Row } from '../db/types.js';
import { notFound } from '../errors.js';

/** SHA-256 of a status token: the token has 256 random bits, so a plain hash is enough at rest. */
export const tokenHash = (token: string): Buffer =>
  createHash('sha256').update(token, 'utf8').digest();

/** The request whose status token is `token`, locked for the caller's change. */
export async function loadByToken(
  store: Pick<Store, 'dialect'>,
  trx: Trx,
  id: string,
  token: string,
): Promise<Row<'requests'>> {
  const row = await forUpdate(
    store,
    trx.selectFrom('requests').selectAll().where('id', '=', id),
  ).executeTakeFirst();
  const given = tokenHash(token);
  // Compared in constant time; a missing request and a wrong token look the same.
  if (
    row === undefined ||
    row.status_token_hash.length !== given.length ||
    !timingSafeEqual(row.status_token_hash, given)
  )
    throw notFound('request');
  return row;
}

/** A request inside the staff member's controller scope (optionally locked for a change). */
export async function loadForStaff(
  trx: Trx,
  caller: Principal,
  id: string,
  lock?: Pick<Store, 'dialect'>,
): Promise<Row<'requests'>> {
  let q = trx.selectFrom('requests').selectAll().where('id', '=', id);
  if (lock !== undefined) q = forUpdate(lock, q);
  const scope = scopeControllers(caller);
  if (scope !== null) {
    if (scope.length === 0) throw notFound('request');
    q = q.where('controller_id', 'in', scope);
  }
  const row = await q.executeTakeFirst();
  if (row === undefined) throw notFound('request');
  return row;
}
