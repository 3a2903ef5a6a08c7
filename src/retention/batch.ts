// One batch of a retention sweep: the expired records of one page, checked against legal holds,
// deleted or anonymised, emptied subjects crypto-shredded, and the run's cursor and counts
// advanced, all in one transaction (see sweep.ts for why that makes a crash harmless).

import type { Actor } from '../audit/events.js';
import type { AppContext } from '../context.js';

import { forUpdate, transaction, type Trx } from '../db/store.js';
import type { Row } from '../db/types.js';

import { shredSubject } from '../subjects/service.js';
import { activeHolds, isHeld, type ActiveHolds } from './active-holds.js';
import { parseCounts, purposeCounts } from './counts.js';

export interface Cursor {
  expiresAt: string;
  id: string;
}

export type Candidate = Pick<
  Row<'pi_records'>,
  'id' | 'subject_id' | 'controller_id' | 'category' | 'purpose' | 'region' | 'collected_at'
> & { expires_at: string };

// Lists given to `in (...)` are chunked to stay within every dialect's parameter limit.
export const IN_CHUNK = 1000;
export function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += IN_CHUNK) out.push(items.slice(i, i + IN_CHUNK));
  return out;
}
export const unique = <T>(items: readonly T[]): T[] => [...new Set(items)];

/** One batch in one transaction; returns whether more expired records may follow. */
export async function sweepBatch(
  ctx: AppContext,
  runId: string,
  dryRun: boolean,
  actor: Actor,
): Promise<boolean> {
  const size = ctx.config.retentionBatchSize;
  return transaction(ctx.store, async (trx) => {
    const run = await forUpdate(
      ctx.store,
      trx
        .selectFrom('retention_runs')
        .select(['status', 'cursor', 'counts'])
        .where('id', '=', runId),
    ).executeTakeFirstOrThrow();
    // Another process finished this run while we waited for its lock.
    if (run.status !== 'running') return false;
    const counts = parseCounts(run.counts);
    const cursor = run.cursor === null ? null : (JSON.parse(run.cursor) as Cursor);
    const now = ctx.clock.now();
    const cutoff = now.toISOString();

    let q = trx
      .selectFrom('pi_records')
      .select([
        'id',
        'subject_id',
        'controller_id',
        'category',
        'purpose',
        'region',
        'collected_at',
        'expires_at',
      ])
      .where('expires_at', '<=', cutoff);
    if (cursor !== null)
      q = q.where((eb) =>
        eb.or([
          eb('expires_at', '>', cursor.expiresAt),
          eb.and([eb('expires_at', '=', cursor.expiresAt), eb('id', '>', cursor.id)]),
        ]),
      );
    const page = (await q.orderBy('expires_at').orderBy('id').limit(size).execute()).filter(
      (r): r is Candidate => r.expires_at !== null,
    );
    const last = page[page.length - 1];
    if (last === undefined) return false;

    const subjectIds = unique(page.map((r) => r.subject_id));
    // Subjects are locked before their records, in the order erasure and record writers use.
    const batch = dryRun ? page : await lockAndRecheck(ctx, trx, subjectIds, page);
    const holds = await activeHolds(trx, now, {
      subjects: subjectIds,
      categories: unique(page.map((r) => r.category)),
      controllers: unique(page.map((r) => r.controller_id)),
    });
    const ends = await endActions(trx, unique(page.map((r) => r.purpose)));

    const remove: Candidate[] = [];
    const aggregate = new Map<string, { row: Candidate; n: number }>();
    for (const r of batch) {
      counts.examined++;
      const per = purposeCounts(counts, r.purpose);
      if (isHeld(holds, r)) {
        counts.held++;
        per.held++;
        continue;
      }
      if (ends.get(r.purpose) === 'anonymise') {
        counts.anonymised++;
        per.anonymised++;
        const key = [r.purpose, r.category, r.region, r.collected_at.slice(0, 7)].join('\u0000');
        const entry = aggregate.get(key);
        if (entry) entry.n++;
        else aggregate.set(key, { row: r, n: 1 });
      } else {
        counts.deleted++;
        per.deleted++;
      }
      remove.push(r);
    }

    const emptied = unique(remove.map((r) => r.subject_id));
    if (dryRun) {
      counts.shreddedSubjects += await wouldShred(trx, now, emptied, last);
    } else {
      for (const ids of chunks(remove.map((r) => r.id))) {
        await trx.deleteFrom('subject_identifiers').where('record_id', 'in', ids).execute();
        await trx.deleteFrom('pi_records').where('id', 'in', ids).execute();
      }
      for (const { row, n } of aggregate.values())
        await trx
          .insertInto('retention_anonymised')
          .values({
            purpose: row.purpose,
            category: row.category,
            region: row.region,
            month: row.collected_at.slice(0, 7),
            records: n,
            updated_at: cutoff,
          })
          .onConflict((oc) =>
            oc.columns(['purpose', 'category', 'region', 'month']).doUpdateSet((eb) => ({
              records: eb('retention_anonymised.records', '+', eb.ref('excluded.records')),
              updated_at: eb.ref('excluded.updated_at'),
            })),
          )
          .execute();
      counts.shreddedSubjects += await shredEmptied(ctx, trx, emptied, holds, actor, runId);
    }

    counts.batches++;
    await trx
      .updateTable('retention_runs')
      .set({
        cursor: JSON.stringify({ expiresAt: last.expires_at, id: last.id } satisfies Cursor),
        counts: JSON.stringify(counts),
        updated_at: cutoff,
      })
      .where('id', '=', runId)
      .execute();
    return page.length === size;
  });
}

