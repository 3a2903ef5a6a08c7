// Purpose-bound collection: a form submission (API or web page) for a data-map purpose. Only the
// categories the purpose declares are accepted, each value is sealed under the person's data key,
// the person is found through the blind index or created, and the ledger records the notice that
// was shown (PIPL arts. 6, 14, 17). A child under the minor age is held for a guardian (art. 31).
// Everything is checked before the first write, and written in one transaction.
import type { Actor } from '../audit/events.js';
import type { AppContext } from '../context.js';
import { normalizeEmail, normalizePhone } from '../crypto/normalize.js';
import { newId } from '../db/ids.js';
import { transaction } from '../db/store.js';
import { conflict, validation } from '../errors.js';
import { appendConsents, type ConsentClient, type NewConsent } from '../consent/ledger.js';
import { holdForGuardian } from '../consent/minors/holds.js';
import { issueReceiptToken } from '../consent/receipt-tokens.js';
import type { NewRecord } from '../subjects/schema.js';
import { bindPurposes, checkRecords, insertRecords } from '../subjects/records.js';
import {
  checkInquiry,
  describeProblem,
  loadForm,
  type CheckedInquiry,
  type InputProblem,
  type InquiryDraft,
} from './fields.js';
import { noticesFor } from './notices.js';
import { createPerson, findOrCreatePerson, OWN_CONTROLLER, type Person } from './person.js';
import { inquirySource } from './service.js';

const PERSON: Actor = { type: 'anonymous', id: null };

export interface InquiryInput extends InquiryDraft {
  channel: 'web' | 'api';
}

export interface InquiryResult {
  id: string;
  status: 'received' | 'held';
  /** Path of the person's consent receipt, carrying its bearer token (shown once). */
  receipt: string;
  /** `code_sent` when the submission waits for a guardian. */
  guardian: 'code_sent' | null;
  /** When held: the time the data is deleted without a guardian's consent. */
  deadlineAt: string | null;
}

export const receiptPath = (token: string) =>
  `/api/v1/consent/receipt?token=${encodeURIComponent(token)}`;

/** The problems as a 400 problem document, each at its JSON pointer into the body. */
export function problemsError(
  problems: readonly InputProblem[],
  purpose: string,
  minorAge: number,
) {
  const errors = problems.map((p) => ({
    pointer: `/body${p.path}`,
    detail: describeProblem(p, purpose, minorAge),
  }));
  const first = errors[0];
  return validation(first ? `${first.pointer} ${first.detail}` : 'The request is invalid.', errors);
}

/** The records to store: the form's values under its purpose, and under each granted purpose. */
function recordsOf(checked: CheckedInquiry, source: string): NewRecord[] {
  const own = checked.values.map((v) => ({
    category: v.category,
    purpose: checked.purpose.key,
    value: v.value,
    source,
  }));
  // A grant lets its purpose keep what it declares, for its own retention period (and a
  // withdrawal later ends exactly those records, not the inquiry's).
  const granted = checked.consents
    .filter((c) => c.granted)
    .flatMap((c) =>
      checked.values
        .filter((v) => c.offer.categories.includes(v.category))
        .map((v) => ({ category: v.category, purpose: c.offer.key, value: v.value, source })),
    );
  return [...own, ...granted];
}

