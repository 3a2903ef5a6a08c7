// Marketing sends by staff. A person gets a marketing mail only while the latest ledger record for
// purpose `marketing` is a grant (PIPL art. 13 ¶1 (1): consent is the basis of marketing) and the
// address is not on the suppression list. Each mail carries its own single-use one-click
// unsubscribe token (PRC Advertising Law art. 43: advertising by electronic message needs the
// recipient's consent and a way to refuse more). Everything is decided and queued in one
// transaction: a send is all or nothing.
import { actorOf, scopeControllers, type Principal } from '../../access/principal.js';
import type { AppContext } from '../../context.js';
import { newId } from '../../db/ids.js';
import { transaction, type Trx } from '../../db/store.js';
import { invalidField } from '../../errors.js';
import type { Lang } from '../../notify/tables.js';
import { suppressionDigest } from '../../notify/deliver.js';
import { enqueueMail } from '../../notify/outbox.js';
import { openRecords } from '../../subjects/records.js';
import { hasConsent } from '../ledger.js';
import type { SendMarketingBody, SendMarketingResult, SendOutcome } from './schema.js';
import { suppressedAmong } from './suppressions.js';
import { issueUnsubscribeToken, unsubscribeUrl } from './tokens.js';

export const MARKETING_PURPOSE = 'marketing';

interface Message {
  sendId: string;
  title: string;
  body: string;
  lang: Lang;
}

/** The subjects among `ids` the caller may reach; scope applied in the query (OWASP API1). */
async function subjectsInScope(
  trx: Trx,
  caller: Principal,
  ids: readonly string[],
): Promise<Set<string>> {
  const scope = scopeControllers(caller);
  if (scope !== null && scope.length === 0) return new Set();
  let q = trx
    .selectFrom('subjects')
    .select('id')
    .where('id', 'in', [...ids])
    .where('status', '=', 'active');
  if (scope !== null) q = q.where('controller_id', 'in', scope);
  return new Set((await q.execute()).map((s) => s.id));
}

/** Queues the message for one subject who may get it; returns the outcome and the mails queued. */
async function sendToSubject(
  ctx: AppContext,
  trx: Trx,
  subjectId: string,
  m: Message,
): Promise<{ outcome: SendOutcome; mails: number }> {
  // Consent first: without it the person's addresses are not even decrypted (data minimisation).
  if (!(await hasConsent(ctx, trx, { subjectId }, MARKETING_PURPOSE)))
    return { outcome: 'noConsent', mails: 0 };
  const addresses = new Map<string, { address: string; digest: Buffer }>();
  for (const r of await openRecords(ctx, trx, subjectId)) {
    if (r.row.category !== 'email') continue;
    const digest = suppressionDigest(ctx, r.value);
    if (digest !== null) addresses.set(digest.toString('hex'), { address: r.value, digest });
  }
  if (addresses.size === 0) return { outcome: 'noEmail', mails: 0 };
  const blocked = await suppressedAmong(
    trx,
    [...addresses.values()].map((a) => a.digest),
  );
  let mails = 0;
  for (const [hex, { address, digest }] of addresses) {
    if (blocked.has(hex)) continue;
    const token = await issueUnsubscribeToken(ctx, trx, {
      digest,
      subjectId,
      purpose: MARKETING_PURPOSE,
    });
    await enqueueMail(ctx, trx, {
      to: address,
      subjectId,
      template: 'marketing_message',
      lang: m.lang,
      params: {
        title: m.title,
        body: m.body,
        unsubscribeUrl: unsubscribeUrl(ctx.config.baseUrl, token.token, m.lang),
      },
      dedupeKey: `marketing:${m.sendId}:${token.id}`,
    });
    mails++;
  }
  return { outcome: mails > 0 ? 'queued' : 'suppressed', mails };
}

/** Sends one message to the subjects that may receive it; reports an outcome per subject. */
export async function sendMarketing(
  ctx: AppContext,
  caller: Principal,
  input: SendMarketingBody,
): Promise<SendMarketingResult> {
  const m: Message = {
    sendId: newId(),
    title: input.title.trim(),
    body: input.body.trim(),
    lang: input.lang ?? 'zh-CN',
  };
  if (m.title === '') throw invalidField('/title', 'is empty');
  if (m.body === '') throw invalidField('/body', 'is empty');

  return transaction(ctx.store, async (trx) => {
    const reachable = await subjectsInScope(trx, caller, input.subjectIds);
    const outcomes: SendMarketingResult['outcomes'] = [];
    const counts = { queued: 0, suppressed: 0, noConsent: 0, noEmail: 0, notFound: 0 };
    let mails = 0;
    for (const subjectId of input.subjectIds) {
      const r = reachable.has(subjectId)
        ? await sendToSubject(ctx, trx, subjectId, m)
        : { outcome: 'notFound' as const, mails: 0 };
      outcomes.push({ subjectId, outcome: r.outcome });
      counts[r.outcome]++;
      mails += r.mails;
    }
    const actor = actorOf(caller);
    const target = { type: 'marketing_send', id: m.sendId };
    await ctx.audit.record(trx, {
      actor,
      action: 'marketing.send',
      target,
      outcome: 'success',
      details: { lang: m.lang, mails, ...counts },
    });
    if (counts.suppressed > 0)
      await ctx.audit.record(trx, {
        actor,
        action: 'marketing.suppressed',
        target,
        outcome: 'success',
        details: { at: 'send', subjects: counts.suppressed },
      });
    return { id: m.sendId, mails, counts, outcomes };
  });
}
