// The incident register: security incidents involving personal information, their grade, the
// clocks that run from detection (regulator report, notice to persons) and from containment
// (post-incident report), the notice to affected persons (PIPL art. 57) sent through the outbox,
// and the post-incident report. Every change and its audit event share one transaction.
import { sql, type ExpressionBuilder } from 'kysely';
import { actorOf, inScope, scopeControllers, type Principal } from '../../access/principal.js';
import { looksPersonal } from '../../audit/events.js';
import type { AppContext } from '../../context.js';
import { getController } from '../../controllers/service.js';
import { newId } from '../../db/ids.js';
import { forUpdate, transaction, type Db, type Trx } from '../../db/store.js';
import type { Database, Row } from '../../db/types.js';
import { conflict, invalidField, notFound } from '../../errors.js';
import { enqueueMail } from '../../notify/outbox.js';
import { openRecords } from '../../subjects/records.js';
import { computeGrade, dueTimes } from './grading.js';
import { buildNotice, lookupCategories, missingNoticeParts } from './notice.js';
import { presentIncident } from './present.js';
import type {
  ContainBody,
  IncidentList,
  IncidentPatch,
  NewIncident,
  NoticeDecisionBody,
  NotifyBody,
  PostReportBody,
  RegulatorReportBody,
} from './schema.js';
import type { IncidentsTable } from './tables.js';

// Clocks drift; a time a few minutes ahead is tolerated, not one from tomorrow.
const FUTURE_SKEW_MS = 5 * 60_000;

/** A date-time from the request as ISO UTC; never in the future. */
function instant(pointer: string, value: string, now: Date): string {
  const ms = Date.parse(value);
  // The date-time format admits leap seconds (":60") that JavaScript dates cannot represent.
  if (!Number.isFinite(ms)) throw invalidField(pointer, 'is not a valid date-time');
  if (ms > now.getTime() + FUTURE_SKEW_MS) throw invalidField(pointer, 'is in the future');
  return new Date(ms).toISOString();
}

/** The order of events an incident record must respect: occurred ≤ detected ≤ contained. */
function checkOrder(
  t: { occurred: string | null; detected: string; contained: string | null },
  blame: { occurred: string; detected: string; contained: string },
): void {
  if (t.occurred !== null && t.occurred > t.detected)
    throw invalidField(blame.occurred, 'must not be after detectedAt');
  if (t.contained !== null && t.contained < t.detected)
    throw invalidField(blame.contained, 'must not be before detectedAt');
}

function refuseOverride(grade: unknown, reason: string | undefined): void {
  if (grade !== undefined && grade !== null && reason === undefined)
    throw invalidField('/gradeReason', 'is required when the grade is set by hand');
  if (reason !== undefined && (grade === undefined || grade === null))
    throw invalidField('/grade', 'is required with gradeReason');
}

function checkNoPersonalData(pointer: string, value: string): void {
  if (looksPersonal(value))
    throw invalidField(
      pointer,
      'must not contain personal information such as e-mail addresses or phone numbers',
    );
}

/** The incident, if the caller may see it; otherwise (absent or another controller's) a 404. */
async function loadIncident(
  ctx: AppContext,
  db: Db | Trx,
  caller: Principal,
  id: string,
  lock = false,
): Promise<Row<'incidents'>> {
  let q = db.selectFrom('incidents').selectAll().where('id', '=', id);
  const scope = scopeControllers(caller);
  if (scope !== null) {
    if (scope.length === 0) throw notFound('incident');
    q = q.where('controller_id', 'in', scope);
  }
  if (lock) q = forUpdate(ctx.store, q);
  const row = await q.executeTakeFirst();
  if (row === undefined) throw notFound('incident');
  return row;
}

function refuseClosed(row: Row<'incidents'>): void {
  if (row.status === 'closed') throw conflict('This incident is closed and can no longer change.');
}

