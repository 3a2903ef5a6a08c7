// Which legal holds protect what, right now. A hold protects while it is not released and its end
// has not passed; after that it is history and deletion may proceed (PIPL art. 47: keep only as
// long as needed, except where another duty still requires storage).
import type { Db, Trx } from '../db/store.js';

/** The targets covered by active holds, among the candidates asked about. */
export interface ActiveHolds {
  subjects: ReadonlySet<string>;
  categories: ReadonlySet<string>;
  controllers: ReadonlySet<string>;
}

/** Active holds on any of the given subjects, categories or controllers at `now`. */
export async function activeHolds(
  db: Db | Trx,
  now: Date,
  candidates: {
    subjects?: readonly string[];
    categories?: readonly string[];
    controllers?: readonly string[];
  },
): Promise<ActiveHolds> {
  const wanted: Array<['subject' | 'category' | 'controller', readonly string[]]> = [
    ['subject', candidates.subjects ?? []],
    ['category', candidates.categories ?? []],
    ['controller', candidates.controllers ?? []],
  ];
  const held = {
    subject: new Set<string>(),
    category: new Set<string>(),
    controller: new Set<string>(),
  };
  for (const [scope, ids] of wanted) {
    const unique = [...new Set(ids)];
    // Chunked so a large batch stays within every dialect's parameter limit.
    for (let i = 0; i < unique.length; i += 500) {
      const rows = await db
        .selectFrom('legal_holds')
        .select('target_id')
        .where('scope', '=', scope)
        .where('status', '=', 'active')
        .where('ends_at', '>', now.toISOString())
        .where('target_id', 'in', unique.slice(i, i + 500))
        .execute();
      for (const r of rows) held[scope].add(r.target_id);
    }
  }
  return { subjects: held.subject, categories: held.category, controllers: held.controller };
}

/** Whether a record (its subject, category and controller) is under an active hold. */
export function isHeld(
  holds: ActiveHolds,
  record: { subject_id: string; category: string; controller_id: string },
): boolean {
  return (
    holds.subjects.has(record.subject_id) ||
    holds.categories.has(record.category) ||
    holds.controllers.has(record.controller_id)
  );
}

/** Active holds covering a subject or any of its records; empty when nothing protects it. */
export async function holdsOnSubject(
  db: Db | Trx,
  now: Date,
  subject: { id: string; controller_id: string },
): Promise<ActiveHolds> {
  const categories = await db
    .selectFrom('pi_records')
    .select('category')
    .distinct()
    .where('subject_id', '=', subject.id)
    .execute();
  return activeHolds(db, now, {
    subjects: [subject.id],
    controllers: [subject.controller_id],
    categories: categories.map((c) => c.category),
  });
}

export const anyHeld = (h: ActiveHolds): boolean =>
  h.subjects.size + h.categories.size + h.controllers.size > 0;
