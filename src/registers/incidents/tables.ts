// Row types of the incident tables (created by migrations/2026-11-28T01-30_notify_incidents.ts).

export const INCIDENT_KINDS = [
  'leak',
  'tampering',
  'loss',
  'unauthorised_access',
  'other',
] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];

/** 2025 Incident Reporting Measures grading, lowest first (see grading.ts for the thresholds). */
export const INCIDENT_GRADES = [
  'general',
  'relatively_major',
  'major',
  'especially_major',
] as const;
export type IncidentGrade = (typeof INCIDENT_GRADES)[number];

export const INCIDENT_STATUSES = ['open', 'contained', 'closed'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** PIPL art. 57 ¶2: persons need not be told when the measures taken effectively avoid harm. */
export const NOTICE_DECISIONS = ['notify', 'not_required'] as const;
export type NoticeDecision = (typeof NOTICE_DECISIONS)[number];

export interface IncidentsTable {
  id: string;
  controller_id: string;
  title: string;
  kind: IncidentKind;
  description: string;
  detected_at: string;
  occurred_at: string | null;
  contained_at: string | null;
  /** JSON list of data-map category keys. */
  categories: string;
  /** 1 when any category is sensitive PI (PIPL art. 28): it lowers the grading thresholds. */
  sensitive: number;
  persons_affected: number;
  /** 1 when critical information infrastructure is involved (1-hour report). */
  cii: number;
  cause: string | null;
  possible_harm: string | null;
  remedies_taken: string | null;
  person_actions: string | null;
  contact: string | null;
  grade: IncidentGrade;
  grade_computed: IncidentGrade;
  /** Why the grade differs from the computed one; null when not overridden. */
  grade_reason: string | null;
  status: IncidentStatus;
  /** Null when no regulator report is required (general incidents). */
  regulator_due_at: string | null;
  regulator_reported_at: string | null;
  regulator_authority: string | null;
  regulator_reference: string | null;
  notify_due_at: string;
  notice_decision: NoticeDecision | null;
  notice_decision_reason: string | null;
  notice_decided_at: string | null;
  notified_at: string | null;
  /** Null until contained: the report clock starts at containment. */
  report_due_at: string | null;
  /** JSON object: rootCause, measures, lessons and the optional parts. */
  post_report: string | null;
  post_report_at: string | null;
  closed_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface IncidentSubjectsTable {
  incident_id: string;
  subject_id: string;
  added_at: string;
}

export interface IncidentTables {
  incidents: IncidentsTable;
  incident_subjects: IncidentSubjectsTable;
}