/** Affected subjects must be the incident controller's (and visible to the caller). */
async function checkSubjects(
  trx: Trx,
  caller: Principal,
  controllerId: string,
  ids: readonly string[],
): Promise<void> {
  if (ids.length === 0) return;
  const found = new Set<string>();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await trx
      .selectFrom('subjects')
      .select(['id', 'controller_id'])
      .where('id', 'in', ids.slice(i, i + 500))
      .execute();
    for (const r of rows)
      if (r.controller_id === controllerId && inScope(caller, r.controller_id)) found.add(r.id);
  }
  const bad = ids.findIndex((id) => !found.has(id));
  if (bad >= 0)
    throw invalidField(`/subjectIds/${bad}`, 'is not a data subject of this incident’s controller');
}

async function replaceSubjects(trx: Trx, incidentId: string, ids: readonly string[], at: string) {
  await trx.deleteFrom('incident_subjects').where('incident_id', '=', incidentId).execute();
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    if (chunk.length > 0)
      await trx
        .insertInto('incident_subjects')
        .values(chunk.map((subject_id) => ({ incident_id: incidentId, subject_id, added_at: at })))
        .execute();
  }
}

async function subjectCount(db: Db | Trx, incidentId: string): Promise<number> {
  const r = await db
    .selectFrom('incident_subjects')
    .select(sql<number>`count(*)`.as('n'))
    .where('incident_id', '=', incidentId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

async function present(ctx: AppContext, db: Db | Trx, row: Row<'incidents'>) {
  return presentIncident(row, await subjectCount(db, row.id), ctx.clock.now());
}

export async function createIncident(ctx: AppContext, caller: Principal, input: NewIncident) {
  const now = ctx.clock.now();
  const detected = instant('/detectedAt', input.detectedAt, now);
  const occurred =
    input.occurredAt === undefined ? null : instant('/occurredAt', input.occurredAt, now);
  const contained =
    input.containedAt === undefined ? null : instant('/containedAt', input.containedAt, now);
  checkOrder(
    { occurred, detected, contained },
    { occurred: '/occurredAt', detected: '/detectedAt', contained: '/containedAt' },
  );
  refuseOverride(input.grade, input.gradeReason);
  const controllerId = input.controllerId ?? 'self';
  const id = newId();
  return transaction(ctx.store, async (trx) => {
    const controller = await getController(trx, caller, controllerId);
    const categories = await lookupCategories(trx, input.categories, '/categories');
    const subjectIds = input.subjectIds ?? [];
    await checkSubjects(trx, caller, controllerId, subjectIds);
    const sensitive = categories.some((c) => c.sensitive);
    const computed = computeGrade(input.personsAffected, sensitive);
    const at = now.toISOString();
    const base = {
      grade: input.grade ?? computed,
      cii: input.cii ? 1 : 0,
      detected_at: detected,
      contained_at: contained,
    };
    const row: Row<'incidents'> = {
      id,
      controller_id: controllerId,
      title: input.title,
      kind: input.kind,
      description: input.description,
      occurred_at: occurred,
      categories: JSON.stringify(input.categories),
      sensitive: sensitive ? 1 : 0,
      persons_affected: input.personsAffected,
      cause: input.cause ?? null,
      possible_harm: input.possibleHarm ?? null,
      remedies_taken: input.remediesTaken ?? null,
      person_actions: input.personActions ?? null,
      // PIPL art. 57 ¶1 item 3: the notice must say how to reach the handler.
      contact: input.contact ?? ctx.config.privacyContact ?? controller.contact_email,
      grade_computed: computed,
      grade_reason: input.gradeReason ?? null,
      status: contained === null ? 'open' : 'contained',
      regulator_reported_at: null,
      regulator_authority: null,
      regulator_reference: null,
      notice_decision: null,
      notice_decision_reason: null,
      notice_decided_at: null,
      notified_at: null,
      post_report: null,
      post_report_at: null,
      closed_at: null,
      created_at: at,
      updated_at: at,
      ...base,
      ...dueTimes(ctx.config, base),
    };
    await trx.insertInto('incidents').values(row).execute();
    await replaceSubjects(trx, id, subjectIds, at);
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'incident.create',
      target: { type: 'incident', id },
      controllerId,
      outcome: 'success',
      details: {
        kind: row.kind,
        grade: row.grade,
        gradeComputed: computed,
        gradeOverridden: input.grade !== undefined,
        cii: input.cii,
        personsAffected: input.personsAffected,
        categories: [...input.categories].sort(),
        subjects: subjectIds.length,
      },
    });
    return presentIncident(row, subjectIds.length, now);
  });
}