/**
 * On PostgreSQL, locks the batch's subjects (FOR UPDATE, in id order) and drops records that a
 * concurrent erasure removed after the batch was read. SQLite serialises writers already.
 */
async function lockAndRecheck(
  ctx: AppContext,
  trx: Trx,
  subjectIds: readonly string[],
  page: Candidate[],
): Promise<Candidate[]> {
  if (ctx.store.dialect !== 'postgres') return page;
  for (const ids of chunks([...subjectIds].sort()))
    await trx
      .selectFrom('subjects')
      .select('id')
      .where('id', 'in', ids)
      .orderBy('id')
      .forUpdate()
      .execute();
  const present = new Set<string>();
  for (const ids of chunks(page.map((r) => r.id)))
    for (const r of await trx
      .selectFrom('pi_records')
      .select('id')
      .where('id', 'in', ids)
      .execute())
      present.add(r.id);
  return page.filter((r) => present.has(r.id));
}

/** What each purpose does when retention ends; a purpose missing from the map deletes. */
async function endActions(trx: Trx, purposes: readonly string[]) {
  const rows = await trx
    .selectFrom('purposes')
    .select(['key', 'retention_end'])
    .where('key', 'in', [...purposes])
    .execute();
  return new Map(rows.map((r) => [r.key, r.retention_end]));
}

/**
 * Crypto-shreds the subjects this batch left without records, unless a subject or controller hold
 * covers them. Each shred is audited by subject id only.
 */
async function shredEmptied(
  ctx: AppContext,
  trx: Trx,
  subjectIds: readonly string[],
  holds: ActiveHolds,
  actor: Actor,
  runId: string,
): Promise<number> {
  let shredded = 0;
  for (const ids of chunks(subjectIds)) {
    const left = await trx
      .selectFrom('pi_records')
      .select('subject_id')
      .distinct()
      .where('subject_id', 'in', ids)
      .execute();
    const keep = new Set(left.map((r) => r.subject_id));
    const subjects = await trx
      .selectFrom('subjects')
      .select(['id', 'controller_id', 'status'])
      .where('id', 'in', ids)
      .execute();
    for (const s of subjects) {
      if (s.status !== 'active' || keep.has(s.id)) continue;
      if (holds.subjects.has(s.id) || holds.controllers.has(s.controller_id)) continue;
      const result = await shredSubject(ctx, trx, s.id);
      await ctx.audit.record(trx, {
        actor,
        action: 'retention.subject_shred',
        target: { type: 'subject', id: s.id },
        controllerId: s.controller_id,
        outcome: 'success',
        details: { run: runId, keyDestroyed: result.keyDestroyed, indexes: result.indexes },
      });
      shredded++;
    }
  }
  return shredded;
}

/**
 * Dry run: how many of these subjects a real sweep would shred. A subject counts in the batch
 * holding its last removable record, and only if nothing of it would survive (unexpired, without
 * expiry, or held by a category hold), so resumed or long dry runs count each subject once.
 */
async function wouldShred(
  trx: Trx,
  now: Date,
  subjectIds: readonly string[],
  last: Candidate,
): Promise<number> {
  if (subjectIds.length === 0) return 0;
  const cutoff = now.toISOString();
  const heldCategories = (
    await trx
      .selectFrom('legal_holds')
      .select('target_id')
      .where('scope', '=', 'category')
      .where('status', '=', 'active')
      .where('ends_at', '>', cutoff)
      .execute()
  ).map((r) => r.target_id);
  let count = 0;
  for (const ids of chunks(subjectIds)) {
    const survivors = await trx
      .selectFrom('pi_records')
      .select('subject_id')
      .distinct()
      .where('subject_id', 'in', ids)
      .where((eb) =>
        eb.or([
          eb('expires_at', 'is', null),
          eb('expires_at', '>', cutoff),
          ...(heldCategories.length > 0 ? [eb('category', 'in', heldCategories)] : []),
        ]),
      )
      .execute();
    let later = trx
      .selectFrom('pi_records')
      .select('subject_id')
      .distinct()
      .where('subject_id', 'in', ids)
      .where('expires_at', '<=', cutoff)
      .where((eb) =>
        eb.or([
          eb('expires_at', '>', last.expires_at),
          eb.and([eb('expires_at', '=', last.expires_at), eb('id', '>', last.id)]),
        ]),
      );
    if (heldCategories.length > 0) later = later.where('category', 'not in', heldCategories);
    const notDone = new Set([...survivors, ...(await later.execute())].map((r) => r.subject_id));
    count += ids.filter((id) => !notDone.has(id)).length;
  }
  return count;
}
