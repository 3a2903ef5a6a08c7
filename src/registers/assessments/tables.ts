// Row types of the impact-assessment tables (created by migrations/2026-11-28T01-40_assessments.ts).
// Conventions as in db/types.ts: ISO-8601 UTC text timestamps, JSON text lists.

/** PIPL art. 55 items 1–5: what makes an assessment necessary before processing. */
export const TRIGGERS = [
  'sensitive_pi',
  'automated_decision',
  'entrusting',
  'providing',
  'disclosing',
  'cross_border',
  'other_high_impact',
] as const;
export type Trigger = (typeof TRIGGERS)[number];

export const ASSESSMENT_STATUSES = ['proposed', 'in_progress', 'completed', 'superseded'] as const;
export type AssessmentStatus = (typeof ASSESSMENT_STATUSES)[number];

export const RISK_RATINGS = ['low', 'medium', 'high'] as const;
export type RiskRating = (typeof RISK_RATINGS)[number];

export type ScopeEntityType = 'purpose' | 'system';

export interface AssessmentsTable {
  id: string;
  title: string;
  /** JSON list of Trigger. */
  triggers: string;
  status: AssessmentStatus;
  origin: 'manual' | 'automatic';
  /** JSON `{ entityType, entityId, version }` of the data-map change that proposed it. */
  origin_ref: string | null;
  /** PIPL art. 56 ¶1 item 1: is the purpose and method lawful, legitimate and necessary. */
  lawfulness: string | null;
  /** Item 2: the impact on the persons' rights and the security risks. */
  impact: string | null;
  /** Item 3: the protective measures, and whether they are lawful, effective and proportionate. */
  measures: string | null;
  risk_rating: RiskRating | null;
  residual_risk: RiskRating | null;
  /** Id of the staff member who completed (approved) it. */
  approved_by: string | null;
  completed_at: string | null;
  /** Kept at least until then (PIPL art. 56 ¶2: three years). */
  retain_until: string | null;
  created_at: string;
  updated_at: string;
}

/** What an assessment covers: purposes by key, systems by id. */
export interface AssessmentScopeTable {
  assessment_id: string;
  entity_type: ScopeEntityType;
  entity_id: string;
}

export interface PolicyFlagsTable {
  id: string;
  source_type: 'assessment';
  source_id: string;
  reason: 'high_risk_assessment';
  raised_at: string;
  resolved_at: string | null;
}

export interface AssessmentTables {
  assessments: AssessmentsTable;
  assessment_scope: AssessmentScopeTable;
  policy_flags: PolicyFlagsTable;
}
