// Children under the minor age (PIPL art. 31: under 14 a guardian consents; art. 28: their PI is
// sensitive). A form submission from a child is held: the data is stored sealed under the child's
// own data key, and the guardian named on the form receives a code by e-mail. Only after the
// guardian verifies the code and consents is the submission processed; a refusal, or no decision
// before the deadline, crypto-shreds the child's subject.
//
// A hold moves code_sent → pending (code verified, decision awaited) → consented | refused, or to
// expired from either open state. Codes are six random digits kept only as a keyed digest bound
// to the hold, valid for a few minutes, locked after a few wrong tries, and single-use. The
// guardian's address is needed again to resend a code, so until the decision it is kept as a
// record of the child (under purpose guardian_consent, without a blind index, so nobody is found
// by it), and deleted with the child's data; on consent it moves to the guardian's own subject.
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import type { Actor } from '../../audit/events.js';
import type { AppContext } from '../../context.js';
import { newId } from '../../db/ids.js';
import { forUpdate, transaction, type Trx } from '../../db/store.js';
import type { Row } from '../../db/types.js';
import { conflict, invalidField, notFound } from '../../errors.js';
import { enqueueMail } from '../../notify/outbox.js';
import { bindPurposes, checkRecords, insertRecords, openRecords } from '../../subjects/records.js';
import { scrubSqliteWal, shredSubject } from '../../subjects/service.js';
import { noticesFor } from '../../collection/notices.js';
import { findOrCreatePerson } from '../../collection/person.js';
import { setInquiryStatus } from '../../collection/service.js';
import { appendConsents, type ConsentClient } from '../ledger.js';
import { issueReceiptToken } from '../receipt-tokens.js';

/** The data-map purpose a guardian's own data (their e-mail address) is kept for. */
export const GUARDIAN_PURPOSE = 'guardian_consent';

const PERSON: Actor = { type: 'anonymous', id: null };
const SYSTEM: Actor = { type: 'system', id: null };

export const tokenHashOf = (token: string): Buffer =>
  createHash('sha256').update(token, 'utf8').digest();

/** Keyed digest of a code, bound to its hold: a copy of the table does not give codes away. */
const codeDigest = (ctx: AppContext, holdId: string, code: string): Buffer =>
  ctx.keyring.blindIndex('guardian_code', `${holdId}:${code}`);

const sourceOf = (holdId: string) => `guardian:${holdId}`;

/** The guardian page of a hold, with its token (sent only to the guardian's address). */
export const guardianLink = (ctx: AppContext, holdId: string, token: string, lang: string) =>
  `${ctx.config.baseUrl}/privacy/guardian/${encodeURIComponent(holdId)}?${new URLSearchParams({ token, lang }).toString()}`;

type Hold = Row<'guardian_holds'>;

/** Issues a fresh code for the hold (the previous one stops working) and mails it. */
async function sendCode(
  ctx: AppContext,
  trx: Trx,
  hold: Pick<Hold, 'id' | 'lang' | 'minor_subject_id' | 'deadline_at'>,
  token: string,
  guardianEmail: string,
  purpose: { nameEn: string; nameZh: string },
): Promise<void> {
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const now = ctx.clock.now();
  await trx
    .updateTable('guardian_holds')
    .set({
      status: 'code_sent',
      code_digest: codeDigest(ctx, hold.id, code),
      code_expires_at: new Date(
        now.getTime() + ctx.config.verificationCodeMinutes * 60_000,
      ).toISOString(),
      attempts: 0,
    })
    .where('id', '=', hold.id)
    .execute();
  await enqueueMail(ctx, trx, {
    to: guardianEmail,
    // Sealed with the child's key: shredding the child also makes queued mail unreadable.
    subjectId: hold.minor_subject_id,
    template: 'guardian_code',
    lang: hold.lang,
    params: {
      code,
      minutes: String(ctx.config.verificationCodeMinutes),
      link: guardianLink(ctx, hold.id, token, hold.lang),
      purposeName: hold.lang === 'en' ? purpose.nameEn : purpose.nameZh,
      deadline: hold.deadline_at,
    },
    dedupeKey: `guardian:${hold.id}:code:${newId()}`,
  });
  await ctx.audit.record(trx, {
    actor: PERSON,
    action: 'guardian.code_sent',
    target: { type: 'guardian_hold', id: hold.id },
    controllerId: null,
    outcome: 'success',
    details: { minor: hold.minor_subject_id },
  });
}

export interface NewHold {
  minor: Pick<Row<'subjects'>, 'id' | 'controller_id'>;
  /** The child's data key (the guardian's address is sealed with it until the decision). */
  dek: Buffer;
  region: string;
  inquiryId: string;
  lang: 'zh-CN' | 'en';
  /** Normalised. */
  guardianEmail: string;
  purpose: { nameEn: string; nameZh: string };
}