export async function getIncident(ctx: AppContext, caller: Principal, id: string) {
  const row = await loadIncident(ctx, ctx.store.db, caller, id);
  return present(ctx, ctx.store.db, row);
}

/** Is any clock of the incident past its deadline and still not done (as SQL)? */
function overdueExpr(eb: ExpressionBuilder<Database, 'incidents'>, at: string) {
  return eb.or([
    eb.and([
      eb('regulator_due_at', 'is not', null),
      eb('regulator_reported_at', 'is', null),
      eb('regulator_due_at', '<', at),
    ]),
    eb.and([
      eb('notified_at', 'is', null),
      eb.or([eb('notice_decision', 'is', null), eb('notice_decision', '=', 'notify')]),
      eb('notify_due_at', '<', at),
    ]),
    eb.and([
      eb('report_due_at', 'is not', null),
      eb('post_report_at', 'is', null),
      eb('report_due_at', '<', at),
    ]),
  ]);
}

export async function listIncidents(ctx: AppContext, caller: Principal, query: IncidentList) {
  const scope = scopeControllers(caller);
  if (scope !== null && scope.length === 0) return { items: [], next: null };
  if (query.controllerId !== undefined && !inScope(caller, query.controllerId))
    return { items: [], next: null };
  const now = ctx.clock.now();
  const at = now.toISOString();
  let q = ctx.store.db
    .selectFrom('incidents')
    .selectAll('incidents')
    .select((eb) =>
      eb
        .selectFrom('incident_subjects')
        .select(sql<number>`count(*)`.as('n'))
        .whereRef('incident_subjects.incident_id', '=', 'incidents.id')
        .as('subject_count'),
    )
    .orderBy('incidents.id')
    .limit(query.limit + 1);
  if (scope !== null) q = q.where('incidents.controller_id', 'in', scope);
  if (query.controllerId !== undefined)
    q = q.where('incidents.controller_id', '=', query.controllerId);
  if (query.status !== undefined) q = q.where('incidents.status', '=', query.status);
  if (query.after !== undefined) q = q.where('incidents.id', '>', query.after);
  if (query.overdue === true) q = q.where((eb) => overdueExpr(eb, at));
  if (query.overdue === false) q = q.where((eb) => eb.not(overdueExpr(eb, at)));
  const rows = await q.execute();
  const page = rows.slice(0, query.limit);
  return {
    items: page.map(({ subject_count, ...row }) =>
      presentIncident(row, Number(subject_count ?? 0), now),
    ),
    next: rows.length > query.limit ? (page[page.length - 1]?.id ?? null) : null,
  };
}

