// Withdrawal as easy as the grant (PIPL art. 15; GB/T 35273 §8.4): one request with the person's
// receipt token withdraws every granted purpose (or those named), and a fulfilled rights request
// to withdraw consent writes the same records, so every system reading the ledger sees it.
import type { Actor } from '../audit/events.js';
import type { AppContext } from '../context.js';
import { transaction, type Trx } from '../db/store.js';
import { invalidField, notFound } from '../errors.js';
import { latestPolicyVersion } from '../policy/service.js';
import type { WithdrawBody } from './endpoints.js';
import { appendConsents, currentConsents, type ConsentClient } from './ledger.js';
import { presentState } from './present.js';
import { subjectOfToken } from './receipt.js';

/**
 * Appends a `withdraw` for each purpose that is currently granted among `purposes` (all granted
 * ones when omitted); a purpose not granted has nothing to withdraw and is left as it is.
 */
export async function withdrawGranted(
  ctx: AppContext,
  trx: Trx,
  input: {
    subjectId: string;
    controllerId: string;
    purposes?: readonly string[] | undefined;
    method: 'api' | 'request';
    source: string;
    lang: 'zh-CN' | 'en';
    client?: ConsentClient | undefined;
  },
  actor?: Actor,
) {
  const party = { subjectId: input.subjectId };
  const states = await currentConsents(ctx, trx, party, input.purposes);
  const granted = states.filter((s) => s.state === 'granted');
  if (granted.length === 0) return [];
  const version = await latestPolicyVersion(trx);
  return appendConsents(
    ctx,
    trx,
    granted.map((s) => ({
      party,
      controllerId: input.controllerId,
      purpose: s.purpose,
      decision: 'withdraw' as const,
      policyVersion: version,
      // The person asked; no notice was shown for a withdrawal.
      noticeSha256: null,
      method: input.method,
      source: input.source,
      lang: input.lang,
      client: input.client,
    })),
    actor,
  );
}

/** `POST /consent/withdraw`: the holder of a receipt token withdraws in one request. */
export async function withdrawByToken(ctx: AppContext, body: WithdrawBody, client: ConsentClient) {
  return transaction(ctx.store, async (trx) => {
    if (body.purposes !== undefined) {
      const known = new Set(
        (
          await trx.selectFrom('purposes').select('key').where('key', 'in', body.purposes).execute()
        ).map((p) => p.key),
      );
      const bad = body.purposes.findIndex((p) => !known.has(p));
      if (bad >= 0) throw invalidField(`/purposes/${bad}`, 'is not a purpose in the data map');
    }
    const subjectId = await subjectOfToken(ctx, trx, body.token);
    if (subjectId === null) throw notFound('consent receipt token');
    const subject = await trx
      .selectFrom('subjects')
      .select('controller_id')
      .where('id', '=', subjectId)
      .executeTakeFirst();
    // The ledger keeps the controller the consent was given to; an erased subject still has it.
    const controllerId =
      subject?.controller_id ??
      (
        await trx
          .selectFrom('consent_records')
          .select('controller_id')
          .where('subject_id', '=', subjectId)
          .limit(1)
          .executeTakeFirst()
      )?.controller_id ??
      'self';
    const rows = await withdrawGranted(ctx, trx, {
      subjectId,
      controllerId,
      purposes: body.purposes,
      method: 'api',
      source: 'receipt_token',
      lang: body.lang ?? 'zh-CN',
      client,
    });
    const party = { subjectId };
    const states = await currentConsents(ctx, trx, party, body.purposes);
    return {
      withdrawn: rows.map((r) => r.purpose_key),
      states: states.map(presentState),
    };
  });
}

/**
 * The ledger side of a fulfilled `withdraw_consent` request, inside its transaction: a withdrawal
 * for every purpose the request withdrew and every other purpose the ledger shows as granted.
 */
export async function recordRequestWithdrawal(
  ctx: AppContext,
  trx: Trx,
  input: {
    subjectId: string;
    controllerId: string;
    requestId: string;
    purposes: readonly string[];
    lang: 'zh-CN' | 'en';
  },
  actor: Actor,
): Promise<void> {
  const party = { subjectId: input.subjectId };
  const granted = (await currentConsents(ctx, trx, party))
    .filter((s) => s.state === 'granted')
    .map((s) => s.purpose);
  const purposes = [...new Set([...input.purposes, ...granted])].sort();
  if (purposes.length === 0) return;
  const version = await latestPolicyVersion(trx);
  await appendConsents(
    ctx,
    trx,
    purposes.map((purpose) => ({
      party,
      controllerId: input.controllerId,
      purpose,
      decision: 'withdraw' as const,
      policyVersion: version,
      noticeSha256: null,
      method: 'request' as const,
      source: `request:${input.requestId}`,
      lang: input.lang,
    })),
    actor,
  );
}