/** Takes one submission; a bad one is a 400 naming every problem, with nothing written. */
export async function submitInquiry(
  ctx: AppContext,
  input: InquiryInput,
  client: ConsentClient = {},
): Promise<InquiryResult> {
  const now = ctx.clock.now();
  return transaction(ctx.store, async (trx) => {
    const form = await loadForm(trx, input.purpose, input.policyVersion);
    const checked = checkInquiry(form, input, now, ctx.config.minorAge);
    if (!checked.ok) throw problemsError(checked.problems, input.purpose, ctx.config.minorAge);
    const inquiry = checked.inquiry;
    const controller = await trx
      .selectFrom('controllers')
      .select(['id', 'region', 'status'])
      .where('id', '=', OWN_CONTROLLER)
      .executeTakeFirst();
    if (controller === undefined || controller.status !== 'active')
      throw conflict('Submissions are not accepted at the moment.');

    const id = newId();
    const source = inquirySource(id);
    const origin = { kind: 'inquiry' as const, id };
    const records = checkRecords(recordsOf(inquiry, source), now, '/fields');
    const retention = await bindPurposes(trx, records, '/fields');

    const valueOf = (category: string) =>
      inquiry.values.find((v) => v.category === category)?.value ?? null;
    const email = valueOf('email');
    const phone = valueOf('phone');
    // A child's data is held apart from anyone else's until a guardian decides: always a new
    // subject, so a refusal can delete exactly what the child sent.
    const person: Person = inquiry.minor
      ? await createPerson(ctx, trx, OWN_CONTROLLER, { minor: true, actor: PERSON, origin })
      : await findOrCreatePerson(
          ctx,
          trx,
          {
            email: email === null ? null : normalizeEmail(email),
            phone: phone === null ? null : normalizePhone(phone),
          },
          { actor: PERSON, origin },
        );
    await insertRecords(
      ctx,
      trx,
      person.subject,
      person.dek,
      records,
      controller.region,
      retention,
    );

    const at = now.toISOString();
    const status = inquiry.minor ? 'held' : 'received';
    await trx
      .insertInto('inquiries')
      .values({
        id,
        subject_id: person.subject.id,
        controller_id: OWN_CONTROLLER,
        purpose_key: inquiry.purpose.key,
        lang: inquiry.lang,
        policy_version: inquiry.policyVersion,
        status,
        channel: input.channel,
        created_at: at,
        updated_at: at,
      })
      .execute();

    let deadlineAt: string | null = null;
    if (inquiry.minor && inquiry.guardianEmail !== null) {
      const hold = await holdForGuardian(ctx, trx, {
        minor: person.subject,
        dek: person.dek,
        region: controller.region,
        inquiryId: id,
        lang: inquiry.lang,
        guardianEmail: inquiry.guardianEmail,
        purpose: inquiry.purpose,
      });
      deadlineAt = hold.deadlineAt;
    }

    const notices = await noticesFor(
      trx,
      [inquiry.purpose.key, ...inquiry.consents.map((c) => c.offer.key)],
      inquiry.lang,
      inquiry.policyVersion,
    );
    const entry = (purpose: string, decision: NewConsent['decision']): NewConsent => ({
      party: { subjectId: person.subject.id },
      controllerId: OWN_CONTROLLER,
      purpose,
      decision,
      policyVersion: inquiry.policyVersion,
      noticeSha256: notices.get(purpose)?.sha256 ?? null,
      method: 'form',
      source,
      lang: inquiry.lang,
      client,
    });
    const basedOnConsent = inquiry.purpose.legalBasis === 'consent';
    // The notice was shown either way; a child's own grant is no consent (the guardian's is).
    const ownEntry =
      basedOnConsent && inquiry.minor
        ? []
        : [entry(inquiry.purpose.key, basedOnConsent ? 'grant' : 'acknowledge')];
    await appendConsents(ctx, trx, [
      ...ownEntry,
      ...inquiry.consents.map((c) => entry(c.offer.key, c.granted ? 'grant' : 'deny')),
    ]);
    const token = await issueReceiptToken(ctx, trx, person.subject.id);

    await ctx.audit.record(trx, {
      actor: PERSON,
      action: 'inquiry.submit',
      target: { type: 'inquiry', id },
      controllerId: OWN_CONTROLLER,
      outcome: 'success',
      details: {
        purpose: inquiry.purpose.key,
        channel: input.channel,
        lang: inquiry.lang,
        policyVersion: inquiry.policyVersion,
        subject: person.subject.id,
        newSubject: person.created,
        fields: inquiry.values.length,
        records: records.length,
        grants: inquiry.consents.filter((c) => c.granted).length,
        denials: inquiry.consents.filter((c) => !c.granted).length,
        held: inquiry.minor,
      },
    });
    return {
      id,
      status,
      receipt: receiptPath(token),
      guardian: inquiry.minor ? 'code_sent' : null,
      deadlineAt,
    };
  });
}
