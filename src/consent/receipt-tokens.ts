// Bearer tokens a person holds for their consent receipt and for withdrawing with one request.
// Issued where consent is collected from a known person (forms, guardian flow); only the SHA-256
// of a token is stored (256 random bits, so a plain hash suffices at rest).
import { createHash, randomBytes } from 'node:crypto';
import type { AppContext } from '../context.js';
import type { Trx } from '../db/store.js';

/** How long a receipt link works; a person can always ask for their consents by a rights request. */
export const RECEIPT_TOKEN_DAYS = 365;

export const receiptTokenHash = (token: string): Buffer =>
  createHash('sha256').update(token, 'utf8').digest();

/** Issues a new token for the subject and returns it (shown or mailed once, never stored). */
export async function issueReceiptToken(
  ctx: Pick<AppContext, 'clock'>,
  trx: Trx,
  subjectId: string,
): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  const now = ctx.clock.now();
  await trx
    .insertInto('consent_receipt_tokens')
    .values({
      token_hash: receiptTokenHash(token),
      subject_id: subjectId,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + RECEIPT_TOKEN_DAYS * 86_400_000).toISOString(),
    })
    .execute();
  return token;
}
