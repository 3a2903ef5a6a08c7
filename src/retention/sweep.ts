// The retention sweep (PIPL art. 19 and art. 47 item 2; GB/T 35273-2020 §6.1): records whose
// purpose's retention period has ended are deleted, or anonymised into counts that identify no
// one, unless a legal hold covers them; a subject left with no records is crypto-shredded.
//
// Crash safety: records are taken in (expires_at, id) order, a batch at a time, and each batch is
// ONE transaction that also advances the run's cursor and counts in `retention_runs`. A crash
// loses at most the uncommitted batch; the next run resumes the unfinished one from its cursor,
// so nothing is counted twice and nothing is skipped.
import { sql } from 'kysely';
import { actorOf, type Principal } from '../access/principal.js';
import type { Actor } from '../audit/events.js';
import type { AppContext } from '../context.js';
import { newId } from '../db/ids.js';
import { forUpdate, transaction, type Store, type Trx } from '../db/store.js';
import type { Row } from '../db/types.js';
import { AppError, conflict, notFound } from '../errors.js';
import { runExclusive } from '../jobs/scheduler.js';
import { scrubSqliteWal, shredSubject } from '../subjects/service.js';
import { activeHolds, isHeld, type ActiveHolds } from './active-holds.js';
import { emptyCounts, parseCounts, purposeCounts, type RunCounts } from './counts.js';
import { expiryOf } from './expiry.js';
import { presentRun, type RunReport } from './present.js';
import type { RunList } from './schema.js';
import type { RunTrigger } from './tables.js';

/** The job name; also the PostgreSQL advisory lock every sweep takes, whoever starts it. */
export const SWEEP_JOB = 'retention.sweep';

export interface RunOptions {
  dryRun: boolean;
  trigger: RunTrigger;
  /** Who started it; defaults to the system (schedule) or the command line (cli). */
  actor?: Actor;
}

interface Cursor {
  expiresAt: string;
  id: string;
}

type Candidate = Pick<
  Row<'pi_records'>,
  'id' | 'subject_id' | 'controller_id' | 'category' | 'purpose' | 'region' | 'collected_at'
> & { expires_at: string };

// Lists given to `in (...)` are chunked to stay within every dialect's parameter limit.
const IN_CHUNK = 1000;
function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += IN_CHUNK) out.push(items.slice(i, i + IN_CHUNK));
  return out;
}
const unique = <T>(items: readonly T[]): T[] => [...new Set(items)];

const busy = (): AppError =>
  conflict('A retention sweep is already running; try again when it has finished.');

const defaultActor = (trigger: RunTrigger): Actor =>
  trigger === 'cli' ? { type: 'cli', id: null } : { type: 'system', id: null };

// Sweeps running in this process, per store: on SQLite there is no advisory lock to take.
const sweeping = new WeakSet<Store>();

/** Whether this process is sweeping `ctx`'s store right now. */
export const isSweeping = (ctx: AppContext): boolean => sweeping.has(ctx.store);

/**
 * Runs (or resumes) a sweep to the end and returns its report. Callers outside the job scheduler
 * use `runRetentionExclusive`, which also takes the cross-instance lock on PostgreSQL.
 */
export async function runRetention(
  ctx: AppContext,
  options: RunOptions,
): Promise<RunReport & { resumed: boolean }> {
  if (sweeping.has(ctx.store)) throw busy();
  sweeping.add(ctx.store);
  try {
    return await sweep(ctx, options);
  } finally {
    sweeping.delete(ctx.store);
  }
}

/** `runRetention` under the job's advisory lock (PostgreSQL), so one sweep runs at a time. */
export async function runRetentionExclusive(ctx: AppContext, options: RunOptions) {
  const out: { report?: Awaited<ReturnType<typeof runRetention>> } = {};
  const ran = await runExclusive(ctx.store, {
    name: SWEEP_JOB,
    everySeconds: 0,
    run: async () => {
      out.report = await runRetention(ctx, options);
    },
  });
  if (!ran || out.report === undefined) throw busy();
  return out.report;
}

/** A sweep started through the API: it acts on every controller, so it needs staff who see all. */
export async function runRetentionAs(ctx: AppContext, caller: Principal, dryRun: boolean) {
  if (caller.controllers !== 'all')
    throw new AppError(
      'forbidden',
      403,
      'Forbidden',
      'A retention sweep covers every controller; it needs staff with access to all controllers.',
    );
  return runRetentionExclusive(ctx, { dryRun, trigger: 'api', actor: actorOf(caller) });
}

async function sweep(ctx: AppContext, options: RunOptions) {
  const actor = options.actor ?? defaultActor(options.trigger);
  // A dry run writes nothing but its report, so it cannot backfill; it reports what lacks expiry.
  const backfilled = options.dryRun ? 0 : await backfillExpiry(ctx);
  const unscheduled = await countUnscheduled(ctx);
  const { id, resumed } = await startRun(ctx, options, actor, { backfilled, unscheduled });
  try {
    while (await sweepBatch(ctx, id, options.dryRun, actor)) {
      // each batch committed on its own; continue until a short batch
    }
  } catch (error) {
    await finishRun(ctx, id, 'failed', actor, resumed).catch(() => undefined);
    throw error;
  }
  const finished = await finishRun(ctx, id, 'completed', actor, resumed);
  if (!options.dryRun) await scrubSqliteWal(ctx);
  return { ...presentRun(finished), resumed };
}

