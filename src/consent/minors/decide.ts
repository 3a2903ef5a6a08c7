// How a hold ends: the verified guardian's decision, or the deadline passing unanswered. Both
// settle the child's submission for good (released, or crypto-shredded), so they sit together.
import type { Actor } from '../../audit/events.js';
import type { AppContext } from '../../context.js';
import { forUpdate, transaction } from '../../db/store.js';
import { conflict } from '../../errors.js';
import { bindPurposes, checkRecords, insertRecords } from '../../subjects/records.js';
import { scrubSqliteWal, shredSubject } from '../../subjects/service.js';
import { noticesFor } from '../../collection/notices.js';
import { findOrCreatePerson } from '../../collection/person.js';
import { setInquiryStatus } from '../../collection/service.js';
import { appendConsents, type ConsentClient } from '../ledger.js';
import { issueReceiptToken } from '../receipt-tokens.js';
import {
  assertOpen,
  GUARDIAN_PURPOSE,
  guardianEmailOf,
  inquiryOf,
  loadHold,
  PERSON,
  sourceOf,
} from './holds.js';

const SYSTEM: Actor = { type: 'system', id: null };

export interface GuardianDecision {
  id: string;
  status: 'consented' | 'refused';
  /** The guardian's consent receipt (on consent only). */
  receipt: string | null;
}

/**
 * The verified guardian's decision. Consent: the guardian becomes (or is found as) a subject of
 * their own, the link is recorded on the hold, the ledger records the grant for the child's
 * purpose by method `guardian`, and the submission is released. Refusal: the child's data is
 * crypto-shredded at once.
 */
export async function decideGuardian(
  ctx: AppContext,
  id: string,
  input: { token: string; consent: boolean },
  client: ConsentClient = {},
): Promise<GuardianDecision> {
  const result = await transaction(ctx.store, async (trx): Promise<GuardianDecision> => {
    const hold = await loadHold(ctx, trx, id, input.token);
    assertOpen(ctx, hold);
    if (hold.status === 'code_sent')
      throw conflict('Verify the code from the e-mail first, then decide.');
    const { inquiry } = await inquiryOf(trx, hold);
    const now = ctx.clock.now().toISOString();
    const notices = await noticesFor(trx, [GUARDIAN_PURPOSE], hold.lang, inquiry.policy_version);
    const notice = notices.get(GUARDIAN_PURPOSE)?.sha256 ?? null;
    const entry = {
      controllerId: inquiry.controller_id,
      policyVersion: inquiry.policy_version,
      noticeSha256: notice,
      method: 'guardian' as const,
      source: sourceOf(id),
      lang: hold.lang,
      client,
    };

    if (!input.consent) {
      await appendConsents(ctx, trx, [
        {
          ...entry,
          party: { subjectId: hold.minor_subject_id },
          purpose: inquiry.purpose_key,
          decision: 'deny',
        },
      ]);
      const shredded = await shredSubject(ctx, trx, hold.minor_subject_id);
      await trx
        .updateTable('guardian_holds')
        .set({ status: 'refused', decided_at: now, code_digest: null, code_expires_at: null })
        .where('id', '=', id)
        .execute();
      await setInquiryStatus(ctx, trx, inquiry.id, 'deleted');
      await ctx.audit.record(trx, {
        actor: PERSON,
        action: 'guardian.decide',
        target: { type: 'guardian_hold', id },
        controllerId: inquiry.controller_id,
        outcome: 'success',
        details: {
          decision: 'refuse',
          inquiry: inquiry.id,
          minor: hold.minor_subject_id,
          records: shredded.records,
          keyDestroyed: shredded.keyDestroyed,
        },
      });
      return { id, status: 'refused', receipt: null };
    }

    const email = await guardianEmailOf(ctx, trx, hold);
    const guardian = await findOrCreatePerson(
      ctx,
      trx,
      { email, phone: null },
      { actor: PERSON, origin: { kind: 'guardian_hold', id } },
    );
    const records = checkRecords(
      [{ category: 'email', purpose: GUARDIAN_PURPOSE, value: email, source: sourceOf(id) }],
      ctx.clock.now(),
    );
    const retention = await bindPurposes(trx, records);
    const region = await trx
      .selectFrom('controllers')
      .select('region')
      .where('id', '=', guardian.subject.controller_id)
      .executeTakeFirstOrThrow();
    await insertRecords(
      ctx,
      trx,
      guardian.subject,
      guardian.dek,
      records,
      region.region,
      retention,
    );
    // The address moves: the child's subject no longer carries the guardian's data.
    await trx
      .deleteFrom('pi_records')
      .where('subject_id', '=', hold.minor_subject_id)
      .where('source', '=', sourceOf(id))
      .where('purpose', '=', GUARDIAN_PURPOSE)
      .execute();
    await trx
      .updateTable('guardian_holds')
      .set({ status: 'consented', guardian_subject_id: guardian.subject.id, decided_at: now })
      .where('id', '=', id)
      .execute();
    await setInquiryStatus(ctx, trx, inquiry.id, 'received');
    await appendConsents(ctx, trx, [
      {
        ...entry,
        party: { subjectId: hold.minor_subject_id },
        purpose: inquiry.purpose_key,
        decision: 'grant',
      },
      // The guardian saw the notice of their own data's purpose (a legal duty, not a consent).
      {
        ...entry,
        party: { subjectId: guardian.subject.id },
        purpose: GUARDIAN_PURPOSE,
        decision: 'acknowledge',
      },
    ]);
    const token = await issueReceiptToken(ctx, trx, guardian.subject.id);
    await ctx.audit.record(trx, {
      actor: PERSON,
      action: 'guardian.decide',
      target: { type: 'guardian_hold', id },
      controllerId: inquiry.controller_id,
      outcome: 'success',
      details: {
        decision: 'consent',
        inquiry: inquiry.id,
        minor: hold.minor_subject_id,
        guardian: guardian.subject.id,
        guardianCreated: guardian.created,
      },
    });
    return {
      id,
      status: 'consented',
      receipt: `/api/v1/consent/receipt?token=${encodeURIComponent(token)}`,
    };
  });
  if (result.status === 'refused') await scrubSqliteWal(ctx);
  return result;
}

