// The disclosure register: every provision of PI to another party or public disclosure, with its
// lawful basis and, where the basis is consent, the separate consent it rests on (PIPL arts. 23,
// 25). Entries are corrected in versions, never deleted; staff scoped to some controllers see
// only those controllers' entries.
import { actorOf, inScope, scopeControllers, type Principal } from '../../access/principal.js';
import { getController } from '../../controllers/service.js';
import type { AppContext } from '../../context.js';
import { newId } from '../../db/ids.js';
import { transaction, type Db, type Trx } from '../../db/store.js';
import type { Row } from '../../db/types.js';
import { invalidField, notFound } from '../../errors.js';
import { loadSubject } from '../../subjects/service.js';
import { changesOf, recordVersion, versionsOf } from './history.js';
import { checkCategories, isoTime, loadRecipient, noPersonalText } from './lookups.js';
import { presentDisclosure } from './present.js';
import type { DisclosureList, DisclosurePatch, NewDisclosure } from './schema.js';

// Clocks drift; a time a few minutes ahead is tolerated, not one from tomorrow.
const FUTURE_SKEW_MS = 5 * 60_000;

/** A disclosure entry the caller may see; anything else (absent or out of scope) is a 404. */
export async function loadDisclosure(
  db: Db | Trx,
  caller: Principal,
  id: string,
): Promise<Row<'disclosures'>> {
  const row = await db
    .selectFrom('disclosures')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  if (row === undefined || !inScope(caller, row.controller_id)) throw notFound('disclosure');
  return row;
}

type Fields = Omit<Row<'disclosures'>, 'id' | 'version' | 'created_at' | 'updated_at'>;

/** Checks an entry as it would be stored; pointers name the request field. */
async function checkEntry(ctx: AppContext, trx: Trx, e: Fields): Promise<Row<'recipients'>> {
  if (
    e.legal_basis === 'consent' &&
    (e.separate_consent_ref ?? '').trim() === '' &&
    e.consent_purpose === null
  )
    throw invalidField(
      '/separateConsentRef',
      'is required when the legal basis is consent (or name the purpose in consentPurpose, so delivery checks the consent ledger): providing or publicly disclosing PI needs a separate consent (PIPL arts. 23, 25)',
    );
  if (Date.parse(e.disclosed_at) > ctx.clock.now().getTime() + FUTURE_SKEW_MS)
    throw invalidField('/disclosedAt', 'is in the future');
  noPersonalText('/purpose', e.purpose);
  noPersonalText('/note', e.note);
  noPersonalText('/separateConsentRef', e.separate_consent_ref);
  if (e.consent_purpose !== null) {
    if (e.legal_basis !== 'consent')
      throw invalidField('/consentPurpose', 'applies only when the legal basis is consent');
    const purpose = await trx
      .selectFrom('purposes')
      .select(['legal_basis', 'status'])
      .where('key', '=', e.consent_purpose)
      .executeTakeFirst();
    if (purpose === undefined || purpose.status !== 'active')
      throw invalidField('/consentPurpose', 'is not an active purpose of the data map');
    if (purpose.legal_basis !== 'consent')
      throw invalidField('/consentPurpose', 'is a purpose whose legal basis is not consent');
  }
  const recipient = await loadRecipient(trx, '/recipientId', e.recipient_id);
  await checkCategories(trx, '/categories', JSON.parse(e.categories) as string[]);
  if (e.le_request_id !== null) {
    const le = await trx
      .selectFrom('le_requests')
      .select(['controller_id'])
      .where('id', '=', e.le_request_id)
      .executeTakeFirst();
    if (le === undefined || le.controller_id !== e.controller_id)
      throw invalidField('/leRequestId', "is not a request of this entry's controller");
  }
  if (e.transfer_id !== null) {
    const t = await trx
      .selectFrom('transfers')
      .select(['recipient_id'])
      .where('id', '=', e.transfer_id)
      .executeTakeFirst();
    if (t === undefined || t.recipient_id !== e.recipient_id)
      throw invalidField('/transferId', 'is not a cross-border transfer to this recipient');
  }
  return recipient;
}

