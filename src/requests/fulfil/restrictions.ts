// Restriction of processing (PIPL arts. 44, 47 ¶2): a subject, or some of their purposes, kept in
// storage only. Other parts ask `restrictionOf` before processing a person's data for a purpose
// (deliveries, mailings, business jobs); storage and security protection continue.
import type { Db, Trx } from '../../db/store.js';
import { newId } from '../../db/ids.js';
import type { Job } from './fulfil.js';
import { distinct } from './gather.js';
import type { SubjectRestrictionsTable } from './tables.js';

/** Restricts the subject to storage for some purposes (or all), noting the request and reason. */
export async function restrictTo(
  job: Job,
  purposes: 'all' | readonly string[],
  reason: SubjectRestrictionsTable['reason_code'],
) {
  const { trx, request, subject, now } = job;
  if (subject === null) return;
  await trx
    .insertInto('subject_restrictions')
    .values({
      id: newId(),
      subject_id: subject.id,
      controller_id: subject.controller_id,
      request_id: request.id,
      purposes: purposes === 'all' ? 'all' : JSON.stringify(distinct(purposes)),
      reason_code: reason,
      since: now.toISOString(),
      lifted_at: null,
    })
    .execute();
}

/** The purposes a subject's processing is restricted for: 'all', a list, or null when none. */
export async function restrictionOf(
  db: Db | Trx,
  subjectId: string,
): Promise<'all' | string[] | null> {
  const rows = await db
    .selectFrom('subject_restrictions')
    .select('purposes')
    .where('subject_id', '=', subjectId)
    .where('lifted_at', 'is', null)
    .execute();
  if (rows.length === 0) return null;
  if (rows.some((r) => r.purposes === 'all')) return 'all';
  return distinct(rows.flatMap((r) => JSON.parse(r.purposes) as string[]));
}

/** Whether processing the subject's data for `purpose` (beyond storage) is restricted. */
export async function isRestricted(
  db: Db | Trx,
  subjectId: string,
  purpose: string,
): Promise<boolean> {
  const r = await restrictionOf(db, subjectId);
  return r === 'all' || (r !== null && r.includes(purpose));
}
