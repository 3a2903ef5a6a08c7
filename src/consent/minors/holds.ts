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
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Actor } from '../../audit/events.js';
import type { AppContext } from '../../context.js';
import { newId } from '../../db/ids.js';
import { forUpdate, type Trx } from '../../db/store.js';
import type { Row } from '../../db/types.js';
import { conflict, notFound } from '../../errors.js';
import { bindPurposes, checkRecords, insertRecords, openRecords } from '../../subjects/records.js';
import { sendCode } from './codes.js';

/** The data-map purpose a guardian's own data (their e-mail address) is kept for. */
export const GUARDIAN_PURPOSE = 'guardian_consent';

export const PERSON: Actor = { type: 'anonymous', id: null };

export const tokenHashOf = (token: string): Buffer =>
  createHash('sha256').update(token, 'utf8').digest();

export const sourceOf = (holdId: string) => `guardian:${holdId}`;

/** The guardian page of a hold, with its token (sent only to the guardian's address). */
export const guardianLink = (ctx: AppContext, holdId: string, token: string, lang: string) =>
  `${ctx.config.baseUrl}/privacy/guardian/${encodeURIComponent(holdId)}?${new URLSearchParams({ token, lang }).toString()}`;

export type Hold = Row<'guardian_holds'>;

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
export async function loadHold(
  ctx: AppContext,
  trx: Trx,
  id: string,
  token: string,
): Promise<Hold> {
  const hold = await forUpdate(
    ctx.store,
    trx.selectFrom('guardian_holds').selectAll().where('id', '=', id),
  ).executeTakeFirst();
  if (hold === undefined || !timingSafeEqual(tokenHashOf(token), Buffer.from(hold.token_hash)))
    throw notFound('guardian request');
  return hold;
}

/** Refuses any action on a hold that is no longer open. */
export function assertOpen(ctx: AppContext, hold: Hold): void {
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
export async function guardianEmailOf(ctx: AppContext, trx: Trx, hold: Hold): Promise<string> {
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

export async function inquiryOf(trx: Trx, hold: Hold) {
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
