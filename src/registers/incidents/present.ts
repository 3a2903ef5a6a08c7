// The allow-list of incident fields that leave the server, with the clocks computed at `now`.
import type { Row } from '../../db/types.js';
import { clocksOf } from './grading.js';

export function presentIncident(row: Row<'incidents'>, subjects: number, now: Date) {
  return {
    id: row.id,
    controllerId: row.controller_id,
    title: row.title,
    kind: row.kind,
    description: row.description,
    status: row.status,
    detectedAt: row.detected_at,
    occurredAt: row.occurred_at,
    containedAt: row.contained_at,
    categories: JSON.parse(row.categories) as string[],
    sensitive: row.sensitive === 1,
    personsAffected: Number(row.persons_affected),
    cii: row.cii === 1,
    subjects,
    cause: row.cause,
    possibleHarm: row.possible_harm,
    remediesTaken: row.remedies_taken,
    personActions: row.person_actions,
    contact: row.contact,
    grade: row.grade,
    gradeComputed: row.grade_computed,
    gradeReason: row.grade_reason,
    clocks: clocksOf(row, now),
    regulatorReport:
      row.regulator_reported_at === null
        ? null
        : {
            reportedAt: row.regulator_reported_at,
            authority: row.regulator_authority,
            reference: row.regulator_reference,
          },
    noticeDecision:
      row.notice_decision === null
        ? null
        : {
            decision: row.notice_decision,
            reason: row.notice_decision_reason,
            decidedAt: row.notice_decided_at,
          },
    notifiedAt: row.notified_at,
    postReport:
      row.post_report === null
        ? null
        : {
            ...(JSON.parse(row.post_report) as Record<string, string | null>),
            filedAt: row.post_report_at,
          },
    closedAt: row.closed_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
