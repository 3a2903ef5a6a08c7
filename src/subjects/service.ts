// Data subjects: the people whose information Custos holds, each under one controller, each with
// their own data key. Reads are masked and audited; clear values need `pi.reveal` and a reason;
// erasure destroys the data key (crypto-shredding), so copies of the ciphertext anywhere, backups
// included, can no longer be read.
import { sql } from 'kysely';
import { actorOf, inScope, scopeControllers, type Principal } from '../access/principal.js';
import { looksPersonal } from '../audit/events.js';
import { getController } from '../controllers/service.js';
import type { AppContext } from '../context.js';
import {
  normalizeCnResidentId,
  normalizeEmail,
  normalizeIdNumber,
  normalizePhone,
} from '../crypto/normalize.js';
import { forUpdate, transaction, type Db, type Store, type Trx } from '../db/store.js';
import type { Row } from '../db/types.js';
import { conflict, consentRule, invalidField, notFound } from '../errors.js';
import { presentSubject, presentSubjectSummary } from './present.js';
import { anyHeld, holdsOnSubject } from '../retention/active-holds.js';
import { bindPurposes, checkRecords, insertRecords, openRecords } from './records.js';
import type { NewRecord, NewSubject, Reason, SubjectList, SubjectSearch } from './schema.js';
import { newId } from '../db/ids.js';
import { requireConsent, separateConsentPurposes } from '../consent/separate.js';

/** A subject the caller may see; anything else (absent or another controller's) is a 404. */
export async function loadSubject(
  db: Db | Trx,
  caller: Principal,
  id: string,
  lock?: Pick<Store, 'dialect'>,
): Promise<Row<'subjects'>> {
  let q = db.selectFrom('subjects').selectAll().where('id', '=', id);
  // Writers lock the subject row so a retention sweep cannot shred it between their reads.
  if (lock !== undefined) q = forUpdate(lock, q);
  const scope = scopeControllers(caller);
  if (scope !== null) {
    if (scope.length === 0) throw notFound('subject');
    q = q.where('controller_id', 'in', scope);
  }
  const row = await q.executeTakeFirst();
  if (row === undefined) throw notFound('subject');
  return row;
}

export async function createSubject(ctx: AppContext, caller: Principal, input: NewSubject) {
  const now = ctx.clock.now();
  const records = checkRecords(input.records, now);
  const controllerId = input.controllerId ?? 'self';
  const id = newId();
  return transaction(ctx.store, async (trx) => {
    const controller = await getController(trx, caller, controllerId);
    if (controller.status !== 'active')
      throw conflict('This controller is archived and takes no new subjects.');
    const subject: Row<'subjects'> = {
      minor: 0,
      id,
      controller_id: controllerId,
      status: 'active',
      created_at: now.toISOString(),
      updated_at: now.toISOString(),
      erased_at: null,
    };
    const retention = await bindPurposes(trx, records);
    // A new person cannot have given the separate consent such a purpose needs (PIPL art. 29).
    const separate = await separateConsentPurposes(
      trx,
      records.map((r) => r.purpose),
    );
    const first = records.findIndex((r) => separate.has(r.purpose));
    if (first >= 0)
      throw consentRule(
        'consent-required',
        `/records/${first}/purpose "${records[first]!.purpose}" needs the person's separate consent, which a new subject cannot have given: create the subject without these records, record the consent (POST /api/v1/consents/subjects/:id), then add them.`,
      );
    await trx.insertInto('subjects').values(subject).execute();
    const dek = await ctx.keyring.createDataKey(ctx.store, trx, 'subject', id);
    const rows = await insertRecords(ctx, trx, subject, dek, records, controller.region, retention);
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'subject.create',
      target: { type: 'subject', id },
      controllerId,
      outcome: 'success',
      details: {
        records: rows.length,
        categories: [...new Set(rows.map((r) => r.category))].sort(),
      },
    });
    return presentSubject(
      subject,
      rows.map((row, i) => ({ row, value: records[i]!.stored })),
      { reveal: false },
    );
  });
}

export async function addRecords(
  ctx: AppContext,
  caller: Principal,
  id: string,
  input: NewRecord[],
) {
  const records = checkRecords(input, ctx.clock.now());
  return transaction(ctx.store, async (trx) => {
    const subject = await loadSubject(trx, caller, id, ctx.store);
    if (subject.status !== 'active') throw conflict('This subject was erased.');
    const retention = await bindPurposes(trx, records);
    // Separate consent (PIPL arts. 23, 29, 39): only on the person's current grant.
    for (const purpose of await separateConsentPurposes(
      trx,
      records.map((r) => r.purpose),
    ))
      await requireConsent(ctx, trx, { subjectId: id }, purpose);
    const dek = await ctx.keyring.dataKey(trx, 'subject', id);
    if (dek === null) throw conflict('This subject was erased.');
    const controller = await getController(trx, caller, subject.controller_id);
    const rows = await insertRecords(ctx, trx, subject, dek, records, controller.region, retention);
    await trx
      .updateTable('subjects')
      .set({ updated_at: ctx.clock.now().toISOString() })
      .where('id', '=', id)
      .execute();
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'subject.record_add',
      target: { type: 'subject', id },
      controllerId: subject.controller_id,
      outcome: 'success',
      details: {
        records: rows.length,
        categories: [...new Set(rows.map((r) => r.category))].sort(),
      },
    });
    return { records: rows.map((r) => r.id) };
  });
}