export async function updateIncident(
  ctx: AppContext,
  caller: Principal,
  id: string,
  patch: IncidentPatch,
) {
  const now = ctx.clock.now();
  const detectedIn =
    patch.detectedAt === undefined ? undefined : instant('/detectedAt', patch.detectedAt, now);
  const occurredIn =
    patch.occurredAt === undefined || patch.occurredAt === null
      ? patch.occurredAt
      : instant('/occurredAt', patch.occurredAt, now);
  if (patch.grade !== undefined || patch.gradeReason !== undefined)
    refuseOverride(patch.grade, patch.gradeReason);
  return transaction(ctx.store, async (trx) => {
    const row = await loadIncident(ctx, trx, caller, id, true);
    refuseClosed(row);
    const detected = detectedIn ?? row.detected_at;
    const occurred = occurredIn === undefined ? row.occurred_at : occurredIn;
    checkOrder(
      { occurred, detected, contained: row.contained_at },
      {
        occurred: patch.occurredAt !== undefined ? '/occurredAt' : '/detectedAt',
        detected: '/detectedAt',
        contained: '/detectedAt',
      },
    );
    const keys = patch.categories ?? (JSON.parse(row.categories) as string[]);
    const categories = await lookupCategories(trx, keys, patch.categories ? '/categories' : null);
    if (patch.subjectIds !== undefined)
      await checkSubjects(trx, caller, row.controller_id, patch.subjectIds);
    const sensitive = categories.some((c) => c.sensitive);
    const persons = patch.personsAffected ?? row.persons_affected;
    const computed = computeGrade(persons, sensitive);
    // A grade set by hand stays until it is reset with `grade: null`.
    let grade = row.grade_reason === null ? computed : row.grade;
    let reason = row.grade_reason;
    if (patch.grade === null) {
      grade = computed;
      reason = null;
    } else if (patch.grade !== undefined) {
      grade = patch.grade;
      reason = patch.gradeReason ?? reason;
    }
    const at = now.toISOString();
    const base = {
      grade,
      cii: patch.cii === undefined ? row.cii : patch.cii ? 1 : 0,
      detected_at: detected,
      contained_at: row.contained_at,
    };
    const next: Row<'incidents'> = {
      ...row,
      title: patch.title ?? row.title,
      kind: patch.kind ?? row.kind,
      description: patch.description ?? row.description,
      occurred_at: occurred,
      categories: JSON.stringify(keys),
      sensitive: sensitive ? 1 : 0,
      persons_affected: persons,
      cause: patch.cause ?? row.cause,
      possible_harm: patch.possibleHarm ?? row.possible_harm,
      remedies_taken: patch.remediesTaken ?? row.remedies_taken,
      person_actions: patch.personActions ?? row.person_actions,
      contact: patch.contact ?? row.contact,
      grade_computed: computed,
      grade_reason: reason,
      updated_at: at,
      ...base,
      ...dueTimes(ctx.config, base),
    };
    const changes: Partial<Row<'incidents'>> = { ...next };
    delete changes.id;
    await trx.updateTable('incidents').set(changes).where('id', '=', id).execute();
    if (patch.subjectIds !== undefined) await replaceSubjects(trx, id, patch.subjectIds, at);
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'incident.update',
      target: { type: 'incident', id },
      controllerId: row.controller_id,
      outcome: 'success',
      details: {
        fields: Object.keys(patch).sort(),
        grade: next.grade,
        gradeComputed: computed,
        ...(patch.subjectIds !== undefined ? { subjects: patch.subjectIds.length } : {}),
      },
    });
    return present(ctx, trx, next);
  });
}

/** Records (or corrects) when the incident was contained; starts the post-incident report clock. */
export async function containIncident(
  ctx: AppContext,
  caller: Principal,
  id: string,
  input: ContainBody,
) {
  const now = ctx.clock.now();
  const contained = instant('/containedAt', input.containedAt, now);
  return transaction(ctx.store, async (trx) => {
    const row = await loadIncident(ctx, trx, caller, id, true);
    refuseClosed(row);
    if (contained < row.detected_at)
      throw invalidField('/containedAt', 'must not be before detectedAt');
    const base = { ...row, contained_at: contained };
    const next: Row<'incidents'> = {
      ...base,
      ...dueTimes(ctx.config, base),
      status: 'contained',
      updated_at: now.toISOString(),
    };
    await trx
      .updateTable('incidents')
      .set({
        contained_at: next.contained_at,
        report_due_at: next.report_due_at,
        status: next.status,
        updated_at: next.updated_at,
      })
      .where('id', '=', id)
      .execute();
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'incident.contain',
      target: { type: 'incident', id },
      controllerId: row.controller_id,
      outcome: 'success',
      details: { containedAt: contained, corrected: row.contained_at !== null },
    });
    return present(ctx, trx, next);
  });
}

