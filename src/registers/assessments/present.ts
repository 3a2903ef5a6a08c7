// The allow-list of assessment fields that leave the server.
import type { Row } from '../../db/types.js';
import { TRIGGERS, type Trigger } from './tables.js';

/** Parses a stored trigger list, dropping anything unknown. */
export function parseTriggers(json: string): Trigger[] {
  const parsed: unknown = JSON.parse(json);
  return Array.isArray(parsed)
    ? parsed.filter((t): t is Trigger => (TRIGGERS as readonly unknown[]).includes(t))
    : [];
}

export interface AssessmentEntry {
  row: Row<'assessments'>;
  purposeKeys: string[];
  systemIds: string[];
}

export function presentAssessment({ row, purposeKeys, systemIds }: AssessmentEntry) {
  return {
    id: row.id,
    title: row.title,
    triggers: parseTriggers(row.triggers),
    scope: { purposeKeys, systemIds },
    status: row.status,
    origin: row.origin,
    originRef: row.origin_ref === null ? null : (JSON.parse(row.origin_ref) as unknown),
    lawfulness: row.lawfulness,
    impact: row.impact,
    measures: row.measures,
    riskRating: row.risk_rating,
    residualRisk: row.residual_risk,
    approvedBy: row.approved_by,
    completedAt: row.completed_at,
    retainUntil: row.retain_until,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function presentPolicyFlag(row: Row<'policy_flags'>) {
  return {
    id: row.id,
    sourceType: row.source_type,
    sourceId: row.source_id,
    reason: row.reason,
    raisedAt: row.raised_at,
    resolvedAt: row.resolved_at,
  };
}
