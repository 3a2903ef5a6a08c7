// Row types of the retention tables (created by migrations/2026-11-28T01-10_retention.ts).
// Conventions as in db/types.ts: ISO-8601 UTC text timestamps, 0/1 booleans, JSON text.

export const HOLD_SCOPES = ['subject', 'category', 'controller'] as const;
export type HoldScope = (typeof HOLD_SCOPES)[number];

export const RUN_TRIGGERS = ['schedule', 'cli', 'api'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

export type RunStatus = 'running' | 'completed' | 'failed';

/** A legal hold: while active and not ended, nothing it covers is deleted (PIPL art. 47 ¶2). */
export interface LegalHoldsTable {
  id: string;
  scope: HoldScope;
  /** A subject id, a data-map category key, or a controller id. */
  target_id: string;
  /** The controller whose data it covers; null for a category hold, which covers all. */
  controller_id: string | null;
  reason: string;
  ends_at: string;
  status: 'active' | 'released';
  created_by_type: string;
  created_by: string | null;
  created_at: string;
  released_at: string | null;
  released_by: string | null;
  release_reason: string | null;
}

/** One retention sweep: advanced batch by batch in the batch's own transaction. */
export interface RetentionRunsTable {
  id: string;
  trigger: RunTrigger;
  dry_run: number;
  status: RunStatus;
  actor_type: string;
  actor_id: string | null;
  /** JSON `{ expiresAt, id }` of the last record handled; null before the first batch. */
  cursor: string | null;
  /** JSON `RunCounts` (see sweep.ts). */
  counts: string;
  started_at: string;
  updated_at: string;
  finished_at: string | null;
}

/** What anonymisation leaves: counts by purpose, category, region and month of collection. */
export interface RetentionAnonymisedTable {
  purpose: string;
  category: string;
  region: string;
  month: string;
  records: number;
  updated_at: string;
}

export interface RetentionTables {
  legal_holds: LegalHoldsTable;
  retention_runs: RetentionRunsTable;
  retention_anonymised: RetentionAnonymisedTable;
}
