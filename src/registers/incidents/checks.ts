// Checks and lookups shared by the incident register's services: times, order of events, grade
// overrides, personal data in free text, loading within the caller's scope, affected subjects.
import { sql } from 'kysely';
import { inScope, scopeControllers, type Principal } from '../../access/principal.js';
import { looksPersonal } from '../../audit/events.js';
import type { AppContext } from '../../context.js';

import { forUpdate, type Db, type Trx } from '../../db/store.js';
import type { Row } from '../../db/types.js';
import { conflict, invalidField, notFound } from '../../errors.js';

import { presentIncident } from './present.js';

// Clocks drift; a time a few minutes ahead is tolerated, not one from tomorrow.
export const FUTURE_SKEW_MS = 5 * 60_000;

/** A date-time from the request as ISO UTC; never in the future. */
export function instant(pointer: string, value: string, now: Date): string {
  const ms = Date.parse(value);
  // The date-time format admits leap seconds (":60") that JavaScript dates cannot represent.
  if (!Number.isFinite(ms)) throw invalidField(pointer, 'is not a valid date-time');
  if (ms > now.getTime() + FUTURE_SKEW_MS) throw invalidField(pointer, 'is in the future');
  return new Date(ms).toISOString();
}

/** The order of events an incident record must respect: occurred ≤ detected ≤ contained. */
export function checkOrder(
  t: { occurred: string | null; detected: string; contained: string | null },
  blame: { occurred: string; detected: string; contained: string },
): void {
  if (t.occurred !== null && t.occurred > t.detected)
    throw invalidField(blame.occurred, 'must not be after detectedAt');
  if (t.contained !== null && t.contained < t.detected)
    throw invalidField(blame.contained, 'must not be before detectedAt');
}

export function refuseOverride(grade: unknown, reason: string | undefined): void {
  if (grade !== undefined && grade !== null && reason === undefined)
    throw invalidField('/gradeReason', 'is required when the grade is set by hand');
  if (reason !== undefined && (grade === undefined || grade === null))
    throw invalidField('/grade', 'is required with gradeReason');
}

export function checkNoPersonalData(pointer: string, value: string): void {
  if (looksPersonal(value))
    throw invalidField(
      pointer,
      'must not contain personal information such as e-mail addresses or phone numbers',
    );
}

/** The incident, if the caller may see it; otherwise (absent or another controller's) a 404. */
export async function loadIncident(
  ctx: AppContext,
  db: Db | Trx,
  caller: Principal,
  id: string,
  lock = false,
): Promise<Row<'incidents'>> {
  let q = db.selectFrom('incidents').selectAll().where('id', '=', id);
  const scope = scopeControllers(caller);
  if (scope !== null) {
    if (scope.length === 0) throw notFound('incident');
    q = q.where('controller_id', 'in', scope);
  }
  if (lock) q = forUpdate(ctx.store, q);
  const row = await q.executeTakeFirst();
  if (row === undefined) throw notFound('incident');
  return row;
}

export function refuseClosed(row: Row<'incidents'>): void {
  if (row.status === 'closed') throw conflict('This incident is closed and can no longer change.');
}

/** Affected subjects must be the incident controller's (and visible to the caller). */
export async function checkSubjects(
  trx: Trx,
  caller: Principal,
  controllerId: string,
  ids: readonly string[],
): Promise<void> {
  if (ids.length === 0) return;
  const found = new Set<string>();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await trx
      .selectFrom('subjects')
      .select(['id', 'controller_id'])
      .where('id', 'in', ids.slice(i, i + 500))
      .execute();
    for (const r of rows)
      if (r.controller_id === controllerId && inScope(caller, r.controller_id)) found.add(r.id);
  }
  const bad = ids.findIndex((id) => !found.has(id));
  if (bad >= 0)
    throw invalidField(`/subjectIds/${bad}`, 'is not a data subject of this incident’s controller');
}

export async function replaceSubjects(
  trx: Trx,
  incidentId: string,
  ids: readonly string[],
  at: string,
) {
  await trx.deleteFrom('incident_subjects').where('incident_id', '=', incidentId).execute();
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    if (chunk.length > 0)
      await trx
        .insertInto('incident_subjects')
        .values(chunk.map((subject_id) => ({ incident_id: incidentId, subject_id, added_at: at })))
        .execute();
  }
}

export async function subjectCount(db: Db | Trx, incidentId: string): Promise<number> {
  const r = await db
    .selectFrom('incident_subjects')
    .select(sql<number>`count(*)`.as('n'))
    .where('incident_id', '=', incidentId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function present(ctx: AppContext, db: Db | Trx, row: Row<'incidents'>) {
  return presentIncident(row, await subjectCount(db, row.id), ctx.clock.now());
}