/** One subject with masked values; the read itself is an audit event. */
export async function getSubject(ctx: AppContext, caller: Principal, id: string) {
  return transaction(ctx.store, async (trx) => {
    const subject = await loadSubject(trx, caller, id);
    const records = await openRecords(ctx, trx, id);
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'subject.read',
      target: { type: 'subject', id },
      controllerId: subject.controller_id,
      outcome: 'success',
      details: { records: records.length },
    });
    return presentSubject(subject, records, { reveal: false });
  });
}

export async function listSubjects(ctx: AppContext, caller: Principal, query: SubjectList) {
  const scope = scopeControllers(caller);
  if (query.controllerId !== undefined && !inScope(caller, query.controllerId))
    return { items: [], next: null };
  if (scope !== null && scope.length === 0) return { items: [], next: null };
  let q = ctx.store.db
    .selectFrom('subjects')
    .selectAll('subjects')
    .select((eb) =>
      eb
        .selectFrom('pi_records')
        .select(sql<number>`count(*)`.as('n'))
        .whereRef('pi_records.subject_id', '=', 'subjects.id')
        .as('record_count'),
    )
    .orderBy('subjects.id')
    .limit(query.limit + 1);
  if (scope !== null) q = q.where('subjects.controller_id', 'in', scope);
  if (query.controllerId !== undefined)
    q = q.where('subjects.controller_id', '=', query.controllerId);
  if (query.status !== undefined) q = q.where('subjects.status', '=', query.status);
  if (query.after !== undefined) q = q.where('subjects.id', '>', query.after);
  const rows = await q.execute();
  const page = rows.slice(0, query.limit);
  return {
    items: page.map((r) => presentSubjectSummary(r, Number(r.record_count ?? 0))),
    next: rows.length > query.limit ? (page[page.length - 1]?.id ?? null) : null,
  };
}

function searchKeys(
  ctx: AppContext,
  query: SubjectSearch,
): Array<{ kind: string; digest: Buffer }> {
  const given = [query.email, query.phone, query.idNumber].filter((v) => v !== undefined);
  if (given.length !== 1) throw invalidField('/', 'give exactly one of email, phone or idNumber');
  if (query.email !== undefined) {
    const email = normalizeEmail(query.email);
    if (email === null) throw invalidField('/email', 'is not a valid e-mail address');
    return [{ kind: 'email', digest: ctx.keyring.blindIndex('email', email) }];
  }
  if (query.phone !== undefined) {
    const phone = normalizePhone(query.phone);
    if (phone === null) throw invalidField('/phone', 'is not a valid phone number');
    return [{ kind: 'phone', digest: ctx.keyring.blindIndex('phone', phone) }];
  }
  const raw = query.idNumber ?? '';
  const resident = normalizeCnResidentId(raw);
  const generic = normalizeIdNumber(raw);
  if (resident === null && generic === null)
    throw invalidField('/idNumber', 'is not a valid ID number');
  return [
    ...(resident !== null
      ? [{ kind: 'cn_resident_id', digest: ctx.keyring.blindIndex('cn_resident_id', resident) }]
      : []),
    ...(generic !== null
      ? [
          { kind: 'passport', digest: ctx.keyring.blindIndex('passport', generic) },
          { kind: 'id_number', digest: ctx.keyring.blindIndex('id_number', generic) },
        ]
      : []),
  ];
}

/** Finds subjects by an identifier through its blind index, without decrypting anything else. */
export async function searchSubjects(ctx: AppContext, caller: Principal, query: SubjectSearch) {
  const keys = searchKeys(ctx, query);
  const scope = scopeControllers(caller);
  if (query.controllerId !== undefined && !inScope(caller, query.controllerId))
    return { items: [] };
  return transaction(ctx.store, async (trx) => {
    let q = trx
      .selectFrom('subject_identifiers')
      .select('subject_id')
      .distinct()
      .where((eb) =>
        eb.or(keys.map((k) => eb.and([eb('kind', '=', k.kind), eb('digest', '=', k.digest)]))),
      );
    if (scope !== null)
      q = scope.length === 0 ? q.where(sql<boolean>`1 = 0`) : q.where('controller_id', 'in', scope);
    if (query.controllerId !== undefined) q = q.where('controller_id', '=', query.controllerId);
    const ids = (await q.limit(50).execute()).map((r) => r.subject_id);
    const items = [];
    for (const id of ids) {
      const subject = await trx
        .selectFrom('subjects')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      items.push(presentSubject(subject, await openRecords(ctx, trx, id), { reveal: false }));
    }
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'subject.search',
      outcome: 'success',
      details: {
        by: query.email !== undefined ? 'email' : query.phone !== undefined ? 'phone' : 'id_number',
        matches: ids.length,
        subjects: ids,
      },
    });
    return { items };
  });
}