/** Records the report to the regulator (authority and its reference number). */
export async function recordRegulatorReport(
  ctx: AppContext,
  caller: Principal,
  id: string,
  input: RegulatorReportBody,
) {
  const now = ctx.clock.now();
  const reported = instant('/reportedAt', input.reportedAt, now);
  return transaction(ctx.store, async (trx) => {
    const row = await loadIncident(ctx, trx, caller, id, true);
    refuseClosed(row);
    if (reported < row.detected_at)
      throw invalidField('/reportedAt', 'must not be before detectedAt');
    const next: Row<'incidents'> = {
      ...row,
      regulator_reported_at: reported,
      regulator_authority: input.authority,
      regulator_reference: input.reference,
      updated_at: now.toISOString(),
    };
    await trx
      .updateTable('incidents')
      .set({
        regulator_reported_at: reported,
        regulator_authority: input.authority,
        regulator_reference: input.reference,
        updated_at: next.updated_at,
      })
      .where('id', '=', id)
      .execute();
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'incident.regulator_report',
      target: { type: 'incident', id },
      controllerId: row.controller_id,
      outcome: 'success',
      details: {
        reportedAt: reported,
        required: row.regulator_due_at !== null,
        late: row.regulator_due_at !== null && reported > row.regulator_due_at,
        corrected: row.regulator_reported_at !== null,
      },
    });
    return present(ctx, trx, next);
  });
}

/**
 * Records whether persons will be told. PIPL art. 57 ¶2: a handler whose measures effectively
 * avoid harm need not notify persons (unless the authority orders it); the reason is kept.
 */
export async function decideNotice(
  ctx: AppContext,
  caller: Principal,
  id: string,
  input: NoticeDecisionBody,
) {
  checkNoPersonalData('/reason', input.reason);
  return transaction(ctx.store, async (trx) => {
    const row = await loadIncident(ctx, trx, caller, id, true);
    refuseClosed(row);
    if (input.decision === 'not_required' && row.notified_at !== null)
      throw conflict('Affected persons were already notified.');
    const at = ctx.clock.now().toISOString();
    const next: Row<'incidents'> = {
      ...row,
      notice_decision: input.decision,
      notice_decision_reason: input.reason,
      notice_decided_at: at,
      updated_at: at,
    };
    await trx
      .updateTable('incidents')
      .set({
        notice_decision: input.decision,
        notice_decision_reason: input.reason,
        notice_decided_at: at,
        updated_at: at,
      })
      .where('id', '=', id)
      .execute();
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'incident.notice_decision',
      target: { type: 'incident', id },
      controllerId: row.controller_id,
      outcome: 'success',
      details: { decision: input.decision, reason: input.reason },
    });
    return present(ctx, trx, next);
  });
}

/** The notice as a person would receive it, without any personal data. */
export async function previewNotice(
  ctx: AppContext,
  caller: Principal,
  id: string,
  lang: 'zh-CN' | 'en',
) {
  const row = await loadIncident(ctx, ctx.store.db, caller, id);
  const notice = await buildNotice(ctx.store.db, row);
  return { lang, ...notice.render(lang), missing: notice.missing };
}

/**
 * Queues the notice for every affected subject who has an e-mail address on record, in the same
 * transaction (one mail per incident and subject, so repeating is harmless). Addresses are opened
 * server-side only and go straight into the sealed outbox.
 */