/** Holds a child's submission and mails the guardian a code (inside the caller's transaction). */
export async function holdForGuardian(
  ctx: AppContext,
  trx: Trx,
  input: NewHold,
): Promise<{ id: string; deadlineAt: string }> {
  const now = ctx.clock.now();
  const id = newId();
  const token = randomBytes(32).toString('base64url');
  const deadlineAt = new Date(
    now.getTime() + ctx.config.guardianConsentHours * 3600_000,
  ).toISOString();
  const records = checkRecords(
    [
      {
        category: 'email',
        purpose: GUARDIAN_PURPOSE,
        value: input.guardianEmail,
        source: sourceOf(id),
      },
    ],
    now,
    '/guardianEmail',
  ).map((r) => ({ ...r, identifier: null }));
  const retention = await bindPurposes(trx, records, '/guardianEmail');
  await insertRecords(ctx, trx, input.minor, input.dek, records, input.region, retention);
  const hold: Hold = {
    id,
    minor_subject_id: input.minor.id,
    guardian_subject_id: null,
    inquiry_id: input.inquiryId,
    lang: input.lang,
    status: 'code_sent',
    token_hash: tokenHashOf(token),
    code_digest: null,
    code_expires_at: null,
    attempts: 0,
    deadline_at: deadlineAt,
    created_at: now.toISOString(),
    decided_at: null,
  };
  await trx.insertInto('guardian_holds').values(hold).execute();
  await sendCode(ctx, trx, hold, token, input.guardianEmail, input.purpose);
  return { id, deadlineAt };
}

/** The hold this id and token open, locked for the change; anything else is a 404. */
async function loadHold(ctx: AppContext, trx: Trx, id: string, token: string): Promise<Hold> {
  const hold = await forUpdate(
    ctx.store,
    trx.selectFrom('guardian_holds').selectAll().where('id', '=', id),
  ).executeTakeFirst();
  if (hold === undefined || !timingSafeEqual(tokenHashOf(token), Buffer.from(hold.token_hash)))
    throw notFound('guardian request');
  return hold;
}

/** Refuses any action on a hold that is no longer open. */
function assertOpen(ctx: AppContext, hold: Hold): void {
  switch (hold.status) {
    case 'consented':
    case 'refused':
      throw conflict('The guardian has already decided on this request.');
    case 'expired':
      throw conflict('The time for a guardian decision has passed; the data was deleted.');
    case 'pending':
    case 'code_sent':
      break;
    default: {
      const unknown: never = hold.status;
      throw new Error(`unknown guardian hold status ${String(unknown)}`);
    }
  }
  if (ctx.clock.now().toISOString() >= hold.deadline_at)
    throw conflict('The time for a guardian decision has passed; the data is being deleted.');
}

/** The guardian's address, kept with the child's data until the decision. */
async function guardianEmailOf(ctx: AppContext, trx: Trx, hold: Hold): Promise<string> {
  const row = await trx
    .selectFrom('pi_records')
    .select('id')
    .where('subject_id', '=', hold.minor_subject_id)
    .where('source', '=', sourceOf(hold.id))
    .where('purpose', '=', GUARDIAN_PURPOSE)
    .executeTakeFirst();
  const [record] =
    row === undefined ? [] : await openRecords(ctx, trx, hold.minor_subject_id, [row.id]);
  if (record === undefined) throw conflict('This request can no longer be completed.');
  return record.value;
}

async function inquiryOf(trx: Trx, hold: Hold) {
  const inquiry = await trx
    .selectFrom('inquiries')
    .selectAll()
    .where('id', '=', hold.inquiry_id ?? '')
    .executeTakeFirst();
  if (inquiry === undefined) throw conflict('This request can no longer be completed.');
  const purpose = await trx
    .selectFrom('purposes')
    .select(['name_en', 'name_zh'])
    .where('key', '=', inquiry.purpose_key)
    .executeTakeFirst();
  return {
    inquiry,
    purpose: {
      nameEn: purpose?.name_en ?? inquiry.purpose_key,
      nameZh: purpose?.name_zh ?? inquiry.purpose_key,
    },
  };
}

/** What entering a code did. `used`: the hold was already verified (a code works once). */
export type CodeVerdict =
  | { kind: 'ok' }
  | { kind: 'wrong'; left: number }
  | { kind: 'locked' }
  | { kind: 'expired' }
  | { kind: 'used' };

/**
 * Checks the guardian's code. A wrong code is counted (and the count committed) before the answer
 * goes out; the last allowed wrong try locks the code until a new one is sent. A hold that is not
 * open any more is a 409, an unknown id or token a 404.
 */
