// Intake of rights requests from every channel (API, web form, e-mail). A request is accepted
// without an account (PIPL art. 50: a convenient way to ask), its personal values are sealed with a
// data key of its own, the same submission twice is recognised, repeats are flagged for a possible
// fee, and identity verification starts at once.
import { randomBytes } from 'node:crypto';
import type { AppContext } from '../context.js';
import { normalizeEmail, normalizePhone } from '../crypto/normalize.js';
import { transaction } from '../db/store.js';
import type { Row } from '../db/types.js';
import { invalidField } from '../errors.js';
import { newId } from '../db/ids.js';
import { LANGS, REQUEST_TYPES, type SubmitInput, type SubmitResult } from './contracts.js';
import { appendEvent, PERSON, transition } from './events.js';
import { DEFAULT_REPEAT_POLICY, isRepetitive } from './fees.js';
import { tokenHash } from './lookup.js';
import { mailPerson, referenceOf, statusUrlOf } from './notices.js';
import { deadlinesOf } from './schedule.js';
import { MAX_DETAILS } from './schema.js';
import { sealContact, sealDetails, type Contact } from './seal.js';
import { isFinal } from './states.js';
import { channelFor, issueCode } from './verification.js';

/** A submission equal to a pending one within this window is the same request. */
export const DEDUPE_WINDOW_MS = 24 * 3600_000;
const MAX_NAME = 200;

const blank = (v: string | undefined): string | null => {
  const t = v?.trim() ?? '';
  return t === '' ? null : t;
};

/** Validates and normalises what the person sent; names the first bad field. */
function checkInput(input: SubmitInput): {
  contact: Contact;
  details: string | null;
} {
  if (!(REQUEST_TYPES as readonly string[]).includes(input.type))
    throw invalidField('/type', `must be one of ${REQUEST_TYPES.join(', ')}`);
  if (!(LANGS as readonly string[]).includes(input.lang))
    throw invalidField('/lang', `must be one of ${LANGS.join(', ')}`);
  const rawEmail = blank(input.email);
  const rawPhone = blank(input.phone);
  const email = rawEmail === null ? null : normalizeEmail(rawEmail);
  if (rawEmail !== null && email === null)
    throw invalidField('/email', 'is not a valid e-mail address');
  const phone = rawPhone === null ? null : normalizePhone(rawPhone);
  if (rawPhone !== null && phone === null)
    throw invalidField('/phone', 'is not a valid phone number');
  if (email === null && phone === null)
    throw invalidField(
      '/email',
      'is required unless a phone number is given: we need one of them to confirm it is you',
    );
  const name = blank(input.name);
  if (name !== null && [...name].length > MAX_NAME)
    throw invalidField('/name', `is longer than ${MAX_NAME} characters`);
  const details = blank(input.details);
  if (details !== null && [...details].length > MAX_DETAILS)
    throw invalidField('/details', `is longer than ${MAX_DETAILS} characters`);
  return { contact: { name, email, phone }, details };
}