export async function notifyPersons(
  ctx: AppContext,
  caller: Principal,
  id: string,
  input: NotifyBody,
) {
  const lang = input.lang ?? 'zh-CN';
  return transaction(ctx.store, async (trx) => {
    const row = await loadIncident(ctx, trx, caller, id, true);
    refuseClosed(row);
    if (row.notice_decision === 'not_required')
      throw conflict(
        'A decision not to notify persons is recorded; record a decision to notify first.',
      );
    const subjects = await trx
      .selectFrom('incident_subjects')
      .innerJoin('subjects', 'subjects.id', 'incident_subjects.subject_id')
      .select(['subjects.id', 'subjects.status'])
      .where('incident_subjects.incident_id', '=', id)
      .orderBy('subjects.id')
      .execute();
    if (subjects.length === 0)
      throw conflict('No affected data subjects are recorded; add subjectIds first.');
    const notice = await buildNotice(trx, row);
    const missing = missingNoticeParts(row);
    if (missing.length > 0)
      throw conflict(
        `The notice lacks what PIPL art. 57 requires: ${missing.join(', ')}. Add them first.`,
      );
    let queued = 0;
    let alreadyQueued = 0;
    let withoutEmail = 0;
    for (const subject of subjects) {
      const emailIds =
        subject.status === 'active'
          ? (
              await trx
                .selectFrom('pi_records')
                .select('id')
                .where('subject_id', '=', subject.id)
                .where('category', '=', 'email')
                .orderBy('id')
                .execute()
            ).map((r) => r.id)
          : [];
      const email =
        emailIds.length === 0 ? undefined : (await openRecords(ctx, trx, subject.id, emailIds))[0];
      if (email === undefined) {
        withoutEmail++;
        continue;
      }
      const r = await enqueueMail(ctx, trx, {
        to: email.value,
        subjectId: subject.id,
        template: 'incident_notice',
        lang,
        params: notice.params,
        dedupeKey: `incident:${id}:subject:${subject.id}`,
      });
      if (r.queued) queued++;
      else alreadyQueued++;
    }
    const at = ctx.clock.now().toISOString();
    const notifiedAt = row.notified_at ?? (queued + alreadyQueued > 0 ? at : null);
    const decision = row.notice_decision ?? 'notify';
    await trx
      .updateTable('incidents')
      .set({ notified_at: notifiedAt, notice_decision: decision, updated_at: at })
      .where('id', '=', id)
      .execute();
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'incident.notify_persons',
      target: { type: 'incident', id },
      controllerId: row.controller_id,
      outcome: 'success',
      details: {
        channel: input.channel,
        lang,
        subjects: subjects.length,
        queued,
        alreadyQueued,
        withoutEmail,
      },
    });
    return { subjects: subjects.length, queued, alreadyQueued, withoutEmail, notifiedAt };
  });
}

export async function filePostReport(
  ctx: AppContext,
  caller: Principal,
  id: string,
  input: PostReportBody,
) {
  return transaction(ctx.store, async (trx) => {
    const row = await loadIncident(ctx, trx, caller, id, true);
    refuseClosed(row);
    if (row.contained_at === null)
      throw conflict('Record the containment first: the post-incident report follows it.');
    const at = ctx.clock.now().toISOString();
    const report = JSON.stringify({
      rootCause: input.rootCause,
      measures: input.measures,
      lessons: input.lessons,
      impact: input.impact ?? null,
      followUp: input.followUp ?? null,
    });
    const next: Row<'incidents'> = {
      ...row,
      post_report: report,
      post_report_at: at,
      updated_at: at,
    };
    await trx
      .updateTable('incidents')
      .set({ post_report: report, post_report_at: at, updated_at: at })
      .where('id', '=', id)
      .execute();
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'incident.post_report',
      target: { type: 'incident', id },
      controllerId: row.controller_id,
      outcome: 'success',
      details: {
        late: row.report_due_at !== null && at > row.report_due_at,
        corrected: row.post_report_at !== null,
      },
    });
    return present(ctx, trx, next);
  });
}

/** What still stands between the incident and its closing, in words for the detail. */
function openItems(row: IncidentsTable): string[] {
  const items: string[] = [];
  if (row.contained_at === null) items.push('containment');
  if (row.post_report_at === null) items.push('the post-incident report');
  if (row.regulator_due_at !== null && row.regulator_reported_at === null)
    items.push('the regulator report');
  if (row.notice_decision !== 'not_required' && row.notified_at === null)
    items.push('notifying persons (or a recorded decision not to)');
  return items;
}

export async function closeIncident(ctx: AppContext, caller: Principal, id: string) {
  return transaction(ctx.store, async (trx) => {
    const row = await loadIncident(ctx, trx, caller, id, true);
    refuseClosed(row);
    const missing = openItems(row);
    if (missing.length > 0)
      throw conflict(`The incident cannot be closed yet; it needs ${missing.join(', ')}.`);
    const at = ctx.clock.now().toISOString();
    const next: Row<'incidents'> = { ...row, status: 'closed', closed_at: at, updated_at: at };
    await trx
      .updateTable('incidents')
      .set({ status: 'closed', closed_at: at, updated_at: at })
      .where('id', '=', id)
      .execute();
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'incident.close',
      target: { type: 'incident', id },
      controllerId: row.controller_id,
      outcome: 'success',
      details: { grade: row.grade },
    });
    return present(ctx, trx, next);
  });
}
