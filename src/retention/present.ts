// Allow-lists of what leaves the server about holds and sweeps. Neither carries personal values:
// holds name their target by id or category key, runs carry counts only.
import type { Row } from '../db/types.js';
import { parseCounts } from './counts.js';
import type { HoldState } from './schema.js';

export function holdState(row: Row<'legal_holds'>, now: Date): HoldState {
  if (row.status === 'released') return 'released';
  return row.ends_at > now.toISOString() ? 'active' : 'ended';
}

export function presentHold(row: Row<'legal_holds'>, now: Date) {
  return {
    id: row.id,
    scope: row.scope,
    targetId: row.target_id,
    controllerId: row.controller_id,
    reason: row.reason,
    endsAt: row.ends_at,
    state: holdState(row, now),
    createdAt: row.created_at,
    createdBy: { type: row.created_by_type, id: row.created_by },
    releasedAt: row.released_at,
    releasedBy: row.released_by,
    releaseReason: row.release_reason,
  };
}

export function presentRun(row: Row<'retention_runs'>) {
  return {
    id: row.id,
    trigger: row.trigger,
    dryRun: row.dry_run === 1,
    status: row.status,
    counts: parseCounts(row.counts),
    startedBy: { type: row.actor_type, id: row.actor_id },
    startedAt: row.started_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}
export type RunReport = ReturnType<typeof presentRun>;
