// Separate consent in processing (PIPL arts. 23, 25, 26, 29, 39; GB/T 35273 §5.4 and §5.6): PI
// held for a purpose that rests on consent and needs a separate one (sensitive PI, disclosure to a
// third party, cross-border transfer) may be stored only while the person's own, latest decision
// for that purpose is a grant. The subjects API checks it before writing.
import type { AppContext } from '../context.js';
import type { Db, Trx } from '../db/store.js';
import { consentRule } from '../errors.js';
import { currentConsents, type ConsentParty } from './ledger.js';

/** The purposes among `keys` that rest on consent and need a separate grant. */
export async function separateConsentPurposes(
  db: Db | Trx,
  keys: readonly string[],
): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await db
    .selectFrom('purposes')
    .select('key')
    .where('key', 'in', [...new Set(keys)])
    .where('legal_basis', '=', 'consent')
    .where('separate_consent', '=', 1)
    .execute();
  return new Set(rows.map((r) => r.key));
}

/**
 * Throws `consent-required` (409) naming the purpose unless the party's latest ledger record for it
 * is a grant. Call it inside the transaction that processes, so a withdrawal committed before
 * is seen.
 */
export async function requireConsent(
  ctx: Pick<AppContext, 'keyring'>,
  db: Db | Trx,
  party: ConsentParty,
  purpose: string,
): Promise<void> {
  const [state] = await currentConsents(ctx, db, party, [purpose]);
  if (state?.state !== 'granted')
    throw consentRule(
      'consent-required',
      `Purpose "${purpose}" needs the person's separate consent, and their current state is "${state?.state ?? 'none'}": record the consent first (POST /api/v1/consents/subjects/:id).`,
    );
}
