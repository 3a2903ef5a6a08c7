// What a retention run counts, stored as JSON on its `retention_runs` row and advanced in the same
// transaction as each batch, so the counts always match what was actually done.

export interface PurposeCounts {
  deleted: number;
  anonymised: number;
  held: number;
}

export interface RunCounts {
  /** Batches committed. */
  batches: number;
  /** Expired records looked at. */
  examined: number;
  deleted: number;
  anonymised: number;
  /** Expired records kept because a legal hold covers them. */
  held: number;
  /** Subjects left without records whose data key was destroyed. */
  shreddedSubjects: number;
  /** Records that had no expiry yet and got one from their purpose before the sweep. */
  backfilled: number;
  /** Records whose purpose is unknown to the data map, so no expiry can be computed. */
  unscheduled: number;
  purposes: Record<string, PurposeCounts>;
}

export const emptyCounts = (): RunCounts => ({
  batches: 0,
  examined: 0,
  deleted: 0,
  anonymised: 0,
  held: 0,
  shreddedSubjects: 0,
  backfilled: 0,
  unscheduled: 0,
  purposes: {},
});

export function parseCounts(json: string): RunCounts {
  return { ...emptyCounts(), ...(JSON.parse(json) as Partial<RunCounts>) };
}

export function purposeCounts(counts: RunCounts, purpose: string): PurposeCounts {
  const existing = counts.purposes[purpose];
  if (existing !== undefined) return existing;
  const fresh = { deleted: 0, anonymised: 0, held: 0 };
  counts.purposes[purpose] = fresh;
  return fresh;
}
