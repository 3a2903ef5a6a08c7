// One-click unsubscribe tokens: 256 random bits per queued marketing mail, in the mail's URL and
// List-Unsubscribe header. Only the SHA-256 is stored (with 256 bits of entropy a plain hash is
// enough at rest); a token works once and expires after CUSTOS_UNSUBSCRIBE_TOKEN_DAYS. It carries
// the address's suppression digest, so unsubscribing needs no login and no lookup of the address.
import { createHash, randomBytes } from 'node:crypto';
import type { AppContext } from '../../context.js';
import { newId } from '../../db/ids.js';
import { forUpdate, type Db, type Store, type Trx } from '../../db/store.js';
import type { Row } from '../../db/types.js';

export const unsubscribeTokenHash = (token: string): Buffer =>
  createHash('sha256').update(token, 'utf8').digest();

/** Issues a token for one mail; returns its id and the token (put in the mail, never stored). */
export async function issueUnsubscribeToken(
  ctx: Pick<AppContext, 'clock' | 'config'>,
  trx: Trx,
  input: { digest: Buffer; subjectId: string | null; purpose: string },
): Promise<{ id: string; token: string }> {
  const token = randomBytes(32).toString('base64url');
  const now = ctx.clock.now();
  const id = newId(now.getTime());
  await trx
    .insertInto('unsubscribe_tokens')
    .values({
      id,
      token_hash: unsubscribeTokenHash(token),
      digest: input.digest,
      subject_id: input.subjectId,
      purpose_key: input.purpose,
      created_at: now.toISOString(),
      expires_at: new Date(
        now.getTime() + ctx.config.unsubscribeTokenDays * 86_400_000,
      ).toISOString(),
      used_at: null,
    })
    .execute();
  return { id, token };
}

/** The token's row, or undefined for a token never issued; `lock` takes the row lock (PostgreSQL). */
export function findUnsubscribeToken(
  db: Db | Trx,
  token: string,
  lock?: Pick<Store, 'dialect'>,
): Promise<Row<'unsubscribe_tokens'> | undefined> {
  const q = db
    .selectFrom('unsubscribe_tokens')
    .selectAll()
    .where('token_hash', '=', unsubscribeTokenHash(token));
  return (lock === undefined ? q : forUpdate(lock, q)).executeTakeFirst();
}

/** The one-click URL of a token, in the mail's language. */
export const unsubscribeUrl = (baseUrl: string, token: string, lang: string): string =>
  `${baseUrl}/api/v1/unsubscribe?token=${token}&lang=${encodeURIComponent(lang)}`;
