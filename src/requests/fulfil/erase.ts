// Deletion, account cancellation and withdrawal of consent (PIPL arts. 15, 47). Records go with
// their blind indexes; a person left with nothing is crypto-shredded (data key destroyed) and only a
// tombstone remains. Records under an active legal hold stay, restricted to storage (art. 47 ¶2),
// and the answer says it was partial: which categories were kept and under which kind of hold.
import { actorOf } from '../../access/principal.js';
import { recordRequestWithdrawal } from '../../consent/withdraw.js';
import type { Trx } from '../../db/store.js';
import { activeHolds, isHeld, type ActiveHolds } from '../../retention/active-holds.js';
import { shredSubject } from '../../subjects/service.js';
import type { FulfilOutcome, Job } from './fulfil.js';
import { deleteFilesOfSubject } from './files.js';
import { distinct, recipientsOf } from './gather.js';
import { restrictTo } from './restrictions.js';
import type { SubjectTombstonesTable } from './tables.js';

type RecordRef = { id: string; subject_id: string; category: string; controller_id: string };

/** The kinds of hold keeping a record: reason codes for the reply (hold texts stay internal). */
function holdKinds(holds: ActiveHolds, records: readonly RecordRef[]): string[] {
  const kinds = new Set<string>();
  for (const r of records) {
    if (holds.subjects.has(r.subject_id)) kinds.add('subject_hold');
    if (holds.categories.has(r.category)) kinds.add('category_hold');
    if (holds.controllers.has(r.controller_id)) kinds.add('controller_hold');
  }
  return [...kinds].sort();
}

async function deleteRecords(trx: Trx, ids: readonly string[]) {
  let records = 0;
  let indexes = 0;
  // Chunked so a large subject stays within every dialect's parameter limit.
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const idx = await trx
      .deleteFrom('subject_identifiers')
      .where('record_id', 'in', chunk)
      .executeTakeFirst();
    const rec = await trx.deleteFrom('pi_records').where('id', 'in', chunk).executeTakeFirst();
    records += Number(rec.numDeletedRows);
    indexes += Number(idx.numDeletedRows);
  }
  return { records, indexes };
}

/** Shreds the subject and leaves the tombstone: id, controller, request, time and reason code. */
async function shredWithTombstone(job: Job, reason: SubjectTombstonesTable['reason_code']) {
  const { ctx, trx, request, subject } = job;
  if (subject === null) throw new Error('shredWithTombstone needs a matched subject');
  const summary = await shredSubject(ctx, trx, subject.id);
  await trx
    .insertInto('subject_tombstones')
    .values({
      subject_id: subject.id,
      controller_id: subject.controller_id,
      request_id: request.id,
      erased_at: summary.erasedAt,
      reason_code: reason,
    })
    .execute();
  return summary;
}

async function recordsOf(job: Job) {
  const { trx, subject } = job;
  if (subject === null) return [];
  return trx
    .selectFrom('pi_records')
    .select(['id', 'subject_id', 'category', 'controller_id', 'purpose'])
    .where('subject_id', '=', subject.id)
    .orderBy('id')
    .execute();
}

async function holdsFor(job: Job, records: readonly RecordRef[]): Promise<ActiveHolds> {
  const { trx, subject, now } = job;
  if (subject === null) throw new Error('holdsFor needs a matched subject');
  return activeHolds(trx, now, {
    subjects: [subject.id],
    controllers: [subject.controller_id],
    categories: distinct(records.map((r) => r.category)),
  });
}

export async function fulfilDeletion(
  job: Job,
  reason: 'deletion_request' | 'account_cancellation' | 'deceased_relative',
): Promise<FulfilOutcome> {
  const { trx, subject } = job;
  if (subject === null) throw new Error('fulfilDeletion needs a matched subject');
  const records = await recordsOf(job);
  const holds = await holdsFor(job, records);
  const held = records.filter((r) => isHeld(holds, r));
  // Recipients are read before anything goes: the person is told whom else to ask (art. 45).
  const recipients = await recipientsOf(trx, subject.id);
  // Packages made for earlier requests are copies of the same PI.
  const packages = await deleteFilesOfSubject(trx, subject.id);
  const done: FulfilOutcome['done'] = [];
  if (held.length === 0) {
    const summary = await shredWithTombstone(job, reason);
    done.push(
      { kind: 'erased_records', count: summary.records },
      { kind: 'identifiers_removed', count: summary.indexes },
      { kind: 'data_key_destroyed', count: summary.keyDestroyed ? 1 : 0 },
    );
  } else {
    const heldIds = new Set(held.map((r) => r.id));
    const removed = await deleteRecords(
      trx,
      records.filter((r) => !heldIds.has(r.id)).map((r) => r.id),
    );
    await restrictTo(job, 'all', 'legal_hold_kept');
    done.push(
      { kind: 'erased_records', count: removed.records },
      { kind: 'identifiers_removed', count: removed.indexes },
      {
        kind: 'kept_under_legal_hold',
        count: held.length,
        detail: distinct(held.map((r) => r.category)).join(', '),
      },
      { kind: 'processing_restricted_to_storage' },
    );
  }
  if (packages > 0) done.push({ kind: 'packages_removed', count: packages });
  if (recipients.length > 0) done.push({ kind: 'recipients_to_inform', count: recipients.length });
  return {
    done,
    partial: held.length > 0,
    download: null,
    recipients,
    ...(held.length > 0
      ? {
          kept: {
            records: held.length,
            categories: distinct(held.map((r) => r.category)),
            holds: holdKinds(holds, held),
          },
        }
      : {}),
  };
}