/** Clear values for a stated reason; the reason and what was revealed are audited. */
export async function revealSubject(ctx: AppContext, caller: Principal, id: string, input: Reason) {
  if (looksPersonal(input.reason))
    throw invalidField(
      '/reason',
      'must not contain personal information such as e-mail addresses or phone numbers',
    );
  return transaction(ctx.store, async (trx) => {
    const subject = await loadSubject(trx, caller, id);
    const records = await openRecords(ctx, trx, id, input.recordIds);
    if (input.recordIds !== undefined && records.length !== input.recordIds.length)
      throw notFound('record');
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'subject.reveal',
      target: { type: 'subject', id },
      controllerId: subject.controller_id,
      outcome: 'success',
      details: {
        reason: input.reason,
        records: records.map((r) => r.row.id),
        categories: [...new Set(records.map((r) => r.row.category))].sort(),
      },
    });
    return presentSubject(subject, records, { reveal: true });
  });
}

/**
 * Erases a subject: destroys the data key, deletes the records and blind indexes, and leaves a
 * tombstone (id, controller, erased time) so later requests can be answered truthfully.
 */
export async function eraseSubject(ctx: AppContext, caller: Principal, id: string, reason: string) {
  if (looksPersonal(reason))
    throw invalidField(
      '/reason',
      'must not contain personal information such as e-mail addresses or phone numbers',
    );
  const result = await transaction(ctx.store, async (trx) => {
    const subject = await loadSubject(trx, caller, id, ctx.store);
    if (subject.status === 'erased') throw conflict('This subject was already erased.');
    // PIPL art. 47 ¶2: while a legal hold requires the data to be kept, only storage continues.
    if (anyHeld(await holdsOnSubject(trx, ctx.clock.now(), subject)))
      throw conflict(
        'A legal hold covers this subject; release the hold (or let it end) before erasing.',
      );
    const { erasedAt: now, ...summary } = await shredSubject(ctx, trx, id);
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'subject.erase',
      target: { type: 'subject', id },
      controllerId: subject.controller_id,
      outcome: 'success',
      details: { ...summary, reason },
    });
    return { id, status: 'erased' as const, erasedAt: now, ...summary };
  });
  await scrubSqliteWal(ctx);
  return result;
}

/**
 * Crypto-shreds a subject inside the caller's transaction: deletes its records and blind indexes,
 * destroys its data key (so any copy of the ciphertext, backups included, stays unreadable) and
 * leaves the tombstone row (id, controller, erased time). The caller checks holds and audits.
 */
export async function shredSubject(ctx: AppContext, trx: Trx, id: string) {
  const now = ctx.clock.now().toISOString();
  const records = await trx
    .deleteFrom('pi_records')
    .where('subject_id', '=', id)
    .executeTakeFirst();
  const indexes = await trx
    .deleteFrom('subject_identifiers')
    .where('subject_id', '=', id)
    .executeTakeFirst();
  const keyDestroyed = await ctx.keyring.destroyDataKey(trx, 'subject', id);
  // Mail still queued for the person was sealed with their key: unreadable now, so it is dropped
  // here rather than left for the sender to discover.
  await trx
    .updateTable('outbox')
    .set({ status: 'failed', last_error: 'recipient_erased', to_enc: null, params_enc: null })
    .where('subject_id', '=', id)
    .where('status', 'in', ['pending', 'sending'])
    .execute();
  await trx
    .updateTable('subjects')
    .set({ status: 'erased', erased_at: now, updated_at: now })
    .where('id', '=', id)
    .execute();
  return {
    records: Number(records.numDeletedRows),
    indexes: Number(indexes.numDeletedRows),
    keyDestroyed,
    erasedAt: now,
  };
}

/**
 * On SQLite, the write-ahead log still holds page images from before the erasure (with the
 * wrapped data key) until a checkpoint copies the new pages back and the log is truncated.
 * Best effort: a concurrent reader may delay it, and the next checkpoint finishes the job.
 */
export async function scrubSqliteWal(ctx: AppContext): Promise<void> {
  if (ctx.store.dialect !== 'sqlite') return;
  try {
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(ctx.store.db);
  } catch (error) {
    ctx.log.warn(
      { err: { type: error instanceof Error ? error.name : 'unknown' } },
      'WAL checkpoint after erasure deferred',
    );
  }
}
