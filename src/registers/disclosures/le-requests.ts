// Law-enforcement, court and other authority requests for PI, and what was decided. A grant
// becomes a disclosure entry (recipient: the authority) linked both ways. A foreign authority is
// never answered without the approval of the competent PRC authority (PIPL art. 41). Decisions
// are final: a decided request cannot be changed.
import { actorOf, inScope, scopeControllers, type Principal } from '../../access/principal.js';
import { getController } from '../../controllers/service.js';
import type { AppContext } from '../../context.js';
import { newId } from '../../db/ids.js';
import { forUpdate, transaction, type Db, type Trx } from '../../db/store.js';
import type { Row } from '../../db/types.js';
import { conflict, invalidField, notFound } from '../../errors.js';
import { isCountryCode, MAINLAND } from '../../datamap/countries.js';
import { recordChange } from '../../datamap/history.js';
import { changesOf, recordVersion, versionsOf } from './history.js';
import { checkCategories, isoTime, loadSubjectsOf, noPersonalText } from './lookups.js';
import { presentDisclosure, presentLeRequest } from './present.js';
import type { Decide, LeList, LePatch, NewLeRequest } from './schema.js';
import { insertDisclosure } from './service.js';

const FUTURE_SKEW_MS = 5 * 60_000;

async function loadLeRequest(
  ctx: AppContext,
  db: Db | Trx,
  caller: Principal,
  id: string,
  lock = false,
): Promise<Row<'le_requests'>> {
  let q = db.selectFrom('le_requests').selectAll().where('id', '=', id);
  if (lock) q = forUpdate(ctx.store, q);
  const row = await q.executeTakeFirst();
  if (row === undefined || !inScope(caller, row.controller_id)) throw notFound('request');
  return row;
}

function checkText(input: {
  authority?: string;
  authorityCountry?: string;
  instrumentRef?: string;
  scopeRequested?: string;
}): void {
  if (input.authorityCountry !== undefined && !isCountryCode(input.authorityCountry))
    throw invalidField('/authorityCountry', 'is not an ISO 3166-1 alpha-2 country code');
  noPersonalText('/authority', input.authority);
  noPersonalText('/instrumentRef', input.instrumentRef);
  noPersonalText('/scopeRequested', input.scopeRequested);
}

function receivedAt(ctx: AppContext, value: string): string {
  const at = isoTime('/receivedAt', value);
  if (Date.parse(at) > ctx.clock.now().getTime() + FUTURE_SKEW_MS)
    throw invalidField('/receivedAt', 'is in the future');
  return at;
}

export async function createLeRequest(ctx: AppContext, caller: Principal, input: NewLeRequest) {
  checkText(input);
  const received = receivedAt(ctx, input.receivedAt);
  const controllerId = input.controllerId ?? 'self';
  return transaction(ctx.store, async (trx) => {
    await getController(trx, caller, controllerId);
    const subjectIds = input.subjectIds ?? [];
    await loadSubjectsOf(trx, '/subjectIds', controllerId, subjectIds);
    const now = ctx.clock.now().toISOString();
    const row: Row<'le_requests'> = {
      id: newId(),
      controller_id: controllerId,
      authority: input.authority,
      authority_country: input.authorityCountry,
      instrument_ref: input.instrumentRef,
      received_at: received,
      scope_requested: input.scopeRequested,
      subject_ids: JSON.stringify(subjectIds),
      status: 'received',
      decision_reason: null,
      disclosed_categories: null,
      disclosed_summary: null,
      competent_approval_ref: null,
      decided_at: null,
      disclosure_id: null,
      version: 1,
      created_at: now,
      updated_at: now,
    };
    await trx.insertInto('le_requests').values(row).execute();
    await recordVersion(trx, 'le_request', row.id, 1, presentLeRequest(row), actorOf(caller), now);
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'le_request.create',
      target: { type: 'le_request', id: row.id },
      controllerId,
      outcome: 'success',
      details: {
        authorityCountry: row.authority_country,
        foreign: row.authority_country !== MAINLAND,
        subjects: subjectIds.length,
      },
    });
    return presentLeRequest(row);
  });
}