/**
 * Withdrawal of consent (PIPL art. 15; art. 47 ¶1 item 3): what rests on consent is deleted; what
 * rests on another lawful basis (art. 13 ¶1 items 2–7) stays, and the reply names those bases.
 * Processing for the withdrawn purposes stops (a restriction) for as long as anything remains.
 */
export async function fulfilWithdrawal(job: Job): Promise<FulfilOutcome> {
  const { trx, subject } = job;
  if (subject === null) throw new Error('fulfilWithdrawal needs a matched subject');
  const records = await recordsOf(job);
  const purposeKeys = distinct(records.map((r) => r.purpose));
  const bases = new Map(
    purposeKeys.length === 0
      ? []
      : (
          await trx
            .selectFrom('purposes')
            .select(['key', 'legal_basis'])
            .where('key', 'in', purposeKeys)
            .execute()
        ).map((p) => [p.key, p.legal_basis]),
  );
  const onConsent = records.filter((r) => bases.get(r.purpose) === 'consent');
  const otherBasis = records.filter((r) => bases.get(r.purpose) !== 'consent');
  const holds = await holdsFor(job, onConsent);
  const held = onConsent.filter((r) => isHeld(holds, r));
  const heldIds = new Set(held.map((r) => r.id));
  const toDelete = onConsent.filter((r) => !heldIds.has(r.id));
  const consentPurposes = distinct(onConsent.map((r) => r.purpose));
  // The ledger records the withdrawal in this transaction, with this request as its source, so
  // every system that reads consent sees it.
  await recordRequestWithdrawal(
    job.ctx,
    trx,
    {
      subjectId: subject.id,
      controllerId: subject.controller_id,
      requestId: job.request.id,
      purposes: consentPurposes,
      lang: job.request.lang,
    },
    actorOf(job.caller),
  );
  const recipients = await recipientsOf(trx, subject.id);
  const done: FulfilOutcome['done'] = [];
  if (otherBasis.length === 0 && held.length === 0 && records.length > 0) {
    // Nothing left once the consented records go: the person is shredded as the retention sweep
    // does with an emptied subject, and only a tombstone remains.
    const summary = await shredWithTombstone(job, 'consent_withdrawn');
    await deleteFilesOfSubject(trx, subject.id);
    done.push(
      {
        kind: 'consent_withdrawn',
        count: consentPurposes.length,
        detail: consentPurposes.join(', '),
      },
      { kind: 'erased_records', count: summary.records },
      { kind: 'identifiers_removed', count: summary.indexes },
      { kind: 'data_key_destroyed', count: summary.keyDestroyed ? 1 : 0 },
    );
  } else {
    const removed = await deleteRecords(
      trx,
      toDelete.map((r) => r.id),
    );
    if (consentPurposes.length > 0) await restrictTo(job, consentPurposes, 'consent_withdrawn');
    done.push(
      {
        kind: 'consent_withdrawn',
        count: consentPurposes.length,
        detail: consentPurposes.join(', '),
      },
      { kind: 'erased_records', count: removed.records },
      { kind: 'identifiers_removed', count: removed.indexes },
    );
    if (held.length > 0)
      done.push({
        kind: 'kept_under_legal_hold',
        count: held.length,
        detail: distinct(held.map((r) => r.category)).join(', '),
      });
    const keptBases = new Map<string, number>();
    for (const r of otherBasis) {
      const basis = bases.get(r.purpose) ?? 'unknown';
      keptBases.set(basis, (keptBases.get(basis) ?? 0) + 1);
    }
    if (otherBasis.length > 0)
      done.push({
        kind: 'kept_other_legal_basis',
        count: otherBasis.length,
        detail: [...keptBases]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([basis, n]) => `${basis}: ${n}`)
          .join(', '),
      });
  }
  if (recipients.length > 0) done.push({ kind: 'recipients_to_inform', count: recipients.length });
  return {
    done,
    partial: held.length > 0,
    download: null,
    recipients,
    ...(held.length > 0
      ? {
          kept: {
            records: held.length,
            categories: distinct(held.map((r) => r.category)),
            holds: holdKinds(holds, held),
          },
        }
      : {}),
  };
}
