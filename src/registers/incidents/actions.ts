// The incident workflow after creation: containment, the regulator report, the decision on
// notifying persons and the notices themselves (through the outbox), the post-incident report and
// closing. Each action and its audit event share one transaction.

import { actorOf, type Principal } from '../../access/principal.js';

import type { AppContext } from '../../context.js';

import { transaction } from '../../db/store.js';
import type { Row } from '../../db/types.js';
import { conflict, invalidField } from '../../errors.js';
import { enqueueMail } from '../../notify/outbox.js';
import { openRecords } from '../../subjects/records.js';
import { dueTimes } from './grading.js';
import { buildNotice, missingNoticeParts } from './notice.js';

import type {
  ContainBody,
  NoticeDecisionBody,
  NotifyBody,
  PostReportBody,
  RegulatorReportBody,
} from './schema.js';
import type { IncidentsTable } from './tables.js';

import { instant, checkNoPersonalData, loadIncident, refuseClosed, present } from './checks.js';

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
