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
import { forUpdate, transaction, type Store } from '../db/store.js';
import type { Row } from '../db/types.js';
import { AppError, conflict, notFound } from '../errors.js';
import { runExclusive } from '../jobs/scheduler.js';
import { scrubSqliteWal } from '../subjects/service.js';

import { emptyCounts, parseCounts, type RunCounts } from './counts.js';
import { expiryOf } from './expiry.js';
import { presentRun, type RunReport } from './present.js';
import type { RunList } from './schema.js';
import type { RunTrigger } from './tables.js';
import { sweepBatch } from './batch.js';

/** The job name; also the PostgreSQL advisory lock every sweep takes, whoever starts it. */
export const SWEEP_JOB = 'retention.sweep';

export interface RunOptions {
  dryRun: boolean;
  trigger: RunTrigger;
  /** Who started it; defaults to the system (schedule) or the command line (cli). */
  actor?: Actor;
}

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