/** Inserts a checked entry with its first version; shared with granted authority requests. */
export async function insertDisclosure(
  ctx: AppContext,
  trx: Trx,
  caller: Principal,
  fields: Fields,
): Promise<{ row: Row<'disclosures'>; recipient: Row<'recipients'> }> {
  const recipient = await checkEntry(ctx, trx, fields);
  const now = ctx.clock.now().toISOString();
  const row: Row<'disclosures'> = {
    id: newId(),
    ...fields,
    version: 1,
    created_at: now,
    updated_at: now,
  };
  await trx.insertInto('disclosures').values(row).execute();
  await recordVersion(trx, 'disclosure', row.id, 1, presentDisclosure(row), actorOf(caller), now);
  await ctx.audit.record(trx, {
    actor: actorOf(caller),
    action: 'disclosure.create',
    target: { type: 'disclosure', id: row.id },
    controllerId: row.controller_id,
    outcome: 'success',
    details: {
      recipient: row.recipient_id,
      categories: JSON.parse(row.categories) as string[],
      legalBasis: row.legal_basis,
      persons: row.persons_count,
      leRequest: row.le_request_id,
    },
  });
  return { row, recipient };
}

export async function createDisclosure(ctx: AppContext, caller: Principal, input: NewDisclosure) {
  const controllerId = input.controllerId ?? 'self';
  const fields: Fields = {
    controller_id: controllerId,
    recipient_id: input.recipientId,
    purpose: input.purpose,
    categories: JSON.stringify(input.categories),
    legal_basis: input.legalBasis,
    separate_consent_ref: input.separateConsentRef ?? null,
    consent_purpose: input.consentPurpose ?? null,
    persons_count: input.personsCount,
    disclosed_at: isoTime('/disclosedAt', input.disclosedAt),
    le_request_id: input.leRequestId ?? null,
    transfer_id: input.transferId ?? null,
    note: input.note ?? null,
  };
  return transaction(ctx.store, async (trx) => {
    await getController(trx, caller, controllerId);
    const { row, recipient } = await insertDisclosure(ctx, trx, caller, fields);
    return presentDisclosure(row, recipient);
  });
}

/** A correction: the new version is stored beside the old ones and audited. */
export async function updateDisclosure(
  ctx: AppContext,
  caller: Principal,
  id: string,
  patch: DisclosurePatch,
) {
  return transaction(ctx.store, async (trx) => {
    const row = await loadDisclosure(trx, caller, id);
    const fields: Fields = {
      controller_id: row.controller_id,
      recipient_id: patch.recipientId ?? row.recipient_id,
      purpose: patch.purpose ?? row.purpose,
      categories: patch.categories ? JSON.stringify(patch.categories) : row.categories,
      legal_basis: patch.legalBasis ?? row.legal_basis,
      separate_consent_ref:
        patch.separateConsentRef === undefined
          ? row.separate_consent_ref
          : patch.separateConsentRef,
      consent_purpose:
        patch.consentPurpose === undefined ? row.consent_purpose : patch.consentPurpose,
      persons_count: patch.personsCount ?? row.persons_count,
      disclosed_at:
        patch.disclosedAt === undefined
          ? row.disclosed_at
          : isoTime('/disclosedAt', patch.disclosedAt),
      le_request_id: patch.leRequestId === undefined ? row.le_request_id : patch.leRequestId,
      transfer_id: patch.transferId === undefined ? row.transfer_id : patch.transferId,
      note: patch.note === undefined ? row.note : patch.note,
    };
    const recipient = await checkEntry(ctx, trx, fields);
    const now = ctx.clock.now().toISOString();
    const next: Row<'disclosures'> = {
      ...row,
      ...fields,
      version: row.version + 1,
      updated_at: now,
    };
    await trx.updateTable('disclosures').set(changesOf(next)).where('id', '=', id).execute();
    await recordVersion(
      trx,
      'disclosure',
      id,
      next.version,
      presentDisclosure(next),
      actorOf(caller),
      now,
    );
    // A correction is a new version of the entry; the earlier one stays in the history.
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'disclosure.update',
      target: { type: 'disclosure', id },
      controllerId: row.controller_id,
      outcome: 'success',
      details: { version: next.version, fields: Object.keys(patch).sort() },
    });
    return presentDisclosure(next, recipient);
  });
}

export async function listDisclosures(ctx: AppContext, caller: Principal, query: DisclosureList) {
  const scope = scopeControllers(caller);
  if (query.controllerId !== undefined && !inScope(caller, query.controllerId))
    return { items: [], next: null };
  if (scope !== null && scope.length === 0) return { items: [], next: null };
  let q = ctx.store.db
    .selectFrom('disclosures')
    .innerJoin('recipients', 'recipients.id', 'disclosures.recipient_id')
    .selectAll('disclosures')
    .select([
      'recipients.name as recipient_name',
      'recipients.kind as recipient_kind',
      'recipients.country as recipient_country',
    ])
    .orderBy('disclosures.id')
    .limit(query.limit + 1);
  if (scope !== null) q = q.where('disclosures.controller_id', 'in', scope);
  if (query.controllerId !== undefined)
    q = q.where('disclosures.controller_id', '=', query.controllerId);
  if (query.recipientId !== undefined)
    q = q.where('disclosures.recipient_id', '=', query.recipientId);
  if (query.from !== undefined)
    q = q.where('disclosures.disclosed_at', '>=', isoTime('/from', query.from));
  if (query.to !== undefined)
    q = q.where('disclosures.disclosed_at', '<', isoTime('/to', query.to));
  if (query.after !== undefined) q = q.where('disclosures.id', '>', query.after);
  const rows = await q.execute();
  const page = rows.slice(0, query.limit);
  return {
    items: page.map((r) =>
      presentDisclosure(r, {
        name: r.recipient_name,
        kind: r.recipient_kind,
        country: r.recipient_country,
      }),
    ),
    next: rows.length > query.limit ? (page[page.length - 1]?.id ?? null) : null,
  };
}