/** Gives records written before expiries existed (or by bulk loads) their purpose's expiry. */
async function backfillExpiry(ctx: AppContext): Promise<number> {
  const size = ctx.config.retentionBatchSize;
  const purposes = await ctx.store.db
    .selectFrom('purposes')
    .select(['key', 'retention_days'])
    .execute();
  let total = 0;
  for (const p of purposes) {
    for (;;) {
      const n = await transaction(ctx.store, async (trx) => {
        const rows = await trx
          .selectFrom('pi_records')
          .select(['id', 'collected_at'])
          .where('purpose', '=', p.key)
          .where('expires_at', 'is', null)
          .limit(size)
          .execute();
        for (const r of rows)
          await trx
            .updateTable('pi_records')
            .set({ expires_at: expiryOf(r.collected_at, p.retention_days) })
            .where('id', '=', r.id)
            .where('expires_at', 'is', null)
            .execute();
        return rows.length;
      });
      total += n;
      if (n < size) break;
    }
  }
  return total;
}

async function countUnscheduled(ctx: AppContext): Promise<number> {
  const row = await ctx.store.db
    .selectFrom('pi_records')
    .select(sql<number>`count(*)`.as('n'))
    .where('expires_at', 'is', null)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Resumes the unfinished run of the same kind, or opens a new one. */
async function startRun(
  ctx: AppContext,
  options: RunOptions,
  actor: Actor,
  before: { backfilled: number; unscheduled: number },
): Promise<{ id: string; resumed: boolean }> {
  const dryRun = options.dryRun ? 1 : 0;
  const now = ctx.clock.now().toISOString();
  return transaction(ctx.store, async (trx) => {
    const open = await forUpdate(
      ctx.store,
      trx
        .selectFrom('retention_runs')
        .select(['id', 'counts'])
        .where('status', '=', 'running')
        .where('dry_run', '=', dryRun)
        .orderBy('started_at')
        .limit(1),
    ).executeTakeFirst();
    if (open !== undefined) {
      const counts = parseCounts(open.counts);
      counts.backfilled += before.backfilled;
      counts.unscheduled = before.unscheduled;
      await trx
        .updateTable('retention_runs')
        .set({ counts: JSON.stringify(counts), updated_at: now })
        .where('id', '=', open.id)
        .execute();
      return { id: open.id, resumed: true };
    }
    const id = newId();
    await trx
      .insertInto('retention_runs')
      .values({
        id,
        trigger: options.trigger,
        dry_run: dryRun,
        status: 'running',
        actor_type: actor.type,
        actor_id: actor.id,
        cursor: null,
        counts: JSON.stringify({ ...emptyCounts(), ...before }),
        started_at: now,
        updated_at: now,
        finished_at: null,
      })
      .execute();
    return { id, resumed: false };
  });
}

/** One batch in one transaction; returns whether more expired records may follow. */
async function sweepBatch(
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

/** Closes a run that is still running and writes its one audit event with the counts. */
async function finishRun(
  ctx: AppContext,
  runId: string,
  status: 'completed' | 'failed',
  actor: Actor,
  resumed: boolean,
): Promise<Row<'retention_runs'>> {
  return transaction(ctx.store, async (trx) => {
    const run = await forUpdate(
      ctx.store,
      trx.selectFrom('retention_runs').selectAll().where('id', '=', runId),
    ).executeTakeFirstOrThrow();
    // Another process resuming the same run may have finished it already.
    if (run.status !== 'running') return run;
    const now = ctx.clock.now().toISOString();
    await trx
      .updateTable('retention_runs')
      .set({ status, finished_at: now, updated_at: now })
      .where('id', '=', runId)
      .execute();
    const counts = parseCounts(run.counts);
    await ctx.audit.record(trx, {
      actor,
      action: 'retention.run',
      target: { type: 'retention_run', id: runId },
      outcome: status === 'completed' ? 'success' : 'failure',
      details: { trigger: run.trigger, dryRun: run.dry_run === 1, resumed, ...flatCounts(counts) },
    });
    return { ...run, status, finished_at: now, updated_at: now };
  });
}

/** Counts as flat audit details: totals, then `<purpose>.<deleted|anonymised|held>`. */
function flatCounts(counts: RunCounts): Record<string, number> {
  const { purposes, ...totals } = counts;
  const flat: Record<string, number> = { ...totals };
  for (const [purpose, c] of Object.entries(purposes))
    for (const what of ['deleted', 'anonymised', 'held'] as const)
      if (c[what] > 0) flat[`${purpose}.${what}`] = c[what];
  return flat;
}

/** Recent runs, newest first. Runs hold counts only, never personal data. */
export async function listRuns(ctx: AppContext, query: RunList) {
  let q = ctx.store.db
    .selectFrom('retention_runs')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(query.limit + 1);
  if (query.after !== undefined) q = q.where('id', '<', query.after);
  const rows = await q.execute();
  const page = rows.slice(0, query.limit);
  return {
    items: page.map(presentRun),
    next: rows.length > query.limit ? (page[page.length - 1]?.id ?? null) : null,
  };
}

export async function getRun(ctx: AppContext, id: string) {
  const row = await ctx.store.db
    .selectFrom('retention_runs')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  if (row === undefined) throw notFound('retention run');
  return presentRun(row);
}