export async function tryGuardianCode(
  ctx: AppContext,
  id: string,
  input: { token: string; code: string },
): Promise<CodeVerdict> {
  return transaction(ctx.store, async (trx): Promise<CodeVerdict> => {
    const hold = await loadHold(ctx, trx, id, input.token);
    assertOpen(ctx, hold);
    if (hold.status === 'pending') return { kind: 'used' };
    const max = ctx.config.verificationMaxAttempts;
    if (hold.code_digest === null || hold.attempts >= max) return { kind: 'locked' };
    const now = ctx.clock.now().toISOString();
    if (hold.code_expires_at === null || now >= hold.code_expires_at) return { kind: 'expired' };
    const code = input.code.trim();
    const good =
      /^[0-9]{6}$/.test(code) &&
      timingSafeEqual(codeDigest(ctx, id, code), Buffer.from(hold.code_digest));
    if (!good) {
      const attempts = hold.attempts + 1;
      await trx
        .updateTable('guardian_holds')
        .set({ attempts: sql`attempts + 1` })
        .where('id', '=', id)
        .execute();
      await ctx.audit.record(trx, {
        actor: PERSON,
        action: 'guardian.verify_failed',
        target: { type: 'guardian_hold', id },
        controllerId: null,
        outcome: 'failure',
        details: { attempts, locked: attempts >= max },
      });
      return attempts >= max ? { kind: 'locked' } : { kind: 'wrong', left: max - attempts };
    }
    // Single use: the digest goes, so the same code cannot be entered again.
    await trx
      .updateTable('guardian_holds')
      .set({ status: 'pending', code_digest: null, code_expires_at: null })
      .where('id', '=', id)
      .execute();
    await ctx.audit.record(trx, {
      actor: PERSON,
      action: 'guardian.verify',
      target: { type: 'guardian_hold', id },
      controllerId: null,
      outcome: 'success',
      details: { minor: hold.minor_subject_id },
    });
    return { kind: 'ok' };
  });
}

/** The API's verification: the verdict, or the 4xx that explains it. */
export async function verifyGuardian(
  ctx: AppContext,
  id: string,
  input: { token: string; code: string },
): Promise<{ id: string; status: 'pending' }> {
  const verdict = await tryGuardianCode(ctx, id, input);
  switch (verdict.kind) {
    case 'ok':
      return { id, status: 'pending' };
    case 'wrong':
      throw invalidField(
        '/code',
        `is not the code we sent; ${verdict.left} ${verdict.left === 1 ? 'try' : 'tries'} left`,
      );
    case 'locked':
      throw conflict(
        'This code is locked after too many wrong tries; ask for a new code (POST …/code).',
      );
    case 'expired':
      throw invalidField('/code', 'has expired; ask for a new code (POST …/code)');
    case 'used':
      throw conflict('This code was already used: the guardian is verified and can now decide.');
    default:
      return verdict satisfies never;
  }
}

/**
 * Sends the guardian a new code; only while the code is not yet verified. `limit` runs once the
 * token and state are checked (it throws when too many codes were sent), so a caller without the
 * token cannot use up the guardian's new codes.
 */
export async function resendGuardianCode(
  ctx: AppContext,
  id: string,
  token: string,
  limit: () => void = () => undefined,
): Promise<{ id: string; status: 'code_sent' }> {
  return transaction(ctx.store, async (trx) => {
    const hold = await loadHold(ctx, trx, id, token);
    assertOpen(ctx, hold);
    if (hold.status === 'pending')
      throw conflict('The guardian is already verified and can now decide.');
    limit();
    const email = await guardianEmailOf(ctx, trx, hold);
    const { purpose } = await inquiryOf(trx, hold);
    await sendCode(ctx, trx, hold, token, email, purpose);
    return { id, status: 'code_sent' as const };
  });
}

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

/** What the guardian page shows: no personal value, only the state, names and times. */
export interface GuardianView {
  id: string;
  status: Hold['status'];
  lang: 'zh-CN' | 'en';
  purpose: { key: string; nameEn: string; nameZh: string };
  policyVersion: string;
  deadlineAt: string;
  /** The kinds of information the child submitted (category names, never values). */
  categories: Array<{ key: string; nameEn: string; nameZh: string }>;
}

/** The guardian's view of a hold, or null when the id and token do not open one. */
export async function guardianView(
  ctx: AppContext,
  id: string,
  token: string,
): Promise<GuardianView | null> {
  const db = ctx.store.db;
  const hold = await db
    .selectFrom('guardian_holds')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  if (hold === undefined || !timingSafeEqual(tokenHashOf(token), Buffer.from(hold.token_hash)))
    return null;
  const inquiry = await db
    .selectFrom('inquiries')
    .innerJoin('purposes', 'purposes.key', 'inquiries.purpose_key')
    .select([
      'inquiries.purpose_key',
      'inquiries.policy_version',
      'purposes.name_en',
      'purposes.name_zh',
    ])
    .where('inquiries.id', '=', hold.inquiry_id ?? '')
    .executeTakeFirst();
  if (inquiry === undefined) return null;
  const categories = await db
    .selectFrom('pi_records')
    .innerJoin('data_categories', 'data_categories.key', 'pi_records.category')
    .select(['data_categories.key', 'data_categories.name_en', 'data_categories.name_zh'])
    .distinct()
    .where('pi_records.subject_id', '=', hold.minor_subject_id)
    .where('pi_records.source', '=', `inquiry:${hold.inquiry_id ?? ''}`)
    .orderBy('data_categories.key')
    .execute();
  return {
    id,
    status: hold.status,
    lang: hold.lang,
    purpose: { key: inquiry.purpose_key, nameEn: inquiry.name_en, nameZh: inquiry.name_zh },
    policyVersion: inquiry.policy_version,
    deadlineAt: hold.deadline_at,
    categories: categories.map((c) => ({ key: c.key, nameEn: c.name_en, nameZh: c.name_zh })),
  };
}