const BATCH = 200;

/**
 * Deletes the data of children whose guardian did not consent before the deadline
 * (CUSTOS_GUARDIAN_CONSENT_HOURS). Idempotent: each hold is re-checked in its own transaction.
 */
export async function expireGuardianHolds(ctx: AppContext): Promise<number> {
  const now = ctx.clock.now().toISOString();
  const due = await ctx.store.db
    .selectFrom('guardian_holds')
    .select('id')
    .where('status', 'in', ['code_sent', 'pending'])
    .where('deadline_at', '<=', now)
    .orderBy('deadline_at')
    .limit(BATCH)
    .execute();
  let expired = 0;
  for (const { id } of due) {
    const done = await transaction(ctx.store, async (trx) => {
      const hold = await forUpdate(
        ctx.store,
        trx.selectFrom('guardian_holds').selectAll().where('id', '=', id),
      ).executeTakeFirst();
      if (hold === undefined || (hold.status !== 'code_sent' && hold.status !== 'pending'))
        return false;
      if (hold.deadline_at > ctx.clock.now().toISOString()) return false;
      const shredded = await shredSubject(ctx, trx, hold.minor_subject_id);
      await trx
        .updateTable('guardian_holds')
        .set({ status: 'expired', code_digest: null, code_expires_at: null })
        .where('id', '=', id)
        .execute();
      if (hold.inquiry_id !== null) await setInquiryStatus(ctx, trx, hold.inquiry_id, 'deleted');
      await ctx.audit.record(trx, {
        actor: SYSTEM,
        action: 'guardian.expire',
        target: { type: 'guardian_hold', id },
        controllerId: null,
        outcome: 'success',
        details: {
          inquiry: hold.inquiry_id,
          minor: hold.minor_subject_id,
          records: shredded.records,
          keyDestroyed: shredded.keyDestroyed,
          afterHours: ctx.config.guardianConsentHours,
        },
      });
      return true;
    });
    if (done) expired++;
  }
  if (expired > 0) {
    await scrubSqliteWal(ctx);
    ctx.log.info({ expired }, 'guardian holds expired and data deleted');
  }
  return expired;
}