export async function updateLeRequest(
  ctx: AppContext,
  caller: Principal,
  id: string,
  patch: LePatch,
) {
  checkText(patch);
  const received = patch.receivedAt === undefined ? undefined : receivedAt(ctx, patch.receivedAt);
  return transaction(ctx.store, async (trx) => {
    const row = await loadLeRequest(ctx, trx, caller, id, true);
    if (row.status !== 'received')
      throw conflict('This request was decided; a decided request cannot be changed.');
    if (patch.subjectIds !== undefined)
      await loadSubjectsOf(trx, '/subjectIds', row.controller_id, patch.subjectIds);
    const now = ctx.clock.now().toISOString();
    const next: Row<'le_requests'> = {
      ...row,
      authority: patch.authority ?? row.authority,
      authority_country: patch.authorityCountry ?? row.authority_country,
      instrument_ref: patch.instrumentRef ?? row.instrument_ref,
      received_at: received ?? row.received_at,
      scope_requested: patch.scopeRequested ?? row.scope_requested,
      subject_ids: patch.subjectIds ? JSON.stringify(patch.subjectIds) : row.subject_ids,
      version: row.version + 1,
      updated_at: now,
    };
    await trx.updateTable('le_requests').set(changesOf(next)).where('id', '=', id).execute();
    await recordVersion(
      trx,
      'le_request',
      id,
      next.version,
      presentLeRequest(next),
      actorOf(caller),
      now,
    );
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'le_request.update',
      target: { type: 'le_request', id },
      controllerId: row.controller_id,
      outcome: 'success',
      details: { version: next.version, fields: Object.keys(patch).sort() },
    });
    return presentLeRequest(next);
  });
}

/** The authority as a data-map recipient (kind `authority`), reused when it already exists. */
async function authorityRecipient(
  ctx: AppContext,
  trx: Trx,
  caller: Principal,
  row: Row<'le_requests'>,
  now: string,
): Promise<Row<'recipients'>> {
  const existing = await trx
    .selectFrom('recipients')
    .selectAll()
    .where('kind', '=', 'authority')
    .where('name', '=', row.authority)
    .where('country', '=', row.authority_country)
    .where('status', '=', 'active')
    .orderBy('id')
    .executeTakeFirst();
  if (existing) return existing;
  const recipient: Row<'recipients'> = {
    id: newId(),
    name: row.authority,
    kind: 'authority',
    country: row.authority_country,
    contact: null,
    status: 'active',
    version: 1,
    created_at: now,
    updated_at: now,
  };
  await trx.insertInto('recipients').values(recipient).execute();
  // Through the data map's own history writer, so the entry looks as if created there.
  await recordChange(ctx, trx, caller, {
    entityType: 'recipient',
    entityId: recipient.id,
    version: 1,
    change: 'create',
    snapshot: recipient,
    fields: ['name', 'kind', 'country'],
  });
  return recipient;
}