/** Creates (or finds the duplicate of) a request and starts identity verification. */
export async function submitRequest(
  ctx: AppContext,
  input: SubmitInput,
  _meta: { ip?: string | undefined } = {},
): Promise<SubmitResult> {
  const { contact, details } = checkInput(input);
  const channel = channelFor(ctx, contact);
  const emailDigest =
    contact.email === null ? null : ctx.keyring.blindIndex('email', contact.email);
  const phoneDigest =
    contact.phone === null ? null : ctx.keyring.blindIndex('phone', contact.phone);

  return transaction(ctx.store, async (trx): Promise<SubmitResult> => {
    const slug = blank(input.controller);
    const controller = await trx
      .selectFrom('controllers')
      .select(['id', 'status'])
      .where(slug === null ? 'id' : 'slug', '=', slug ?? 'self')
      .executeTakeFirst();
    if (controller === undefined || controller.status !== 'active')
      throw invalidField('/controller', 'is not a known controller');

    const now = ctx.clock.now();
    const receivedAt = now.toISOString();
    const dedupeDigest = ctx.keyring.blindIndex(
      'request_dedupe',
      JSON.stringify([input.type, controller.id, contact.email, contact.phone, details]),
    );
    const recent = await trx
      .selectFrom('requests')
      .select(['id', 'status', 'verification_channel', 'controller_id'])
      .where('dedupe_digest', '=', dedupeDigest)
      .where('received_at', '>=', new Date(now.getTime() - DEDUPE_WINDOW_MS).toISOString())
      .orderBy('received_at', 'desc')
      .execute();
    const pending = recent.find((r) => !isFinal(r.status));
    if (pending !== undefined) {
      await ctx.audit.record(trx, {
        actor: { type: 'anonymous', id: null },
        action: 'request.submit',
        target: { type: 'request', id: pending.id },
        controllerId: pending.controller_id,
        outcome: 'success',
        details: { type: input.type, channel: input.channel, duplicate: true },
      });
      // The existing request: no second row, and no new token (the first one still works).
      return {
        id: pending.id,
        statusToken: '',
        status: pending.status,
        verification: pending.verification_channel,
        duplicate: true,
      };
    }

    // Fees only for excessive repeats (GB/T 35273 §8.7): earlier verified requests of this type
    // from the same e-mail or phone inside the rolling window.
    const digests = [
      ...(emailDigest === null ? [] : [{ col: 'email_digest' as const, d: emailDigest }]),
      ...(phoneDigest === null ? [] : [{ col: 'phone_digest' as const, d: phoneDigest }]),
    ];
    const earlier = await trx
      .selectFrom('requests')
      .select('received_at')
      .where('type', '=', input.type)
      .where('verified_at', 'is not', null)
      .where('parent_id', 'is', null)
      .where((eb) => eb.or(digests.map((x) => eb(x.col, '=', x.d))))
      .execute();
    const flagged = isRepetitive(
      earlier.map((r) => r.received_at),
      now,
      DEFAULT_REPEAT_POLICY,
    );

    const id = newId();
    const statusToken = randomBytes(32).toString('base64url');
    const key = await ctx.keyring.createDataKey(ctx.store, trx, 'request', id);
    const deadlines = deadlinesOf(ctx, { receivedAt, verifiedAt: null });
    const row: Row<'requests'> = {
      id,
      parent_id: null,
      controller_id: controller.id,
      subject_id: null,
      type: input.type,
      channel: input.channel,
      lang: input.lang,
      status: 'received',
      status_token_hash: tokenHash(statusToken),
      contact_enc: sealContact(key, id, contact),
      details_enc: details === null ? null : sealDetails(key, id, details),
      email_digest: emailDigest,
      phone_digest: phoneDigest,
      dedupe_digest: dedupeDigest,
      received_at: receivedAt,
      verified_at: null,
      verification_channel: null,
      due_at: deadlines.dueAt,
      alarm_at: deadlines.alarmAt,
      extended_at: null,
      extension_reason: null,
      assigned_to: null,
      refusal_ground: null,
      refusal_reason: null,
      refusal_evidence_ref: null,
      refusal_approved_by: null,
      refusal_proposed_by: null,
      refusal_proposed_at: null,
      fee_status: flagged ? 'flagged' : 'none',
      fee_amount_cents: null,
      fee_cost_basis: null,
      fee_approved_by: null,
      forwarded_at: null,
      controller_response_at: null,
      controller_response_enc: null,
      outcome: null,
      closed_at: null,
      version: 1,
      created_at: receivedAt,
      updated_at: receivedAt,
    };
    await trx.insertInto('requests').values(row).execute();
    await appendEvent(ctx, trx, id, PERSON, {
      action: 'submit',
      to: 'received',
      details: { channel: input.channel, fee: row.fee_status },
    });
    const verifying = await transition(ctx, trx, row, 'start_verification', PERSON, {
      set: { verification_channel: channel },
      details: { channel },
    });
    await issueCode(ctx, trx, verifying, contact, channel);
    await mailPerson(
      ctx,
      trx,
      verifying,
      contact,
      'request_received',
      {
        reference: referenceOf(id),
        type: input.type,
        statusUrl: statusUrlOf(ctx, id, statusToken),
        dueAt: verifying.due_at,
      },
      'received',
    );
    await ctx.audit.record(trx, {
      actor: { type: 'anonymous', id: null },
      action: 'request.submit',
      target: { type: 'request', id },
      controllerId: controller.id,
      outcome: 'success',
      details: {
        type: input.type,
        channel: input.channel,
        lang: input.lang,
        verification: channel,
        fee: row.fee_status,
        duplicate: false,
      },
    });
    return { id, statusToken, status: verifying.status, verification: channel, duplicate: false };
  });
}
