// The incident register: security incidents involving personal information, their grade, the
// clocks that run from detection (regulator report, notice to persons) and from containment
// (post-incident report), the notice to affected persons (PIPL art. 57) sent through the outbox,
// and the post-incident report. Every change and its audit event share one transaction.
import { sql, type ExpressionBuilder } from 'kysely';
import { actorOf, inScope, scopeControllers, type Principal } from '../../access/principal.js';

import type { AppContext } from '../../context.js';
import { getController } from '../../controllers/service.js';
import { newId } from '../../db/ids.js';
import { transaction } from '../../db/store.js';
import type { Database, Row } from '../../db/types.js';

import { computeGrade, dueTimes } from './grading.js';
import { lookupCategories } from './notice.js';
import { presentIncident } from './present.js';
import type { IncidentList, IncidentPatch, NewIncident } from './schema.js';

import {
  instant,
  checkOrder,
  refuseOverride,
  loadIncident,
  refuseClosed,
  checkSubjects,
  replaceSubjects,
  present,
} from './checks.js';

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