/** One entry with its recipient, who was disclosed under it, and every version. */
export async function getDisclosure(ctx: AppContext, caller: Principal, id: string) {
  return transaction(ctx.store, async (trx) => {
    const row = await loadDisclosure(trx, caller, id);
    const recipient = await trx
      .selectFrom('recipients')
      .selectAll()
      .where('id', '=', row.recipient_id)
      .executeTakeFirstOrThrow();
    const links = await trx
      .selectFrom('disclosure_subjects')
      .select(['subject_id', 'delivered_at'])
      .where('disclosure_id', '=', id)
      .execute();
    return {
      ...presentDisclosure(row, recipient),
      disclosedPersons: new Set(links.map((l) => l.subject_id)).size,
      lastDeliveredAt: links.reduce<string | null>(
        (max, l) => (max === null || l.delivered_at > max ? l.delivered_at : max),
        null,
      ),
      versions: await versionsOf(trx, 'disclosure', id),
    };
  });
}

export interface SubjectDisclosure {
  disclosureId: string;
  recipient: { id: string; name: string; kind: string; country: string };
  purpose: string;
  legalBasis: string;
  /** The categories that went out for this person (union over deliveries). */
  categories: string[];
  disclosedAt: string;
  /** Last time this person's data went out under the entry. */
  deliveredAt: string;
  via: 'delivery' | 'le_request';
  leRequestId: string | null;
}

/**
 * The register entries that involved a subject: to whom, where, why, what and when (PIPL art.
 * 45's access report). Callers check that the subject is theirs to see.
 */
export async function disclosuresOfSubject(
  db: Db | Trx,
  subjectId: string,
): Promise<SubjectDisclosure[]> {
  const rows = await db
    .selectFrom('disclosure_subjects')
    .innerJoin('disclosures', 'disclosures.id', 'disclosure_subjects.disclosure_id')
    .innerJoin('recipients', 'recipients.id', 'disclosures.recipient_id')
    .select([
      'disclosures.id as disclosure_id',
      'disclosures.purpose',
      'disclosures.legal_basis',
      'disclosures.disclosed_at',
      'disclosures.le_request_id',
      'disclosure_subjects.categories',
      'disclosure_subjects.delivered_at',
      'disclosure_subjects.via',
      'recipients.id as recipient_id',
      'recipients.name as recipient_name',
      'recipients.kind as recipient_kind',
      'recipients.country as recipient_country',
    ])
    .where('disclosure_subjects.subject_id', '=', subjectId)
    .orderBy('disclosure_subjects.delivered_at')
    .orderBy('disclosure_subjects.id')
    .execute();
  const byEntry = new Map<string, SubjectDisclosure>();
  for (const r of rows) {
    const categories = JSON.parse(r.categories) as string[];
    const seen = byEntry.get(r.disclosure_id);
    if (seen) {
      seen.categories = [...new Set([...seen.categories, ...categories])].sort();
      seen.deliveredAt = r.delivered_at;
      continue;
    }
    byEntry.set(r.disclosure_id, {
      disclosureId: r.disclosure_id,
      recipient: {
        id: r.recipient_id,
        name: r.recipient_name,
        kind: r.recipient_kind,
        country: r.recipient_country,
      },
      purpose: r.purpose,
      legalBasis: r.legal_basis,
      categories: [...categories].sort(),
      disclosedAt: r.disclosed_at,
      deliveredAt: r.delivered_at,
      via: r.via,
      leRequestId: r.le_request_id,
    });
  }
  return [...byEntry.values()];
}

/** GET /subjects/:id/disclosures: scoped like every subject read. */
export async function listSubjectDisclosures(ctx: AppContext, caller: Principal, id: string) {
  const subject = await loadSubject(ctx.store.db, caller, id);
  return { subjectId: subject.id, items: await disclosuresOfSubject(ctx.store.db, subject.id) };
}