export async function decideLeRequest(
  ctx: AppContext,
  caller: Principal,
  id: string,
  input: Decide,
) {
  noPersonalText('/reason', input.reason);
  noPersonalText('/disclosedSummary', input.disclosedSummary);
  noPersonalText('/competentApprovalRef', input.competentApprovalRef);
  const grant = input.decision !== 'refused';
  if (grant && input.disclosedCategories === undefined)
    throw invalidField('/disclosedCategories', 'is required when the request is granted');
  if (!grant && input.disclosedCategories !== undefined)
    throw invalidField('/disclosedCategories', 'must be absent when the request is refused');
  return transaction(ctx.store, async (trx) => {
    const row = await loadLeRequest(ctx, trx, caller, id, true);
    if (row.status !== 'received')
      throw conflict('This request was already decided; decisions are final.');
    if (grant && row.authority_country !== MAINLAND && !input.competentApprovalRef)
      throw invalidField(
        '/competentApprovalRef',
        'is required to grant a foreign authority: PI goes to a foreign judicial or law-enforcement body only with the approval of the competent PRC authority (PIPL art. 41)',
      );
    const categories = input.disclosedCategories ?? [];
    await checkCategories(trx, '/disclosedCategories', categories);
    const now = ctx.clock.now().toISOString();
    const subjectIds = JSON.parse(row.subject_ids) as string[];
    let disclosure: ReturnType<typeof presentDisclosure> | null = null;
    if (grant) {
      const recipient = await authorityRecipient(ctx, trx, caller, row, now);
      const created = await insertDisclosure(ctx, trx, caller, {
        controller_id: row.controller_id,
        recipient_id: recipient.id,
        purpose: `Answer to an authority request (${row.instrument_ref})`,
        categories: JSON.stringify(categories),
        legal_basis: 'legal_duty',
        separate_consent_ref: null,
        consent_purpose: null,
        persons_count: subjectIds.length,
        disclosed_at: now,
        le_request_id: row.id,
        transfer_id: null,
        note: input.disclosedSummary ?? null,
      });
      disclosure = presentDisclosure(created.row, recipient);
      const links = subjectIds.map((subjectId) => ({
        id: newId(),
        disclosure_id: created.row.id,
        subject_id: subjectId,
        controller_id: row.controller_id,
        categories: JSON.stringify([...categories].sort()),
        records: 0,
        via: 'le_request' as const,
        delivered_at: now,
      }));
      for (let i = 0; i < links.length; i += 500)
        await trx
          .insertInto('disclosure_subjects')
          .values(links.slice(i, i + 500))
          .execute();
    }
    const next: Row<'le_requests'> = {
      ...row,
      status: input.decision,
      decision_reason: input.reason,
      disclosed_categories: grant ? JSON.stringify(categories) : null,
      disclosed_summary: input.disclosedSummary ?? null,
      competent_approval_ref: input.competentApprovalRef ?? null,
      decided_at: now,
      disclosure_id: disclosure?.id ?? null,
      version: row.version + 1,
      updated_at: now,
    };
    await trx.updateTable('le_requests').set(changesOf(next)).where('id', '=', id).execute();
    await recordVersion(
      trx,
      'le_request',
      id,
      next.version,
      presentLeRequest(next),
      actorOf(caller),
      now,
    );
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'le_request.decide',
      target: { type: 'le_request', id },
      controllerId: row.controller_id,
      outcome: 'success',
      details: {
        decision: input.decision,
        foreign: row.authority_country !== MAINLAND,
        competentApproval: input.competentApprovalRef !== undefined,
        categories,
        persons: grant ? subjectIds.length : 0,
        disclosure: disclosure?.id ?? null,
      },
    });
    return { ...presentLeRequest(next), disclosure };
  });
}

export async function getLeRequest(ctx: AppContext, caller: Principal, id: string) {
  return transaction(ctx.store, async (trx) => {
    const row = await loadLeRequest(ctx, trx, caller, id);
    return { ...presentLeRequest(row), versions: await versionsOf(trx, 'le_request', id) };
  });
}

export async function listLeRequests(ctx: AppContext, caller: Principal, query: LeList) {
  const scope = scopeControllers(caller);
  if (query.controllerId !== undefined && !inScope(caller, query.controllerId))
    return { items: [], next: null };
  if (scope !== null && scope.length === 0) return { items: [], next: null };
  let q = ctx.store.db
    .selectFrom('le_requests')
    .selectAll()
    .orderBy('id')
    .limit(query.limit + 1);
  if (scope !== null) q = q.where('controller_id', 'in', scope);
  if (query.controllerId !== undefined) q = q.where('controller_id', '=', query.controllerId);
  if (query.status !== undefined) q = q.where('status', '=', query.status);
  if (query.after !== undefined) q = q.where('id', '>', query.after);
  const rows = await q.execute();
  const page = rows.slice(0, query.limit);
  return {
    items: page.map(presentLeRequest),
    next: rows.length > query.limit ? (page[page.length - 1]?.id ?? null) : null,
  };
}
